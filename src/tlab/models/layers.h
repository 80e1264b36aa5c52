#pragma once
// Building blocks shared by the mobile families (mobilenet_v2, mobilenet_v3, efficientnet), each a
// C++ twin of torchvision's (torchvision/ops/misc.py, ops/stochastic_depth.py, models/_utils.py):
// same submodule names and nesting, so torchvision state dicts load without renaming.
#include <torch/torch.h>

#include <optional>
#include <string>

#include "tlab/models/model.h"

namespace tlab::models {

// torchvision's _make_divisible: `v` rounded to the nearest multiple of `divisor`, at least
// `min_value` (default: divisor), and bumped up by one divisor if rounding lost more than 10%.
int64_t make_divisible(double v, int64_t divisor, std::optional<int64_t> min_value = std::nullopt);

// Activation layers the blocks use (torch.nn names).
enum class Activation { kNone, kReLU, kReLU6, kHardswish, kHardsigmoid, kSiLU, kSigmoid };

// nn.Hardswish: x * relu6(x + 3) / 6 (ATen's kernel, as PyTorch uses). Shape-preserving.
class HardswishImpl : public torch::nn::Cloneable<HardswishImpl> {
 public:
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x) { return torch::hardswish(x); }
  void pretty_print(std::ostream& os) const override { os << "tlab::models::Hardswish()"; }
};
TORCH_MODULE(Hardswish);

// nn.Hardsigmoid: relu6(x + 3) / 6 (ATen's kernel). Shape-preserving.
class HardsigmoidImpl : public torch::nn::Cloneable<HardsigmoidImpl> {
 public:
  void reset() override {}
  torch::Tensor forward(const torch::Tensor& x) { return torch::hardsigmoid(x); }
  void pretty_print(std::ostream& os) const override { os << "tlab::models::Hardsigmoid()"; }
};
TORCH_MODULE(Hardsigmoid);

// A fresh activation module; `a` must not be kNone.
torch::nn::AnyModule make_activation(Activation a);

// BatchNorm2d settings (torch.nn.BatchNorm2d defaults; MobileNetV3 uses eps 1e-3, momentum 0.01).
struct BatchNormSpec {
  double eps = 1e-5;       // added to the running variance
  double momentum = 0.1;   // running-statistics update rate in training mode
};

// Options of Conv2dNormActivation (torchvision's arguments of the same names).
struct Conv2dNormActivationOptions {
  Conv2dNormActivationOptions(int64_t in_channels, int64_t out_channels)
      : in_channels_(in_channels), out_channels_(out_channels) {}
  TORCH_ARG(int64_t, in_channels);                        // input channels (required)
  TORCH_ARG(int64_t, out_channels);                       // output channels (required)
  TORCH_ARG(int64_t, kernel_size) = 3;                    // square kernel side
  TORCH_ARG(int64_t, stride) = 1;                         // convolution stride
  TORCH_ARG(int64_t, groups) = 1;                         // groups == channels: depthwise
  TORCH_ARG(int64_t, dilation) = 1;                       // kernel dilation (also scales the padding)
  TORCH_ARG(Activation, activation) = Activation::kReLU;  // kNone: conv + norm only
  TORCH_ARG(BatchNormSpec, norm) = BatchNormSpec{};       // the BatchNorm2d's eps and momentum
};

// torchvision's Conv2dNormActivation, an nn.Sequential: children "0" Conv2d (no bias), "1"
// BatchNorm2d, "2" activation unless kNone. Padding (kernel_size - 1) / 2 * dilation, so
// [N, in, H, W] -> [N, out, ceil(H / stride), ceil(W / stride)].
class Conv2dNormActivationImpl : public torch::nn::SequentialImpl {
 public:
  explicit Conv2dNormActivationImpl(const Conv2dNormActivationOptions& options);
  // Non-template forward, so the block can sit inside another Sequential.
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(x); }
};
TORCH_MODULE(Conv2dNormActivation);

// An nn.Sequential that can itself be a child of a Sequential (LibTorch's Sequential cannot: its
// forward is a template). Used for EfficientNet's stages.
class SequentialBlockImpl : public torch::nn::SequentialImpl {
 public:
  using SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return SequentialImpl::forward(x); }
};
TORCH_MODULE(SequentialBlock);

// torchvision's SqueezeExcitation: children avgpool, fc1 (1x1 conv C -> squeeze), fc2 (1x1 conv
// squeeze -> C), activation, scale_activation. Output: x * scale(x), same shape as x [N, C, H, W].
class SqueezeExcitationImpl : public torch::nn::Module {
 public:
  SqueezeExcitationImpl(int64_t input_channels, int64_t squeeze_channels, Activation activation = Activation::kReLU,
                        Activation scale_activation = Activation::kSigmoid);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::AdaptiveAvgPool2d avgpool_{nullptr};
  torch::nn::Conv2d fc1_{nullptr}, fc2_{nullptr};
  torch::nn::AnyModule activation_, scale_activation_;
};
TORCH_MODULE(SqueezeExcitation);

// torchvision's StochasticDepth: in training mode zeroes the input ("row": per sample, "batch":
// all at once) with probability p and scales survivors by 1 / (1 - p); the identity in eval mode
// or when p == 0. No parameters.
class StochasticDepthImpl : public torch::nn::Module {
 public:
  StochasticDepthImpl(double p, std::string mode);
  torch::Tensor forward(torch::Tensor x);
  double p() const { return p_; }

 private:
  double p_;
  std::string mode_;
};
TORCH_MODULE(StochasticDepth);

// How torchvision initialises Linear layers in a family.
enum class LinearInit {
  kNormal,         // weight ~ N(0, 0.01), bias 0 (MobileNetV2/V3)
  kUniformFanOut,  // weight ~ U(-1/sqrt(out_features), +1/sqrt(out_features)), bias 0 (EfficientNet)
};
// Every Conv2d below `root`: kaiming normal (fan_out, gain sqrt(2)), bias 0; every BatchNorm2d: weight 1,
// bias 0; every Linear as `linear`.
void init_torchvision_weights(torch::nn::Module& root, LinearInit linear);

// The layout the mobile families share with torchvision: "features" (a Sequential of stages)
// -> global average pool -> flatten -> "classifier" (a Sequential; absent without include_top).
// forward_observed reports "features.<i>" for each stage, "avgpool" (pooled, flattened features
// [N, feature_dim()]), then "classifier.<i>" for each classifier layer.
class PooledConvNet : public Model {
 public:
  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;
  int64_t feature_dim() const override { return feature_dim_; }

 protected:
  // Call in torchvision's registration order: features, avgpool, classifier.
  void set_features(torch::nn::Sequential features, int64_t feature_dim);
  // registered = false: the pool is functional in torchvision (no "avgpool" child), as in MobileNetV2.
  void set_avgpool(bool registered);
  void set_classifier(torch::nn::Sequential classifier);

 private:
  torch::nn::Sequential features_{nullptr}, classifier_{nullptr};
  torch::nn::AdaptiveAvgPool2d avgpool_{torch::nn::AdaptiveAvgPool2dOptions(1)};
  int64_t feature_dim_ = 0;
};

}  // namespace tlab::models
