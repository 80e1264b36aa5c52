#pragma once
// A picture of what an augmentation does: one row per image, the evaluation view (resize and
// centre crop, no augmentation) first, then `views` augmented views (tlab augment-preview).
#include <opencv2/core.hpp>

#include <vector>

#include "tlab/transforms/augment.h"

namespace tlab::transforms {

// Returns an RGB (or grey) uint8 grid; cells are the input size, scaled up by an integer factor
// (nearest neighbour) to at least `min_cell` pixels so small images stay visible, with 2-pixel
// white gutters. View j of image i uses the seed mix of (seed, i, j).
cv::Mat preview_grid(const std::vector<cv::Mat>& images, const Augmentation& augmentation, const InputSpec& spec,
                     int views, uint64_t seed, int min_cell = 96);

}  // namespace tlab::transforms
