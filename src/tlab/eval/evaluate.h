#pragma once
// Evaluating a loaded model on a data set with its own preprocessing, as `tlab eval` does.
#include "tlab/core/progress.h"
#include "tlab/data/dataset.h"
#include "tlab/eval/metrics.h"
#include "tlab/infer/loaded_model.h"
#include "tlab/transforms/augment.h"

namespace tlab::eval {

struct EvaluateOptions {
  int batch_size = 256;        // images per forward pass, > 0
  int workers = 2;             // loader threads, >= 0
  ProgressCallback progress;   // a report per batch (phase "evaluate")
  // Test-time augmentation, fastai's Learner.tta: `tta` passes with `tta_augmentation`, their
  // probabilities averaged, then blended with the plain pass's as torch.lerp(augmented, plain, beta).
  int tta = 0;                 // --tta N: augmented passes; 0: the plain pass alone
  std::shared_ptr<const transforms::Augmentation> tta_augmentation;  // needed when tta > 0
  double tta_beta = 0.25;      // --tta-beta: the plain pass's weight in [0, 1]
  uint64_t seed = 0;           // the augmentation's draws (pass k draws as epoch k)
};

// Every metric of `model` on `data` (with TTA, of the blend; `plain`, when given, gets the plain
// pass's). Throws UsageError when the data's classes are not the model's (names and order) or the
// options are impossible.
Metrics evaluate(const infer::LoadedModel& model, const data::DatasetPtr& data, const EvaluateOptions& options = {},
                 Metrics* plain = nullptr);

}  // namespace tlab::eval
