#include "tlab/models/transfer.h"

#include <sstream>

#include "tlab/core/error.h"

namespace tlab::models {

HeadOptions HeadOptions::parse(const std::string& spec) {
  HeadOptions h;
  std::stringstream ss(spec);
  std::string part;
  bool first = true;
  while (std::getline(ss, part, ',')) {
    if (first) {
      TLAB_CHECK(part == "gap" || part == "flatten", "--head '", spec, "': starts with gap or flatten, got '", part, "'");
      h.pool = part;
      first = false;
    } else if (part.rfind("dropout=", 0) == 0) {
      try {
        h.dropout = std::stod(part.substr(8));
      } catch (const std::exception&) {
        throw std::invalid_argument(str_cat("--head '", spec, "': dropout=P needs a number, got '", part, "'"));
      }
      TLAB_CHECK(h.dropout >= 0 && h.dropout < 1, "--head '", spec, "': dropout must be in [0, 1), got ", h.dropout);
    } else {
      int64_t width = 0;
      try {
        size_t used = 0;
        width = std::stoll(part, &used);
        TLAB_CHECK(used == part.size(), "");
      } catch (const std::exception&) {
        throw std::invalid_argument(str_cat("--head '", spec, "': '", part, "' is neither a layer width nor dropout=P"));
      }
      TLAB_CHECK(width > 0, "--head '", spec, "': layer widths must be positive, got ", width);
      h.hidden.push_back(width);
    }
  }
  TLAB_CHECK(!first, "--head: empty; expected gap|flatten[,WIDTH...][,dropout=P]");
  return h;
}

std::string HeadOptions::str() const {
  std::string s = pool;
  for (int64_t w : hidden) s += "," + std::to_string(w);
  std::ostringstream d;
  d << dropout;
  return s + ",dropout=" + d.str();
}

TransferModel::TransferModel(ModelPtr backbone, const HeadOptions& head, int64_t num_classes, int64_t input_height,
                             int64_t input_width)
    : backbone_(std::move(backbone)), flatten_(head.pool == "flatten") {
  TLAB_CHECK(backbone_ != nullptr, "TransferModel: the backbone is null");
  TLAB_CHECK(num_classes > 0, "TransferModel: num_classes must be positive, got ", num_classes);
  register_module("backbone", backbone_);
  if (flatten_) {  // the flattened size of the last feature map at this input size
    torch::NoGradGuard no_grad;
    const bool training = backbone_->is_training();
    backbone_->eval();
    feature_dim_ = backbone_features(torch::zeros({1, 3, input_height, input_width})).size(1);
    backbone_->train(training);
  } else {
    feature_dim_ = backbone_->feature_dim();
  }
  head_ = torch::nn::Sequential();
  int64_t width = feature_dim_;
  for (int64_t h : head.hidden) {
    head_->push_back(torch::nn::Linear(width, h));
    head_->push_back(torch::nn::ReLU());
    head_->push_back(torch::nn::Dropout(head.dropout));
    width = h;
  }
  head_->push_back(torch::nn::Linear(width, num_classes));
  register_module("head", head_);
}

torch::Tensor TransferModel::backbone_features(const torch::Tensor& x) {
  if (!flatten_) return backbone_->forward(x);
  // The last 4-D stage output is the final feature map (before global pooling).
  torch::Tensor map;
  backbone_->forward_observed(x, [&](const std::string&, const torch::nn::Module&, const torch::Tensor& y) {
    if (y.dim() == 4) map = y;
  });
  TLAB_CHECK(map.defined(), "--head flatten: the backbone reports no 4-D feature map");
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

void TransferModel::freeze_backbone(bool frozen) {
  frozen_ = frozen;
  for (auto& p : backbone_->parameters()) p.set_requires_grad(!frozen);
  train(is_training());
}

void TransferModel::train(bool on) {
  Model::train(on);
  if (frozen_) backbone_->eval();
}

}  // namespace tlab::models
