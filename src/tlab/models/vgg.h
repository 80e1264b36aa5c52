#pragma once
// torchvision's VGG architectures (torchvision/models/vgg.py, 0.14) with its exact module names
// (see ../shared/docs/DESIGN.md), so a torchvision state_dict loads with no renaming:
//   features    nn.Sequential "0", "1", ...: per conv width v, Conv2d(v, 3x3, pad 1)
//               [-> BatchNorm2d(v) for *_bn] -> ReLU; per "M" MaxPool2d(2, 2)
//               -> [N, 512, H/32, W/32]    (floor division at each of the five pools)
//   avgpool     AdaptiveAvgPool2d(7x7)    -> [N, 512, 7, 7]
//   flatten (functional)                  -> [N, 25088]
//   classifier  nn.Sequential: 0 Linear(25088, 4096), 1 ReLU, 2 Dropout, 3 Linear(4096, 4096),
//               4 ReLU, 5 Dropout, 6 Linear(4096, num_classes)  -> [N, num_classes]
// Parameter names: "features.0.weight", "features.1.running_var" (_bn), "classifier.6.weight".
// Any input of at least 32x32 pixels and any channel count works (the adaptive pool fixes the
// classifier's input size). ReLUs are not in-place, so the outputs reported by forward_observed
// are never overwritten by the next layer (the numbers are the same).
#include <string>
#include <vector>

#include "tlab/models/model.h"

namespace tlab::models {

// Entry of VggOptions::layers that stands for a max-pool ("M" in torchvision's cfgs).
inline constexpr int64_t kVggMaxPool = 0;

struct VggOptions {
  std::vector<int64_t> layers;  // required: conv output widths in order, kVggMaxPool for "M" (torchvision's cfgs)
  bool batch_norm = false;      // Conv-BatchNorm-ReLU instead of Conv-ReLU (the *_bn variants)
  double dropout = 0.5;         // probability of both classifier Dropout layers (training mode only)
};

// With ModelOptions::include_top = false no classifier is registered and forward() returns the
// flattened avgpool output [N, 25088].
class Vgg : public Model {
 public:
  Vgg(const VggOptions& vgg, const ModelOptions& options);
  torch::Tensor forward(torch::Tensor x) override;
  // Stages: "features.0", ..., "avgpool", then "classifier.0" ... "classifier.6" with the top.
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;
  // "classifier.6." (the last Linear); a headless model has no classifier at all, so there every
  // "classifier." tensor of a full weights file is head (ignored when loading).
  std::vector<std::string> head_prefixes() const override {
    return classifier_ ? std::vector<std::string>{"classifier.6."} : std::vector<std::string>{"classifier."};
  }
  int64_t feature_dim() const override { return 512 * 7 * 7; }

 private:
  torch::nn::Sequential features_{nullptr};
  torch::nn::AdaptiveAvgPool2d avgpool_{nullptr};
  torch::nn::Sequential classifier_{nullptr};  // null when include_top is false
};

// torchvision's configurations: A (vgg11), B (vgg13), D (vgg16), E (vgg19).
std::shared_ptr<Vgg> vgg11(const ModelOptions& options = {});
std::shared_ptr<Vgg> vgg13(const ModelOptions& options = {});
std::shared_ptr<Vgg> vgg16(const ModelOptions& options = {});
std::shared_ptr<Vgg> vgg19(const ModelOptions& options = {});
std::shared_ptr<Vgg> vgg11_bn(const ModelOptions& options = {});
std::shared_ptr<Vgg> vgg13_bn(const ModelOptions& options = {});
std::shared_ptr<Vgg> vgg16_bn(const ModelOptions& options = {});
std::shared_ptr<Vgg> vgg19_bn(const ModelOptions& options = {});

}  // namespace tlab::models
