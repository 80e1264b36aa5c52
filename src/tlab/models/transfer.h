#pragma once
// A pretrained (or fresh) backbone with a new classifier head: the model transfer learning
// trains. Built by create_model when ModelOptions::head is set, e.g. "gap" (the classic new
// Dense(num_classes) on pooled features), "gap,1024" (GAP -> Dense(1024) -> ReLU -> Dropout ->
// Dense(num_classes)) or "flatten,256" (Flatten of the last feature map -> Dense(256) -> ... ).
// Parameters are named "backbone.<torchvision name>" and "head.<i>.weight".
#include <string>
#include <vector>

#include "tlab/models/model.h"

namespace tlab::models {

struct HeadOptions {
  std::string pool = "gap";     // gap: the backbone's pooled features; flatten: its last feature map, flattened
  std::vector<int64_t> hidden;  // widths of hidden Dense layers (each followed by ReLU and Dropout)
  double dropout = 0.2;         // dropout after each hidden layer (training only)

  // "gap|flatten[,WIDTH...][,dropout=P]"; throws std::invalid_argument naming the bad part.
  static HeadOptions parse(const std::string& spec);
  std::string str() const;  // the canonical spec, parse(str()) == *this
};

class TransferModel : public Model {
 public:
  // `backbone` must have been built with include_top = false. `input_height/width` size the
  // flatten head.
  TransferModel(ModelPtr backbone, const HeadOptions& head, int64_t num_classes, int64_t input_height,
                int64_t input_width);

  torch::Tensor forward(torch::Tensor x) override { return head_forward(backbone_features(x)); }
  torch::Tensor forward_observed(torch::Tensor x, const LayerObserver& observe) override;
  std::vector<std::string> head_prefixes() const override { return {"head."}; }
  int64_t feature_dim() const override { return feature_dim_; }

  // What the head reads: [N, feature_dim()].
  torch::Tensor backbone_features(const torch::Tensor& x);
  torch::Tensor head_forward(const torch::Tensor& features) { return head_->forward(features); }

  // Feature extraction: the backbone's parameters get no gradient and its layers (BatchNorm,
  // dropout) stay in eval mode whatever train() is called with.
  void freeze_backbone(bool frozen);
  bool backbone_frozen() const { return frozen_; }
  void train(bool on = true) override;

  Model& backbone() { return *backbone_; }

 private:
  ModelPtr backbone_;
  torch::nn::Sequential head_{nullptr};
  bool flatten_ = false, frozen_ = false;
  int64_t feature_dim_ = 0;
};

}  // namespace tlab::models
