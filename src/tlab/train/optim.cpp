#include "tlab/train/optim.h"

#include <cmath>

#include "tlab/core/error.h"

namespace tlab::train {

void validate(const OptimizerOptions& o) {
  TLAB_CHECK(o.name == "sgd" || o.name == "adam" || o.name == "adamw",
             "--optimizer: expected sgd, adam or adamw, got '", o.name, "'");
  TLAB_CHECK(o.lr > 0 && std::isfinite(o.lr), "--lr: expected a positive learning rate, got ", o.lr);
  TLAB_CHECK(o.momentum >= 0 && o.momentum < 1, "--momentum: expected a value in [0, 1), got ", o.momentum);
  TLAB_CHECK(!o.nesterov || o.momentum > 0, "--nesterov needs --momentum > 0");
  TLAB_CHECK(o.weight_decay >= 0, "--weight-decay: expected >= 0, got ", o.weight_decay);
  TLAB_CHECK(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1, "Adam betas must lie in [0, 1)");
}

void validate(const ScheduleOptions& s) {
  TLAB_CHECK(s.name == "constant" || s.name == "step" || s.name == "cosine",
             "--schedule: expected constant, step or cosine, got '", s.name, "'");
  TLAB_CHECK(s.warmup_epochs >= 0, "--warmup-epochs: expected >= 0, got ", s.warmup_epochs);
  TLAB_CHECK(s.step_size > 0, "--step-size: expected a positive number of epochs, got ", s.step_size);
  TLAB_CHECK(s.gamma > 0, "--gamma: expected > 0, got ", s.gamma);
  TLAB_CHECK(s.min_lr_fraction >= 0 && s.min_lr_fraction <= 1, "--min-lr-fraction: expected [0, 1], got ",
             s.min_lr_fraction);
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<std::vector<torch::Tensor>>& groups,
                                                        const OptimizerOptions& o) {
  std::vector<torch::optim::OptimizerParamGroup> params;
  for (const auto& g : groups) params.emplace_back(g);
  if (o.name == "sgd")
    return std::make_unique<torch::optim::SGD>(
        params, torch::optim::SGDOptions(o.lr).momentum(o.momentum).nesterov(o.nesterov).weight_decay(o.weight_decay));
  if (o.name == "adam")
    return std::make_unique<torch::optim::Adam>(
        params, torch::optim::AdamOptions(o.lr).betas({o.beta1, o.beta2}).weight_decay(o.weight_decay));
  if (o.name == "adamw")
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(o.lr).betas({o.beta1, o.beta2}).weight_decay(o.weight_decay));
  throw UsageError(str_cat("make_optimizer: no optimizer '", o.name, "' (options not validated)"));
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr, const std::vector<double>& scales) {
  auto& groups = optimizer.param_groups();
  TLAB_CHECK(scales.empty() || scales.size() == groups.size(), "set_learning_rate: ", scales.size(),
             " scales for ", groups.size(), " parameter groups");
  for (size_t i = 0; i < groups.size(); ++i) groups[i].options().set_lr(lr * (scales.empty() ? 1.0 : scales[i]));
}

double scheduled_lr(const ScheduleOptions& s, double peak, int64_t step, int64_t steps_per_epoch, int64_t total_steps) {
  const double warmup_steps = s.warmup_epochs * double(steps_per_epoch);
  if (step < warmup_steps) return peak * double(step + 1) / warmup_steps;
  if (s.name == "step") return peak * std::pow(s.gamma, double(step / steps_per_epoch / s.step_size));
  if (s.name == "cosine") {
    const double span = std::max(1.0, double(total_steps) - warmup_steps);
    const double progress = std::min(1.0, (double(step) - warmup_steps) / span);
    const double floor = peak * s.min_lr_fraction;
    return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
  }
  return peak;
}

}  // namespace tlab::train
