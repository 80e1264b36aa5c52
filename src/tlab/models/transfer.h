#pragma once
// A pretrained (or fresh) backbone with a new classifier head (models/head.h): the model
// transfer learning trains. Built by create_model when ModelOptions::head is set.
// Parameters are named "backbone.<torchvision name>" and "head.<i>.weight".
#include <string>
#include <vector>

#include "tlab/models/head.h"
#include "tlab/models/model.h"

namespace tlab::models {

class TransferModel : public Model {
 public:
  // `backbone` must have been built with include_top = false; `options` gives the head (its
  // `head`, "gap" when unset), num_classes and the input size (which sizes a flatten head).
  TransferModel(ModelPtr backbone, const ModelOptions& options);

  torch::Tensor forward(torch::Tensor x) override { return head_forward(backbone_features(x)); }
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;
  std::vector<std::string> head_prefixes() const override { return {"head."}; }
  int64_t feature_dim() const override { return feature_dim_; }

  // What the head reads: [N, feature_dim()].
  torch::Tensor backbone_features(const torch::Tensor& x);
  torch::Tensor head_forward(const torch::Tensor& features) { return head_->forward(features); }

  // The backbone's stages that hold parameters, in forward order, by the names forward_observed
  // reports without "backbone." ("features.0" ... "features.18"; "conv1", "bn1", "layer1" ...).
  const std::vector<std::string>& stages() const { return stages_; }
  std::vector<torch::Tensor> stage_parameters(size_t stage) const;
  std::vector<torch::Tensor> head_parameters() const { return head_->parameters(); }
  // Stages [first, stages().size()) train; earlier ones are frozen. first == stages().size():
  // the whole backbone is frozen (feature extraction); 0: it all trains.
  void set_trainable_from(size_t first);

  // BatchNorm layers of the backbone keep their running statistics (eval mode) whatever train()
  // is called with; their scale and shift still train with their stage (Keras's fine-tuning advice).
  void freeze_batchnorm(bool frozen) {
    batchnorm_frozen_ = frozen;
    train(is_training());
  }

  // A stage whose parameters all have requires_grad() == false runs in eval mode (BatchNorm
  // statistics, dropout), so a frozen stage computes exactly what it did before training.
  void train(bool on = true) override;

  Model& backbone() { return *backbone_; }
  const ModelPtr& shared_backbone() const { return backbone_; }

 private:
  ModelPtr backbone_;
  torch::nn::Sequential head_{nullptr};
  bool flatten_ = false, batchnorm_frozen_ = false;
  int64_t feature_dim_ = 0;
  std::vector<std::string> stages_;
  std::vector<std::vector<torch::Tensor>> stage_params_;
  std::vector<std::shared_ptr<torch::nn::Module>> stage_modules_;  // null where a stage is no module path
};

}  // namespace tlab::models
