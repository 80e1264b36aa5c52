#include "tlab/train/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/eval/metrics.h"
#include "tlab/train/checkpoint.h"
#include "tlab/train/distill.h"
#include "tlab/transforms/mix.h"

namespace fs = std::filesystem;

namespace tlab::train {
namespace {
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
}  // namespace

nlohmann::json EpochRecord::to_json() const {
  nlohmann::json j = {{"epoch", epoch},
                      {"train_loss", train_loss},
                      {"train_accuracy", train_accuracy},
                      {"val_loss", val_loss ? nlohmann::json(*val_loss) : nlohmann::json()},
                      {"val_accuracy", val_accuracy ? nlohmann::json(*val_accuracy) : nlohmann::json()},
                      {"lr", lr},
                      {"seconds", seconds},
                      {"images_per_second", images_per_second},
                      {"data_wait_seconds", data_wait_seconds},
                      {"trainable_parameters", trainable_parameters}};
  return j;
}

Trainer::Trainer(models::ModelPtr model, TrainOptions options, torch::Device device, std::vector<ParamGroup> groups)
    : model_(std::move(model)), options_(std::move(options)), device_(device), groups_(std::move(groups)) {
  TLAB_CHECK(model_ != nullptr, "Trainer: model is null");
  TLAB_CHECK(options_.epochs > 0, "--epochs: expected a positive count, got ", options_.epochs);
  TLAB_CHECK(options_.label_smoothing >= 0 && options_.label_smoothing < 1,
             "--label-smoothing: expected a value in [0, 1), got ", options_.label_smoothing);
  validate(options_.schedule);
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
}

void Trainer::set_teacher(TeacherLogits teacher, double temperature, double alpha) {
  TLAB_CHECK(temperature > 0 && std::isfinite(temperature), "--temperature: expected a positive value, got ",
             temperature);
  TLAB_CHECK(alpha >= 0 && alpha <= 1, "--alpha: expected a weight in [0, 1], got ", alpha);
  teacher_ = std::move(teacher);
  temperature_ = temperature;
  alpha_ = alpha;
}

nlohmann::json Trainer::resume(const std::string& run_dir) {
  const std::string last = (fs::path(run_dir) / "checkpoints" / "last.pt").string();
  TLAB_CHECK(fs::is_regular_file(last), "--resume ", run_dir, ": no checkpoints/last.pt to resume from");
  nlohmann::json meta = read_checkpoint_meta(last);
  load_checkpoint(last, *model_, optimizer_.get(), device_);
  start_epoch_ = meta.at("epoch").get<int>();
  best_epoch_ = meta.value("best_epoch", 0);
  best_val_accuracy_ = meta.value("best_val_accuracy", -1.0);
  // Keep the metrics of the epochs the checkpoint covers; later lines came from the interrupted run.
  const std::string metrics = (fs::path(run_dir) / "metrics.jsonl").string();
  if (fs::is_regular_file(metrics)) {
    std::istringstream in(read_file(metrics));
    std::string line, kept;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto rec = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!rec.is_discarded() && rec.value("epoch", 0) <= start_epoch_) kept += line + "\n";
    }
    write_file_atomic(metrics, kept);
  }
  return meta;
}

EpochRecord Trainer::train_epoch(data::BatchSource& train, int epoch, const TrainCallbacks& callbacks) {
  namespace F = torch::nn::functional;
  // Which groups train this epoch, and the LR schedule's phase: [phase_start, phase_end) epochs,
  // between the group boundaries (frozen_epochs), so unfreezing starts a new warm-up.
  int phase_start = 0, phase_end = options_.epochs;
  int64_t trainable = 0;
  for (const auto& g : groups_) {
    const bool on = epoch > g.frozen_epochs;
    for (const auto& p : g.params) {
      p.set_requires_grad(on);
      trainable += on ? p.numel() : 0;
    }
    if (g.frozen_epochs < epoch) phase_start = std::max(phase_start, g.frozen_epochs);
    else phase_end = std::min(phase_end, g.frozen_epochs);
  }
  model_->train();  // after requires_grad: a TransferModel keeps frozen stages in eval mode
  torch::manual_seed(options_.seed + uint64_t(epoch));  // dropout etc.: a function of (seed, epoch)
  train.start_epoch(epoch);
  const int64_t steps = static_cast<int64_t>(train.num_batches());
  const int64_t phase_steps = steps * (phase_end - phase_start);
  const auto f64 = torch::TensorOptions().dtype(torch::kFloat64).device(device_);
  torch::Tensor loss_sum = torch::zeros({}, f64), correct = torch::zeros({}, f64);
  int64_t seen = 0, step = 0;
  double lr = 0;
  const auto t0 = Clock::now();
  const auto loss_options = F::CrossEntropyFuncOptions().label_smoothing(options_.label_smoothing);

  while (auto batch = train.next()) {
    lr = scheduled_lr(options_.schedule, options_.optimizer.lr, (epoch - 1 - phase_start) * steps + step, steps,
                      phase_steps);
    set_learning_rate(*optimizer_, lr, lr_scales_);
    auto x = batch->images.to(device_, /*non_blocking=*/true);
    auto y = batch->labels.to(device_, /*non_blocking=*/true);
    optimizer_->zero_grad();
    auto logits = forward(x);
    torch::Tensor loss;
    if (batch->targets.defined()) {  // MixUp/CutMix: soft targets, smoothed as cross_entropy would
      auto t = batch->targets.to(device_, /*non_blocking=*/true);
      const double ls = options_.label_smoothing;
      if (ls > 0) t = t * (1.0 - ls) + ls / double(t.size(1));
      loss = transforms::soft_target_cross_entropy(logits, t);
    } else {
      loss = F::cross_entropy(logits, y, loss_options);
    }
    if (teacher_) loss = distillation_loss(logits, teacher_(*batch, x), loss, temperature_, alpha_);
    loss.backward();
    optimizer_->step();
    ++step;
    const int64_t n = y.size(0);
    seen += n;
    {
      torch::NoGradGuard no_grad;
      loss_sum += loss.detach().to(torch::kFloat64) * double(n);
      correct += logits.argmax(1).eq(y).sum().to(torch::kFloat64);
    }
    if (callbacks.on_step && (step % options_.progress_every == 0 || step == steps)) {
      const double elapsed = since(t0);
      StepProgress p{epoch, options_.epochs, step, steps, loss_sum.item<double>() / double(seen),
                     correct.item<double>() / double(seen), lr, double(seen) / elapsed,
                     elapsed / double(step) * double(steps - step)};
      if (!std::isfinite(p.loss))
        throw std::runtime_error(str_cat("training diverged at epoch ", epoch, " step ", step, ": the loss is ",
                                         p.loss, "; lower --lr"));
      callbacks.on_step(p);
    }
  }
  EpochRecord rec;
  rec.epoch = epoch;
  rec.train_loss = loss_sum.item<double>() / double(seen);
  rec.train_accuracy = correct.item<double>() / double(seen);
  if (!std::isfinite(rec.train_loss))
    throw std::runtime_error(str_cat("training diverged in epoch ", epoch, ": the loss is ", rec.train_loss,
                                     "; lower --lr"));
  rec.lr = lr;
  const double train_seconds = since(t0);
  rec.images_per_second = double(seen) / train_seconds;
  rec.data_wait_seconds = train.wait_seconds();
  rec.trainable_parameters = trainable;
  rec.seconds = train_seconds;
  return rec;
}

void Trainer::fit(data::BatchSource& train, data::BatchSource* val, RunFiles& files, const TrainCallbacks& callbacks) {
  const fs::path dir(files.dir);
  fs::create_directories(dir / "checkpoints");
  const std::string metrics_path = (dir / "metrics.jsonl").string();
  for (int epoch = start_epoch_ + 1; epoch <= options_.epochs; ++epoch) {
    const auto t0 = Clock::now();
    EpochRecord rec = train_epoch(train, epoch, callbacks);
    if (val) {
      auto m = eval::evaluate(*model_, [&](torch::Tensor x) { return forward(x); }, *val, device_);
      rec.val_loss = m.loss;
      rec.val_accuracy = m.accuracy;
    }
    rec.seconds = since(t0);
    // best = highest validation accuracy (the latest epoch without validation data)
    const double score = rec.val_accuracy.value_or(0.0);
    const bool improved = !val || score > best_val_accuracy_;
    if (improved) {
      best_val_accuracy_ = val ? score : -1;
      best_epoch_ = epoch;
    }
    files.meta["epoch"] = epoch;
    files.meta["best_epoch"] = best_epoch_;
    files.meta["best_val_accuracy"] = best_val_accuracy_;
    // Checkpoint before the metrics line: a crash in between leaves a line resume() trims.
    save_checkpoint((dir / "checkpoints" / "last.pt").string(), *model_, optimizer_.get(), files.meta);
    if (improved) save_checkpoint((dir / "checkpoints" / "best.pt").string(), *model_, optimizer_.get(), files.meta);
    append_line(metrics_path, rec.to_json().dump());
    start_epoch_ = epoch;
    if (callbacks.on_epoch) callbacks.on_epoch(rec);
  }
}

}  // namespace tlab::train
