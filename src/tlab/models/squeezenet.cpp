#include "tlab/models/squeezenet.h"

#include "tlab/core/error.h"
#include "tlab/models/observe.h"

namespace tlab::models {

namespace nn = torch::nn;

namespace detail {

FireImpl::FireImpl(int64_t inplanes, int64_t squeeze_planes, int64_t expand1x1_planes, int64_t expand3x3_planes) {
  squeeze_ = register_module("squeeze", nn::Conv2d(nn::Conv2dOptions(inplanes, squeeze_planes, 1)));
  squeeze_activation_ = register_module("squeeze_activation", nn::ReLU());
  expand1x1_ = register_module("expand1x1", nn::Conv2d(nn::Conv2dOptions(squeeze_planes, expand1x1_planes, 1)));
  expand1x1_activation_ = register_module("expand1x1_activation", nn::ReLU());
  expand3x3_ = register_module("expand3x3",
                               nn::Conv2d(nn::Conv2dOptions(squeeze_planes, expand3x3_planes, 3).padding(1)));
  expand3x3_activation_ = register_module("expand3x3_activation", nn::ReLU());
}

torch::Tensor FireImpl::forward(torch::Tensor x) {
  x = squeeze_activation_(squeeze_(x));  // [N, squeeze, H, W]
  return torch::cat({expand1x1_activation_(expand1x1_(x)), expand3x3_activation_(expand3x3_(x))},
                    1);  // [N, expand1x1 + expand3x3, H, W]
}

}  // namespace detail

namespace {

// Output side of a convolution / pooling without padding; 0 when the input is too small.
int64_t conv_side(int64_t side, int64_t kernel, int64_t stride) { return side >= kernel ? (side - kernel) / stride + 1 : 0; }
// MaxPool2d(3, 2, ceil_mode=True) without padding.
int64_t ceil_pool_side(int64_t side) { return side >= 3 ? (side - 3 + 1) / 2 + 1 : 0; }

nn::MaxPool2d ceil_pool() { return nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).ceil_mode(true)); }

}  // namespace

SqueezeNet::SqueezeNet(const SqueezeNetOptions& s, const ModelOptions& o) {
  using detail::Fire;
  TLAB_CHECK(s.dropout >= 0 && s.dropout <= 1, "squeezenet: dropout must be in [0, 1], got ", s.dropout);
  const bool v1_0 = s.version == SqueezeNetVersion::k1_0;
  // Spatial sizes through the stem conv and the three ceil-mode max-pools (Fire keeps the size).
  auto side = [&](int64_t x) {
    x = v1_0 ? conv_side(x, 7, 2) : conv_side(x, 3, 2);
    for (int i = 0; i < 3; ++i) x = ceil_pool_side(x);
    return x;
  };
  if (side(o.height) < 1 || side(o.width) < 1) {
    int64_t min_side = 1;
    while (side(min_side) < 1) ++min_side;
    TLAB_CHECK(false, "squeezenet", v1_0 ? "1_0" : "1_1", ": input ", o.height, "x", o.width,
               " is too small; it needs at least ", min_side, "x", min_side, " pixels");
  }

  features_ = nn::Sequential();
  if (v1_0) {
    features_->push_back(nn::Conv2d(nn::Conv2dOptions(o.in_channels, 96, 7).stride(2)));  // [N, 96, 109, 109] at 224
    features_->push_back(nn::ReLU());
    features_->push_back(ceil_pool());           // [N, 96, 54, 54]
    features_->push_back(Fire(96, 16, 64, 64));  // [N, 128, 54, 54]
    features_->push_back(Fire(128, 16, 64, 64));
    features_->push_back(Fire(128, 32, 128, 128));  // [N, 256, 54, 54]
    features_->push_back(ceil_pool());              // [N, 256, 27, 27]
    features_->push_back(Fire(256, 32, 128, 128));
    features_->push_back(Fire(256, 48, 192, 192));  // [N, 384, 27, 27]
    features_->push_back(Fire(384, 48, 192, 192));
    features_->push_back(Fire(384, 64, 256, 256));  // [N, 512, 27, 27]
    features_->push_back(ceil_pool());              // [N, 512, 13, 13]
    features_->push_back(Fire(512, 64, 256, 256));  // [N, 512, 13, 13]
  } else {
    features_->push_back(nn::Conv2d(nn::Conv2dOptions(o.in_channels, 64, 3).stride(2)));  // [N, 64, 111, 111] at 224
    features_->push_back(nn::ReLU());
    features_->push_back(ceil_pool());           // [N, 64, 55, 55]
    features_->push_back(Fire(64, 16, 64, 64));  // [N, 128, 55, 55]
    features_->push_back(Fire(128, 16, 64, 64));
    features_->push_back(ceil_pool());              // [N, 128, 27, 27]
    features_->push_back(Fire(128, 32, 128, 128));  // [N, 256, 27, 27]
    features_->push_back(Fire(256, 32, 128, 128));
    features_->push_back(ceil_pool());              // [N, 256, 13, 13]
    features_->push_back(Fire(256, 48, 192, 192));  // [N, 384, 13, 13]
    features_->push_back(Fire(384, 48, 192, 192));
    features_->push_back(Fire(384, 64, 256, 256));  // [N, 512, 13, 13]
    features_->push_back(Fire(512, 64, 256, 256));
  }
  register_module("features", features_);

  nn::Conv2d final_conv{nullptr};
  if (o.include_top) {
    final_conv = nn::Conv2d(nn::Conv2dOptions(512, o.num_classes, 1));
    classifier_ = nn::Sequential(nn::Dropout(s.dropout), final_conv, nn::ReLU(),
                                 nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1})));  // [N, classes, 1, 1]
    register_module("classifier", classifier_);
  } else {
    pool_ = nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1}));
  }

  // torchvision's initialisation: kaiming-uniform convs (a = 0, fan_in), the final conv N(0, 0.01); zero biases.
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      if (final_conv && conv == final_conv.get())
        nn::init::normal_(conv->weight, 0.0, 0.01);
      else
        nn::init::kaiming_uniform_(conv->weight);
      nn::init::zeros_(conv->bias);
    }
  }
}

torch::Tensor SqueezeNet::forward(torch::Tensor x) {
  x = features_->forward(x);  // [N, 512, h, w]
  if (!classifier_) return torch::flatten(pool_(x), 1);  // [N, 512]
  return torch::flatten(classifier_->forward(x), 1);    // [N, num_classes]
}

torch::Tensor SqueezeNet::forward_observed(torch::Tensor x, const LayerObserver& observe) {
  x = forward_sequential_observed(features_, x, "features.", observe);
  if (!classifier_) {
    x = torch::flatten(pool_(x), 1);
    observe("pool", *pool_, x);
    return x;
  }
  return torch::flatten(forward_sequential_observed(classifier_, x, "classifier.", observe), 1);
}

std::shared_ptr<SqueezeNet> squeezenet1_0(const ModelOptions& o) {
  SqueezeNetOptions s;
  s.version = SqueezeNetVersion::k1_0;
  return std::make_shared<SqueezeNet>(s, o);
}

std::shared_ptr<SqueezeNet> squeezenet1_1(const ModelOptions& o) {
  SqueezeNetOptions s;
  s.version = SqueezeNetVersion::k1_1;
  return std::make_shared<SqueezeNet>(s, o);
}

void register_squeezenet(std::vector<ModelInfo>& registry) {
  registry.push_back({"squeezenet1_0",
                      "SqueezeNet 1.0: conv 7x7/2 (96), 8 Fire modules, ceil-mode max-pools, "
                      "conv 1x1 classifier + global avg-pool",
                      224, [](const ModelOptions& o) -> ModelPtr { return squeezenet1_0(o); }});
  registry.push_back({"squeezenet1_1",
                      "SqueezeNet 1.1: conv 3x3/2 (64), 8 Fire modules, earlier max-pools (2.4x fewer FLOPs "
                      "than 1.0), conv 1x1 classifier + global avg-pool",
                      224, [](const ModelOptions& o) -> ModelPtr { return squeezenet1_1(o); }});
}

}  // namespace tlab::models
