#pragma once
// The run directory, the one place that knows its files (../shared/docs/DESIGN.md, "Run-directory
// contract"):
//   config.json          every resolved option (train/options.h), versions, device, data sizes, skipped files
//   metrics.jsonl        one record per epoch (EpochRecord::to_json); on resume, trimmed to the epochs
//                        last.pt covers
//   metrics.json         the best checkpoint's metrics: {"val": ..., "test": ..., "checkpoint": {file, epoch}}
//   checkpoints/best.pt  the best epoch (by --monitor, validation accuracy unless told; the last one without
//                        validation data); with --ema, the weight average's
//   checkpoints/last.pt  the last completed epoch with its optimizer state (and with --ema the optimizer's
//                        weights beside the average): where a resume continues
//   classes.txt          class names in label order
//   predictions_<split>.csv  the best checkpoint's outputs on val / test, a row per sample in split order:
//                        index, label, predicted, loss, then each class's probability
// Files are written atomically (metrics.jsonl grows by a line per epoch). Per epoch the record goes
// first, then best.pt, then last.pt: an interruption anywhere leaves a directory that resumes to the
// same end (extra records are trimmed; best.pt is never newer than last.pt says).
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "tlab/train/trainer.h"

namespace tlab::train {

class RunDir : public EpochStore {
 public:
  // A new run in `path`: refuses a directory that holds a run already (UsageError naming --out),
  // writes config.json and classes.txt, and keeps `checkpoint_meta` (model, model_options, input,
  // classes, config) for every checkpoint.
  static RunDir create(const std::string& path, const nlohmann::json& config, const std::vector<std::string>& classes,
                       nlohmann::json checkpoint_meta);
  // The same refusal alone, to fail before any data is read.
  static void check_new(const std::string& path);
  // An existing run, to continue: reads config.json and the last checkpoint's meta. Throws
  // UsageError naming --resume when `path` is not a run directory.
  static RunDir open(const std::string& path);
  // `path` if it is a checkpoint file, else the best checkpoint of the run directory `path`
  // (for --checkpoint and --teacher, which take either). Throws UsageError naming `flag`.
  static std::string checkpoint_of(const std::string& path, const std::string& flag);

  const std::string& path() const { return path_; }
  const nlohmann::json& config() const { return config_; }
  const nlohmann::json& checkpoint_meta() const { return meta_; }
  std::string best_checkpoint() const;
  // A file for data too large for memory (a feature cache spilling beyond --cache-mb), in the run.
  std::string scratch_file(const std::string& name) const;

  // metrics.json: `splits` ("val", "test" -> eval::to_json) and the checkpoint they came from;
  // returns what it wrote.
  nlohmann::json write_metrics(const nlohmann::json& splits, int best_epoch) const;
  // Adds the fitted temperature (eval/temperature.h) to best.pt's meta record; `model` holds best.pt's weights.
  void set_temperature(const torch::nn::Module& model, double temperature) const;
  // predictions_<split>.csv from log-probabilities [N, K] and labels [N]; returns its path.
  std::string write_predictions(const std::string& split, const torch::Tensor& log_probabilities,
                                const torch::Tensor& labels, const std::vector<std::string>& classes) const;
  // A later evaluation (tlab eval --out DIR) in the same form: DIR/metrics.json; returns its path.
  static std::string write_evaluation(const std::string& dir, const nlohmann::json& metrics);

  // EpochStore: metrics.jsonl and the checkpoints.
  void save_epoch(const EpochRecord& record, const TrainerState& state, const torch::nn::Module& model,
                  const torch::optim::Optimizer* optimizer, bool best,
                  const std::vector<torch::Tensor>& training_weights) override;
  TrainerState load_last(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                         std::vector<torch::Tensor>* training_weights) override;
  void load_best(torch::nn::Module& model) override;

 private:
  RunDir(std::string path, nlohmann::json config, nlohmann::json meta);
  std::string file(const std::string& name) const;

  std::string path_;
  nlohmann::json config_, meta_;
};

}  // namespace tlab::train
