#include "tlab/train/optim.h"

#include <algorithm>
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
  TLAB_CHECK(s.name == "constant" || s.name == "step" || s.name == "cosine" || s.name == "onecycle",
             "--schedule: expected constant, step, cosine or onecycle, got '", s.name, "'");
  TLAB_CHECK(s.warmup_epochs >= 0, "--warmup-epochs: expected >= 0, got ", s.warmup_epochs);
  TLAB_CHECK(s.step_size > 0, "--step-size: expected a positive number of epochs, got ", s.step_size);
  TLAB_CHECK(s.gamma > 0, "--gamma: expected > 0, got ", s.gamma);
  TLAB_CHECK(s.min_lr_fraction >= 0 && s.min_lr_fraction <= 1, "--min-lr-fraction: expected [0, 1], got ",
             s.min_lr_fraction);
  TLAB_CHECK(s.pct_start > 0 && s.pct_start < 1, "--pct-start: expected a fraction in (0, 1), got ", s.pct_start);
  TLAB_CHECK(s.div_factor > 0, "--div-factor: expected > 0, got ", s.div_factor);
  TLAB_CHECK(s.final_div_factor > 0, "--final-div-factor: expected > 0, got ", s.final_div_factor);
  TLAB_CHECK(s.base_momentum >= 0 && s.base_momentum <= s.max_momentum && s.max_momentum < 1,
             "onecycle momentum: expected 0 <= base_momentum <= max_momentum < 1, got ", s.base_momentum, " and ",
             s.max_momentum);
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

namespace {

double cosine_anneal(double start, double end, double pct) { return end + (start - end) / 2.0 * (std::cos(M_PI * pct) + 1); }

// OneCycleLR's two phases: (start value, end value) over steps [0, pct_start * total - 1] and then to total - 1.
// Its get_lr() exactly, so the values agree with PyTorch step for step (tests/train/optim_test.cpp).
double one_cycle(const ScheduleOptions& s, int64_t step, int64_t total_steps, double rise_from, double peak,
                 double fall_to) {
  const double phase1_end = s.pct_start * double(total_steps) - 1;
  const double phase2_end = double(total_steps) - 1;
  const double t = double(std::min<int64_t>(step, total_steps - 1));
  if (t <= phase1_end) return cosine_anneal(rise_from, peak, phase1_end > 0 ? t / phase1_end : 1.0);
  const double span = phase2_end - phase1_end;
  return cosine_anneal(peak, fall_to, span > 0 ? (t - phase1_end) / span : 1.0);
}

}  // namespace

std::optional<double> scheduled_momentum(const ScheduleOptions& s, int64_t step, int64_t total_steps) {
  if (s.name != "onecycle") return std::nullopt;
  return one_cycle(s, step, total_steps, s.max_momentum, s.base_momentum, s.max_momentum);
}

void set_momentum(torch::optim::Optimizer& optimizer, double momentum) {
  for (auto& g : optimizer.param_groups()) {
    if (auto* sgd = dynamic_cast<torch::optim::SGDOptions*>(&g.options())) sgd->momentum(momentum);
    else if (auto* adam = dynamic_cast<torch::optim::AdamOptions*>(&g.options()))
      adam->betas({momentum, std::get<1>(adam->betas())});
    else if (auto* adamw = dynamic_cast<torch::optim::AdamWOptions*>(&g.options()))
      adamw->betas({momentum, std::get<1>(adamw->betas())});
  }
}

double scheduled_lr(const ScheduleOptions& s, double peak, int64_t step, int64_t steps_per_epoch, int64_t total_steps) {
  if (s.name == "onecycle") {
    const double initial = peak / s.div_factor;
    return one_cycle(s, step, total_steps, initial, peak, initial / s.final_div_factor);
  }
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
