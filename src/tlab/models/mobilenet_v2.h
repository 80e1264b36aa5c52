#pragma once
// torchvision's mobilenet_v2 (torchvision/models/mobilenetv2.py, 0.14) with its exact module
// names, so torchvision state dicts ("features.1.conv.0.0.weight", "classifier.1.weight") load
// without renaming. Shapes for a 224x224 input:
//   features.0   Conv2dNormActivation(C, 32, 3x3, s2, ReLU6)   -> [N, 32, 112, 112]
//   features.1   InvertedResidual t1 c16                       -> [N, 16, 112, 112]
//   features.2-3 InvertedResidual t6 c24 (s2)                  -> [N, 24, 56, 56]
//   features.4-6 InvertedResidual t6 c32 (s2)                  -> [N, 32, 28, 28]
//   features.7-10 InvertedResidual t6 c64 (s2)                 -> [N, 64, 14, 14]
//   features.11-13 InvertedResidual t6 c96                     -> [N, 96, 14, 14]
//   features.14-16 InvertedResidual t6 c160 (s2)               -> [N, 160, 7, 7]
//   features.17  InvertedResidual t6 c320                      -> [N, 320, 7, 7]
//   features.18  Conv2dNormActivation(320, 1280, 1x1, ReLU6)   -> [N, 1280, 7, 7]
//   avgpool (functional), flatten                              -> [N, 1280]
//   classifier.0 Dropout(0.2), classifier.1 Linear             -> [N, num_classes]
// Any input side >= 1 works (global pooling).
#include "tlab/models/layers.h"

namespace tlab::models {

struct MobileNetV2Config {
  double width_mult = 1.0;    // scales every layer's channels (rounded to round_nearest)
  int64_t round_nearest = 8;  // channel counts are multiples of this
  double dropout = 0.2;       // dropout probability before the classifier's Linear (training only)
};

namespace detail::mobilenetv2 {

// torchvision's mobilenetv2.InvertedResidual: "conv" = Sequential([pw Conv2dNormActivation
// (expand_ratio != 1)], dw Conv2dNormActivation, pw-linear Conv2d, BatchNorm2d); x + conv(x) when
// stride 1 and in == out. [N, in, H, W] -> [N, out, H / stride, W / stride].
class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in_channels, int64_t out_channels, int64_t stride, int64_t expand_ratio);
  torch::Tensor forward(torch::Tensor x);

 private:
  bool use_res_connect_;
  torch::nn::Sequential conv_{nullptr};
};
TORCH_MODULE(InvertedResidual);

}  // namespace detail::mobilenetv2

class MobileNetV2 : public PooledConvNet {
 public:
  explicit MobileNetV2(const ModelOptions& options, const MobileNetV2Config& config = {});
  std::vector<std::string> head_prefixes() const override { return {"classifier.1."}; }
};

}  // namespace tlab::models
