#pragma once
// torchvision's efficientnet_b0 .. efficientnet_b3 (torchvision/models/efficientnet.py, 0.14) with
// its exact module names ("features.1.0.block.0.0.weight", "features.2.0.block.2.fc1.weight",
// "classifier.1.weight"), so torchvision state dicts load without renaming. BatchNorm with
// PyTorch's defaults (eps 1e-5, momentum 0.1): torchvision passes eps 1e-3 only from b5 up.
// Shapes for b0 at 224x224 (b1-b3 scale channels by width_mult and block counts by depth_mult):
//   features.0  Conv2dNormActivation(C, 32, 3x3, s2, SiLU)     -> [N, 32, 112, 112]
//   features.1  1 x MBConv e1 k3 c16                          -> [N, 16, 112, 112]
//   features.2  2 x MBConv e6 k3 c24 (s2)                     -> [N, 24, 56, 56]
//   features.3  2 x MBConv e6 k5 c40 (s2)                     -> [N, 40, 28, 28]
//   features.4  3 x MBConv e6 k3 c80 (s2)                     -> [N, 80, 14, 14]
//   features.5  3 x MBConv e6 k5 c112                         -> [N, 112, 14, 14]
//   features.6  4 x MBConv e6 k5 c192 (s2)                    -> [N, 192, 7, 7]
//   features.7  1 x MBConv e6 k3 c320                         -> [N, 320, 7, 7]
//   features.8  Conv2dNormActivation(320, 1280, 1x1, SiLU)    -> [N, 1280, 7, 7]
//   avgpool AdaptiveAvgPool2d(1), flatten                     -> [N, 1280]  (b2: 1408, b3: 1536)
//   classifier.0 Dropout, classifier.1 Linear                 -> [N, num_classes]
// Any input side >= 1 works (global pooling).
#include "tlab/models/layers.h"

namespace tlab::models {

struct EfficientNetConfig {
  double width_mult = 1.0;             // channel multiplier (b0 1.0, b1 1.0, b2 1.1, b3 1.2)
  double depth_mult = 1.0;             // block-count multiplier (b0 1.0, b1 1.1, b2 1.2, b3 1.4)
  double dropout = 0.2;                // before the classifier's Linear (b0/b1 0.2, b2/b3 0.3; training only)
  double stochastic_depth_prob = 0.2;  // residual-drop probability of the last block, linear in depth (training only)
};

namespace detail {

// One stage of Table 1 of the EfficientNet paper after width/depth scaling (torchvision's MBConvConfig).
struct MBConvConfig {
  double expand_ratio;
  int64_t kernel, stride, input_channels, out_channels, num_layers;
};

// torchvision's MBConv: "block" = Sequential([expand 1x1 Conv2dNormActivation SiLU if expanded !=
// in], depthwise Conv2dNormActivation SiLU, SqueezeExcitation(squeeze = max(1, in / 4), SiLU,
// Sigmoid), project 1x1 Conv2dNormActivation); "stochastic_depth" on the residual branch, + input
// when stride 1 and in == out. [N, in, H, W] -> [N, out, H / stride, W / stride].
class MBConvImpl : public torch::nn::Module {
 public:
  MBConvImpl(const MBConvConfig& cnf, double stochastic_depth_prob);
  torch::Tensor forward(torch::Tensor x);

 private:
  bool use_res_connect_;
  torch::nn::Sequential block_{nullptr};
  StochasticDepth stochastic_depth_{nullptr};
};
TORCH_MODULE(MBConv);

}  // namespace detail

class EfficientNet : public PooledConvNet {
 public:
  EfficientNet(const ModelOptions& options, const EfficientNetConfig& config);
  std::vector<std::string> head_prefixes() const override { return {"classifier.1."}; }
};

}  // namespace tlab::models
