#pragma once
// Decoded image -> model input. The one function that does colour conversion, resizing,
// centre cropping, HWC->CHW, scaling and mean/std normalisation, so training, evaluation,
// prediction and serving can never disagree. Pretrained weights carry their own InputSpec.
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <algorithm>
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
  std::string interpolation = "auto";  // how resizing samples (see resample() below):
                             //   bilinear  Pillow's bilinear, antialiased when shrinking: what torchvision's
                             //             Resize does to a PIL image (triangle filter, support scales with
                             //             the shrink factor)
                             //   bicubic   Pillow's bicubic (a = -0.5), antialiased likewise
                             //   nearest   nearest neighbour, Pillow's pixel choice
                             //   area      OpenCV's INTER_AREA (box filter when shrinking)
                             //   auto      area when shrinking, else bilinear
  bool bgr = false;          // true: channel order B, G, R (Caffe-trained weights)
  float scale = 1.0f / 255;  // pixel multiplier applied before mean/std (Caffe: 1, pixels stay 0-255)
  // Optional denoising, applied after colour conversion and before resizing (so at full resolution:
  // nlmeans on a 12-megapixel photo takes seconds; decode at reduced scale first, see
  // data::DecodeOptions::min_side). A size or strength of 0 takes the method's default:
  //   method     denoise_size (default)                 denoise_strength (default)
  //   none       must be 0                              must be 0
  //   gaussian   odd kernel side (5)                    sigma (0: from the kernel side, 1.1 for 5)
  //   median     odd aperture (3)                       must be 0
  //   bilateral  pixel neighbourhood diameter (9)       sigmaColor = sigmaSpace (75)
  //   nlmeans    odd search window (21; template 7)     filter strength h, also for colour (10);
  //                                                     best near the noise's standard deviation
  // (cv::GaussianBlur, medianBlur, bilateralFilter, fastNlMeansDenoising / ...Colored.)
  std::string denoise = "none";  // none | gaussian | median | bilateral | nlmeans
  int denoise_size = 0;          // see the table above; 0: the method's default
  float denoise_strength = 0;    // see the table above; 0: the method's default
};

nlohmann::json to_json(const InputSpec& spec);
// Reads what to_json writes. Keys added later (denoise, denoise_size, denoise_strength, and resize,
// interpolation, bgr, scale before them) may be missing: they take their defaults, so older
// checkpoints load. Throws UsageError naming the key for a wrong type or a bad value.
InputSpec input_spec_from_json(const nlohmann::json& j);

// Throws UsageError, naming the field, when `spec` is inconsistent (channels not 1 or 3,
// mean/std of the wrong length, an unknown interpolation or denoise method, a bad denoise size...).
void validate(const InputSpec& spec);

// torchvision's ImageNet preprocessing: RGB, shorter side `resize`, centre crop `crop`,
// /255, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
InputSpec imagenet_spec(int resize = 256, int crop = 224, const std::string& interpolation = "bilinear");
// Caffe's: BGR, 0-255, mean (104, 117, 123) subtracted, no std (e.g. SqueezeNet / VGG from Caffe).
InputSpec caffe_spec(int resize = 256, int crop = 224);

// Writes `image` (uint8 HxWx1 or HxWx3 RGB) as float CHW into `out`, which holds
// channels*height*width floats: out[c] = (pixel[c] * scale - mean[c]) / std[c].
void to_chw_float(const cv::Mat& image, const InputSpec& spec, float* out);

// The pixel part alone: colour conversion, denoising, resize and centre crop, as uint8 HxWxC.
// The centre crop starts at round((H - h) / 2) with ties to even, as torchvision's CenterCrop (Python's
// round); bilinear and bicubic compute only the cropped part of the resized image.
cv::Mat resize_and_crop(const cv::Mat& image, const InputSpec& spec);

enum class ResampleFilter { kBilinear, kBicubic, kNearest };

// Resizes `image` (uint8, 1 to 4 channels) to `size` exactly as Pillow's Image.resize does with
// BILINEAR, BICUBIC or NEAREST, which is what torchvision's Resize does to a PIL image.
// Bilinear and bicubic (ImagingResample in Pillow's Resample.c): per axis, each output pixel is a
// normalised weighted sum of the input pixels within `support * max(1, in / out)` of its centre
// (support 1 for the triangle, 2 for the a = -0.5 cubic; the filter is stretched when shrinking,
// so it antialiases), with 22-bit fixed-point weights, a horizontal pass rounded to uint8, then a
// vertical pass. Nearest (ImagingScaleAffine in Geometry.c): input pixel floor((x + 0.5) * in / out),
// accumulated in double as Pillow does. Returns the part `crop` of the resized image (the whole of
// it when `crop` is empty), computing only that part: the same pixels as resizing everything and
// cropping afterwards. Throws UsageError for bad arguments.
cv::Mat resample(const cv::Mat& image, cv::Size size, ResampleFilter filter, cv::Rect crop = {});

// The shorter side an image needs for `spec` without enlarging: `resize`, else the larger of
// height and width.
inline int resize_side(const InputSpec& spec) { return spec.resize > 0 ? spec.resize : std::max(spec.height, spec.width); }

// The image with its shorter side scaled to `side` with `interpolation` (an InputSpec name; aspect
// kept, the longer side truncated as torchvision's Resize(int) does), as resize_and_crop resizes;
// returned as is when the shorter side is `side` already.
cv::Mat resize_shorter_side(const cv::Mat& image, int side, const std::string& interpolation = "auto");

}  // namespace tlab::transforms
