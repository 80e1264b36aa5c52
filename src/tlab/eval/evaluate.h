#pragma once
// Evaluating a loaded model on a data set with its own preprocessing, as `tlab eval` does.
#include "tlab/core/progress.h"
#include "tlab/data/dataset.h"
#include "tlab/eval/metrics.h"
#include "tlab/infer/loaded_model.h"

namespace tlab::eval {

struct EvaluateOptions {
  int batch_size = 256;        // images per forward pass, > 0
  int workers = 2;             // loader threads, >= 0
  ProgressCallback progress;   // a report per batch (phase "evaluate")
};

// Every metric of `model` on `data`. Throws UsageError when the data's classes are not the model's
// (names and order) or the options are impossible.
Metrics evaluate(const infer::LoadedModel& model, const data::DatasetPtr& data, const EvaluateOptions& options = {});

}  // namespace tlab::eval
