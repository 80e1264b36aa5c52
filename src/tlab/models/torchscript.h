#pragma once
// A TorchScript file (torch.jit.trace / script output) used as a frozen backbone, selected with
// --model torchscript:FILE. Its penultimate features are the input of the last fully connected
// layer of its forward graph (found in the graph, dequantised for int8 models), so a new head can
// be trained on them; the TorchScript part never trains.
#include <torch/script.h>

#include <map>
#include <string>

#include "tlab/models/model.h"

namespace tlab::models {

class TorchScriptBackbone : public Model {
 public:
  // include_top = false: forward() returns the penultimate features [N, feature_dim()].
  // include_top = true and num_classes equal to the file's outputs: forward() is the file's own output.
  // include_top = true and another num_classes: a new trainable Linear head "fc" on the features.
  // Throws WeightsError naming the file when it is not TorchScript or has no final linear layer.
  TorchScriptBackbone(const std::string& path, const ModelOptions& options);

  torch::Tensor forward(torch::Tensor x) override;
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;
  std::vector<std::string> head_prefixes() const override { return {"fc."}; }
  int64_t feature_dim() const override { return feature_dim_; }
  int64_t native_classes() const { return native_classes_; }
  // Files saved in the archive beside the model (torch.jit.save's _extra_files) that inference
  // reads: "preprocess.json" (transforms::to_json of the input spec) and "classes.txt"; only those present.
  const std::map<std::string, std::string>& extra_files() const { return extra_files_; }
  // The same files of the TorchScript file `path`, read without building a model (whose probe needs
  // the input size that preprocess.json says). Throws WeightsError naming the file.
  static std::map<std::string, std::string> read_extra_files(const std::string& path);

 private:
  torch::Tensor run(torch::jit::Function& fn, const torch::Tensor& x);

  std::string path_;
  torch::jit::Module module_;
  std::shared_ptr<torch::jit::Function> features_;  // forward graph cut before the last linear layer
  bool own_output_ = false;
  int64_t feature_dim_ = 0, native_classes_ = 0;
  torch::nn::Linear fc_{nullptr};
  std::map<std::string, std::string> extra_files_;
};

}  // namespace tlab::models
