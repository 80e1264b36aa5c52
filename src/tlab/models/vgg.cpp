#include "tlab/models/vgg.h"

#include "tlab/core/error.h"
#include "tlab/models/observe.h"

namespace tlab::models {
namespace {

constexpr int64_t M = kVggMaxPool;
// torchvision's cfgs.
const std::vector<int64_t> kConfigA = {64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
const std::vector<int64_t> kConfigB = {64, 64, M, 128, 128, M, 256, 256, M, 512, 512, M, 512, 512, M};
const std::vector<int64_t> kConfigD = {64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512, M, 512, 512, 512, M};
const std::vector<int64_t> kConfigE = {64,  64,  M,   128, 128, M,   256, 256, 256, 256, M,
                                       512, 512, 512, 512, M,   512, 512, 512, 512, M};

}  // namespace

Vgg::Vgg(const VggOptions& vgg, const ModelOptions& o) {
  namespace nn = torch::nn;
  TLAB_CHECK(!vgg.layers.empty(), "vgg: the layer configuration is empty");
  TLAB_CHECK(vgg.dropout >= 0 && vgg.dropout <= 1, "vgg: dropout must be in [0, 1], got ", vgg.dropout);
  int64_t h = o.height, w = o.width, channels = o.in_channels;
  for (int64_t v : vgg.layers) {
    TLAB_CHECK(v >= 0, "vgg: layer widths must be positive (or kVggMaxPool), got ", v);
    if (v == kVggMaxPool) h /= 2, w /= 2;
  }
  TLAB_CHECK(h >= 1 && w >= 1, "vgg: input ", o.height, "x", o.width,
             " is too small; the max-pools need at least 32x32 pixels");

  // features: make_layers(cfg, batch_norm) -> [N, 512, H/32, W/32]
  features_ = nn::Sequential();
  for (int64_t v : vgg.layers) {
    if (v == kVggMaxPool) {
      features_->push_back(nn::MaxPool2d(nn::MaxPool2dOptions(2).stride(2)));  // halves H and W (floor)
      continue;
    }
    features_->push_back(nn::Conv2d(nn::Conv2dOptions(channels, v, 3).padding(1)));  // -> [N, v, h, w]
    if (vgg.batch_norm) features_->push_back(nn::BatchNorm2d(v));
    features_->push_back(nn::ReLU());
    channels = v;
  }
  TLAB_CHECK(channels == 512, "vgg: the last conv must have 512 channels (the classifier expects 512x7x7), got ",
             channels);
  register_module("features", features_);
  avgpool_ = register_module("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions({7, 7})));  // [N, 512, 7, 7]
  if (o.include_top) {
    classifier_ = nn::Sequential(nn::Linear(512 * 7 * 7, 4096), nn::ReLU(), nn::Dropout(vgg.dropout),
                                 nn::Linear(4096, 4096), nn::ReLU(), nn::Dropout(vgg.dropout),
                                 nn::Linear(4096, o.num_classes));  // [N, 25088] -> [N, num_classes]
    register_module("classifier", classifier_);
  }

  // torchvision's initialisation (init_weights=True).
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
      nn::init::zeros_(conv->bias);
    } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    } else if (auto* linear = m->as<nn::Linear>()) {
      nn::init::normal_(linear->weight, 0.0, 0.01);
      nn::init::zeros_(linear->bias);
    }
  }
}

torch::Tensor Vgg::forward(torch::Tensor x) {
  x = features_->forward(x);             // [N, 512, H/32, W/32]
  x = torch::flatten(avgpool_(x), 1);    // [N, 25088]
  if (!classifier_) return x;
  return classifier_->forward(x);        // [N, num_classes]
}

torch::Tensor Vgg::forward_observed(torch::Tensor x, const LayerObserver& observe) {
  x = forward_sequential_observed(features_, x, "features.", observe);
  x = avgpool_(x);
  observe("avgpool", *avgpool_, x);
  x = torch::flatten(x, 1);
  if (!classifier_) return x;
  return forward_sequential_observed(classifier_, x, "classifier.", observe);
}

namespace {

std::shared_ptr<Vgg> make_vgg(const std::vector<int64_t>& layers, bool batch_norm, const ModelOptions& o) {
  VggOptions vgg;
  vgg.layers = layers;
  vgg.batch_norm = batch_norm;
  return std::make_shared<Vgg>(vgg, o);
}

}  // namespace

std::shared_ptr<Vgg> vgg11(const ModelOptions& o) { return make_vgg(kConfigA, false, o); }
std::shared_ptr<Vgg> vgg13(const ModelOptions& o) { return make_vgg(kConfigB, false, o); }
std::shared_ptr<Vgg> vgg16(const ModelOptions& o) { return make_vgg(kConfigD, false, o); }
std::shared_ptr<Vgg> vgg19(const ModelOptions& o) { return make_vgg(kConfigE, false, o); }
std::shared_ptr<Vgg> vgg11_bn(const ModelOptions& o) { return make_vgg(kConfigA, true, o); }
std::shared_ptr<Vgg> vgg13_bn(const ModelOptions& o) { return make_vgg(kConfigB, true, o); }
std::shared_ptr<Vgg> vgg16_bn(const ModelOptions& o) { return make_vgg(kConfigD, true, o); }
std::shared_ptr<Vgg> vgg19_bn(const ModelOptions& o) { return make_vgg(kConfigE, true, o); }

void register_vgg(std::vector<ModelInfo>& registry) {
  const std::string fc = " 3x3 convs (pad 1), 5 max-pools, adaptive avg-pool 7x7, FC 4096-4096-classes with dropout";
  registry.push_back({"vgg11", "VGG-11 (torchvision config A): 8" + fc, 224,
                      [](const ModelOptions& o) -> ModelPtr { return vgg11(o); }});
  registry.push_back({"vgg13", "VGG-13 (config B): 10" + fc, 224,
                      [](const ModelOptions& o) -> ModelPtr { return vgg13(o); }});
  registry.push_back({"vgg16", "VGG-16 (config D): 13" + fc, 224,
                      [](const ModelOptions& o) -> ModelPtr { return vgg16(o); }});
  registry.push_back({"vgg19", "VGG-19 (config E): 16" + fc, 224,
                      [](const ModelOptions& o) -> ModelPtr { return vgg19(o); }});
  registry.push_back({"vgg11_bn", "VGG-11 with BatchNorm after each conv: 8" + fc, 224,
                      [](const ModelOptions& o) -> ModelPtr { return vgg11_bn(o); }});
  registry.push_back({"vgg13_bn", "VGG-13 with BatchNorm after each conv: 10" + fc, 224,
                      [](const ModelOptions& o) -> ModelPtr { return vgg13_bn(o); }});
  registry.push_back({"vgg16_bn", "VGG-16 with BatchNorm after each conv: 13" + fc, 224,
                      [](const ModelOptions& o) -> ModelPtr { return vgg16_bn(o); }});
  registry.push_back({"vgg19_bn", "VGG-19 with BatchNorm after each conv: 16" + fc, 224,
                      [](const ModelOptions& o) -> ModelPtr { return vgg19_bn(o); }});
}

}  // namespace tlab::models
