#pragma once
#include <torch/torch.h>

#include <string>

namespace tlab {

// Resolves "auto" (CUDA when available, else CPU), "cpu", "cuda" or "cuda:N".
// Throws UsageError for other names or when CUDA is asked for but absent.
torch::Device resolve_device(const std::string& name);

// Sets LibTorch's intra-op thread count; 0 means one per core.
void set_threads(int threads);

}  // namespace tlab
