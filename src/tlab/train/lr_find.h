#pragma once
// The learning-rate finder (tlab lr-find), fastai's Learner.lr_find: optimizer steps with the LR
// rising exponentially from start_lr to end_lr over `iterations` batches (iteration i at
// start * (end / start)^(i / iterations)), recording the smoothed loss (an exponential moving
// average with bias correction, beta 0.98); it stops early once that loss exceeds 4x the best so
// far. The model and the optimizer are restored afterwards. Suggestions follow fastai 2.7's rules.
#include <string>
#include <vector>

#include "tlab/train/options.h"
#include "tlab/train/trainer.h"

namespace tlab::train {

struct LrFindOptions {
  double start_lr = 1e-7;  // --start-lr, > 0
  double end_lr = 10;      // --end-lr, > start_lr
  int iterations = 100;    // --iterations: batches of the sweep (fastai's num_it), > 0
  bool stop_div = true;    // --stop-div: stop once the smoothed loss exceeds 4x its best
  double beta = 0.98;      // smoothing of the loss, fastai's AvgSmoothLoss
};

// Throws UsageError naming the flag.
void validate(const LrFindOptions& options);

struct LrSuggestion {
  std::string name;     // valley | steep | minimum
  double lr = 0;        // the suggested LR (minimum: the LR of the lowest loss / 10)
  double at_lr = 0;     // the point on the curve it comes from
  double loss = 0;
};

struct LrFindResult {
  std::vector<double> lrs, losses;  // per iteration: its LR and the smoothed loss after it
  std::vector<LrSuggestion> suggestions;
  bool diverged = false;            // stopped at 4x the best loss
};

// fastai's suggest functions on a recorded curve, after dropping the first iterations / 10 and the
// last 5 points (as lr_find does): valley (the longest descending run, a third of the way in plus
// half a third), steep (the steepest descent in loss per log LR), minimum (the lowest loss's LR /
// 10). Empty when fewer than 2 points remain.
std::vector<LrSuggestion> suggest_lrs(const std::vector<double>& lrs, const std::vector<double>& losses,
                                      int iterations);

// The sweep on `trainer` over `train` (repeating its epochs when the data is shorter than the sweep).
// Restores the model's weights and buffers and the optimizer's state before it returns.
LrFindResult lr_sweep(Trainer& trainer, data::BatchSource& train, const LrFindOptions& options,
                      const ProgressCallback& progress = {});

// The sweep for a run's options, as the run would train: its data, model, augmentation and
// optimizer; a pretrained backbone is frozen for strategies that start with the head alone
// (linear-probe, feature-extract, fine-tune), so the LR found is the head's (--lr).
LrFindResult find_lr(const RunOptions& options, const LrFindOptions& lr_find, const TrainCallbacks& callbacks = {});

}  // namespace tlab::train
