#include "tlab/models/transfer.h"

#include <algorithm>

#include "tlab/core/error.h"

namespace tlab::models {

TransferModel::TransferModel(ModelPtr backbone, const ModelOptions& options)
    : backbone_(std::move(backbone)) {
  TLAB_CHECK(backbone_ != nullptr, "TransferModel: the backbone is null");
  TLAB_CHECK(options.num_classes > 0, "TransferModel: num_classes must be positive, got ", options.num_classes);
  const HeadOptions head = options.head.value_or(HeadOptions{});
  flatten_ = head.pool == "flatten";
  register_module("backbone", backbone_);

  // One forward pass names the stages (in forward order) and sizes a flatten head.
  std::vector<std::string> observed;
  int64_t map_size = 0;
  {
    torch::NoGradGuard no_grad;
    const bool training = backbone_->is_training();
    backbone_->eval();
    backbone_->forward_observed(torch::zeros({1, options.in_channels, options.height, options.width}),
                                [&](const std::string& name, const torch::nn::Module&, const torch::Tensor& y) {
                                  observed.push_back(name);
                                  if (y.dim() == 4) map_size = y[0].numel();
                                });
    backbone_->train(training);
  }
  TLAB_CHECK(!flatten_ || map_size > 0, "--head flatten: the backbone reports no 4-D feature map");
  feature_dim_ = flatten_ ? map_size : backbone_->feature_dim();

  // Each parameter belongs to the observed stage whose name prefixes it, else to its top-level module.
  const auto named = backbone_->named_parameters();
  std::vector<bool> assigned(named.size(), false);
  auto add_stage = [&](const std::string& stage) {
    std::vector<torch::Tensor> params;
    for (size_t i = 0; i < named.size(); ++i)
      if (!assigned[i] && named[i].key().rfind(stage + ".", 0) == 0) {
        params.push_back(named[i].value());
        assigned[i] = true;
      }
    if (params.empty()) return;
    stages_.push_back(stage);
    stage_params_.push_back(std::move(params));
  };
  for (const auto& name : observed) add_stage(name);
  for (size_t i = 0; i < named.size(); ++i)
    if (!assigned[i]) add_stage(named[i].key().substr(0, named[i].key().find('.')));
  const auto modules = backbone_->named_modules("", /*include_self=*/false);
  for (const auto& stage : stages_) stage_modules_.push_back(modules.contains(stage) ? modules[stage] : nullptr);

  head_ = torch::nn::Sequential();
  int64_t width = feature_dim_;
  for (int64_t h : head.hidden) {
    head_->push_back(torch::nn::Linear(width, h));
    head_->push_back(torch::nn::ReLU());
    head_->push_back(torch::nn::Dropout(head.dropout));
    width = h;
  }
  head_->push_back(torch::nn::Linear(width, options.num_classes));
  register_module("head", head_);
}

torch::Tensor TransferModel::backbone_features(const torch::Tensor& x) {
  if (!flatten_) return backbone_->forward(x);
  // The last 4-D stage output is the final feature map (before global pooling).
  torch::Tensor map;
  backbone_->forward_observed(x, [&](const std::string&, const torch::nn::Module&, const torch::Tensor& y) {
    if (y.dim() == 4) map = y;
  });
  return map.flatten(1);
}

torch::Tensor TransferModel::forward_observed(torch::Tensor x, const LayerObserver& observe) {
  torch::Tensor features;
  if (flatten_) {
    features = backbone_features(x);
    observe("backbone", *backbone_, features);
  } else {
    features = backbone_->forward_observed(x, [&](const std::string& name, const torch::nn::Module& m,
                                                 const torch::Tensor& y) { observe("backbone." + name, m, y); });
  }
  size_t i = 0;
  for (auto& layer : *head_) {
    features = layer.forward(features);
    observe("head." + std::to_string(i++), *layer.ptr(), features);
  }
  return features;
}

std::vector<torch::Tensor> TransferModel::stage_parameters(size_t stage) const {
  TLAB_CHECK(stage < stages_.size(), "TransferModel: stage ", stage, " of ", stages_.size());
  return stage_params_[stage];
}

void TransferModel::set_trainable_from(size_t first) {
  TLAB_CHECK(first <= stages_.size(), "TransferModel: first trainable stage ", first, " of ", stages_.size());
  for (size_t i = 0; i < stages_.size(); ++i)
    for (auto& p : stage_params_[i]) p.set_requires_grad(i >= first);
  train(is_training());
}

void TransferModel::train(bool on) {
  Model::train(on);
  if (!on) return;
  for (size_t i = 0; i < stages_.size(); ++i) {
    const bool frozen = std::none_of(stage_params_[i].begin(), stage_params_[i].end(),
                                     [](const torch::Tensor& p) { return p.requires_grad(); });
    if (frozen && stage_modules_[i]) stage_modules_[i]->eval();
  }
  // Stages without parameters (pooling, activations) have nothing to keep; a fully frozen
  // backbone is all eval (its dropout too).
  const bool all_frozen = std::none_of(stage_params_.begin(), stage_params_.end(), [](const auto& params) {
    return std::any_of(params.begin(), params.end(), [](const torch::Tensor& p) { return p.requires_grad(); });
  });
  if (all_frozen) backbone_->eval();
  if (batchnorm_frozen_)
    for (auto& m : backbone_->modules(/*include_self=*/false))
      if (m->as<torch::nn::BatchNorm2d>() || m->as<torch::nn::BatchNorm1d>()) m->eval();
}

}  // namespace tlab::models
