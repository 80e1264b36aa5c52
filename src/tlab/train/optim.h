#pragma once
// Optimizers and learning-rate schedules.
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tlab::train {

struct OptimizerOptions {
  std::string name = "sgd";    // sgd | adam | adamw
  double lr = 0.01;            // peak learning rate (after warm-up)
  double momentum = 0.9;       // sgd only
  bool nesterov = false;       // sgd only; needs momentum > 0
  double weight_decay = 0.0;   // L2 for sgd/adam, decoupled for adamw
  double beta1 = 0.9, beta2 = 0.999;  // adam/adamw
};

// Builds the optimizer with one parameter group per entry of `groups` (all with `options`, which
// validate() has checked).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const std::vector<std::vector<torch::Tensor>>& groups,
                                                        const OptimizerOptions& options);
// Sets parameter group i's learning rate to lr * scales[i] (every group's to lr when scales is empty).
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr, const std::vector<double>& scales = {});

struct ScheduleOptions {
  std::string name = "constant";  // constant | step | cosine | onecycle
  double warmup_epochs = 0;       // linear warm-up from 0 to the peak LR over this many epochs (not onecycle:
                                  // its first phase is its warm-up)
  int step_size = 10;             // step: multiply by gamma every step_size epochs
  double gamma = 0.1;             // step: decay factor
  double min_lr_fraction = 0.0;   // cosine: final LR as a fraction of the peak
  // onecycle (PyTorch's OneCycleLR, two phases, cosine annealing): the LR rises from peak / div_factor to
  // the peak over the first pct_start of the steps, then falls to peak / div_factor / final_div_factor;
  // the momentum (SGD's, Adam's beta1) moves the other way between max_momentum and base_momentum.
  double pct_start = 0.3;           // --pct-start: fraction of the steps that raise the LR, (0, 1)
  double div_factor = 25;           // --div-factor: peak / initial LR, > 0
  double final_div_factor = 1e4;    // --final-div-factor: initial / final LR, > 0
  double base_momentum = 0.85, max_momentum = 0.95;  // OneCycleLR's cycle_momentum defaults
};

// Learning rate at optimizer step `step` (0-based) of `total_steps`, with `steps_per_epoch`.
// A pure function of the step, so a resumed run follows the same schedule.
double scheduled_lr(const ScheduleOptions& s, double peak_lr, int64_t step, int64_t steps_per_epoch, int64_t total_steps);
// The momentum the schedule sets at that step (onecycle cycles it); none: the optimizer's own stays.
std::optional<double> scheduled_momentum(const ScheduleOptions& s, int64_t step, int64_t total_steps);
// Sets every group's momentum (SGD) or beta1 (Adam, AdamW) to `momentum`.
void set_momentum(torch::optim::Optimizer& optimizer, double momentum);

// Throws UsageError naming the flag for impossible values.
void validate(const OptimizerOptions& o);
void validate(const ScheduleOptions& s);

}  // namespace tlab::train
