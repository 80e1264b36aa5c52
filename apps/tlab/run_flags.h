#pragma once
// The flags of one training run, shared by `train` and `compare`: one flag per field of
// train::RunOptions (train/options.h documents each).
#include <CLI/CLI.hpp>

#include "tlab/train/options.h"
#include "tlab/train/trainer.h"

namespace tlab::app {

void add_run_flags(CLI::App* command, train::RunOptions& options);

// Progress bars and epoch lines drawn by an app::Progress (progress.h) for a run.
train::TrainCallbacks progress_callbacks();

}  // namespace tlab::app
