#pragma once
// The README.md of an export bundle: what is in it and how to load it, with the model's own
// preprocessing written out, so a user without TransferLab can feed it correctly.
#include <string>

#include "tlab/infer/loaded_model.h"

namespace tlab::exporting {

enum class Format;

std::string bundle_readme(const infer::LoadedModel& model, Format format, int opset);

}  // namespace tlab::exporting
