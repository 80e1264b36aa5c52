#include "tlab/train/ema.h"

#include "tlab/core/error.h"
#include "tlab/models/model.h"

namespace tlab::train {
ModelEma::ModelEma(const torch::nn::Module& model, double decay) : decay_(decay) {
  TLAB_CHECK(decay >= 0 && decay < 1, "--ema: expected a decay in [0, 1), got ", decay);
  torch::NoGradGuard no_grad;
  for (const auto& w : models::parameters_and_buffers(model)) tensors_.push_back(w.detach().clone());
}

void ModelEma::update(const torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  const auto weights = models::parameters_and_buffers(model);
  TLAB_CHECK(weights.size() == tensors_.size(), "ModelEma: the model has ", weights.size(), " tensors, the average ",
             tensors_.size());
  for (size_t i = 0; i < weights.size(); ++i) {
    if (tensors_[i].is_floating_point()) tensors_[i].mul_(decay_).add_(weights[i].detach(), 1.0 - decay_);
    else tensors_[i].copy_(weights[i]);
  }
}

void ModelEma::swap(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  auto weights = models::parameters_and_buffers(model);
  for (size_t i = 0; i < weights.size(); ++i) {
    auto own = weights[i].detach().clone();
    weights[i].copy_(tensors_[i]);
    tensors_[i].copy_(own);
  }
}

void ModelEma::load(const std::vector<torch::Tensor>& tensors) {
  TLAB_CHECK_WEIGHTS(tensors.size() == tensors_.size(), "the stored weight average has ", tensors.size(),
                     " tensors, the model ", tensors_.size());
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < tensors.size(); ++i) {
    TLAB_CHECK_WEIGHTS(tensors[i].sizes() == tensors_[i].sizes(), "the stored weight average's tensor ", i,
                       " has shape ", tensors[i].sizes(), ", the model's ", tensors_[i].sizes());
    tensors_[i].copy_(tensors[i]);
  }
}

}  // namespace tlab::train
