#include "tlab/models/densenet.h"

#include "tlab/core/error.h"
#include "tlab/models/observe.h"

namespace tlab::models {

namespace nn = torch::nn;

namespace detail {

DenseLayerImpl::DenseLayerImpl(int64_t num_input_features, int64_t growth_rate, int64_t bn_size, double drop_rate)
    : drop_rate_(drop_rate) {
  norm1_ = register_module("norm1", nn::BatchNorm2d(num_input_features));
  relu1_ = register_module("relu1", nn::ReLU());
  conv1_ = register_module(
      "conv1", nn::Conv2d(nn::Conv2dOptions(num_input_features, bn_size * growth_rate, 1).stride(1).bias(false)));
  norm2_ = register_module("norm2", nn::BatchNorm2d(bn_size * growth_rate));
  relu2_ = register_module("relu2", nn::ReLU());
  conv2_ = register_module(
      "conv2",
      nn::Conv2d(nn::Conv2dOptions(bn_size * growth_rate, growth_rate, 3).stride(1).padding(1).bias(false)));
}

torch::Tensor DenseLayerImpl::forward(const std::vector<torch::Tensor>& inputs) {
  auto x = conv1_(relu1_(norm1_(torch::cat(inputs, 1))));  // [N, bn_size * growth, H, W]
  x = conv2_(relu2_(norm2_(x)));                           // [N, growth, H, W]
  if (drop_rate_ > 0) x = torch::dropout(x, drop_rate_, is_training());
  return x;
}

DenseBlockImpl::DenseBlockImpl(int64_t num_layers, int64_t num_input_features, int64_t bn_size, int64_t growth_rate,
                               double drop_rate) {
  for (int64_t i = 0; i < num_layers; ++i)
    layers_.push_back(register_module(
        "denselayer" + std::to_string(i + 1),
        DenseLayer(num_input_features + i * growth_rate, growth_rate, bn_size, drop_rate)));
}

torch::Tensor DenseBlockImpl::forward(torch::Tensor x) {
  std::vector<torch::Tensor> features{x};
  features.reserve(layers_.size() + 1);
  for (auto& layer : layers_) features.push_back(layer->forward(features));
  return torch::cat(features, 1);  // [N, C + num_layers * growth, H, W]
}

TransitionImpl::TransitionImpl(int64_t num_input_features, int64_t num_output_features) {
  norm_ = register_module("norm", nn::BatchNorm2d(num_input_features));
  relu_ = register_module("relu", nn::ReLU());
  conv_ = register_module(
      "conv", nn::Conv2d(nn::Conv2dOptions(num_input_features, num_output_features, 1).stride(1).bias(false)));
  pool_ = register_module("pool", nn::AvgPool2d(nn::AvgPool2dOptions(2).stride(2)));
}

torch::Tensor TransitionImpl::forward(torch::Tensor x) {
  return pool_(conv_(relu_(norm_(x))));  // [N, C_out, H/2, W/2]
}

}  // namespace detail

DenseNet::DenseNet(const DenseNetOptions& d, const ModelOptions& o) {
  using namespace detail;
  TLAB_CHECK(!d.block_config.empty(), "densenet: block_config is empty");
  TLAB_CHECK(d.growth_rate > 0 && d.num_init_features > 0 && d.bn_size > 0,
             "densenet: growth_rate, num_init_features and bn_size must be positive, got ", d.growth_rate, ", ",
             d.num_init_features, ", ", d.bn_size);
  TLAB_CHECK(d.drop_rate >= 0 && d.drop_rate <= 1, "densenet: drop_rate must be in [0, 1], got ", d.drop_rate);
  // Spatial size: conv0 (7x7/2, pad 3) and pool0 (3x3/2, pad 1) each give (s - 1) / 2 + 1; every
  // transition halves (floor).
  auto side = [&](int64_t s) {
    s = (s - 1) / 2 + 1;
    s = (s - 1) / 2 + 1;
    for (size_t i = 0; i + 1 < d.block_config.size(); ++i) s /= 2;
    return s;
  };
  if (side(o.height) < 1 || side(o.width) < 1) {
    int64_t min_side = 1;
    while (side(min_side) < 1) ++min_side;
    TLAB_CHECK(false, "densenet: input ", o.height, "x", o.width, " is too small; it needs at least ", min_side,
               "x", min_side, " pixels");
  }

  // features: the stem, then dense blocks with transitions in between.
  features_ = nn::Sequential();
  features_->push_back("conv0", nn::Conv2d(nn::Conv2dOptions(o.in_channels, d.num_init_features, 7)
                                               .stride(2)
                                               .padding(3)
                                               .bias(false)));  // [N, 64, 112, 112] at 224
  features_->push_back("norm0", nn::BatchNorm2d(d.num_init_features));
  features_->push_back("relu0", nn::ReLU());
  features_->push_back("pool0", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));  // [N, 64, 56, 56]
  int64_t num_features = d.num_init_features;
  for (size_t i = 0; i < d.block_config.size(); ++i) {
    const int64_t num_layers = d.block_config[i];
    TLAB_CHECK(num_layers > 0, "densenet: block ", i + 1, " has ", num_layers, " layers");
    features_->push_back("denseblock" + std::to_string(i + 1),
                         DenseBlock(num_layers, num_features, d.bn_size, d.growth_rate, d.drop_rate));
    num_features += num_layers * d.growth_rate;  // densenet121: 256, 512, 1024, 1024
    if (i + 1 != d.block_config.size()) {
      features_->push_back("transition" + std::to_string(i + 1), Transition(num_features, num_features / 2));
      num_features /= 2;  // 128, 256, 512; the spatial size halves too: 28, 14, 7
    }
  }
  features_->push_back("norm5", nn::BatchNorm2d(num_features));  // [N, 1024, 7, 7]
  register_module("features", features_);
  num_features_ = num_features;
  pool_ = nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({1, 1}));
  if (o.include_top) classifier_ = register_module("classifier", nn::Linear(num_features, o.num_classes));

  // torchvision's "official init from torch repo": kaiming-normal convs (fan_in, gain sqrt(2)),
  // BatchNorm weight 1 / bias 0, Linear bias 0 (its weight keeps the default init).
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight);
    } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    } else if (auto* linear = m->as<nn::Linear>()) {
      nn::init::zeros_(linear->bias);
    }
  }
}

torch::Tensor DenseNet::pool(const torch::Tensor& features) {
  return torch::flatten(pool_(torch::relu(features)), 1);  // [N, num_features]
}

torch::Tensor DenseNet::forward(torch::Tensor x) {
  x = pool(features_->forward(x));  // [N, 1024]
  if (!classifier_) return x;
  return classifier_(x);  // [N, num_classes]
}

torch::Tensor DenseNet::forward_observed(torch::Tensor x, const LayerObserver& observe) {
  x = pool(forward_sequential_observed(features_, x, "features.", observe));
  observe("pool", *pool_, x);
  if (!classifier_) return x;
  x = classifier_(x);
  observe("classifier", *classifier_, x);
  return x;
}

std::shared_ptr<DenseNet> densenet121(const ModelOptions& o) { return std::make_shared<DenseNet>(DenseNetOptions{}, o); }

void register_densenet(std::vector<ModelInfo>& registry) {
  registry.push_back({"densenet121",
                      "DenseNet-121 (BC, growth 32): conv 7x7/2 + max-pool, dense blocks of 6-12-24-16 "
                      "bottleneck layers with transitions, BN-ReLU, global avg-pool, FC",
                      224, [](const ModelOptions& o) -> ModelPtr { return densenet121(o); }});
}

}  // namespace tlab::models
