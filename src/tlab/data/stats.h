#pragma once
// Statistics of a data set's pixels: the normalisation a model trained from scratch uses.
#include <cstdint>
#include <utility>
#include <vector>

#include "tlab/data/dataset.h"

namespace tlab::data {

// Per-channel mean and std of the pixels in [0, 1], from up to `max_samples` samples chosen with
// `seed` (images converted to `channels`). Stds are floored at 1e-3.
std::pair<std::vector<float>, std::vector<float>> estimate_mean_std(const Dataset& dataset, int channels,
                                                                    size_t max_samples, uint64_t seed);

}  // namespace tlab::data
