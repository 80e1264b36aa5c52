#pragma once
// Deep features: a frozen backbone run once over a data set, its outputs kept as one tensor, so
// that classifiers on top (a linear probe, a head) train on them without running the backbone again.
#include <torch/torch.h>

#include <functional>

#include "tlab/core/progress.h"
#include "tlab/data/loader.h"
#include "tlab/models/model.h"

namespace tlab::features {

struct FeatureSet {
  torch::Tensor features;  // [N, D] float32 on the CPU, in the loader's sample order
  torch::Tensor labels;    // [N] int64
};

// Runs `forward` (a function of `model`, e.g. its backbone part) over one pass of `loader`, with
// `model` in eval mode (restored afterwards) and no gradients, and collects the outputs flattened
// to [N, D]. The loader should neither shuffle nor augment when the features are reused.
// `spill_file` non-empty: features too large for memory go to that file as they come and the
// result maps it (read-only, paged in on demand); the file is unlinked once mapped, so nothing
// is left behind. `pass`: the epoch number the loader's pass starts with (an augmenting loader
// draws its random transforms from it). `progress`: a report per batch (phase "features").
FeatureSet extract_deep_features(torch::nn::Module& model, const std::function<torch::Tensor(torch::Tensor)>& forward,
                                 data::BatchSource& loader, const torch::Device& device,
                                 const std::string& spill_file = "", int64_t pass = 0,
                                 const ProgressCallback& progress = {});

}  // namespace tlab::features
