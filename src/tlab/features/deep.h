#pragma once
// Deep features: a frozen backbone run once over a data set, its outputs kept as one tensor, so
// that classifiers on top (a linear probe, a head) train on them without running the backbone again.
#include <torch/torch.h>

#include "tlab/data/loader.h"
#include "tlab/models/model.h"

namespace tlab::features {

struct FeatureSet {
  torch::Tensor features;  // [N, D] float32 on the CPU, in the loader's sample order
  torch::Tensor labels;    // [N] int64
};

// Runs `backbone` (eval mode, no gradients) over one pass of `loader` and collects its outputs,
// flattened to [N, D]. The loader should not shuffle or augment when the features are reused.
FeatureSet extract_deep_features(models::Model& backbone, data::DataLoader& loader, const torch::Device& device);

}  // namespace tlab::features
