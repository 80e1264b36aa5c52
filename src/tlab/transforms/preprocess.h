#pragma once
// Decoded image -> model input. The one function that does colour conversion, resizing,
// centre cropping, HWC->CHW, scaling and mean/std normalisation, so training, evaluation,
// prediction and serving can never disagree. Pretrained weights carry their own InputSpec.
#include <opencv2/core.hpp>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace tlab::transforms {

struct InputSpec {
  int channels = 3;          // 1 (grey) or 3 (colour); images are converted to this
  int height = 224;          // model input height (the crop when resize > 0)
  int width = 224;           // model input width
  std::vector<float> mean;   // per channel (in the model's channel order), subtracted after scaling; empty = 0
  std::vector<float> std;    // per channel; empty = 1
  int resize = 0;            // > 0: scale the shorter side to this, then centre-crop height x width
                             // (torchvision Resize(resize) + CenterCrop); 0: resize straight to height x width
  std::string interpolation = "auto";  // auto (area when shrinking, else bilinear) | bilinear | bicubic | nearest | area
  bool bgr = false;          // true: channel order B, G, R (Caffe-trained weights)
  float scale = 1.0f / 255;  // pixel multiplier applied before mean/std (Caffe: 1, pixels stay 0-255)
};

nlohmann::json to_json(const InputSpec& spec);
InputSpec input_spec_from_json(const nlohmann::json& j);

// torchvision's ImageNet preprocessing: RGB, shorter side `resize`, centre crop `crop`,
// /255, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
InputSpec imagenet_spec(int resize = 256, int crop = 224, const std::string& interpolation = "bilinear");
// Caffe's: BGR, 0-255, mean (104, 117, 123) subtracted, no std (e.g. SqueezeNet / VGG from Caffe).
InputSpec caffe_spec(int resize = 256, int crop = 224);

// Writes `image` (uint8 HxWx1 or HxWx3 RGB) as float CHW into `out`, which holds
// channels*height*width floats: out[c] = (pixel[c] * scale - mean[c]) / std[c].
void to_chw_float(const cv::Mat& image, const InputSpec& spec, float* out);

// The geometric part alone: colour conversion, resize and centre crop, as uint8 HxWxC.
cv::Mat resize_and_crop(const cv::Mat& image, const InputSpec& spec);

}  // namespace tlab::transforms

namespace tlab::transforms {

// The image with its shorter side scaled to `side` (aspect kept, the longer side truncated as
// torchvision's Resize(int) does); returned as is when the shorter side is `side` already.
cv::Mat resize_shorter_side(const cv::Mat& image, int side, const std::string& interpolation = "auto");

}  // namespace tlab::transforms
