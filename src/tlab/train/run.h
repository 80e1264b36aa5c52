#pragma once
// One training run end to end, as `tlab train` does it: open the data, split, build the model,
// train with validation, then evaluate the best checkpoint on validation and test data.
// Everything goes into the run directory (see docs/DESIGN.md, "Run-directory contract").
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "tlab/eval/metrics.h"
#include "tlab/train/trainer.h"

namespace tlab::train {

// The default recipe, the main job's: AdamW at LR 2e-3 with a 1-epoch linear warm-up and a
// cosine decay to 0, label smoothing 0.1, 10 epochs (with batch 128: test accuracy 0.9185 on
// Fashion-MNIST with simple_cnn in 3m14s on 2 cores; docs/BENCHMARKS.md).
TrainOptions default_recipe();

struct RunOptions {
  std::string data = "fashion-mnist";  // training data spec
  std::string val;                     // validation spec; empty: the data's own val split, else val_split
  double val_split = 0.1;              // stratified fraction of the training data held out for validation
  std::string test;                    // test spec; empty: the data's own test split, else test_split
  double test_split = 0.0;             // without test data: a stratified fraction of the data held out as test
  std::string model = "simple_cnn";    // registry name
  std::string weights;                 // imagenet | FILE: start from pretrained weights (a new head); empty: from scratch
  std::string strategy = "scratch";    // scratch | linear-probe (logistic regression on pooled features, L-BFGS) |
                                       // feature-extract (frozen backbone, BatchNorm in eval mode) |
                                       // fine-tune (head warm-up, then the backbone at a lower LR) |
                                       // distill (learn from --teacher's outputs as well as the labels)
  std::string head;                    // new head on the backbone (models/transfer.h); empty: "gap" with --weights,
                                       // else the architecture's own classifier
  bool feature_cache = true;           // feature-extract without augmentation: backbone features computed once
  int feature_views = 0;               // feature-extract with augmentation: cache K augmented views of each training
                                       // image (epoch e trains on view (e-1) mod K); 0: run the backbone every epoch
  double probe_c = 1.0;                // linear-probe: inverse regularisation strength (scikit-learn's C)
  // Fine-tuning (models::TransferModel::stages() names the backbone's stages):
  std::string unfreeze = "all";        // all | N: the last N backbone stages train, earlier ones stay frozen
  std::string unfreeze_from;           // a stage name: it and later stages train (instead of --unfreeze)
  int head_epochs = -1;                // first epochs train the head alone; -1: epochs / 4 (at least 1)
  double backbone_lr_scale = 0.01;     // backbone LR = the head's (--lr, scheduled) * this
  double layer_decay = 1.0;            // each earlier backbone stage's LR is this times the next one's
  std::string bn = "frozen";           // frozen: BatchNorm statistics stay the pretrained ones | train
  // Distillation (train/distill.h):
  std::string teacher;                 // RUN_DIR | CHECKPOINT.pt | MODEL:WEIGHTS, trained on the same classes
  double temperature = 4.0;            // softmax temperature T of both outputs
  double alpha = 0.9;                  // weight of the teacher term; 1 - alpha weighs the labels' loss
  int image_size = 0;                  // input side; 0: the data's fixed size, else the model's default
  int batch_size = 128;                // training batch size
  int eval_batch_size = 256;           // batch size for validation and test
  TrainOptions train = default_recipe();  // epochs, optimizer, schedule, label smoothing, seed
  std::string device = "auto";         // auto | cpu | cuda[:N]
  int threads = 0;                     // LibTorch intra-op threads; 0: one per core
  int workers = 2;                     // loader threads
  bool strict_data = false;            // undecodable / non-image files are errors, not skips
  std::string augment = "none";        // --augment: a preset (none|light|keras|strong) or FILE.json
  nlohmann::json augmentation;         // the resolved pipeline (set by run_training; resume reuses it)
  int cache_mb = 2048;                 // memory for caches, MiB shared by all splits: decoded images of image folders
                                       // (0: decode every epoch), or cached features (beyond it: on disk)
  std::string out;                     // RUN_DIR; empty: runs/<model>-<timestamp>
};

nlohmann::json to_json(const RunOptions& o);
RunOptions run_options_from_json(const nlohmann::json& j);

struct RunResult {
  std::string dir;                              // the run directory
  nlohmann::json metrics;                       // what metrics.json holds
  std::map<std::string, eval::Metrics> splits;  // "val", "test" -> metrics of the best checkpoint
};

// Trains a new run. Throws on bad options or data; the run directory keeps what was written.
RunResult run_training(const RunOptions& options, const TrainCallbacks& callbacks = {});

// Continues RUN_DIR from checkpoints/last.pt with the options in RUN_DIR/config.json; `device`
// and `threads` (when not empty / 0) override the stored ones.
RunResult resume_training(const std::string& run_dir, const std::string& device = "", int threads = 0,
                          const TrainCallbacks& callbacks = {});

// Per-channel mean and std of a dataset's pixels in [0, 1], from up to `max_samples` samples
// chosen with `seed` (converted to `channels`).
std::pair<std::vector<float>, std::vector<float>> estimate_mean_std(const data::Dataset& dataset, int channels,
                                                                    size_t max_samples, uint64_t seed);

}  // namespace tlab::train
