#pragma once
// Building a zoo model with pretrained weights: --model NAME --weights imagenet|FILE.
#include <string>

#include "tlab/models/model.h"
#include "tlab/transforms/preprocess.h"
#include "tlab/weights/load.h"
#include "tlab/weights/registry.h"

namespace tlab::models {

struct PretrainedOptions {
  int64_t num_classes = 0;   // 0: as many as the file's head has
  int64_t in_channels = 3;
  bool include_top = true;   // false: backbone only (forward returns pooled features)
  weights::ResolveOptions resolve;  // cache, download and progress for "imagenet"
};

struct Pretrained {
  ModelPtr model;                // eval mode
  transforms::InputSpec input;   // the weights' preprocessing (known weights), else ImageNet's at the model's default size
  weights::LoadReport report;    // what was loaded / re-initialised
  std::string weights_path;      // the file used
};

// Builds `arch` and loads `weights` ("imagenet" or a .pth / .safetensors file) into it. A file
// whose head has another number of classes than `num_classes` keeps the backbone and
// re-initialises the head (logged). Throws with the loader's full report on any other mismatch.
Pretrained load_pretrained(const std::string& arch, const std::string& weights, const PretrainedOptions& options = {});

// The preprocessing `arch`'s ImageNet weights were trained with: the known weights' own, else
// ImageNet's at the model's default size. What load_pretrained attaches, without loading anything.
transforms::InputSpec pretrained_input(const std::string& arch, int64_t in_channels = 3);

// Classes of a state dict's head, found through the model's head prefixes; 0 when absent.
int64_t head_classes(const weights::StateDict& state, const std::vector<std::string>& head_prefixes);

}  // namespace tlab::models
