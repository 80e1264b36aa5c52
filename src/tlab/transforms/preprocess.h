#pragma once
// Decoded image -> model input. The one function that does colour conversion, resizing,
// HWC->CHW, scaling to [0, 1] and mean/std normalisation, so training, evaluation and
// prediction can never disagree.
#include <opencv2/core.hpp>
#include <nlohmann/json.hpp>

#include <vector>

namespace tlab::transforms {

struct InputSpec {
  int channels = 3;          // 1 (grey) or 3 (RGB); images are converted to this
  int height = 224;          // model input height; images are resized to it when they differ
  int width = 224;           // model input width
  std::vector<float> mean;   // per channel, applied after scaling to [0, 1]; empty = 0
  std::vector<float> std;    // per channel; empty = 1
};

nlohmann::json to_json(const InputSpec& spec);
InputSpec input_spec_from_json(const nlohmann::json& j);

// Writes `image` (uint8 HxWx1 or HxWx3 RGB) as float CHW into `out`, which holds
// channels*height*width floats: out = (pixel/255 - mean[c]) / std[c].
// Resizes with INTER_AREA when shrinking, INTER_LINEAR when enlarging.
void to_chw_float(const cv::Mat& image, const InputSpec& spec, float* out);

}  // namespace tlab::transforms
