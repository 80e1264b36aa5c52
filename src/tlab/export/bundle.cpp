#include "tlab/export/bundle.h"

#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/export/readme.h"
#include "tlab/features/classical_model.h"
#include "tlab/export/tracer.h"

namespace fs = std::filesystem;

namespace tlab::exporting {
namespace {

std::string classes_text(const std::vector<std::string>& classes) {
  std::string text;
  for (const auto& c : classes) text += c + "\n";
  return text;
}

}  // namespace

Format parse_format(const std::string& name) {
  if (name == "torchscript") return Format::kTorchScript;
  if (name == "onnx") return Format::kOnnx;
  throw UsageError(str_cat("--format: expected torchscript or onnx, got '", name, "'"));
}

torch::jit::Module trace_model(const infer::LoadedModel& m) {
  TLAB_CHECK(m.architecture.rfind("torchscript:", 0) != 0, "export: ", m.source,
             " is a TorchScript model already (", m.architecture,
             "); its graph cannot be traced again from C++: load that file with torch.jit.load");
  TLAB_CHECK(m.architecture != features::kClassicalModelName, "export: ", m.source,
             " is a classical pipeline: its descriptors (HOG, LBP, SIFT, colour histograms) are OpenCV code, not "
             "tensor operations, so it has no TorchScript or ONNX graph. Serve its checkpoint with tlab serve, or "
             "export a deep model (--strategy linear-probe / feature-extract) instead");
  models::Model& model = *m.model;
  model.to(torch::kCPU);
  model.eval();
  // The weights keep the layout they have (prepare_for_inference stores 4-D weights channels-last):
  // the traced convolutions then run the same kernels as tlab's own forward, so the file's logits
  // equal tlab's to the last bit in LibTorch (C++ or Python); the ONNX writer copies them out
  // contiguous.
  const auto example = torch::rand({2, m.input.channels, m.input.height, m.input.width},
                                   torch::TensorOptions().dtype(torch::kFloat));
  return trace(model, [&model](const torch::Tensor& x) { return model.forward(x); }, example, m.architecture);
}

Bundle export_bundle(const infer::LoadedModel& m, const BundleOptions& options) {
  TLAB_CHECK(!options.out.empty(), "export: give --out DIR");
  if (options.format == Format::kOnnx) check_opset(options.opset);  // before the (long) trace
  const torch::jit::Module traced = trace_model(m);
  // The traced model returns the raw logits; a temperature fitted by the run (divide the logits by it
  // for calibrated probabilities) travels beside the input spec, where tlab's loaders read it.
  nlohmann::json spec = transforms::to_json(m.input);
  if (m.temperature != 1.0) spec["temperature"] = m.temperature;
  const std::string preprocess = spec.dump(2) + "\n";
  const std::string classes = classes_text(m.classes);
  // Produce the model's bytes before touching the directory: a model that cannot be exported leaves nothing.
  std::string onnx_bytes;
  if (options.format == Format::kOnnx) {
    OnnxOptions o;
    o.opset = options.opset;
    o.input_shape = {m.input.channels, m.input.height, m.input.width};
    o.model_name = m.architecture;
    o.metadata = {{"classes", nlohmann::json(m.classes).dump()}, {"preprocess", spec.dump()}};
    onnx_bytes = to_onnx(traced, o);
  }
  Bundle b;
  b.dir = options.out;
  b.model_file = (fs::path(options.out) / (options.format == Format::kOnnx ? "model.onnx" : "model.pt")).string();
  if (options.format == Format::kOnnx) {
    write_file_atomic(b.model_file, onnx_bytes);
  } else {
    const torch::jit::ExtraFilesMap extra = {{"preprocess.json", preprocess}, {"classes.txt", classes}};
    write_atomic_with(b.model_file, [&](const std::string& tmp) { traced.save(tmp, extra); });
  }
  b.files.push_back(b.model_file);
  const std::pair<const char*, std::string> others[] = {
      {"preprocess.json", preprocess}, {"classes.txt", classes}, {"README.md", bundle_readme(m, options.format, options.opset)}};
  for (const auto& [name, content] : others) {
    b.files.push_back((fs::path(options.out) / name).string());
    write_file_atomic(b.files.back(), content);
  }
  return b;
}

}  // namespace tlab::exporting
