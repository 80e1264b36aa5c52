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
  if (o.include_top) add("fc2", nn::Linear(64, o.num_classes));
}

void register_simple_cnn(std::vector<ModelInfo>& registry) {
  registry.push_back({"simple_cnn",
                      "Conv(32,3x3)-ReLU-MaxPool(2)-Conv(64,3x3)-ReLU-MaxPool(2)-Flatten-Dense(64)-ReLU-Dense(classes)",
                      28, [](const ModelOptions& o) -> ModelPtr { return std::make_shared<SimpleCnn>(o); }});
}

}  // namespace tlab::models
