#pragma once
// The model interface shared by every architecture, and the name -> factory registry.
#include <torch/torch.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tlab/models/head.h"

namespace tlab::models {

struct ModelOptions {
  int64_t num_classes = 10;  // outputs of the classifier
  int64_t in_channels = 3;   // input image channels (1 grey, 3 RGB)
  int64_t height = 224;      // input height the model is built for (sizes the flatten/dense layers)
  int64_t width = 224;       // input width
  bool include_top = true;   // false: no classifier; forward() returns the pooled features [N, feature_dim()]
  std::optional<HeadOptions> head;  // set: the backbone without its classifier + this new head (models/transfer.h)
};

// Called after each layer in Model::forward_observed with the layer's name, module and output.
using LayerObserver =
    std::function<void(const std::string& name, const torch::nn::Module& layer, const torch::Tensor& output)>;

// A classifier: images [N, C, H, W] float -> logits [N, num_classes] (or pooled features
// [N, feature_dim()] when built with include_top = false).
class Model : public torch::nn::Module {
 public:
  virtual torch::Tensor forward(torch::Tensor x) = 0;
  // forward() that reports each stage (for summaries and feature taps): the names it reports are
  // the tap names accepted by extract_features().
  virtual torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) = 0;
  // Name prefixes of the classifier head's parameters ("fc.", "classifier."): a weights file may
  // hold a head of another size there, which is then re-initialised.
  virtual std::vector<std::string> head_prefixes() const { return {}; }
  // Width of the pooled features that feed the head.
  virtual int64_t feature_dim() const = 0;
};

// Outputs of the named stages (see Model::forward_observed) for input x; throws
// UsageError naming the known stages when a name is unknown.
// Every parameter, then every buffer, in the module's named order: the tensors that make a model's
// state (what a weight average, a snapshot or a reset copies).
std::vector<torch::Tensor> parameters_and_buffers(const torch::nn::Module& module);

std::map<std::string, torch::Tensor> extract_features(Model& model, const torch::Tensor& x,
                                                      const std::vector<std::string>& names);

using ModelPtr = std::shared_ptr<Model>;

// Readies a model for inference only: eval mode, and 4-D weights stored channels-last (NHWC), so
// oneDNN (CPU) and cuDNN convolutions run in that layout without reordering at every layer
// (1.2-1.9x faster on the zoo here; docs/BENCHMARKS.md). Outputs equal the NCHW ones up to float
// rounding. Not for a model that will be trained further or saved.
void prepare_for_inference(Model& model);

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

// Each model family adds its architectures (models/<family>.cpp).
void register_simple_cnn(std::vector<ModelInfo>& registry);
void register_vgg(std::vector<ModelInfo>& registry);
void register_resnet(std::vector<ModelInfo>& registry);
void register_inception(std::vector<ModelInfo>& registry);
void register_mobilenet_v2(std::vector<ModelInfo>& registry);
void register_mobilenet_v3(std::vector<ModelInfo>& registry);
void register_efficientnet(std::vector<ModelInfo>& registry);
void register_densenet(std::vector<ModelInfo>& registry);
void register_squeezenet(std::vector<ModelInfo>& registry);

// Every architecture, in listing order.
const std::vector<ModelInfo>& model_registry();
// The entry for `name`; throws UsageError listing the known names.
const ModelInfo& model_info(const std::string& name);
// Builds `name` with `options`; "torchscript:FILE" gives a frozen TorchScript backbone.
ModelPtr create_model(const std::string& name, const ModelOptions& options);

// Parameter counts.
struct ParameterCount {
  int64_t trainable = 0, non_trainable = 0;
  int64_t total() const { return trainable + non_trainable; }
};
ParameterCount count_parameters(const torch::nn::Module& module);

}  // namespace tlab::models
