#include "tlab/export/tracer.h"

#include <torch/csrc/jit/frontend/tracer.h>

#include <cctype>

#include "tlab/core/error.h"

namespace tlab::exporting {
namespace {

// "torch::nn::Conv2dImpl" -> "Conv2d", "tlab::models::MobileNetV2" -> "MobileNetV2": a class name
// TorchScript (and Python, which reads the saved code) accepts.
std::string class_name(const std::string& cpp_name) {
  std::string name = cpp_name.substr(cpp_name.rfind(':') == std::string::npos ? 0 : cpp_name.rfind(':') + 1);
  if (name.size() > 4 && name.compare(name.size() - 4, 4, "Impl") == 0) name.resize(name.size() - 4);
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) name = "M" + name;
  return name;
}

// A jit module holding `module`'s own parameters and buffers (the same tensors, so the tracer finds
// them) and, recursively, its children under their names.
torch::jit::Module mirror(const torch::nn::Module& module, const std::string& name,
                          const std::shared_ptr<torch::jit::CompilationUnit>& unit) {
  torch::jit::Module out(c10::QualifiedName("__torch__.tlab." + name), unit, /*shouldMangle=*/true);
  for (const auto& p : module.named_parameters(/*recurse=*/false)) out.register_parameter(p.key(), p.value(), false);
  for (const auto& b : module.named_buffers(/*recurse=*/false)) out.register_buffer(b.key(), b.value());
  for (const auto& child : module.named_children())
    out.register_module(child.key(), mirror(*child.value(), class_name(child.value()->name()), unit));
  return out;
}

}  // namespace

torch::jit::Module trace(torch::nn::Module& model, const std::function<torch::Tensor(const torch::Tensor&)>& forward,
                         const torch::Tensor& example, const std::string& name) {
  torch::NoGradGuard no_grad;
  auto unit = std::make_shared<torch::jit::CompilationUnit>();
  torch::jit::Module module = mirror(model, class_name(name), unit);
  std::shared_ptr<torch::jit::tracer::TracingState> state;
  try {  // trace() abandons the trace itself when the function throws
    state = torch::jit::tracer::trace(
                {example}, [&](torch::jit::Stack inputs) -> torch::jit::Stack { return {forward(inputs.at(0).toTensor())}; },
                [](const torch::autograd::Variable&) { return std::string(); }, /*strict=*/true,
                /*force_outplace=*/false, &module, /*argument_names=*/{"input"})
                .first;
  } catch (const c10::Error& e) {
    throw UsageError(str_cat("export: tracing ", name, " failed: ", e.what_without_backtrace()));
  }
  // What Python's torch.jit.trace does with the recorded graph (Module._create_method_from_trace).
  auto* fn = module._ivalue()->compilation_unit()->create_function(
      c10::QualifiedName(*module.type()->name(), "forward"), state->graph);
  module.type()->addMethod(fn);
  return module;
}

}  // namespace tlab::exporting
