#pragma once
// A transfer strategy (--strategy): how a model is trained on splits that are already open. One
// class per strategy under train/strategies/; the route (train/run.h), tlab compare and
// cross-validation call them through this interface. A strategy writes no files itself: epochs go
// to the EpochStore it is given (the run directory, or none).
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tlab/data/dataset.h"
#include "tlab/data/loader.h"
#include "tlab/models/model.h"
#include "tlab/train/options.h"
#include "tlab/train/trainer.h"

namespace tlab::train {

struct CachedFeatures;  // train/feature_cache.h

// What a strategy trains: open splits and a built model.
struct StrategyInput {
  const RunOptions* options = nullptr;  // resolved and validated (resolve_options)
  data::DatasetPtr train, val, test;    // val and test may be null; test is never trained or validated on: a
                                        // strategy only prepares its evaluation (features computed with the rest)
  transforms::InputSpec input;          // the model's preprocessing
  models::ModelPtr model;               // a pretrained backbone with a new head (models::TransferModel), or fresh
  torch::Device device = torch::kCPU;
  std::shared_ptr<const transforms::Augmentation> augmentation;  // the recipe's, resolved; never null
  EpochStore* store = nullptr;          // where each epoch goes (the run directory); null: nowhere
  bool resume = false;                  // continue from the store's last epoch
  std::string scratch_dir;              // where caches beyond --cache-mb spill; empty: the system's temp directory
  TrainCallbacks callbacks;
  // Frozen-backbone features of train / val / test computed already (cross-validation computes them
  // once for all its folds); null: a strategy that reads images once computes them itself.
  std::shared_ptr<const CachedFeatures> features;
};

// What comes back: the trained model, its records, and its evaluation prepared.
struct Trained {
  models::ModelPtr model;            // with the best epoch's weights
  std::vector<EpochRecord> epochs;   // the epochs trained in this call
  TrainerState state;                // epochs completed, best epoch and its validation accuracy
  // Batches of "val" and "test" as the strategy prepared them (images, or cached features), and
  // what the model runs on their inputs: eval::evaluate(*model, forward, *batches["test"], device).
  std::function<torch::Tensor(torch::Tensor)> forward;
  std::map<std::string, std::unique_ptr<data::BatchSource>> eval_batches;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  // resolve_options: fills this strategy's own defaults (e.g. fine-tuning's head epochs).
  virtual void resolve(RunOptions&) const {}
  // validate: checks this strategy's own options; throws UsageError naming the flag.
  virtual void check(const RunOptions&) const {}
  // Whether it starts from pretrained weights (--weights).
  virtual bool needs_weights() const { return true; }
  // The largest input side another model of the strategy reads (a teacher's), so that images are
  // decoded large enough; 0: only the trained model's.
  virtual int extra_input_side(const RunOptions&) const { return 0; }
  // Whether training reads each image once (features cached): then a decoded-image cache only costs memory.
  virtual bool reads_images_once(const RunOptions&) const { return false; }
  // When it reads images once: how many augmented views of the training images it caches (0: one
  // unaugmented view), as cache_features (train/feature_cache.h) takes it.
  virtual int feature_views(const RunOptions&) const { return 0; }
  // Whether it trains on a frozen backbone's features (cache_features; StrategyInput::features), which
  // cross-validation then computes once for all folds. A classical pipeline reads images once but
  // fits its own descriptors per fold.
  virtual bool trains_on_backbone_features(const RunOptions& o) const { return reads_images_once(o); }
  // Whether an interrupted run can continue (a fit in one go cannot).
  virtual bool resumable() const { return true; }
  // What its checkpoints name as their model (meta "model"): the architecture, or what the strategy
  // builds instead (a classical pipeline).
  virtual std::string checkpoint_model(const RunOptions& options) const;
  // One line saying what a run with `options` does, for an app to print before it starts.
  virtual std::string describe(const RunOptions& options) const;
  // Trains `input.model` on input.train, validating on input.val after each epoch.
  virtual Trained train(const StrategyInput& input) const = 0;
};

// The strategy named `name` (scratch, linear-probe, feature-extract, fine-tune, distill, classical); throws
// UsageError naming --strategy and listing the known ones.
std::unique_ptr<Strategy> make_strategy(const std::string& name);

}  // namespace tlab::train
