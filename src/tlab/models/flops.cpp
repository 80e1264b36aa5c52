#include "tlab/models/flops.h"

#include <ATen/record_function.h>

#include <cstring>

namespace tlab::models {
namespace {

thread_local OpCount* counting = nullptr;

std::unique_ptr<at::ObserverContext> on_op(const at::RecordFunction& fn) {
  if (!counting) return nullptr;
  const char* name = fn.name();
  const bool conv = std::strcmp(name, "aten::convolution") == 0;
  // Linear layers reach BLAS through addmm (2-D input) or matmul -> mm / bmm; counting those
  // primitives, never aten::linear itself, counts each product once.
  const bool matmul = std::strcmp(name, "aten::addmm") == 0 || std::strcmp(name, "aten::mm") == 0 ||
                      std::strcmp(name, "aten::bmm") == 0;
  if (!conv && !matmul) return nullptr;
  const auto inputs = fn.inputs();
  if (conv && inputs.size() >= 9) {
    // convolution(input, weight, bias, stride, padding, dilation, transposed, output_padding, groups)
    const auto& x = inputs[0].toTensor();
    const auto& w = inputs[1].toTensor();
    const auto stride = inputs[3].toIntVector(), padding = inputs[4].toIntVector(), dilation = inputs[5].toIntVector();
    int64_t out_positions = 1;
    for (size_t d = 0; d + 2 < size_t(x.dim()); ++d) {
      const int64_t k = w.size(int64_t(d) + 2);
      out_positions *= (x.size(int64_t(d) + 2) + 2 * padding[d] - dilation[d] * (k - 1) - 1) / stride[d] + 1;
    }
    // each output element: (in_channels / groups) * kernel multiply-adds
    counting->conv_macs += x.size(0) * w.size(0) * out_positions * (w.numel() / w.size(0));
  } else if (matmul) {
    // addmm(bias, a, b) / mm(a, b) / bmm(a, b): a [.., n, k] x b [.., k, m] -> n * k * m per batch
    const size_t first = name[6] == 'a' ? 1 : 0;
    if (inputs.size() < first + 2) return nullptr;
    const auto& a = inputs[first].toTensor();
    const auto& b = inputs[first + 1].toTensor();
    counting->linear_macs += a.numel() * b.size(-1);
  }
  return nullptr;
}

}  // namespace

OpCount count_macs(Model& model, int64_t channels, int64_t height, int64_t width) {
  OpCount count;
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const auto device = model.parameters().empty() ? torch::Device(torch::kCPU) : model.parameters().front().device();
  auto x = torch::zeros({1, channels, height, width}, torch::TensorOptions().device(device));
  auto handle = at::addThreadLocalCallback(at::RecordFunctionCallback(&on_op).needsInputs(true));
  counting = &count;
  try {
    model.forward(x);
  } catch (...) {
    counting = nullptr;
    at::removeCallback(handle);
    model.train(was_training);
    throw;
  }
  counting = nullptr;
  at::removeCallback(handle);
  model.train(was_training);
  return count;
}

}  // namespace tlab::models
