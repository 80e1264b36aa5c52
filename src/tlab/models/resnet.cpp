#include "tlab/models/resnet.h"

#include "tlab/core/error.h"

namespace tlab::models {

namespace nn = torch::nn;

namespace detail {
namespace {

// torchvision's conv3x3 / conv1x1 helpers: no bias, padding 1 for the 3x3.
nn::Conv2d conv3x3(int64_t in_planes, int64_t out_planes, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in_planes, out_planes, 3).stride(stride).padding(1).bias(false));
}
nn::Conv2d conv1x1(int64_t in_planes, int64_t out_planes, int64_t stride = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in_planes, out_planes, 1).stride(stride).bias(false));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride, nn::Sequential downsample) {
  conv1_ = register_module("conv1", conv3x3(in_planes, planes, stride));
  bn1_ = register_module("bn1", nn::BatchNorm2d(planes));
  relu_ = register_module("relu", nn::ReLU(nn::ReLUOptions(true)));
  conv2_ = register_module("conv2", conv3x3(planes, planes));
  bn2_ = register_module("bn2", nn::BatchNorm2d(planes));
  if (downsample) downsample_ = register_module("downsample", downsample);
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  auto out = relu_(bn1_(conv1_(x)));  // -> [N, planes, H/stride, W/stride]
  out = bn2_(conv2_(out));            // -> [N, planes, H/stride, W/stride]
  out += downsample_ ? downsample_->forward(x) : x;
  return relu_(out);
}

BottleneckImpl::BottleneckImpl(int64_t in_planes, int64_t planes, int64_t stride, nn::Sequential downsample) {
  const int64_t width = planes;  // groups 1, base width 64
  conv1_ = register_module("conv1", conv1x1(in_planes, width));
  bn1_ = register_module("bn1", nn::BatchNorm2d(width));
  conv2_ = register_module("conv2", conv3x3(width, width, stride));  // v1.5: the stride sits on the 3x3
  bn2_ = register_module("bn2", nn::BatchNorm2d(width));
  conv3_ = register_module("conv3", conv1x1(width, planes * kExpansion));
  bn3_ = register_module("bn3", nn::BatchNorm2d(planes * kExpansion));
  relu_ = register_module("relu", nn::ReLU(nn::ReLUOptions(true)));
  if (downsample) downsample_ = register_module("downsample", downsample);
}

torch::Tensor BottleneckImpl::forward(torch::Tensor x) {
  auto out = relu_(bn1_(conv1_(x)));  // -> [N, planes, H, W]
  out = relu_(bn2_(conv2_(out)));     // -> [N, planes, H/stride, W/stride]
  out = bn3_(conv3_(out));            // -> [N, 4 planes, H/stride, W/stride]
  out += downsample_ ? downsample_->forward(x) : x;
  return relu_(out);
}

}  // namespace detail

ResNet::ResNet(Block block, std::vector<int64_t> layers, const ModelOptions& o, const ResNetOptions& resnet) {
  TLAB_CHECK(layers.size() == 4, "resnet: expected 4 stage depths, got ", layers.size());
  for (int64_t n : layers) TLAB_CHECK(n > 0, "resnet: every stage needs at least one block, got ", n);
  const int64_t expansion =
      block == Block::kBasic ? detail::BasicBlockImpl::kExpansion : detail::BottleneckImpl::kExpansion;
  feature_dim_ = 512 * expansion;

  conv1_ = register_module(
      "conv1", nn::Conv2d(nn::Conv2dOptions(o.in_channels, 64, 7).stride(2).padding(3).bias(false)));
  bn1_ = register_module("bn1", nn::BatchNorm2d(64));
  // Not in place (torchvision's is): bn1's output must survive for observers / feature taps.
  relu_ = register_module("relu", nn::ReLU());
  maxpool_ = register_module("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
  layer1_ = register_module("layer1", make_layer(block, 64, layers[0], 1));
  layer2_ = register_module("layer2", make_layer(block, 128, layers[1], 2));
  layer3_ = register_module("layer3", make_layer(block, 256, layers[2], 2));
  layer4_ = register_module("layer4", make_layer(block, 512, layers[3], 2));
  avgpool_ = register_module("avgpool", nn::AdaptiveAvgPool2d(nn::AdaptiveAvgPool2dOptions(1)));
  if (o.include_top) fc_ = register_module("fc", nn::Linear(feature_dim_, o.num_classes));

  // torchvision's initialisation: convolutions kaiming-normal (fan_out, relu), BatchNorm weight 1 and
  // bias 0, Linear keeps its default (kaiming-uniform a=sqrt(5), bias U(+-1/sqrt(fan_in))).
  torch::NoGradGuard no_grad;
  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* conv = m->as<nn::Conv2d>()) {
      nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = m->as<nn::BatchNorm2d>()) {
      nn::init::ones_(bn->weight);
      nn::init::zeros_(bn->bias);
    }
  }
  if (resnet.zero_init_residual) {
    for (auto& m : modules(/*include_self=*/false)) {
      if (auto* b = m->as<detail::BasicBlock>()) nn::init::zeros_(b->last_bn()->weight);
      if (auto* b = m->as<detail::Bottleneck>()) nn::init::zeros_(b->last_bn()->weight);
    }
  }
}

// torchvision's _make_layer: the first block takes the stride and, when the shape changes, a
// downsample = Sequential(conv1x1(stride), BatchNorm2d) on the identity path.
nn::Sequential ResNet::make_layer(Block block, int64_t planes, int64_t blocks, int64_t stride) {
  const int64_t expansion =
      block == Block::kBasic ? detail::BasicBlockImpl::kExpansion : detail::BottleneckImpl::kExpansion;
  nn::Sequential downsample{nullptr};
  if (stride != 1 || in_planes_ != planes * expansion) {
    downsample = nn::Sequential(detail::conv1x1(in_planes_, planes * expansion, stride),
                                nn::BatchNorm2d(planes * expansion));
  }
  nn::Sequential layer;
  auto add = [&](int64_t in, int64_t s, nn::Sequential ds) {
    if (block == Block::kBasic)
      layer->push_back(detail::BasicBlock(in, planes, s, ds));
    else
      layer->push_back(detail::Bottleneck(in, planes, s, ds));
  };
  add(in_planes_, stride, downsample);
  in_planes_ = planes * expansion;
  for (int64_t i = 1; i < blocks; ++i) add(in_planes_, 1, nn::Sequential{nullptr});
  return layer;
}

torch::Tensor ResNet::forward(torch::Tensor x) {
  return forward_observed(std::move(x), [](const std::string&, const nn::Module&, const torch::Tensor&) {});
}

torch::Tensor ResNet::forward_observed(torch::Tensor x, const LayerObserver& observe) {
  // Shapes for [N, C, 224, 224]; BasicBlock widths, Bottleneck widths in brackets.
  x = conv1_(x);  // conv1 -> [N, 64, 112, 112]
  observe("conv1", *conv1_, x);
  x = bn1_(x);  // bn1 -> [N, 64, 112, 112]
  observe("bn1", *bn1_, x);
  x = relu_(x);  // relu -> [N, 64, 112, 112]
  observe("relu", *relu_, x);
  x = maxpool_(x);  // maxpool -> [N, 64, 56, 56]
  observe("maxpool", *maxpool_, x);
  x = layer1_->forward(x);  // layer1 -> [N, 64 (256), 56, 56]
  observe("layer1", *layer1_, x);
  x = layer2_->forward(x);  // layer2 -> [N, 128 (512), 28, 28]
  observe("layer2", *layer2_, x);
  x = layer3_->forward(x);  // layer3 -> [N, 256 (1024), 14, 14]
  observe("layer3", *layer3_, x);
  x = layer4_->forward(x);  // layer4 -> [N, 512 (2048), 7, 7]
  observe("layer4", *layer4_, x);
  x = torch::flatten(avgpool_(x), 1);  // avgpool + flatten -> [N, 512 (2048)]
  observe("avgpool", *avgpool_, x);
  if (!fc_) return x;
  x = fc_(x);  // fc -> [N, num_classes]
  observe("fc", *fc_, x);
  return x;
}

std::shared_ptr<ResNet> resnet18(const ModelOptions& o, const ResNetOptions& r) {
  return std::make_shared<ResNet>(ResNet::Block::kBasic, std::vector<int64_t>{2, 2, 2, 2}, o, r);
}
std::shared_ptr<ResNet> resnet34(const ModelOptions& o, const ResNetOptions& r) {
  return std::make_shared<ResNet>(ResNet::Block::kBasic, std::vector<int64_t>{3, 4, 6, 3}, o, r);
}
std::shared_ptr<ResNet> resnet50(const ModelOptions& o, const ResNetOptions& r) {
  return std::make_shared<ResNet>(ResNet::Block::kBottleneck, std::vector<int64_t>{3, 4, 6, 3}, o, r);
}
std::shared_ptr<ResNet> resnet101(const ModelOptions& o, const ResNetOptions& r) {
  return std::make_shared<ResNet>(ResNet::Block::kBottleneck, std::vector<int64_t>{3, 4, 23, 3}, o, r);
}
std::shared_ptr<ResNet> resnet152(const ModelOptions& o, const ResNetOptions& r) {
  return std::make_shared<ResNet>(ResNet::Block::kBottleneck, std::vector<int64_t>{3, 8, 36, 3}, o, r);
}

void register_resnet(std::vector<ModelInfo>& registry) {
  registry.push_back({"resnet18", "ResNet-18 (torchvision): BasicBlock x [2, 2, 2, 2], 512-d features",
                      224, [](const ModelOptions& o) -> ModelPtr { return resnet18(o); }});
  registry.push_back({"resnet34", "ResNet-34 (torchvision): BasicBlock x [3, 4, 6, 3], 512-d features",
                      224, [](const ModelOptions& o) -> ModelPtr { return resnet34(o); }});
  registry.push_back({"resnet50",
                      "ResNet-50 v1.5 (torchvision): Bottleneck x [3, 4, 6, 3], 2048-d features", 224,
                      [](const ModelOptions& o) -> ModelPtr { return resnet50(o); }});
  registry.push_back({"resnet101",
                      "ResNet-101 v1.5 (torchvision): Bottleneck x [3, 4, 23, 3], 2048-d features", 224,
                      [](const ModelOptions& o) -> ModelPtr { return resnet101(o); }});
  registry.push_back({"resnet152",
                      "ResNet-152 v1.5 (torchvision): Bottleneck x [3, 8, 36, 3], 2048-d features", 224,
                      [](const ModelOptions& o) -> ModelPtr { return resnet152(o); }});
}

}  // namespace tlab::models
