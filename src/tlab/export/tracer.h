#pragma once
// The adapter around LibTorch's C++ tracer (torch/csrc/jit/frontend/tracer.h), the one place that
// uses it: it has no stable C++ wrapper, so a LibTorch upgrade that changes it changes this file only.
// It mirrors a torch::nn model as a torch::jit::Module (the same submodule tree, parameters and
// buffers as attributes under their own names, torchvision's where the model keeps them) and records
// its forward pass on an example input as that module's "forward" method, which is what Python's
// torch.jit.trace produces for an nn.Module.
#include <torch/script.h>
#include <torch/torch.h>

#include <functional>
#include <string>

namespace tlab::exporting {

// Traces `forward(example)`, a forward pass of `model`, into a TorchScript module named `name` ("MobileNetV2"). The model's
// tensors become the module's attributes, never graph constants, so the file can be fine-tuned and its
// state_dict() has the model's parameter names. Runs under NoGradGuard; control flow that depends on the
// input's values is frozen at the example's path (as with torch.jit.trace): the models here have none.
// Throws UsageError naming the model when the tracer fails (e.g. an output that is not a tensor).
torch::jit::Module trace(torch::nn::Module& model, const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                         const torch::Tensor& example, const std::string& name);

}  // namespace tlab::exporting
