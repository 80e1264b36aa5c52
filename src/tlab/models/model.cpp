#include "tlab/models/model.h"

#include <algorithm>

#include "tlab/core/error.h"
#include "tlab/models/torchscript.h"
#include "tlab/models/transfer.h"

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
  static const std::vector<ModelInfo> registry = [] {
    std::vector<ModelInfo> r;
    register_simple_cnn(r);
    register_vgg(r);
    register_resnet(r);
    register_inception(r);
    register_mobilenet_v2(r);
    register_mobilenet_v3(r);
    register_efficientnet(r);
    register_densenet(r);
    register_squeezenet(r);
    return r;
  }();
  return registry;
}

std::vector<torch::Tensor> parameters_and_buffers(const torch::nn::Module& module) {
  std::vector<torch::Tensor> all = module.parameters();
  for (const auto& b : module.buffers()) all.push_back(b);
  return all;
}

std::map<std::string, torch::Tensor> extract_features(Model& model, const torch::Tensor& x,
                                                      const std::vector<std::string>& names) {
  std::map<std::string, torch::Tensor> out;
  std::vector<std::string> seen;
  model.forward_observed(x, [&](const std::string& name, const torch::nn::Module&, const torch::Tensor& y) {
    seen.push_back(name);
    if (std::find(names.begin(), names.end(), name) != names.end()) out[name] = y;
  });
  for (const auto& n : names)
    if (!out.count(n)) {
      std::string known;
      for (const auto& s : seen) known += (known.empty() ? "" : ", ") + s;
      throw UsageError(str_cat("feature tap '", n, "' is not a stage of this model; stages: ", known));
    }
  return out;
}

void prepare_for_inference(Model& model) {
  model.eval();
  torch::NoGradGuard no_grad;
  for (auto& p : model.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
}

const ModelInfo& model_info(const std::string& name) {
  std::string known;
  for (const auto& info : model_registry()) {
    if (info.name == name) return info;
    known += (known.empty() ? "" : ", ") + info.name;
  }
  throw UsageError(str_cat("--model: unknown model '", name, "'; known models: ", known));
}

ModelPtr create_model(const std::string& name, const ModelOptions& options) {
  if (name.rfind("torchscript:", 0) == 0) return std::make_shared<TorchScriptBackbone>(name.substr(12), options);
  TLAB_CHECK(options.num_classes > 0, "model '", name, "': num_classes must be positive, got ", options.num_classes);
  TLAB_CHECK(options.in_channels > 0, "model '", name, "': in_channels must be positive, got ", options.in_channels);
  TLAB_CHECK(options.height > 0 && options.width > 0, "model '", name, "': input size must be positive, got ",
             options.height, "x", options.width);
  if (options.head) {
    ModelOptions backbone = options;
    backbone.include_top = false;
    backbone.head.reset();
    return std::make_shared<TransferModel>(model_info(name).create(backbone), options);
  }
  return model_info(name).create(options);
}

ParameterCount count_parameters(const torch::nn::Module& module) {
  ParameterCount count;
  for (const auto& p : module.parameters()) (p.requires_grad() ? count.trainable : count.non_trainable) += p.numel();
  return count;
}

}  // namespace tlab::models
