#pragma once
// The training loop: epochs of optimizer steps with a per-step LR schedule and validation after
// each epoch. It writes no files: each finished epoch goes to an EpochStore (the run directory,
// train/run_dir.h), or nowhere, and the best weights are kept in memory.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <functional>
#include <optional>
#include <string>

#include "tlab/core/progress.h"
#include "tlab/data/loader.h"
#include "tlab/models/model.h"
#include "tlab/train/early_stopping.h"
#include "tlab/train/ema.h"
#include "tlab/train/optim.h"

namespace tlab::train {

struct TrainOptions {
  int epochs = 10;               // full passes over the training set, > 0
  OptimizerOptions optimizer;    // optimizer and peak LR
  ScheduleOptions schedule;      // LR schedule over all steps
  double label_smoothing = 0.0;  // cross-entropy label smoothing in [0, 1)
  uint64_t seed = 0;             // torch RNG is reseeded with seed + epoch at each epoch start
  int progress_every = 10;       // steps between progress callbacks (each one syncs the device)
  EarlyStoppingOptions early_stopping;  // what the best epoch is, and when to stop before `epochs`
  double ema_decay = 0;          // --ema DECAY: validate, keep as best and checkpoint an exponential moving
                                 // average of the weights (train/ema.h), updated every step; 0: off
};

// Throws UsageError naming the flag for impossible values (the optimizer's and schedule's too).
// A Trainer takes its options as valid: train::validate(RunOptions) checks them once per run.
void validate(const TrainOptions& options);

// Parameters that share a learning rate (discriminative fine-tuning: a lower one for the backbone).
struct ParamGroup {
  std::vector<torch::Tensor> params;
  double lr_scale = 1.0;  // the group's LR = the scheduled LR * lr_scale
  // The group has no gradient (requires_grad false) in epochs 1..frozen_epochs and trains after:
  // fine-tuning's head warm-up. Each such boundary starts the LR schedule (warm-up included) anew.
  int frozen_epochs = 0;
};

// Training steps are reported as tlab::Progress with phase "train" (core/progress.h).
using StepProgress = Progress;

// One epoch's record: a line of the run's metrics (train/run_dir.h), the same shape for every
// strategy. A linear probe's single "epoch" is its fit.
struct EpochRecord {
  int epoch = 0;
  double train_loss = 0, train_accuracy = 0;
  std::optional<double> val_loss, val_accuracy;  // none without validation data
  std::optional<double> lr;          // LR of the epoch's last step; none for a fit without one (the linear probe)
  double seconds = 0;                // wall time of the epoch, validation included
  double images_per_second = 0;      // training images / training seconds
  double data_wait_seconds = 0;      // time the training step waited for the loader
  int64_t trainable_parameters = 0;  // parameters that received gradients this epoch
  nlohmann::json details = nlohmann::json::object();  // a strategy's own figures (the probe's fit), recorded as is
  nlohmann::json to_json() const;
};

struct TrainCallbacks {
  ProgressCallback on_progress;  // training: every progress_every steps and at epoch end; the run's other
                                 // long phases (features, evaluation, a teacher's outputs, a fit) as they go
  std::function<void(const EpochRecord&)> on_epoch;  // after the epoch is stored
};

// The trainer's position: stored with every epoch's checkpoint, restored on resume.
struct TrainerState {
  int epoch = 0;                  // epochs completed
  int best_epoch = 0;             // epoch of the best weights so far (by --monitor); 0: none yet
  double best_val_accuracy = -1;  // their validation accuracy; -1 without validation data
  MonitorState monitor;           // the monitored value's best and the epochs since (early stopping)
  bool stopped_early = false;     // early stopping ended the run before `epochs`
};

// Where a trainer hands each epoch it completes; the run directory is one (train/run_dir.h).
class EpochStore {
 public:
  virtual ~EpochStore() = default;
  // After epoch state.epoch: its record and the model (+ optimizer, may be null) at its end;
  // `best`: these are the best weights so far. With --ema the model holds the average and
  // `training_weights` the optimizer's own (models/checkpoint.h); else it is empty.
  virtual void save_epoch(const EpochRecord& record, const TrainerState& state, const torch::nn::Module& model,
                          const torch::optim::Optimizer* optimizer, bool best,
                          const std::vector<torch::Tensor>& training_weights) = 0;
  // Resuming: loads the last stored epoch's model and optimizer (and its training weights, when
  // `training_weights` is given), forgets the records of later epochs (an interrupted run's), and
  // returns its state.
  virtual TrainerState load_last(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                                 std::vector<torch::Tensor>* training_weights) = 0;
  // Loads the best stored epoch's weights into `model`.
  virtual void load_best(torch::nn::Module& model) = 0;
};

class Trainer {
 public:
  // `groups` empty: one group of the model's parameters that require a gradient.
  Trainer(models::ModelPtr model, TrainOptions options, torch::Device device, std::vector<ParamGroup> groups = {});

  // Trains epochs [state().epoch + 1, options.epochs], validating on `val` after each (may be null)
  // and handing each epoch to `store` (may be null: nothing is written); stops earlier when early
  // stopping says so. Ends with the best epoch's weights in the model (the weight average's with
  // --ema): the best --monitor value, the last epoch without validation data. Returns the records
  // of the epochs it trained.
  std::vector<EpochRecord> fit(data::BatchSource& train, data::BatchSource* val, EpochStore* store,
                               const TrainCallbacks& callbacks = {});

  // What a step runs on a batch's inputs (default: the model's forward). Training a head on
  // cached backbone features sets the head's forward here; checkpoints still hold the whole model.
  void set_forward(std::function<torch::Tensor(torch::Tensor)> forward) { forward_ = std::move(forward); }

  // Distillation: `teacher` gives a batch's teacher logits (its inputs `x` already on the device);
  // the loss becomes distillation_loss(logits, teacher logits, the usual loss, temperature, alpha)
  // (train/distill.h), with T > 0 and alpha in [0, 1] as validate(RunOptions) checks.
  using TeacherLogits = std::function<torch::Tensor(const data::Batch& batch, const torch::Tensor& x)>;
  void set_teacher(TeacherLogits teacher, double temperature, double alpha);

  // Continues from the store's last epoch: model, optimizer and state, and its best weights.
  void resume(EpochStore& store);

  // One optimizer step on `batch` at the optimizer's current LR (set_learning_rate); returns the
  // batch's loss (and its logits in `logits`, when given). fit() runs these; so does an LR sweep.
  torch::Tensor train_step(const data::Batch& batch, torch::Tensor* logits = nullptr);
  // The model and the LR of each parameter group relative to the scheduled one (lr_find).
  torch::nn::Module& model() { return *model_; }
  const std::vector<double>& lr_scales() const { return lr_scales_; }

  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  const TrainerState& state() const { return state_; }

 private:
  // Which groups train in an epoch, and the LR schedule's phase: epochs [start, end) between the
  // groups' boundaries (frozen_epochs), so that unfreezing starts a new warm-up.
  struct Phase {
    int start, end;
    int64_t trainable;  // parameters that train
  };
  Phase start_groups(int epoch);  // sets requires_grad by group for `epoch`
  // The step's loss: cross-entropy (soft targets after MixUp/CutMix), plus distillation's term.
  torch::Tensor loss(const data::Batch& batch, const torch::Tensor& logits, const torch::Tensor& x,
                     const torch::Tensor& y);
  EpochRecord train_epoch(data::BatchSource& train, int epoch, const TrainCallbacks& callbacks);
  torch::Tensor forward(const torch::Tensor& x) { return forward_ ? forward_(x) : model_->forward(x); }
  void keep_best();     // copies the model's weights into best_
  void restore_best();  // copies best_ back into the model

  models::ModelPtr model_;
  TrainOptions options_;
  torch::Device device_;
  std::vector<ParamGroup> groups_;
  std::vector<double> lr_scales_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::function<torch::Tensor(torch::Tensor)> forward_;
  TeacherLogits teacher_;
  double temperature_ = 1, alpha_ = 0;
  TrainerState state_;
  std::optional<ModelEma> ema_;      // --ema
  std::vector<torch::Tensor> best_;  // parameters and buffers of the best epoch, in named order
};

}  // namespace tlab::train
