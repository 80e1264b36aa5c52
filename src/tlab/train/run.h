#pragma once
// One training run end to end, as `tlab train` does it, in one route: resolve the options (once,
// before any data is read) -> open the data -> run the strategy on the splits -> evaluate the best
// weights on validation and test data -> write the run directory (train/run_dir.h).
#include <nlohmann/json.hpp>

#include <map>
#include <string>

#include "tlab/eval/metrics.h"
#include "tlab/train/options.h"
#include "tlab/train/trainer.h"

namespace tlab::train {

struct RunResult {
  std::string dir;                              // the run directory
  nlohmann::json metrics;                       // what metrics.json holds
  std::map<std::string, eval::Metrics> splits;  // "val", "test" -> metrics of the best checkpoint
  int best_epoch = 0;                           // the epoch those weights come from
  nlohmann::json config;                        // the run's recorded config (RunDir::config)
  std::vector<EpochRecord> epochs;              // the epochs this call trained
};

// Trains a new run. Throws on bad options or data; the run directory keeps what was written.
RunResult run_training(const RunOptions& options, const TrainCallbacks& callbacks = {});

// Continues RUN_DIR from its last checkpoint with the options in its config; `device` and `threads`
// (when not empty / 0) override the stored ones.
RunResult resume_training(const std::string& run_dir, const std::string& device = "", int threads = 0,
                          const TrainCallbacks& callbacks = {});

}  // namespace tlab::train
