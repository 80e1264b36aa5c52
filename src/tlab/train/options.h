#pragma once
// The options of one training run, in the groups the route uses them: data and splits, model and
// weights, the strategy with its own options, the training recipe, the system. The CLI's flags map
// one-to-one onto these fields (apps/tlab/run_flags.cpp); the run's config records every one of them.
//
// A run's options are resolved and validated once, before any data is read (resolve_options);
// the rest of the library takes them as valid. The JSON form (the run's config) is flat, one key per
// field as the flags name them; missing keys take the struct's own defaults.
#include <nlohmann/json.hpp>

#include <optional>
#include <string>

#include "tlab/features/classical.h"
#include "tlab/models/head.h"
#include "tlab/train/trainer.h"
#include "tlab/transforms/augment.h"

namespace tlab::train {

// Data and splits.
struct DataAndSplits {
  std::string spec = "fashion-mnist";  // --data: the training data (data/spec.h)
  std::string val;                     // --val: validation spec; empty: the data's own val split, else val_split
  double val_split = 0.1;              // --val-split: stratified fraction of the training data held out for validation
  std::string test;                    // --test: test spec; empty: the data's own test split, else test_split
  double test_split = 0.0;             // --test-split: without test data, a stratified fraction held out as test
  bool strict = false;                 // --strict-data: undecodable / non-image files are errors, not skips
};

// Model and weights.
struct ModelAndWeights {
  std::string name = "simple_cnn";  // --model: registry name (tlab models), or torchscript:FILE
  std::string weights;              // --weights imagenet|FILE: a pretrained backbone with a new head;
                                    // empty (or "none" on the command line): from scratch
  std::optional<models::HeadOptions> head;  // --head: new head on the backbone; unset: "gap" with weights,
                                            // else the architecture's own classifier
  int image_size = 0;               // --image-size: input side; 0: the data's fixed size (IDX, CIFAR), the
                                    // weights' preprocessing, or the model's default; with weights, a straight
                                    // resize to it (Keras's target_size), same normalisation
};

// feature-extract: a frozen backbone and a new head (models/transfer.h).
struct FeatureExtractOptions {
  bool cache = true;  // --feature-cache: without augmentation, backbone features computed once
  int views = 0;      // --feature-views K: with augmentation, cache K augmented views of each training image
                      // (epoch e trains on view (e-1) mod K); 0: run the backbone every epoch
};

// linear-probe: multinomial logistic regression (L-BFGS) on pooled features, folded into the head.
struct LinearProbeOptions {
  double c = 1.0;  // --probe-c: inverse regularisation strength (scikit-learn's C), > 0
};

// fine-tune: the head alone first, then the unfrozen backbone stages at a lower LR
// (models::TransferModel::stages() names the stages, as tlab summary prints them).
struct FineTuneOptions {
  std::string unfreeze = "all";     // --unfreeze all|N: the last N backbone stages train, earlier ones stay frozen
  std::string unfreeze_from;        // --unfreeze-from STAGE: it and later stages train (instead of --unfreeze)
  int head_epochs = -1;             // --head-epochs: first epochs train the head alone; -1: epochs / 4 (at
                                    // least 1), resolved by resolve_options
  double backbone_lr_scale = 0.01;  // --backbone-lr-scale: backbone LR = the head's (scheduled) * this, (0, 1]
  double layer_decay = 1.0;         // --layer-decay: each earlier stage's LR is this times the next one's, (0, 1]
  std::string bn = "frozen";        // --bn frozen|train: BatchNorm statistics stay the pretrained ones, or train
};

// distill: learn from a teacher's softened outputs as well as the labels (train/distill.h).
struct DistillOptions {
  std::string teacher;       // --teacher RUN_DIR | CHECKPOINT.pt | MODEL:WEIGHTS, trained on the same classes
  double temperature = 4.0;  // --temperature: softmax temperature T of both outputs, > 0
  double alpha = 0.9;        // --alpha: weight of the teacher term in [0, 1]; 1 - alpha weighs the labels' loss
};

// The strategy (train/strategy.h) and each strategy's own options; only the chosen one's apply.
struct StrategyOptions {
  std::string name = "scratch";  // --strategy scratch|linear-probe|feature-extract|fine-tune|distill|classical
  FeatureExtractOptions feature_extract;
  LinearProbeOptions linear_probe;
  FineTuneOptions fine_tune;
  DistillOptions distill;
  // classical: descriptors, selection, reduction and a classifier, fitted in one go
  // (features/classical.h; its logistic C is --probe-c, its SIFT seed --seed).
  features::ClassicalSpec classical;
};

// The training recipe: the trainer's own options (epochs, optimizer, schedule, label smoothing,
// seed; a Trainer takes them as its TrainOptions), batch sizes and augmentation. The defaults are
// the main job's: AdamW at LR 2e-3 with a 1-epoch linear warm-up and a cosine decay to 0, label
// smoothing 0.1, 10 epochs, batch 128 (test accuracy 0.9185 on Fashion-MNIST with simple_cnn in
// 3m14s on 2 cores; README).
struct Recipe : TrainOptions {
  Recipe();
  int batch_size = 128;          // --batch-size: training batch size
  int eval_batch_size = 256;     // --eval-batch-size: batch size for validation, test and feature extraction
  std::string augment = "none";  // --augment: a preset (none|light|keras|strong) or FILE.json, as given
  // The resolved pipeline: unset until resolve_options reads `augment`; the run's config records it and a
  // resumed run uses it as recorded (even if FILE.json has changed since).
  std::optional<transforms::Augmentation> augmentation;
  bool calibrate = true;         // --calibrate: fit temperature scaling on the validation split after training
                                 // (eval/temperature.h), stored in the checkpoint; without val data, nothing
};

// Where and how the run executes.
struct SystemOptions {
  std::string device = "auto";  // --device auto|cpu|cuda[:N]
  int threads = 0;              // --threads: LibTorch intra-op threads; 0: one per core
  int workers = 2;              // --workers: data loader threads
  int cache_mb = 2048;          // --cache-mb: memory for caches, MiB shared by all splits: decoded images of image
                                // folders (0: decode every epoch), or cached features (beyond it: on disk)
  std::string out;              // --out RUN_DIR; empty: runs/<model>-<timestamp>
};

struct RunOptions {
  DataAndSplits data;
  ModelAndWeights model;
  StrategyOptions strategy;
  Recipe recipe;
  SystemOptions system;
};

// Fills what the options leave open (the augmentation from `augment`, the head with weights, the
// strategy's own defaults such as fine-tuning's head epochs, the run directory) and validates the
// result: the one place options are checked. Throws UsageError naming the flag.
RunOptions resolve_options(RunOptions options);

// Checks every option (of the chosen strategy too) without reading data; throws UsageError naming
// the flag. resolve_options calls it; call it directly only on options resolved already.
void validate(const RunOptions& options);

// The run's config form of the options: flat, one key per field (the flag's name with '_').
nlohmann::json to_json(const RunOptions& options);
// The inverse: keys that are missing take the struct's defaults (a config written by an older
// version); a key of the wrong type is a UsageError naming it.
RunOptions run_options_from_json(const nlohmann::json& json);

}  // namespace tlab::train
