#pragma once
// Where the served model comes from, beyond what infer::ModelSource names: an export bundle
// (`tlab export` output), and the model's name in the /v2 routes.
#include <string>

#include "tlab/infer/loaded_model.h"

namespace tlab::serve {

// The TorchScript file of an export bundle directory (DIR/model.pt; infer::load_torchscript reads
// preprocess.json and classes.txt beside it). Throws UsageError when DIR is not a directory, holds
// only model.onnx (serving needs the TorchScript bundle), or has no model.pt.
std::string bundle_model_file(const std::string& dir);

// The name a model is served under when --name is not given: its architecture ("mobilenet_v2");
// for a TorchScript model, the bundle directory's name when the file is a bundle's model.pt, else
// the file's stem.
std::string default_model_name(const infer::LoadedModel& model);

}  // namespace tlab::serve
