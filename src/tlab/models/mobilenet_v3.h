#pragma once
// torchvision's mobilenet_v3_small and mobilenet_v3_large (torchvision/models/mobilenetv3.py, 0.14)
// with its exact module names ("features.1.block.0.0.weight", "features.4.block.2.fc1.weight",
// "classifier.3.weight"), so torchvision state dicts load without renaming. BatchNorm eps 1e-3,
// momentum 0.01 throughout. Shapes for a 224x224 input:
//   features.0   Conv2dNormActivation(C, 16, 3x3, s2, Hardswish) -> [N, 16, 112, 112]
//   features.1.. InvertedResidual blocks (small: 11, large: 15) -> [N, 96 | 160, 7, 7]
//   features.12 (small) / features.16 (large)
//                Conv2dNormActivation(1x1, Hardswish)            -> [N, 576 | 960, 7, 7]
//   avgpool AdaptiveAvgPool2d(1), flatten                        -> [N, 576 | 960]
//   classifier.0 Linear -> [N, 1024 | 1280], .1 Hardswish, .2 Dropout(0.2),
//   classifier.3 Linear                                          -> [N, num_classes]
// Any input side >= 1 works (global pooling).
#include "tlab/models/layers.h"

namespace tlab::models {

struct MobileNetV3Config {
  bool large = true;      // mobilenet_v3_large (true) or mobilenet_v3_small (false)
  double width_mult = 1.0;  // scales every block's channels (rounded to multiples of 8)
  double dropout = 0.2;     // dropout probability inside the classifier (training only)
};

namespace detail::mobilenetv3 {

// One row of Tables 1 and 2 of the MobileNetV3 paper (torchvision's InvertedResidualConfig).
struct BlockConfig {
  int64_t input_channels, kernel, expanded_channels, out_channels;
  bool use_se, use_hs;  // squeeze-excitation; Hardswish (else ReLU)
  int64_t stride, dilation;
};

// torchvision's mobilenetv3.InvertedResidual: "block" = Sequential([expand 1x1
// Conv2dNormActivation if expanded != in], depthwise Conv2dNormActivation, [SqueezeExcitation with
// Hardsigmoid], project 1x1 Conv2dNormActivation without activation); + input when stride 1 and
// in == out. [N, in, H, W] -> [N, out, H / stride, W / stride].
class InvertedResidualImpl : public torch::nn::Module {
 public:
  explicit InvertedResidualImpl(const BlockConfig& cnf);
  torch::Tensor forward(torch::Tensor x);

 private:
  bool use_res_connect_;
  torch::nn::Sequential block_{nullptr};
};
TORCH_MODULE(InvertedResidual);

}  // namespace detail::mobilenetv3

class MobileNetV3 : public PooledConvNet {
 public:
  MobileNetV3(const ModelOptions& options, const MobileNetV3Config& config);
  std::vector<std::string> head_prefixes() const override { return {"classifier.3."}; }
};

}  // namespace tlab::models
