#pragma once
// Readers for PyTorch weight files written by torch.save: the zip container (PyTorch >= 1.6, read
// with LibTorch's own stream reader) and the legacy container (older torchvision files), both
// interpreted with the restricted unpickler (pickle.h). No Python, no code execution.
#include <string>
#include <utility>
#include <vector>

#include "tlab/weights/pickle.h"

namespace tlab::weights {

// Parameter / buffer name -> tensor, in file order.
using StateDict = std::vector<std::pair<std::string, torch::Tensor>>;

// The unpickled root object of a torch.save file. Throws WeightsError naming the file when
// it is empty, not a torch.save file, truncated, a TorchScript archive, or names a forbidden global.
PicklePtr read_torch_file(const std::string& path);

// A state dict from a torch.save file: the root dict, or the dict under "state_dict" or "model" of
// a checkpoint dict. Throws when no name -> tensor mapping is found.
StateDict read_pth(const std::string& path);

// Same, from bytes already in memory (fuzzing, tests); `what` names the source in messages.
PicklePtr read_torch_bytes(const std::string& bytes, const std::string& what);
StateDict state_dict_from(const PicklePtr& root, const std::string& what);

}  // namespace tlab::weights
