#include "tlab/models/simple_cnn.h"

#include "tlab/core/error.h"

namespace tlab::models {

SimpleCnn::SimpleCnn(const ModelOptions& o) {
  // Spatial size after conv(3x3, no padding) then max-pool(2, floor).
  auto stage = [](int64_t side) { return (side - 2) / 2; };
  const int64_t h = stage(stage(o.height)), w = stage(stage(o.width));
  TLAB_CHECK(h >= 1 && w >= 1, "simple_cnn: input ", o.height, "x", o.width,
             " is too small; it needs at least 10x10 pixels");
  namespace nn = torch::nn;
  add("conv1", nn::Conv2d(nn::Conv2dOptions(o.in_channels, 32, 3)));
  add("relu1", nn::ReLU());
  add("pool1", nn::MaxPool2d(nn::MaxPool2dOptions(2)));
  add("conv2", nn::Conv2d(nn::Conv2dOptions(32, 64, 3)));
  add("relu2", nn::ReLU());
  add("pool2", nn::MaxPool2d(nn::MaxPool2dOptions(2)));
  add("flatten", nn::Flatten());
  add("fc1", nn::Linear(64 * h * w, 64));
  add("relu3", nn::ReLU());
  add("fc2", nn::Linear(64, o.num_classes));
}

}  // namespace tlab::models
