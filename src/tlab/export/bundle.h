#pragma once
// tlab export: a loaded model (infer/) written as a deployable bundle, a directory holding
//   model.pt or model.onnx   the model (TorchScript from LibTorch's C++ tracer, or ONNX)
//   preprocess.json          its InputSpec (transforms::to_json): size, resize/crop, interpolation,
//                            channel order, scale, mean/std
//   classes.txt              class names in label order
//   README.md                how to load it (Python, C++, ONNX Runtime, OpenCV DNN, tlab)
// The TorchScript file also carries preprocess.json and classes.txt inside (torch.jit.save's
// _extra_files), so the file alone is enough for infer::load_torchscript and `tlab serve --bundle`.
#include <string>
#include <vector>

#include "tlab/export/onnx.h"
#include "tlab/infer/loaded_model.h"

namespace tlab::exporting {

enum class Format { kTorchScript, kOnnx };

// "torchscript" | "onnx"; throws UsageError naming --format otherwise.
Format parse_format(const std::string& name);

struct BundleOptions {
  Format format = Format::kTorchScript;
  std::string out;                // the bundle directory (created; files in it are replaced atomically)
  int opset = kDefaultOpset;      // ONNX only
};

struct Bundle {
  std::string dir;
  std::string model_file;          // DIR/model.pt or DIR/model.onnx
  std::vector<std::string> files;  // every file written, the model first
};

// Traces `model` (on the CPU, in eval mode; its weights are stored in the default contiguous layout
// first, values unchanged) and writes the bundle. Throws UsageError naming the architecture or the
// layer that cannot be exported (a TorchScript backbone, an operation without an ONNX rule), before
// any file is written.
Bundle export_bundle(const infer::LoadedModel& model, const BundleOptions& options);

// The traced TorchScript module of `model`: what model.pt holds (exposed for tests and the ONNX writer).
torch::jit::Module trace_model(const infer::LoadedModel& model);

}  // namespace tlab::exporting
