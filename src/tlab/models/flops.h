#pragma once
// Counting multiply-accumulates of a forward pass, by observing the convolution and linear
// operators LibTorch records (at::RecordFunction), so it works for any model without per-layer code.
#include <cstdint>

#include "tlab/models/model.h"

namespace tlab::models {

struct OpCount {
  int64_t conv_macs = 0;    // convolutions
  int64_t linear_macs = 0;  // fully connected layers
  int64_t total() const { return conv_macs + linear_macs; }
};

// MACs of one eval-mode forward pass of a [1, channels, height, width] input. torchvision lists
// the same quantity as "GFLOPS" in its model tables (e.g. about 4.1 G for resnet50 at 224).
OpCount count_macs(Model& model, int64_t channels, int64_t height, int64_t width);

}  // namespace tlab::models
