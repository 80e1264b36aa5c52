#include "tlab/models/efficientnet.h"

#include <cmath>

#include "tlab/core/error.h"

namespace tlab::models {
namespace detail {

MBConvImpl::MBConvImpl(const MBConvConfig& cnf, double stochastic_depth_prob)
    : use_res_connect_(cnf.stride == 1 && cnf.input_channels == cnf.out_channels) {
  TLAB_CHECK(cnf.stride == 1 || cnf.stride == 2, "efficientnet MBConv: stride must be 1 or 2, got ", cnf.stride);
  const int64_t expanded = make_divisible(double(cnf.input_channels) * cnf.expand_ratio, 8);
  torch::nn::Sequential layers;
  if (expanded != cnf.input_channels)  // expand
    layers->push_back(Conv2dNormActivation(
        Conv2dNormActivationOptions(cnf.input_channels, expanded).kernel_size(1).activation(Activation::kSiLU)));
  // depthwise
  layers->push_back(Conv2dNormActivation(Conv2dNormActivationOptions(expanded, expanded)
                                               .kernel_size(cnf.kernel)
                                               .stride(cnf.stride)
                                               .groups(expanded)
                                               .activation(Activation::kSiLU)));
  // squeeze and excitation
  layers->push_back(SqueezeExcitation(expanded, std::max<int64_t>(1, cnf.input_channels / 4), Activation::kSiLU,
                                      Activation::kSigmoid));
  // project
  layers->push_back(Conv2dNormActivation(
      Conv2dNormActivationOptions(expanded, cnf.out_channels).kernel_size(1).activation(Activation::kNone)));
  block_ = register_module("block", layers);
  stochastic_depth_ = register_module("stochastic_depth", StochasticDepth(stochastic_depth_prob, "row"));
}

torch::Tensor MBConvImpl::forward(torch::Tensor x) {
  auto result = block_->forward(x);
  if (use_res_connect_) {
    result = stochastic_depth_(result);
    result += x;
  }
  return result;
}

}  // namespace detail

EfficientNet::EfficientNet(const ModelOptions& o, const EfficientNetConfig& c) {
  namespace nn = torch::nn;
  using detail::MBConvConfig;
  TLAB_CHECK(c.width_mult > 0 && c.depth_mult > 0, "efficientnet: width_mult and depth_mult must be positive, got ",
             c.width_mult, " and ", c.depth_mult);
  TLAB_CHECK(c.dropout >= 0 && c.dropout <= 1, "efficientnet: dropout must be in [0, 1], got ", c.dropout);
  TLAB_CHECK(c.stochastic_depth_prob >= 0 && c.stochastic_depth_prob <= 1,
             "efficientnet: stochastic_depth_prob must be in [0, 1], got ", c.stochastic_depth_prob);
  // torchvision's bneck_conf(expand_ratio, kernel, stride, input_channels, out_channels, num_layers).
  auto bneck = [&](double e, int64_t k, int64_t s, int64_t in, int64_t out, int64_t n) {
    return MBConvConfig{e,
                        k,
                        s,
                        make_divisible(double(in) * c.width_mult, 8),
                        make_divisible(double(out) * c.width_mult, 8),
                        static_cast<int64_t>(std::ceil(double(n) * c.depth_mult))};
  };
  const std::vector<MBConvConfig> setting = {bneck(1, 3, 1, 32, 16, 1),   bneck(6, 3, 2, 16, 24, 2),
                                             bneck(6, 5, 2, 24, 40, 2),   bneck(6, 3, 2, 40, 80, 3),
                                             bneck(6, 5, 1, 80, 112, 3),  bneck(6, 5, 2, 112, 192, 4),
                                             bneck(6, 3, 1, 192, 320, 1)};

  nn::Sequential features;
  features->push_back(Conv2dNormActivation(Conv2dNormActivationOptions(o.in_channels, setting.front().input_channels)
                                                 .stride(2)
                                                 .activation(Activation::kSiLU)));  // -> [N, 32w, H/2, W/2]
  int64_t total_blocks = 0;
  for (const auto& cnf : setting) total_blocks += cnf.num_layers;
  int64_t block_id = 0;
  for (const auto& cnf : setting) {
    SequentialBlock stage;
    for (int64_t i = 0; i < cnf.num_layers; ++i) {
      MBConvConfig block_cnf = cnf;
      if (i > 0) {  // only a stage's first block changes width or resolution
        block_cnf.input_channels = block_cnf.out_channels;
        block_cnf.stride = 1;
      }
      // Stochastic depth grows linearly with the block's depth in the whole network.
      const double sd_prob = c.stochastic_depth_prob * double(block_id) / double(total_blocks);
      stage->push_back(detail::MBConv(block_cnf, sd_prob));
      ++block_id;
    }
    features->push_back(stage);
  }
  const int64_t lastconv_in = setting.back().out_channels, lastconv_out = 4 * lastconv_in;
  features->push_back(Conv2dNormActivation(
      Conv2dNormActivationOptions(lastconv_in, lastconv_out).kernel_size(1).activation(Activation::kSiLU)));
  set_features(features, lastconv_out);  // -> [N, 1280 | 1408 | 1536, H/32, W/32]
  set_avgpool(true);                     // -> [N, 1280 | 1408 | 1536]
  if (o.include_top) {
    nn::Sequential classifier;
    classifier->push_back(nn::Dropout(nn::DropoutOptions(c.dropout)));
    classifier->push_back(nn::Linear(lastconv_out, o.num_classes));  // -> [N, num_classes]
    set_classifier(classifier);
  }
  init_torchvision_weights(*this, LinearInit::kUniformFanOut);
}

void register_efficientnet(std::vector<ModelInfo>& registry) {
  struct Variant {
    const char* name;
    const char* description;
    int64_t size;
    double width, depth, dropout;
  };
  const Variant variants[] = {
      {"efficientnet_b0", "EfficientNet-B0 (torchvision): MBConv + SE + SiLU, 1280-d features", 224,
       1.0, 1.0, 0.2},
      {"efficientnet_b1", "EfficientNet-B1 (torchvision): width 1.0, depth 1.1, 1280-d features", 240,
       1.0, 1.1, 0.2},
      {"efficientnet_b2", "EfficientNet-B2 (torchvision): width 1.1, depth 1.2, 1408-d features", 288,
       1.1, 1.2, 0.3},
      {"efficientnet_b3", "EfficientNet-B3 (torchvision): width 1.2, depth 1.4, 1536-d features", 300,
       1.2, 1.4, 0.3},
  };
  for (const auto& v : variants) {
    EfficientNetConfig c;
    c.width_mult = v.width;
    c.depth_mult = v.depth;
    c.dropout = v.dropout;
    registry.push_back({v.name, v.description, v.size, [c](const ModelOptions& o) -> ModelPtr {
                          return std::make_shared<EfficientNet>(o, c);
                        }});
  }
}

}  // namespace tlab::models
