#include "tlab/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "tlab/core/error.h"
#include "tlab/eval/metrics.h"
#include "tlab/train/distill.h"
#include "tlab/transforms/mix.h"

namespace tlab::train {
namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

void validate(const TrainOptions& o) {
  TLAB_CHECK(o.epochs > 0, "--epochs: expected a positive count, got ", o.epochs);
  TLAB_CHECK(o.label_smoothing >= 0 && o.label_smoothing < 1, "--label-smoothing: expected a value in [0, 1), got ",
             o.label_smoothing);
  TLAB_CHECK(o.progress_every > 0, "TrainOptions::progress_every: expected a positive step count, got ",
             o.progress_every);
  validate(o.optimizer);
  validate(o.schedule);
  validate(o.early_stopping);
  TLAB_CHECK(o.ema_decay >= 0 && o.ema_decay < 1, "--ema: expected a decay in [0, 1) (0: off), got ", o.ema_decay);
}

nlohmann::json EpochRecord::to_json() const {
  auto optional = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
  nlohmann::json j = {{"epoch", epoch},
                      {"train_loss", train_loss},
                      {"train_accuracy", train_accuracy},
                      {"val_loss", optional(val_loss)},
                      {"val_accuracy", optional(val_accuracy)},
                      {"lr", optional(lr)},
                      {"seconds", seconds},
                      {"images_per_second", images_per_second},
                      {"data_wait_seconds", data_wait_seconds},
                      {"trainable_parameters", trainable_parameters}};
  j.update(details);
  return j;
}

Trainer::Trainer(models::ModelPtr model, TrainOptions options, torch::Device device, std::vector<ParamGroup> groups)
    : model_(std::move(model)), options_(std::move(options)), device_(device), groups_(std::move(groups)) {
  TLAB_CHECK(model_ != nullptr, "Trainer: model is null");
  model_->to(device_);  // keeps the parameter tensors (and so the groups) the same objects
  if (groups_.empty()) {
    ParamGroup all;
    for (const auto& p : model_->parameters())
      if (p.requires_grad()) all.params.push_back(p);
    groups_.push_back(std::move(all));
  }
  std::vector<std::vector<torch::Tensor>> params;
  for (const auto& g : groups_) {
    TLAB_CHECK(g.lr_scale > 0, "Trainer: a parameter group's LR scale must be positive, got ", g.lr_scale);
    TLAB_CHECK(g.frozen_epochs >= 0 && g.frozen_epochs < options_.epochs, "Trainer: a parameter group frozen for ",
               g.frozen_epochs, " epochs never trains in ", options_.epochs, " epochs");
    params.push_back(g.params);
    lr_scales_.push_back(g.lr_scale);
  }
  TLAB_CHECK(std::any_of(params.begin(), params.end(), [](const auto& p) { return !p.empty(); }),
             "Trainer: the model has no trainable parameters");
  optimizer_ = make_optimizer(params, options_.optimizer);
  if (options_.ema_decay > 0) ema_.emplace(*model_, options_.ema_decay);
}

void Trainer::set_teacher(TeacherLogits teacher, double temperature, double alpha) {
  teacher_ = std::move(teacher);
  temperature_ = temperature;
  alpha_ = alpha;
}

void Trainer::resume(EpochStore& store) {
  store.load_best(*model_);
  keep_best();
  std::vector<torch::Tensor> training_weights;
  state_ = store.load_last(*model_, *optimizer_, ema_ ? &training_weights : nullptr);
  if (!ema_) return;
  // last.pt holds the average as its model and the optimizer's weights beside it
  TLAB_CHECK_WEIGHTS(!training_weights.empty(), "--ema: the run's last checkpoint has no weight average to resume");
  ema_->load(training_weights);
  ema_->swap(*model_);
}

void Trainer::keep_best() {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  auto keep = [&](const torch::Tensor& t) {
    if (i == best_.size()) best_.push_back(torch::empty_like(t));
    best_[i++].copy_(t);
  };
  for (const auto& p : model_->parameters()) keep(p);
  for (const auto& b : model_->buffers()) keep(b);
}

void Trainer::restore_best() {
  torch::NoGradGuard no_grad;
  size_t i = 0;
  for (auto& p : model_->parameters()) p.copy_(best_.at(i++));
  for (auto& b : model_->buffers()) b.copy_(best_.at(i++));
}

Trainer::Phase Trainer::start_groups(int epoch) {
  Phase phase{0, options_.epochs, 0};
  for (const auto& g : groups_) {
    const bool on = epoch > g.frozen_epochs;
    for (const auto& p : g.params) {
      p.set_requires_grad(on);
      phase.trainable += on ? p.numel() : 0;
    }
    if (g.frozen_epochs < epoch) phase.start = std::max(phase.start, g.frozen_epochs);
    else phase.end = std::min(phase.end, g.frozen_epochs);
  }
  return phase;
}

torch::Tensor Trainer::loss(const data::Batch& batch, const torch::Tensor& logits, const torch::Tensor& x,
                            const torch::Tensor& y) {
  namespace F = torch::nn::functional;
  torch::Tensor loss;
  if (batch.targets.defined()) {  // MixUp/CutMix: soft targets, smoothed as cross_entropy would
    auto t = batch.targets.to(device_, /*non_blocking=*/true);
    const double ls = options_.label_smoothing;
    if (ls > 0) t = t * (1.0 - ls) + ls / double(t.size(1));
    loss = transforms::soft_target_cross_entropy(logits, t);
  } else {
    loss = F::cross_entropy(logits, y, F::CrossEntropyFuncOptions().label_smoothing(options_.label_smoothing));
  }
  if (teacher_) loss = distillation_loss(logits, teacher_(batch, x), loss, temperature_, alpha_);
  return loss;
}

torch::Tensor Trainer::train_step(const data::Batch& batch, torch::Tensor* logits_out) {
  auto x = batch.images.to(device_, /*non_blocking=*/true);
  auto y = batch.labels.to(device_, /*non_blocking=*/true);
  optimizer_->zero_grad();
  auto logits = forward(x);
  const torch::Tensor loss = this->loss(batch, logits, x, y);
  loss.backward();
  optimizer_->step();
  if (ema_) ema_->update(*model_);
  if (logits_out) *logits_out = logits.detach();
  return loss.detach();
}

EpochRecord Trainer::train_epoch(data::BatchSource& train, int epoch, const TrainCallbacks& callbacks) {
  const Phase phase = start_groups(epoch);
  const int phase_start = phase.start;
  model_->train();  // after requires_grad: a TransferModel keeps frozen stages in eval mode
  torch::manual_seed(options_.seed + uint64_t(epoch));  // dropout etc.: a function of (seed, epoch)
  train.start_epoch(epoch);
  const int64_t steps = static_cast<int64_t>(train.num_batches());
  const int64_t phase_steps = steps * (phase.end - phase_start);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device_);
  torch::Tensor loss_sum = torch::zeros({}, f64), correct = torch::zeros({}, f64);
  int64_t seen = 0, step = 0;
  double lr = 0;
  const auto t0 = Clock::now();

  while (auto batch = train.next()) {
    lr = scheduled_lr(options_.schedule, options_.optimizer.lr, (epoch - 1 - phase_start) * steps + step, steps,
                      phase_steps);
    set_learning_rate(*optimizer_, lr, lr_scales_);
    if (const auto momentum = scheduled_momentum(options_.schedule, (epoch - 1 - phase_start) * steps + step,
                                                 phase_steps))
      set_momentum(*optimizer_, *momentum);
    auto y = batch->labels.to(device_, /*non_blocking=*/true);
    torch::Tensor logits;
    const torch::Tensor loss = train_step(*batch, &logits);
    ++step;
    const int64_t n = y.size(0);
    seen += n;
    {
      torch::NoGradGuard no_grad;
      loss_sum += loss.detach().to(torch::kFloat64) * double(n);
      correct += logits.argmax(1).eq(y).sum().to(torch::kFloat64);
    }
    if (callbacks.on_progress && (step % options_.progress_every == 0 || step == steps)) {
      const double elapsed = since(t0);
      StepProgress p;
      p.epoch = epoch;
      p.epochs = options_.epochs;
      p.step = step;
      p.steps = steps;
      p.loss = loss_sum.item<double>() / double(seen);
      p.accuracy = correct.item<double>() / double(seen);
      p.lr = lr;
      p.images_per_second = double(seen) / elapsed;
      p.eta_seconds = elapsed / double(step) * double(steps - step);
      if (!std::isfinite(p.loss))
        throw TrainingError(str_cat("training diverged at epoch ", epoch, " step ", step, ": the loss is ", p.loss,
                                    "; lower --lr"));
      callbacks.on_progress(p);
    }
  }
  EpochRecord rec;
  rec.epoch = epoch;
  rec.train_loss = loss_sum.item<double>() / double(seen);
  rec.train_accuracy = correct.item<double>() / double(seen);
  if (!std::isfinite(rec.train_loss))
    throw TrainingError(str_cat("training diverged in epoch ", epoch, ": the loss is ", rec.train_loss,
                                "; lower --lr"));
  rec.lr = lr;
  const double train_seconds = since(t0);
  rec.images_per_second = double(seen) / train_seconds;
  rec.data_wait_seconds = train.wait_seconds();
  rec.trainable_parameters = phase.trainable;
  rec.seconds = train_seconds;
  return rec;
}

std::vector<EpochRecord> Trainer::fit(data::BatchSource& train, data::BatchSource* val, EpochStore* store,
                                      const TrainCallbacks& callbacks) {
  std::vector<EpochRecord> records;
  Monitor monitor(options_.early_stopping, state_.monitor);
  for (int epoch = state_.epoch + 1; epoch <= options_.epochs && !state_.stopped_early; ++epoch) {
    const auto t0 = Clock::now();
    EpochRecord rec = train_epoch(train, epoch, callbacks);
    if (ema_) ema_->swap(*model_);  // validate, keep and store the average; the optimizer's weights wait
    if (val) {
      auto m = eval::evaluate(*model_, [&](torch::Tensor x) { return forward(x); }, *val, device_,
                              with_phase(callbacks.on_progress, "validate"));
      rec.val_loss = m.loss;
      rec.val_accuracy = m.accuracy;
    }
    rec.seconds = since(t0);
    // best = the best monitored value (the latest epoch without validation data)
    bool improved = true;
    if (val) {
      const bool by_loss = monitor.lower_is_better();
      improved = monitor.update(epoch, by_loss ? rec.val_loss.value_or(0.0) : rec.val_accuracy.value_or(0.0));
      state_.monitor = monitor.state();
      state_.stopped_early = monitor.should_stop() && epoch < options_.epochs;
    }
    state_.epoch = epoch;
    if (improved) {
      state_.best_val_accuracy = val ? rec.val_accuracy.value_or(0.0) : -1;
      state_.best_epoch = epoch;
      keep_best();
    }
    if (store) store->save_epoch(rec, state_, *model_, optimizer_.get(), improved,
                                 ema_ ? ema_->tensors() : std::vector<torch::Tensor>{});
    if (ema_) ema_->swap(*model_);
    records.push_back(rec);
    if (callbacks.on_epoch) callbacks.on_epoch(rec);
  }
  // the best weights (Keras's restore_best_weights); with --ema the model holds the optimizer's own now
  if ((state_.best_epoch != state_.epoch || ema_) && !best_.empty()) restore_best();
  return records;
}

}  // namespace tlab::train
