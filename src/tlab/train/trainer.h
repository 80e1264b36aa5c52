#pragma once
// The training loop: epochs of optimizer steps with a per-step LR schedule, validation after each
// epoch, atomic last/best checkpoints and one metrics.jsonl record per epoch.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>

#include "tlab/data/loader.h"
#include "tlab/models/model.h"
#include "tlab/train/optim.h"

namespace tlab::train {

struct TrainOptions {
  int epochs = 10;               // full passes over the training set
  OptimizerOptions optimizer;    // optimizer and peak LR
  ScheduleOptions schedule;      // LR schedule over all steps
  double label_smoothing = 0.0;  // cross-entropy label smoothing in [0, 1)
  uint64_t seed = 0;             // torch RNG is reseeded with seed + epoch at each epoch start
  int progress_every = 10;       // steps between progress callbacks (each one syncs the device)
};

// Parameters that share a learning rate (discriminative fine-tuning: a lower one for the backbone).
struct ParamGroup {
  std::vector<torch::Tensor> params;
  double lr_scale = 1.0;  // the group's LR = the scheduled LR * lr_scale
  // The group has no gradient (requires_grad false) in epochs 1..frozen_epochs and trains after:
  // fine-tuning's head warm-up. Each such boundary starts the LR schedule (warm-up included) anew.
  int frozen_epochs = 0;
};

struct StepProgress {
  int epoch = 0, epochs = 0;      // 1-based epoch
  int64_t step = 0, steps = 0;    // 1-based step within the epoch
  double loss = 0, accuracy = 0;  // running means over the epoch so far
  double lr = 0;
  double images_per_second = 0;
  double eta_seconds = 0;         // to the end of this epoch's training steps
};

struct EpochRecord {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0;
  std::optional<double> val_loss, val_accuracy;
  double lr = 0;                 // LR of the epoch's last step
  double seconds = 0;            // wall time of the epoch, validation included
  double images_per_second = 0;  // training images / training seconds
  double data_wait_seconds = 0;  // time the training step waited for the loader
  int64_t trainable_parameters = 0;  // parameters that received gradients this epoch
  nlohmann::json to_json() const;
};

struct TrainCallbacks {
  std::function<void(const StepProgress&)> on_step;  // every progress_every steps and at epoch end
  std::function<void(const EpochRecord&)> on_epoch;  // after the epoch's checkpoint is written
};

// Where and what the trainer writes; `meta` goes into every checkpoint (model name/options,
// input spec, classes, config) and gains "epoch", "best_epoch", "best_val_accuracy".
struct RunFiles {
  std::string dir;      // RUN_DIR; checkpoints/ and metrics.jsonl go here
  nlohmann::json meta;  // see above
};

class Trainer {
 public:
  // `groups` empty: one group of the model's parameters that require a gradient.
  Trainer(models::ModelPtr model, TrainOptions options, torch::Device device, std::vector<ParamGroup> groups = {});

  // Trains epochs [start_epoch + 1, options.epochs]; start_epoch > 0 after resume().
  // `val` may be null (then best.pt follows last.pt).
  void fit(data::BatchSource& train, data::BatchSource* val, RunFiles& files, const TrainCallbacks& callbacks = {});

  // What a step runs on a batch's inputs (default: the model's forward). Training a head on
  // cached backbone features sets the head's forward here; checkpoints still hold the whole model.
  void set_forward(std::function<torch::Tensor(torch::Tensor)> forward) { forward_ = std::move(forward); }

  // Distillation: `teacher` gives a batch's teacher logits (its inputs `x` already on the device);
  // the loss becomes distillation_loss(logits, teacher logits, the usual loss, temperature, alpha)
  // (train/distill.h). Throws std::invalid_argument for T <= 0 or alpha outside [0, 1].
  using TeacherLogits = std::function<torch::Tensor(const data::Batch& batch, const torch::Tensor& x)>;
  void set_teacher(TeacherLogits teacher, double temperature, double alpha);

  // Restores model, optimizer and progress from RUN_DIR/checkpoints/last.pt and trims
  // metrics.jsonl to the epochs it covers. Returns the restored meta.
  nlohmann::json resume(const std::string& run_dir);

  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  int completed_epochs() const { return start_epoch_; }

 private:
  EpochRecord train_epoch(data::BatchSource& train, int epoch, const TrainCallbacks& callbacks);
  torch::Tensor forward(const torch::Tensor& x) { return forward_ ? forward_(x) : model_->forward(x); }

  models::ModelPtr model_;
  TrainOptions options_;
  torch::Device device_;
  std::vector<ParamGroup> groups_;
  std::vector<double> lr_scales_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::function<torch::Tensor(torch::Tensor)> forward_;
  TeacherLogits teacher_;
  double temperature_ = 1, alpha_ = 0;
  int start_epoch_ = 0;
  int best_epoch_ = 0;
  double best_val_accuracy_ = -1;
};

}  // namespace tlab::train
