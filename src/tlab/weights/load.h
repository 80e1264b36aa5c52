#pragma once
// Loading a state dict into a model: every key and shape is checked, and the classifier head is
// re-initialised when its shape differs (a 1000-class file into a 10-class model: transfer learning).
#include <torch/torch.h>

#include <string>
#include <vector>

#include "tlab/weights/pth.h"

namespace tlab::weights {

struct LoadReport {
  std::vector<std::string> loaded;         // copied from the file
  std::vector<std::string> missing;        // in the model, not in the file
  std::vector<std::string> unexpected;     // in the file, not in the model
  std::vector<std::string> mismatched;     // "name: file [a, b] vs model [c, d]"
  std::vector<std::string> reinitialized;  // head tensors left at their fresh initialisation
  std::vector<std::string> ignored;        // head tensors in the file that a headless model lacks
  std::string summary() const;             // one paragraph for logs
};

// Reads .pth (zip or legacy) or .safetensors, chosen by content.
StateDict read_weights(const std::string& path);

// Copies `state` into `model`'s parameters and buffers (converting dtype, keeping device).
// Tensors whose names start with one of `head_prefixes` may be absent or of another shape: they
// keep the model's initialisation (reported as reinitialized / ignored). Any other missing,
// unexpected or mismatched tensor throws WeightsError listing them all, naming `what`.
LoadReport load_state_dict(torch::nn::Module& model, const StateDict& state, const std::string& what,
                           const std::vector<std::string>& head_prefixes = {});

}  // namespace tlab::weights
