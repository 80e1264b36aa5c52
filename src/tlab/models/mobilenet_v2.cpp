#include "tlab/models/mobilenet_v2.h"

#include <cmath>

#include "tlab/core/error.h"

namespace tlab::models {
namespace detail::mobilenetv2 {

InvertedResidualImpl::InvertedResidualImpl(int64_t in_channels, int64_t out_channels, int64_t stride,
                                               int64_t expand_ratio)
    : use_res_connect_(stride == 1 && in_channels == out_channels) {
  namespace nn = torch::nn;
  TLAB_CHECK(stride == 1 || stride == 2, "mobilenet_v2 InvertedResidual: stride must be 1 or 2, got ", stride);
  // Python's round() rounds half to even, as nearbyint does in the default rounding mode.
  const auto hidden = static_cast<int64_t>(std::nearbyint(double(in_channels) * double(expand_ratio)));
  nn::Sequential layers;
  if (expand_ratio != 1)  // pw
    layers->push_back(Conv2dNormActivation(
        Conv2dNormActivationOptions(in_channels, hidden).kernel_size(1).activation(Activation::kReLU6)));
  // dw
  layers->push_back(Conv2dNormActivation(
      Conv2dNormActivationOptions(hidden, hidden).stride(stride).groups(hidden).activation(Activation::kReLU6)));
  // pw-linear
  layers->push_back(nn::Conv2d(nn::Conv2dOptions(hidden, out_channels, 1).bias(false)));
  layers->push_back(nn::BatchNorm2d(out_channels));
  conv_ = register_module("conv", layers);
}

torch::Tensor InvertedResidualImpl::forward(torch::Tensor x) {
  return use_res_connect_ ? x + conv_->forward(x) : conv_->forward(x);
}

}  // namespace detail::mobilenetv2

MobileNetV2::MobileNetV2(const ModelOptions& o, const MobileNetV2Config& c) {
  namespace nn = torch::nn;
  TLAB_CHECK(c.width_mult > 0, "mobilenet_v2: width_mult must be positive, got ", c.width_mult);
  TLAB_CHECK(c.dropout >= 0 && c.dropout <= 1, "mobilenet_v2: dropout must be in [0, 1], got ", c.dropout);
  struct Stage {
    int64_t t, c, n, s;  // expand ratio, output channels, blocks, first block's stride
  };
  const Stage setting[] = {{1, 16, 1, 1},  {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                           {6, 96, 3, 1},  {6, 160, 3, 2}, {6, 320, 1, 1}};
  int64_t input_channel = make_divisible(32 * c.width_mult, c.round_nearest);
  const int64_t last_channel = make_divisible(1280 * std::max(1.0, c.width_mult), c.round_nearest);

  nn::Sequential features;
  features->push_back(Conv2dNormActivation(
      Conv2dNormActivationOptions(o.in_channels, input_channel).stride(2).activation(Activation::kReLU6)));
  for (const auto& st : setting) {
    const int64_t output_channel = make_divisible(double(st.c) * c.width_mult, c.round_nearest);
    for (int64_t i = 0; i < st.n; ++i) {
      features->push_back(detail::mobilenetv2::InvertedResidual(input_channel, output_channel, i == 0 ? st.s : 1, st.t));
      input_channel = output_channel;
    }
  }
  features->push_back(Conv2dNormActivation(
      Conv2dNormActivationOptions(input_channel, last_channel).kernel_size(1).activation(Activation::kReLU6)));
  set_features(features, last_channel);  // -> [N, 1280, H/32, W/32]
  set_avgpool(false);                    // -> [N, 1280]
  if (o.include_top) {
    nn::Sequential classifier;
    classifier->push_back(nn::Dropout(nn::DropoutOptions(c.dropout)));
    classifier->push_back(nn::Linear(last_channel, o.num_classes));  // -> [N, num_classes]
    set_classifier(classifier);
  }
  init_torchvision_weights(*this, LinearInit::kNormal);
}

void register_mobilenet_v2(std::vector<ModelInfo>& registry) {
  registry.push_back({"mobilenet_v2", "MobileNetV2 (torchvision): inverted residuals, ReLU6, 1280-d features",
                      224, [](const ModelOptions& o) -> ModelPtr { return std::make_shared<MobileNetV2>(o); }});
}

}  // namespace tlab::models
