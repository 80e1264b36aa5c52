#pragma once
// Helpers for Model::forward_observed in the torchvision families: running an nn.Sequential child
// by child and reporting each child's output under its state-dict name.
#include <string>

#include "tlab/models/model.h"

namespace tlab::models {

// Runs `seq` on x one child at a time and calls observe(prefix + child name, child, output) after
// each ("features.0", "features.denseblock1", ...). Returns the last output, as seq->forward(x).
inline torch::Tensor forward_sequential_observed(torch::nn::Sequential& seq, torch::Tensor x,
                                                 const std::string& prefix, const LayerObserver& observe) {
  const auto children = seq->named_children();  // registration order == execution order
  size_t i = 0;
  for (auto& layer : *seq) {
    x = layer.forward(x);
    observe(prefix + children[i].key(), *layer.ptr(), x);
    ++i;
  }
  return x;
}

}  // namespace tlab::models
