// tlab export: write a checkpoint (or a zoo model with weights) as a deployable bundle: TorchScript
// or ONNX, with its preprocessing, class names and a README (export/bundle.h).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "model_flags.h"
#include "tlab/export/bundle.h"

namespace tlab::app {
namespace {

struct ExportArgs {
  infer::ModelSource source;
  std::string format = "torchscript";
  std::string out;
  int opset = exporting::kDefaultOpset;
};

int run_export(ExportArgs a) {
  exporting::BundleOptions options;
  options.format = exporting::parse_format(a.format);
  options.out = a.out;
  options.opset = a.opset;
  const infer::LoadedModel model = infer::load(resolved_source(a.source), torch::kCPU);
  const exporting::Bundle bundle = exporting::export_bundle(model, options);
  std::printf("exported %s (%zu classes, input %dx%dx%d) as %s to %s\n", model.architecture.c_str(),
              model.classes.size(), model.input.channels, model.input.height, model.input.width, a.format.c_str(),
              bundle.dir.c_str());
  for (const auto& f : bundle.files) std::printf("  %s\n", f.c_str());
  return 0;
}

}  // namespace

Command add_export(CLI::App& app) {
  auto a = std::make_shared<ExportArgs>();
  auto* c = app.add_subcommand("export", "write a model as a TorchScript or ONNX bundle (model, preprocess.json, classes.txt, README)");
  add_model_source_flags(c, a->source, "zoo architecture (with --weights)");
  c->add_option("--format", a->format, "torchscript | onnx")->capture_default_str();
  c->add_option("--out", a->out, "the bundle directory")->required();
  c->add_option("--opset", a->opset, "ONNX opset, 13 to 17 (HardSwish is a node from 14)")->capture_default_str();
  return {c, [a] { return run_export(*a); }};
}

}  // namespace tlab::app
