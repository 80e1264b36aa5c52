#pragma once
// Frozen-backbone features of a run's splits, computed once (feature-extract and linear-probe):
// in memory up to --cache-mb for all splits together, beyond it in a mapped file on disk, paged in
// on demand.
#include <optional>
#include <vector>

#include "tlab/features/deep.h"
#include "tlab/models/transfer.h"
#include "tlab/train/strategy.h"

namespace tlab::train {

struct CachedFeatures {
  // The training images' features: one unaugmented view, or `views` augmented ones (view v holds
  // the augmentation's draws of pass v + 1, so epoch e trains on view (e - 1) mod K).
  std::vector<torch::Tensor> train_views;
  torch::Tensor train_labels;
  std::optional<features::FeatureSet> val, test;
  double seconds = 0;  // wall time of the extraction
};

// Runs `model`'s frozen backbone over input.train (`augmented_views` times with the recipe's
// augmentation, once without it when 0), input.val and input.test; input.features instead when given.
CachedFeatures cache_features(const StrategyInput& input, models::TransferModel& model, int augmented_views);

// The rows `train` of `all`'s training features as training features, and the rows `test` as test
// features (a cross-validation fold of features computed once). With augmented training views, `all.val`
// must hold the same images' unaugmented features, and the test rows come from it.
CachedFeatures select_rows(const CachedFeatures& all, const std::vector<size_t>& train, const std::vector<size_t>& test);

// Evaluation batches of the cached val and test features, for Trained::eval_batches.
void add_eval_batches(const StrategyInput& input, const CachedFeatures& features, Trained& out);

}  // namespace tlab::train
