#pragma once
// What the strategies that train on images share: the recipe's loaders, and a fit of a Trainer on
// the input's image splits (scratch, fine-tune, distill, and feature-extract without its cache).
#include "tlab/train/strategy.h"

namespace tlab::train {

// Training batches: the recipe's batch size, shuffled by its seed, augmented.
data::LoaderOptions train_loader_options(const StrategyInput& input);
// Evaluation and feature batches: the eval batch size, in order, not augmented.
data::LoaderOptions eval_loader_options(const StrategyInput& input);

// Trains with `trainer` on input.train's images (resuming from input.store when input.resume),
// validating on input.val, and prepares the evaluation of val and test images.
Trained fit_on_images(const StrategyInput& input, Trainer& trainer);

// A Trainer for input.model with the recipe and `groups` (empty: every trainable parameter).
Trainer make_trainer(const StrategyInput& input, std::vector<ParamGroup> groups = {});

}  // namespace tlab::train
