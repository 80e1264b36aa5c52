#pragma once
// torchvision's ResNet architectures (resnet18/34/50/101/152, torchvision 0.14) with its exact
// module names (see ../shared/docs/DESIGN.md), so a torchvision state_dict loads without renaming:
//   conv1.weight, bn1.{weight,bias,running_mean,running_var,num_batches_tracked},
//   layer1.0.conv1.weight, layer1.0.bn2.running_mean, layer2.0.downsample.0.weight,
//   layer2.0.downsample.1.weight, ..., fc.weight, fc.bias
//
// Shapes for a 224x224 input (Bottleneck widths in brackets, expansion 4):
//   conv1   Conv2d(C, 64, 7x7, stride 2, pad 3, no bias) -> [N, 64, 112, 112]
//   bn1, relu                                             -> [N, 64, 112, 112]
//   maxpool MaxPool2d(3, stride 2, pad 1)                 -> [N, 64, 56, 56]
//   layer1  blocks of 64  planes, stride 1                -> [N, 64 (256), 56, 56]
//   layer2  blocks of 128 planes, first stride 2          -> [N, 128 (512), 28, 28]
//   layer3  blocks of 256 planes, first stride 2          -> [N, 256 (1024), 14, 14]
//   layer4  blocks of 512 planes, first stride 2          -> [N, 512 (2048), 7, 7]
//   avgpool AdaptiveAvgPool2d(1) + flatten                -> [N, 512 (2048)]
//   fc      Linear(512 (2048), num_classes)               -> [N, num_classes]
// Any input side works (adaptive pooling); 224 is the ImageNet default.
#include "tlab/models/model.h"

namespace tlab::models {

namespace detail {

// torchvision's BasicBlock (resnet18/34): conv3x3(stride) - bn - relu - conv3x3 - bn, plus the
// identity (or `downsample` when the shape changes), then relu. Expansion 1.
class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  // `downsample`: Sequential(conv1x1(stride), BatchNorm2d) or empty (not registered) for identity.
  BasicBlockImpl(int64_t in_planes, int64_t planes, int64_t stride, torch::nn::Sequential downsample);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::BatchNorm2d& last_bn() { return bn2_; }  // for zero_init_residual

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::ReLU relu_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(BasicBlock);

// torchvision's Bottleneck (resnet50+), ResNet v1.5: conv1x1 - bn - relu - conv3x3(stride) - bn -
// relu - conv1x1(4x) - bn, plus the identity (or `downsample`), then relu. Expansion 4.
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  BottleneckImpl(int64_t in_planes, int64_t planes, int64_t stride, torch::nn::Sequential downsample);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::BatchNorm2d& last_bn() { return bn3_; }  // for zero_init_residual

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::ReLU relu_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(Bottleneck);

}  // namespace detail

// Options beyond ModelOptions (torchvision's ResNet constructor arguments we support).
struct ResNetOptions {
  bool zero_init_residual = false;  // start each block's last BatchNorm weight at 0 (torchvision's flag; off by default)
};

class ResNet : public Model {
 public:
  enum class Block { kBasic, kBottleneck };

  // `layers`: blocks per stage, e.g. {2, 2, 2, 2} for resnet18, {3, 4, 6, 3} for resnet50.
  ResNet(Block block, std::vector<int64_t> layers, const ModelOptions& options, const ResNetOptions& resnet = {});

  torch::Tensor forward(torch::Tensor x) override;
  // Stages: conv1, bn1, relu, maxpool, layer1, layer2, layer3, layer4, avgpool (flattened), fc.
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;
  std::vector<std::string> head_prefixes() const override { return {"fc."}; }
  int64_t feature_dim() const override { return feature_dim_; }

 private:
  torch::nn::Sequential make_layer(Block block, int64_t planes, int64_t blocks, int64_t stride);

  int64_t in_planes_ = 64;  // channels entering the next stage while building
  int64_t feature_dim_ = 0;
  torch::nn::Conv2d conv1_{nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::ReLU relu_{nullptr};
  torch::nn::MaxPool2d maxpool_{nullptr};
  torch::nn::Sequential layer1_{nullptr}, layer2_{nullptr}, layer3_{nullptr}, layer4_{nullptr};
  torch::nn::AdaptiveAvgPool2d avgpool_{nullptr};
  torch::nn::Linear fc_{nullptr};  // absent when include_top = false
};

// Thin factories, as torchvision's resnet18() ... resnet152().
std::shared_ptr<ResNet> resnet18(const ModelOptions& options, const ResNetOptions& resnet = {});
std::shared_ptr<ResNet> resnet34(const ModelOptions& options, const ResNetOptions& resnet = {});
std::shared_ptr<ResNet> resnet50(const ModelOptions& options, const ResNetOptions& resnet = {});
std::shared_ptr<ResNet> resnet101(const ModelOptions& options, const ResNetOptions& resnet = {});
std::shared_ptr<ResNet> resnet152(const ModelOptions& options, const ResNetOptions& resnet = {});

}  // namespace tlab::models
