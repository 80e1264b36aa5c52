#pragma once
// torchvision's Inception v3 (Inception3, torchvision 0.14) with its exact module names (see
// ../shared/docs/DESIGN.md), so a torchvision state_dict loads without renaming:
//   Conv2d_1a_3x3.conv.weight, Conv2d_1a_3x3.bn.{weight,bias,running_mean,running_var,...},
//   Mixed_5b.branch1x1.bn.weight, Mixed_6b.branch7x7_2.conv.weight, AuxLogits.conv0.conv.weight,
//   AuxLogits.fc.weight, fc.weight, fc.bias
//
// Shapes for a 299x299 input (the default; any side >= 75 works, the auxiliary head needs >= 299):
//   Conv2d_1a_3x3  BasicConv2d(C, 32, 3x3, stride 2)  -> [N, 32, 149, 149]
//   Conv2d_2a_3x3  BasicConv2d(32, 32, 3x3)           -> [N, 32, 147, 147]
//   Conv2d_2b_3x3  BasicConv2d(32, 64, 3x3, pad 1)    -> [N, 64, 147, 147]
//   maxpool1       MaxPool2d(3, stride 2)             -> [N, 64, 73, 73]
//   Conv2d_3b_1x1  BasicConv2d(64, 80, 1x1)           -> [N, 80, 73, 73]
//   Conv2d_4a_3x3  BasicConv2d(80, 192, 3x3)          -> [N, 192, 71, 71]
//   maxpool2       MaxPool2d(3, stride 2)             -> [N, 192, 35, 35]
//   Mixed_5b/5c/5d InceptionA                         -> [N, 256 / 288 / 288, 35, 35]
//   Mixed_6a       InceptionB                         -> [N, 768, 17, 17]
//   Mixed_6b..6e   InceptionC                         -> [N, 768, 17, 17]
//   AuxLogits      InceptionAux (side branch)         -> [N, num_classes]   (from Mixed_6e)
//   Mixed_7a       InceptionD                         -> [N, 1280, 8, 8]
//   Mixed_7b/7c    InceptionE                         -> [N, 2048, 8, 8]
//   avgpool        AdaptiveAvgPool2d(1) + flatten     -> [N, 2048]
//   dropout        Dropout(0.5)                       -> [N, 2048]
//   fc             Linear(2048, num_classes)          -> [N, num_classes]
// BasicConv2d = Conv2d(no bias) - BatchNorm2d(eps 0.001) - ReLU.
#include "tlab/models/model.h"

namespace tlab::models {

namespace detail {

// Conv2d (bias forced off) - BatchNorm2d(eps 0.001) - ReLU; modules "conv" and "bn".
class BasicConv2dImpl : public torch::nn::Module {
 public:
  explicit BasicConv2dImpl(torch::nn::Conv2dOptions options);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(BasicConv2d);

// 35x35 block: 1x1 | 1x1-5x5 | 1x1-3x3-3x3 | avgpool-1x1 -> 224 + pool_features channels.
class InceptionAImpl : public torch::nn::Module {
 public:
  InceptionAImpl(int64_t in_channels, int64_t pool_features);
  torch::Tensor forward(torch::Tensor x);

 private:
  BasicConv2d branch1x1_{nullptr}, branch5x5_1_{nullptr}, branch5x5_2_{nullptr}, branch3x3dbl_1_{nullptr},
      branch3x3dbl_2_{nullptr}, branch3x3dbl_3_{nullptr}, branch_pool_{nullptr};
};
TORCH_MODULE(InceptionA);

// Grid reduction 35 -> 17: 3x3/2 | 1x1-3x3-3x3/2 | maxpool/2 -> 384 + 96 + in_channels channels.
class InceptionBImpl : public torch::nn::Module {
 public:
  explicit InceptionBImpl(int64_t in_channels);
  torch::Tensor forward(torch::Tensor x);

 private:
  BasicConv2d branch3x3_{nullptr}, branch3x3dbl_1_{nullptr}, branch3x3dbl_2_{nullptr}, branch3x3dbl_3_{nullptr};
};
TORCH_MODULE(InceptionB);

// 17x17 block with factorised 7x7 convolutions -> 768 channels.
class InceptionCImpl : public torch::nn::Module {
 public:
  InceptionCImpl(int64_t in_channels, int64_t channels_7x7);
  torch::Tensor forward(torch::Tensor x);

 private:
  BasicConv2d branch1x1_{nullptr}, branch7x7_1_{nullptr}, branch7x7_2_{nullptr}, branch7x7_3_{nullptr},
      branch7x7dbl_1_{nullptr}, branch7x7dbl_2_{nullptr}, branch7x7dbl_3_{nullptr}, branch7x7dbl_4_{nullptr},
      branch7x7dbl_5_{nullptr}, branch_pool_{nullptr};
};
TORCH_MODULE(InceptionC);

// Grid reduction 17 -> 8: 1x1-3x3/2 | 1x1-1x7-7x1-3x3/2 | maxpool/2 -> 320 + 192 + in_channels.
class InceptionDImpl : public torch::nn::Module {
 public:
  explicit InceptionDImpl(int64_t in_channels);
  torch::Tensor forward(torch::Tensor x);

 private:
  BasicConv2d branch3x3_1_{nullptr}, branch3x3_2_{nullptr}, branch7x7x3_1_{nullptr}, branch7x7x3_2_{nullptr},
      branch7x7x3_3_{nullptr}, branch7x7x3_4_{nullptr};
};
TORCH_MODULE(InceptionD);

// 8x8 block with expanded 1x3 / 3x1 branches -> 2048 channels.
class InceptionEImpl : public torch::nn::Module {
 public:
  explicit InceptionEImpl(int64_t in_channels);
  torch::Tensor forward(torch::Tensor x);

 private:
  BasicConv2d branch1x1_{nullptr}, branch3x3_1_{nullptr}, branch3x3_2a_{nullptr}, branch3x3_2b_{nullptr},
      branch3x3dbl_1_{nullptr}, branch3x3dbl_2_{nullptr}, branch3x3dbl_3a_{nullptr}, branch3x3dbl_3b_{nullptr},
      branch_pool_{nullptr};
};
TORCH_MODULE(InceptionE);

// The auxiliary classifier on Mixed_6e's [N, 768, 17, 17] output: avgpool(5, stride 3) - conv0
// (1x1, 128) - conv1 (5x5, 768) - adaptive avgpool - fc -> [N, num_classes]. Without `fc`
// (num_classes = 0, a headless model) it returns the pooled features [N, 768]. Needs a feature map
// of at least 17x17 (inputs of at least 299x299); throws UsageError otherwise.
class InceptionAuxImpl : public torch::nn::Module {
 public:
  InceptionAuxImpl(int64_t in_channels, int64_t num_classes);
  torch::Tensor forward(torch::Tensor x);

 private:
  BasicConv2d conv0_{nullptr}, conv1_{nullptr};
  torch::nn::Linear fc_{nullptr};
};
TORCH_MODULE(InceptionAux);

}  // namespace detail

// Options beyond ModelOptions (torchvision's Inception3 constructor arguments).
struct InceptionOptions {
  bool transform_input = false;  // re-normalise ImageNet-normalised input to [-1, 1] first (torchvision
                                 // turns it on only with its pretrained weights); needs 3 channels
  bool aux_logits = true;        // build the AuxLogits head (its tensors are in torchvision's state dict)
  double dropout = 0.5;          // dropout probability before fc (training mode only)
};

// torchvision's InceptionOutputs: main logits and the auxiliary head's logits.
struct InceptionOutputs {
  torch::Tensor logits;      // [N, num_classes] ([N, 2048] features when include_top = false)
  torch::Tensor aux_logits;  // [N, num_classes] ([N, 768] when include_top = false); undefined without AuxLogits
};

class InceptionV3 : public Model {
 public:
  explicit InceptionV3(const ModelOptions& options, const InceptionOptions& inception = {});

  // Main logits only, in training and eval mode alike (the auxiliary head is not run).
  torch::Tensor forward(torch::Tensor x) override;
  // Main and auxiliary logits (what torchvision's forward returns in training mode, for the loss
  // logits_loss + 0.4 * aux_loss). The auxiliary head runs in either mode; it needs inputs of at
  // least 299x299. aux_logits is undefined when built with aux_logits = false.
  InceptionOutputs forward_with_aux(torch::Tensor x);
  // Stages: Conv2d_1a_3x3, Conv2d_2a_3x3, Conv2d_2b_3x3, maxpool1, Conv2d_3b_1x1, Conv2d_4a_3x3,
  // maxpool2, Mixed_5b .. Mixed_5d, Mixed_6a .. Mixed_6e, AuxLogits (only with an auxiliary head and
  // inputs of at least 299x299; its output does not feed the next stage), Mixed_7a .. Mixed_7c,
  // avgpool (flattened), dropout, fc. Headless models end at avgpool.
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;
  std::vector<std::string> head_prefixes() const override { return {"fc.", "AuxLogits.fc."}; }
  int64_t feature_dim() const override { return 2048; }

 private:
  enum class Aux { kSkip, kRequire, kIfFits };
  torch::Tensor run(torch::Tensor x, const LayerObserver* observe, Aux aux, torch::Tensor* aux_out);

  bool transform_input_;
  detail::BasicConv2d Conv2d_1a_3x3_{nullptr}, Conv2d_2a_3x3_{nullptr}, Conv2d_2b_3x3_{nullptr},
      Conv2d_3b_1x1_{nullptr}, Conv2d_4a_3x3_{nullptr};
  torch::nn::MaxPool2d maxpool1_{nullptr}, maxpool2_{nullptr};
  detail::InceptionA Mixed_5b_{nullptr}, Mixed_5c_{nullptr}, Mixed_5d_{nullptr};
  detail::InceptionB Mixed_6a_{nullptr};
  detail::InceptionC Mixed_6b_{nullptr}, Mixed_6c_{nullptr}, Mixed_6d_{nullptr}, Mixed_6e_{nullptr};
  detail::InceptionAux AuxLogits_{nullptr};  // absent when aux_logits = false
  detail::InceptionD Mixed_7a_{nullptr};
  detail::InceptionE Mixed_7b_{nullptr}, Mixed_7c_{nullptr};
  torch::nn::AdaptiveAvgPool2d avgpool_{nullptr};
  torch::nn::Dropout dropout_{nullptr};  // absent when include_top = false
  torch::nn::Linear fc_{nullptr};        // absent when include_top = false
};

// Thin factory, as torchvision's inception_v3().
std::shared_ptr<InceptionV3> inception_v3(const ModelOptions& options, const InceptionOptions& inception = {});

}  // namespace tlab::models
