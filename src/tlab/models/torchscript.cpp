#include "tlab/models/torchscript.h"

#include <ATen/Context.h>
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>

#include <algorithm>

#include "tlab/core/error.h"

namespace tlab::models {
namespace {

// A copy of `forward` whose output is the input of its last linear layer, as float.
std::shared_ptr<torch::jit::Function> penultimate(const torch::jit::Module& module, const std::string& path) {
  using namespace torch::jit;
  auto graph = module.get_method("forward").graph()->copy();
  Node* last = nullptr;
  for (Node* n : graph->nodes()) {
    const std::string kind = n->kind().toQualString();
    if (kind == "quantized::linear" || kind == "quantized::linear_dynamic" || kind == "aten::linear" ||
        kind == "aten::addmm")
      last = n;
  }
  if (!last)
    throw WeightsError(str_cat("TorchScript file '", path,
                                     "' has no final linear layer in its forward graph to cut features from"));
  Value* features = last->inputs()[last->kind().toQualString() == std::string("aten::addmm") ? 1 : 0];
  if (last->kind().toQualString() == std::string("quantized::linear")) {
    Node* dequantize = graph->create(Symbol::fromQualString("aten::dequantize"), {features});
    dequantize->insertAfter(features->node());
    features = dequantize->output();
  }
  while (graph->outputs().size() > 0) graph->eraseOutput(0);
  graph->registerOutput(features);
  EliminateDeadCode(graph);
  return std::make_shared<GraphFunction>("tlab_penultimate", graph, nullptr);
}

}  // namespace

std::map<std::string, std::string> TorchScriptBackbone::read_extra_files(const std::string& path) {
  std::map<std::string, std::string> out;
  try {
    torch::jit::ExtraFilesMap extra{{"preprocess.json", ""}, {"classes.txt", ""}};
    torch::jit::load(path, c10::nullopt, extra);
    for (const auto& [name, content] : extra)
      if (!content.empty()) out[name] = content;
  } catch (const c10::Error& e) {
    throw WeightsError(str_cat("'", path, "' is not a loadable TorchScript file: ", e.what_without_backtrace()));
  }
  return out;
}

TorchScriptBackbone::TorchScriptBackbone(const std::string& path, const ModelOptions& o) : path_(path) {
  try {
    // int8 mobile models are packed for QNNPACK; use it when this build has it.
    const auto engines = at::globalContext().supportedQEngines();
    if (std::find(engines.begin(), engines.end(), at::QEngine::QNNPACK) != engines.end())
      at::globalContext().setQEngine(at::QEngine::QNNPACK);
    torch::jit::ExtraFilesMap extra{{"preprocess.json", ""}, {"classes.txt", ""}};
    module_ = torch::jit::load(path, c10::nullopt, extra);
    for (const auto& [name, content] : extra)
      if (!content.empty()) extra_files_[name] = content;
  } catch (const c10::Error& e) {
    throw WeightsError(str_cat("'", path, "' is not a loadable TorchScript file: ", e.what_without_backtrace()));
  }
  module_.eval();
  for (auto p : module_.parameters()) p.set_requires_grad(false);
  features_ = penultimate(module_, path);

  torch::NoGradGuard no_grad;
  const auto probe = torch::zeros({1, o.in_channels, o.height, o.width});
  feature_dim_ = run(*features_, probe).size(1);
  native_classes_ = module_.forward({probe}).toTensor().size(1);
  own_output_ = o.include_top && (o.num_classes == native_classes_ || o.num_classes <= 0);
  if (o.include_top && !own_output_) fc_ = register_module("fc", torch::nn::Linear(feature_dim_, o.num_classes));
}

torch::Tensor TorchScriptBackbone::run(torch::jit::Function& fn, const torch::Tensor& x) {
  torch::NoGradGuard no_grad;  // frozen: no gradient ever flows into the TorchScript part
  auto call = [&](const torch::Tensor& batch) { return fn({module_._ivalue(), batch}).toTensor().flatten(1); };
  // Traced files often bake in their example's batch size (mobile exports use 1), and a traced
  // graph run with another batch can crash rather than throw: always feed one sample at a time.
  std::vector<torch::Tensor> rows;
  for (int64_t i = 0; i < x.size(0); ++i) rows.push_back(call(x.narrow(0, i, 1)));
  return torch::cat(rows);
}

torch::Tensor TorchScriptBackbone::forward(torch::Tensor x) {
  return forward_observed(x, [](const std::string&, const torch::nn::Module&, const torch::Tensor&) {});
}

torch::Tensor TorchScriptBackbone::forward_observed(torch::Tensor x, const LayerObserver& observe) {
  const auto device = x.device();
  x = x.to(torch::kCPU).contiguous();  // TorchScript mobile models run on the CPU
  if (own_output_) {
    auto y = run(module_.get_method("forward").function(), x).to(device);
    observe("torchscript", *this, y);
    return y;
  }
  auto features = run(*features_, x).to(device);
  observe("features", *this, features);
  if (!fc_) return features;
  auto y = fc_->forward(features);
  observe("fc", *fc_, y);
  return y;
}

}  // namespace tlab::models
