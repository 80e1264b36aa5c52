#pragma once
// Keras-style model summary: one row per layer with its output shape and parameter count.
#include <string>
#include <vector>

#include "tlab/models/model.h"

namespace tlab::models {

struct LayerSummary {
  std::string name;                  // registered name, e.g. "conv1"
  std::string type;                  // module type, e.g. "Conv2d"
  std::vector<int64_t> output_shape;  // without the batch dimension
  int64_t parameters = 0;            // parameters owned by the layer (recursively)
};

struct ModelSummary {
  std::string model;
  std::vector<int64_t> input_shape;  // [C, H, W]
  std::vector<LayerSummary> layers;
  ParameterCount parameters;         // of the whole model
};

// Runs one forward pass of a [1, C, H, W] zero tensor in eval mode and records each layer.
ModelSummary summarize(Model& model, const std::string& name, int64_t channels, int64_t height, int64_t width);

// The table as text, Keras layout: Layer (type) | Output Shape | Param #, then the totals.
std::string format_summary(const ModelSummary& summary);

}  // namespace tlab::models
