#pragma once
// The model interface shared by every architecture, and the name -> factory registry.
#include <torch/torch.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace tlab::models {

struct ModelOptions {
  int64_t num_classes = 10;  // outputs of the classifier
  int64_t in_channels = 3;   // input image channels (1 grey, 3 RGB)
  int64_t height = 224;      // input height the model is built for (sizes the flatten/dense layers)
  int64_t width = 224;       // input width
};

// Called after each layer in Model::forward_observed with the layer's name, module and output.
using LayerObserver =
    std::function<void(const std::string& name, const torch::nn::Module& layer, const torch::Tensor& output)>;

// A classifier: images [N, C, H, W] float -> logits [N, num_classes].
class Model : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // forward() that reports every top-level layer (for summaries and feature taps).
  virtual torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) = 0;
};

using ModelPtr = std::shared_ptr<Model>;

// A model that is a plain chain of named layers. Layers are registered under their own names, so
// parameter names read "conv1.weight", "fc2.bias".
class SequentialModel : public Model {
 public:
  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;

 protected:
  template <typename ModuleHolder>
  void add(const std::string& name, ModuleHolder module) {
    layers_.emplace_back(name, torch::nn::AnyModule(register_module(name, module)));
  }

 private:
  std::vector<std::pair<std::string, torch::nn::AnyModule>> layers_;
};

struct ModelInfo {
  std::string name;
  std::string description;
  int64_t default_image_size;  // input side used when the data does not fix one
  std::function<ModelPtr(const ModelOptions&)> create;
};

// Every architecture, in listing order.
const std::vector<ModelInfo>& model_registry();
// The entry for `name`; throws std::invalid_argument listing the known names.
const ModelInfo& model_info(const std::string& name);
// Builds `name` with `options`.
ModelPtr create_model(const std::string& name, const ModelOptions& options);

// Parameter counts.
struct ParameterCount {
  int64_t trainable = 0, non_trainable = 0;
  int64_t total() const { return trainable + non_trainable; }
};
ParameterCount count_parameters(const torch::nn::Module& module);

}  // namespace tlab::models
