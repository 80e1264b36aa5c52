#pragma once
// torchvision's DenseNet-BC (torchvision/models/densenet.py, 0.14) with its exact module names
// (see ../shared/docs/DESIGN.md), so a torchvision state_dict loads with no renaming. densenet121 at 224x224:
//   features        nn.Sequential with named children:
//     conv0  Conv2d(C, 64, 7x7, stride 2, pad 3, no bias)        -> [N, 64, 112, 112]
//     norm0  BatchNorm2d, relu0 ReLU, pool0 MaxPool(3, 2, pad 1)  -> [N, 64, 56, 56]
//     denseblock1  6 dense layers (+32 channels each)             -> [N, 256, 56, 56]
//     transition1  BN-ReLU-Conv1x1 (halves channels)-AvgPool(2)   -> [N, 128, 28, 28]
//     denseblock2  12 layers -> [N, 512, 28, 28],  transition2    -> [N, 256, 14, 14]
//     denseblock3  24 layers -> [N, 1024, 14, 14], transition3    -> [N, 512, 7, 7]
//     denseblock4  16 layers                                      -> [N, 1024, 7, 7]
//     norm5  BatchNorm2d                                          -> [N, 1024, 7, 7]
//   relu, global average pool, flatten (functional)               -> [N, 1024]
//   classifier  Linear(1024, num_classes)                         -> [N, num_classes]
// Parameter names: "features.conv0.weight", "features.norm0.running_mean",
// "features.denseblock1.denselayer1.norm1.weight", "features.denseblock1.denselayer1.conv2.weight",
// "features.transition1.conv.weight", "features.norm5.bias", "classifier.weight". (Old torchvision
// checkpoints spelled "denselayer1.norm.1"; torchvision itself renames those when loading, and so
// must whoever feeds such a file here.) No memory-efficient (checkpointed) variant: plain forward.
// ReLUs are not in-place, so the outputs reported by forward_observed stay intact.
#include <string>
#include <vector>

#include "tlab/models/model.h"

namespace tlab::models {

namespace detail {

// One bottleneck layer: cat(inputs) -> norm1-relu1-conv1 (1x1, bn_size * growth) -> norm2-relu2-conv2
// (3x3, growth) [-> dropout]: [N, sum of input channels, H, W] -> [N, growth, H, W].
class DenseLayerImpl : public torch::nn::Module {
 public:
  DenseLayerImpl(int64_t num_input_features, int64_t growth_rate, int64_t bn_size, double drop_rate);
  torch::Tensor forward(const std::vector<torch::Tensor>& inputs);

 private:
  torch::nn::BatchNorm2d norm1_{nullptr}, norm2_{nullptr};
  torch::nn::ReLU relu1_{nullptr}, relu2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  double drop_rate_;
};
TORCH_MODULE(DenseLayer);

// torchvision's _DenseBlock (an nn.ModuleDict): children "denselayer1" ... "denselayerN"; each
// layer sees the concatenation of the block input and all previous layers' outputs:
// [N, C, H, W] -> [N, C + num_layers * growth, H, W].
class DenseBlockImpl : public torch::nn::Module {
 public:
  DenseBlockImpl(int64_t num_layers, int64_t num_input_features, int64_t bn_size, int64_t growth_rate,
                 double drop_rate);
  torch::Tensor forward(torch::Tensor x);

 private:
  std::vector<DenseLayer> layers_;
};
TORCH_MODULE(DenseBlock);

// torchvision's _Transition (an nn.Sequential): norm, relu, conv (1x1, no bias), pool (AvgPool 2x2/2):
// [N, C_in, H, W] -> [N, C_out, H/2, W/2].
class TransitionImpl : public torch::nn::Module {
 public:
  TransitionImpl(int64_t num_input_features, int64_t num_output_features);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::BatchNorm2d norm_{nullptr};
  torch::nn::ReLU relu_{nullptr};
  torch::nn::Conv2d conv_{nullptr};
  torch::nn::AvgPool2d pool_{nullptr};
};
TORCH_MODULE(Transition);

}  // namespace detail

struct DenseNetOptions {
  int64_t growth_rate = 32;                           // channels each dense layer adds (k in the paper)
  std::vector<int64_t> block_config = {6, 12, 24, 16};  // dense layers per block (densenet121)
  int64_t num_init_features = 64;                     // channels of conv0
  int64_t bn_size = 4;                                // bottleneck width = bn_size * growth_rate
  double drop_rate = 0;                               // dropout after each dense layer (training mode only)
};

// With ModelOptions::include_top = false no classifier is registered and forward() returns the
// pooled features [N, feature_dim()].
class DenseNet : public Model {
 public:
  DenseNet(const DenseNetOptions& densenet, const ModelOptions& options);
  torch::Tensor forward(torch::Tensor x) override;
  // Stages: "features.conv0", "features.norm0", "features.relu0", "features.pool0",
  // "features.denseblock1", "features.transition1", ..., "features.denseblock4", "features.norm5",
  // "pool" (relu + global average pool, flattened), then "classifier" with the top.
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;
  std::vector<std::string> head_prefixes() const override { return {"classifier."}; }
  int64_t feature_dim() const override { return num_features_; }

 private:
  torch::Tensor pool(const torch::Tensor& features);  // relu -> global avg pool -> flatten

  int64_t num_features_ = 0;
  torch::nn::Sequential features_{nullptr};
  torch::nn::AdaptiveAvgPool2d pool_{nullptr};  // functional in torchvision; kept unregistered
  torch::nn::Linear classifier_{nullptr};       // null when include_top is false
};

std::shared_ptr<DenseNet> densenet121(const ModelOptions& options = {});

}  // namespace tlab::models
