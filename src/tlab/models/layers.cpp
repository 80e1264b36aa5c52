#include "tlab/models/layers.h"

#include <cmath>

#include "tlab/core/error.h"

namespace tlab::models {

int64_t make_divisible(double v, int64_t divisor, std::optional<int64_t> min_value) {
  TLAB_CHECK(divisor > 0, "make_divisible: divisor must be positive, got ", divisor);
  const int64_t floor_value = min_value.value_or(divisor);
  // Python: max(min_value, int(v + divisor / 2) // divisor * divisor); int() truncates toward 0.
  int64_t new_v = std::max(floor_value, static_cast<int64_t>(v + divisor / 2.0) / divisor * divisor);
  if (new_v < 0.9 * v) new_v += divisor;
  return new_v;
}

torch::nn::AnyModule make_activation(Activation a) {
  namespace nn = torch::nn;
  switch (a) {
    case Activation::kReLU: return nn::AnyModule(nn::ReLU(nn::ReLUOptions(true)));
    case Activation::kReLU6: return nn::AnyModule(nn::ReLU6(nn::ReLU6Options(true)));
    case Activation::kHardswish: return nn::AnyModule(Hardswish());
    case Activation::kHardsigmoid: return nn::AnyModule(Hardsigmoid());
    case Activation::kSiLU: return nn::AnyModule(nn::SiLU());
    case Activation::kSigmoid: return nn::AnyModule(nn::Sigmoid());
    case Activation::kNone: break;
  }
  throw UsageError("make_activation: no module for Activation::kNone");
}

Conv2dNormActivationImpl::Conv2dNormActivationImpl(const Conv2dNormActivationOptions& o) {
  namespace nn = torch::nn;
  TLAB_CHECK(o.in_channels() > 0 && o.out_channels() > 0, "Conv2dNormActivation: channels must be positive, got ",
             o.in_channels(), " -> ", o.out_channels());
  TLAB_CHECK(o.kernel_size() > 0 && o.stride() > 0 && o.dilation() > 0 && o.groups() > 0,
             "Conv2dNormActivation: kernel_size, stride, dilation and groups must be positive");
  const int64_t padding = (o.kernel_size() - 1) / 2 * o.dilation();
  push_back(nn::Conv2d(nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel_size())
                                .stride(o.stride())
                                .padding(padding)
                                .dilation(o.dilation())
                                .groups(o.groups())
                                .bias(false)));
  push_back(nn::BatchNorm2d(nn::BatchNorm2dOptions(o.out_channels()).eps(o.norm().eps).momentum(o.norm().momentum)));
  if (o.activation() != Activation::kNone) push_back(make_activation(o.activation()));
}

SqueezeExcitationImpl::SqueezeExcitationImpl(int64_t input_channels, int64_t squeeze_channels, Activation activation,
                                             Activation scale_activation) {
  namespace nn = torch::nn;
  TLAB_CHECK(input_channels > 0 && squeeze_channels > 0, "SqueezeExcitation: channels must be positive, got ",
             input_channels, " and ", squeeze_channels);
  avgpool_ = register_module("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1)));
  fc1_ = register_module("fc1", nn::Conv2d(nn::Conv2dOptions(input_channels, squeeze_channels, 1)));
  fc2_ = register_module("fc2", nn::Conv2d(nn::Conv2dOptions(squeeze_channels, input_channels, 1)));
  activation_ = make_activation(activation);
  register_module("activation", activation_.ptr());
  scale_activation_ = make_activation(scale_activation);
  register_module("scale_activation", scale_activation_.ptr());
}

torch::Tensor SqueezeExcitationImpl::forward(torch::Tensor x) {
  auto scale = avgpool_(x);                        // [N, C, 1, 1]
  scale = activation_.forward(fc1_(scale));        // [N, squeeze, 1, 1]
  scale = scale_activation_.forward(fc2_(scale));  // [N, C, 1, 1]
  return scale * x;
}

StochasticDepthImpl::StochasticDepthImpl(double p, std::string mode) : p_(p), mode_(std::move(mode)) {
  TLAB_CHECK(p_ >= 0.0 && p_ <= 1.0, "StochasticDepth: drop probability must be in [0, 1], got ", p_);
  TLAB_CHECK(mode_ == "row" || mode_ == "batch", "StochasticDepth: mode must be 'row' or 'batch', got '", mode_, "'");
}

torch::Tensor StochasticDepthImpl::forward(torch::Tensor x) {
  if (!is_training() || p_ == 0.0) return x;
  const double survival = 1.0 - p_;
  std::vector<int64_t> size(size_t(x.dim()), 1);
  if (mode_ == "row") size[0] = x.size(0);
  auto noise = torch::empty(size, x.options()).bernoulli_(survival);
  if (survival > 0.0) noise.div_(survival);
  return x * noise;
}

void init_torchvision_weights(torch::nn::Module& root, LinearInit linear) {
  namespace nn = torch::nn;
  torch::NoGradGuard no_grad;
  for (auto& m : root.modules(/*include_self=*/false)) {  // callable from constructors
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut);
      if (conv->bias.defined()) nn::init::zeros_(conv->bias);
    } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    } else if (auto* fc = m->as<nn::Linear>()) {
      if (linear == LinearInit::kNormal) {
        nn::init::normal_(fc->weight, 0.0, 0.01);
      } else {
        const double range = 1.0 / std::sqrt(double(fc->weight.size(0)));
        nn::init::uniform_(fc->weight, -range, range);
      }
      if (fc->bias.defined()) nn::init::zeros_(fc->bias);
    }
  }
}

void PooledConvNet::set_features(torch::nn::Sequential features, int64_t feature_dim) {
  features_ = register_module("features", std::move(features));
  feature_dim_ = feature_dim;
}

void PooledConvNet::set_avgpool(bool registered) {
  if (registered) register_module("avgpool", avgpool_);
}

void PooledConvNet::set_classifier(torch::nn::Sequential classifier) {
  classifier_ = register_module("classifier", std::move(classifier));
}

torch::Tensor PooledConvNet::forward(torch::Tensor x) {
  x = features_->forward(x);                         // [N, feature_dim, H', W']
  x = torch::flatten(avgpool_(x), 1);                // [N, feature_dim]
  return classifier_ ? classifier_->forward(x) : x;  // [N, num_classes] or [N, feature_dim]
}

torch::Tensor PooledConvNet::forward_observed(torch::Tensor x, const LayerObserver& observe) {
  size_t i = 0;
  for (auto& stage : *features_) {
    x = stage.forward(x);
    observe("features." + std::to_string(i++), *stage.ptr(), x);
  }
  x = torch::flatten(avgpool_(x), 1);
  observe("avgpool", *avgpool_, x);
  if (classifier_) {
    i = 0;
    for (auto& layer : *classifier_) {
      x = layer.forward(x);
      observe("classifier." + std::to_string(i++), *layer.ptr(), x);
    }
  }
  return x;
}

}  // namespace tlab::models
