#pragma once
// The flags that name one model for `predict`, `export` and `serve`: a checkpoint (or run
// directory), or a zoo architecture with weights, or a TorchScript file, plus its class names and
// preprocessing (infer::ModelSource documents each field).
#include <CLI/CLI.hpp>

#include "tlab/infer/loaded_model.h"

namespace tlab::app {

// --checkpoint, --model, --weights, --labels, --preprocess. `model_help` says what --model takes
// for this command (export cannot take a TorchScript file).
void add_model_source_flags(CLI::App* command, infer::ModelSource& source, const std::string& model_help);

// `source` as given on the command line, ready for infer::load: a run directory given to
// --checkpoint becomes its best checkpoint, and --weights imagenet shows download progress.
infer::ModelSource resolved_source(infer::ModelSource source);

}  // namespace tlab::app
