#pragma once
// An exponential moving average of a model's weights (--ema DECAY), timm's ModelEmaV2 update: after
// every optimizer step, ema = decay * ema + (1 - decay) * w for every parameter and floating-point
// buffer (BatchNorm's running statistics too). Integer buffers (BatchNorm's num_batches_tracked) are
// copied, as timm's ModelEmaV3 does; V2's lerp would truncate them.
#include <torch/torch.h>

#include <vector>

namespace tlab::train {

class ModelEma {
 public:
  // Starts as a copy of `model`'s parameters and buffers (timm deep-copies the model). decay in [0, 1).
  ModelEma(const torch::nn::Module& model, double decay);

  void update(const torch::nn::Module& model);
  // Exchanges the averaged weights with the model's own: call twice to undo. Evaluating, checkpointing
  // and the best weights use the average; the optimizer keeps stepping the model's own.
  void swap(torch::nn::Module& model);

  // Parameters then buffers, in the model's named order (a checkpoint keeps them to resume).
  const std::vector<torch::Tensor>& tensors() const { return tensors_; }
  // Replaces the average with stored tensors of the same shapes (resuming).
  void load(const std::vector<torch::Tensor>& tensors);

 private:
  double decay_;
  std::vector<torch::Tensor> tensors_;
};

}  // namespace tlab::train
