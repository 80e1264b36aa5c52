#pragma once
// torchvision's SqueezeNet 1.0 and 1.1 (torchvision/models/squeezenet.py, 0.14) with its exact
// module names (see ../shared/docs/DESIGN.md), so a torchvision state_dict loads with no renaming.
// squeezenet1_0 at 224x224:
//   features.0  Conv2d(C, 96, 7x7, stride 2)            -> [N, 96, 109, 109]
//   features.1  ReLU, features.2 MaxPool(3, 2, ceil)     -> [N, 96, 54, 54]
//   features.3-5  Fire x3                                -> [N, 256, 54, 54]
//   features.6  MaxPool(3, 2, ceil)                      -> [N, 256, 27, 27]
//   features.7-10 Fire x4                                -> [N, 512, 27, 27]
//   features.11 MaxPool(3, 2, ceil)                      -> [N, 512, 13, 13]
//   features.12 Fire                                     -> [N, 512, 13, 13]
// squeezenet1_1 at 224x224:
//   features.0  Conv2d(C, 64, 3x3, stride 2), 1 ReLU     -> [N, 64, 111, 111]
//   features.2  MaxPool(3, 2, ceil)                      -> [N, 64, 55, 55]
//   features.3-4  Fire x2, 5 MaxPool                     -> [N, 128, 27, 27]
//   features.6-7  Fire x2, 8 MaxPool                     -> [N, 256, 13, 13]
//   features.9-12 Fire x4                                -> [N, 512, 13, 13]
// classifier (both): 0 Dropout, 1 Conv2d(512, num_classes, 1x1), 2 ReLU, 3 AdaptiveAvgPool2d(1)
//                                                        -> [N, num_classes, 1, 1], flattened to [N, num_classes]
// Parameter names: "features.0.weight", "features.3.squeeze.weight", "features.3.expand1x1.weight",
// "features.3.expand3x3.weight", "classifier.1.weight".
// ReLUs are not in-place, so the outputs reported by forward_observed stay intact.
#include <string>
#include <vector>

#include "tlab/models/model.h"

namespace tlab::models {

namespace detail {

// Fire module: squeeze 1x1 conv + ReLU, then 1x1 and 3x3 (pad 1) expand convs + ReLU, concatenated:
// [N, inplanes, H, W] -> [N, expand1x1 + expand3x3, H, W].
class FireImpl : public torch::nn::Module {
 public:
  FireImpl(int64_t inplanes, int64_t squeeze_planes, int64_t expand1x1_planes, int64_t expand3x3_planes);
  torch::Tensor forward(torch::Tensor x);

 private:
  torch::nn::Conv2d squeeze_{nullptr}, expand1x1_{nullptr}, expand3x3_{nullptr};
  torch::nn::ReLU squeeze_activation_{nullptr}, expand1x1_activation_{nullptr}, expand3x3_activation_{nullptr};
};
TORCH_MODULE(Fire);

}  // namespace detail

enum class SqueezeNetVersion { k1_0, k1_1 };

struct SqueezeNetOptions {
  SqueezeNetVersion version = SqueezeNetVersion::k1_0;  // 1.0: 7x7 stem, 96 channels; 1.1: 3x3 stem, 64 channels, earlier pools
  double dropout = 0.5;  // probability of the Dropout before the final conv (training mode only)
};

// With ModelOptions::include_top = false no classifier is registered and forward() returns the
// last Fire module's output, global-average-pooled and flattened: [N, 512].
class SqueezeNet : public Model {
 public:
  SqueezeNet(const SqueezeNetOptions& squeezenet, const ModelOptions& options);
  torch::Tensor forward(torch::Tensor x) override;
  // Stages: "features.0" ... "features.12", then "classifier.0" ... "classifier.3" (the last one
  // [N, num_classes, 1, 1]; forward() flattens it), or without the top "pool" ([N, 512]).
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;
  std::vector<std::string> head_prefixes() const override { return {"classifier.1."}; }
  int64_t feature_dim() const override { return 512; }

 private:
  torch::nn::Sequential features_{nullptr};
  torch::nn::Sequential classifier_{nullptr};  // null when include_top is false
  torch::nn::AdaptiveAvgPool2d pool_{nullptr};  // headless global pool; not registered (no state)
};

std::shared_ptr<SqueezeNet> squeezenet1_0(const ModelOptions& options = {});
std::shared_ptr<SqueezeNet> squeezenet1_1(const ModelOptions& options = {});

}  // namespace tlab::models
