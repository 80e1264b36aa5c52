#include "tlab/models/mobilenet_v3.h"

#include "tlab/core/error.h"

namespace tlab::models {
namespace {

// torchvision: norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01).
const BatchNormSpec kNorm{0.001, 0.01};

}  // namespace

namespace detail::mobilenetv3 {

InvertedResidualImpl::InvertedResidualImpl(const BlockConfig& cnf)
    : use_res_connect_(cnf.stride == 1 && cnf.input_channels == cnf.out_channels) {
  TLAB_CHECK(cnf.stride == 1 || cnf.stride == 2, "mobilenet_v3 InvertedResidual: stride must be 1 or 2, got ",
             cnf.stride);
  const Activation act = cnf.use_hs ? Activation::kHardswish : Activation::kReLU;
  torch::nn::Sequential layers;
  if (cnf.expanded_channels != cnf.input_channels)  // expand
    layers->push_back(Conv2dNormActivation(Conv2dNormActivationOptions(cnf.input_channels, cnf.expanded_channels)
                                                 .kernel_size(1)
                                                 .norm(kNorm)
                                                 .activation(act)));
  // depthwise
  layers->push_back(Conv2dNormActivation(Conv2dNormActivationOptions(cnf.expanded_channels, cnf.expanded_channels)
                                               .kernel_size(cnf.kernel)
                                               .stride(cnf.dilation > 1 ? 1 : cnf.stride)
                                               .dilation(cnf.dilation)
                                               .groups(cnf.expanded_channels)
                                               .norm(kNorm)
                                               .activation(act)));
  if (cnf.use_se)
    layers->push_back(SqueezeExcitation(cnf.expanded_channels, make_divisible(double(cnf.expanded_channels / 4), 8),
                                        Activation::kReLU, Activation::kHardsigmoid));
  // project
  layers->push_back(Conv2dNormActivation(Conv2dNormActivationOptions(cnf.expanded_channels, cnf.out_channels)
                                               .kernel_size(1)
                                               .norm(kNorm)
                                               .activation(Activation::kNone)));
  block_ = register_module("block", layers);
}

torch::Tensor InvertedResidualImpl::forward(torch::Tensor x) {
  auto result = block_->forward(x);
  if (use_res_connect_) result += x;
  return result;
}

}  // namespace detail::mobilenetv3

MobileNetV3::MobileNetV3(const ModelOptions& o, const MobileNetV3Config& c) {
  namespace nn = torch::nn;
  using detail::mobilenetv3::BlockConfig;
  TLAB_CHECK(c.width_mult > 0, "mobilenet_v3: width_mult must be positive, got ", c.width_mult);
  TLAB_CHECK(c.dropout >= 0 && c.dropout <= 1, "mobilenet_v3: dropout must be in [0, 1], got ", c.dropout);
  auto adjust = [&](int64_t channels) { return make_divisible(double(channels) * c.width_mult, 8); };
  // torchvision's bneck_conf(input, kernel, expanded, out, use_se, activation, stride, dilation).
  auto bneck = [&](int64_t in, int64_t k, int64_t exp, int64_t out, bool se, const char* act, int64_t s) {
    return BlockConfig{adjust(in), k, adjust(exp), adjust(out), se, std::string(act) == "HS", s, 1};
  };
  std::vector<BlockConfig> setting;
  int64_t last_channel = 0;
  if (c.large) {
    setting = {bneck(16, 3, 16, 16, false, "RE", 1),    bneck(16, 3, 64, 24, false, "RE", 2),  // C1
               bneck(24, 3, 72, 24, false, "RE", 1),    bneck(24, 5, 72, 40, true, "RE", 2),   // C2
               bneck(40, 5, 120, 40, true, "RE", 1),    bneck(40, 5, 120, 40, true, "RE", 1),
               bneck(40, 3, 240, 80, false, "HS", 2),                                          // C3
               bneck(80, 3, 200, 80, false, "HS", 1),   bneck(80, 3, 184, 80, false, "HS", 1),
               bneck(80, 3, 184, 80, false, "HS", 1),   bneck(80, 3, 480, 112, true, "HS", 1),
               bneck(112, 3, 672, 112, true, "HS", 1),  bneck(112, 5, 672, 160, true, "HS", 2),  // C4
               bneck(160, 5, 960, 160, true, "HS", 1),  bneck(160, 5, 960, 160, true, "HS", 1)};
    last_channel = adjust(1280);  // C5
  } else {
    setting = {bneck(16, 3, 16, 16, true, "RE", 2),                                            // C1
               bneck(16, 3, 72, 24, false, "RE", 2),   bneck(24, 3, 88, 24, false, "RE", 1),   // C2
               bneck(24, 5, 96, 40, true, "HS", 2),                                            // C3
               bneck(40, 5, 240, 40, true, "HS", 1),   bneck(40, 5, 240, 40, true, "HS", 1),
               bneck(40, 5, 120, 48, true, "HS", 1),   bneck(48, 5, 144, 48, true, "HS", 1),
               bneck(48, 5, 288, 96, true, "HS", 2),                                           // C4
               bneck(96, 5, 576, 96, true, "HS", 1),   bneck(96, 5, 576, 96, true, "HS", 1)};
    last_channel = adjust(1024);  // C5
  }
  nn::Sequential features;
  features->push_back(Conv2dNormActivation(Conv2dNormActivationOptions(o.in_channels, setting.front().input_channels)
                                                 .stride(2)
                                                 .norm(kNorm)
                                                 .activation(Activation::kHardswish)));  // -> [N, 16, H/2, W/2]
  for (const auto& cnf : setting) features->push_back(detail::mobilenetv3::InvertedResidual(cnf));
  const int64_t lastconv_in = setting.back().out_channels, lastconv_out = 6 * lastconv_in;
  features->push_back(Conv2dNormActivation(Conv2dNormActivationOptions(lastconv_in, lastconv_out)
                                                 .kernel_size(1)
                                                 .norm(kNorm)
                                                 .activation(Activation::kHardswish)));
  set_features(features, lastconv_out);  // -> [N, 576 | 960, H/32, W/32]
  set_avgpool(true);                     // -> [N, 576 | 960]
  if (o.include_top) {
    nn::Sequential classifier;
    classifier->push_back(nn::Linear(lastconv_out, last_channel));  // -> [N, 1024 | 1280]
    classifier->push_back(Hardswish());
    classifier->push_back(nn::Dropout(nn::DropoutOptions(c.dropout)));
    classifier->push_back(nn::Linear(last_channel, o.num_classes));  // -> [N, num_classes]
    set_classifier(classifier);
  }
  init_torchvision_weights(*this, LinearInit::kNormal);
}

void register_mobilenet_v3(std::vector<ModelInfo>& registry) {
  registry.push_back({"mobilenet_v3_small",
                      "MobileNetV3-Small (torchvision): SE + Hardswish inverted residuals, 576-d features",
                      224, [](const ModelOptions& o) -> ModelPtr {
                        MobileNetV3Config c;
                        c.large = false;
                        return std::make_shared<MobileNetV3>(o, c);
                      }});
  registry.push_back({"mobilenet_v3_large",
                      "MobileNetV3-Large (torchvision): SE + Hardswish inverted residuals, 960-d features",
                      224, [](const ModelOptions& o) -> ModelPtr {
                        return std::make_shared<MobileNetV3>(o, MobileNetV3Config{});
                      }});
}

}  // namespace tlab::models
