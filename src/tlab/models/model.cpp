#include "tlab/models/model.h"

#include "tlab/core/error.h"
#include "tlab/models/simple_cnn.h"

namespace tlab::models {

torch::Tensor SequentialModel::forward(torch::Tensor x) {
  for (auto& [name, layer] : layers_) x = layer.forward(x);
  return x;
}

torch::Tensor SequentialModel::forward_observed(torch::Tensor x, const LayerObserver& observe) {
  for (auto& [name, layer] : layers_) {
    x = layer.forward(x);
    observe(name, *layer.ptr(), x);
  }
  return x;
}

const std::vector<ModelInfo>& model_registry() {
  static const std::vector<ModelInfo> registry = {
      {"simple_cnn",
       "Conv(32,3x3)-ReLU-MaxPool(2)-Conv(64,3x3)-ReLU-MaxPool(2)-Flatten-Dense(64)-ReLU-Dense(classes)", 28,
       [](const ModelOptions& o) -> ModelPtr { return std::make_shared<SimpleCnn>(o); }},
  };
  return registry;
}

const ModelInfo& model_info(const std::string& name) {
  std::string known;
  for (const auto& info : model_registry()) {
    if (info.name == name) return info;
    known += (known.empty() ? "" : ", ") + info.name;
  }
  throw std::invalid_argument(str_cat("--model: unknown model '", name, "'; known models: ", known));
}

ModelPtr create_model(const std::string& name, const ModelOptions& options) {
  TLAB_CHECK(options.num_classes > 0, "model '", name, "': num_classes must be positive, got ", options.num_classes);
  TLAB_CHECK(options.in_channels > 0, "model '", name, "': in_channels must be positive, got ", options.in_channels);
  TLAB_CHECK(options.height > 0 && options.width > 0, "model '", name, "': input size must be positive, got ",
             options.height, "x", options.width);
  return model_info(name).create(options);
}

ParameterCount count_parameters(const torch::nn::Module& module) {
  ParameterCount count;
  for (const auto& p : module.parameters()) (p.requires_grad() ? count.trainable : count.non_trainable) += p.numel();
  return count;
}

}  // namespace tlab::models
