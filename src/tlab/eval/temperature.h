#pragma once
// Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): one scalar
// T > 0 divides the logits; it is fitted on held-out data (the validation split) by minimising the
// negative log-likelihood with L-BFGS. The argmax, and so accuracy, does not change; the
// probabilities do. A run stores T in its checkpoint (train/run.cpp), and every inference path
// divides by it (infer::logits).
#include <torch/torch.h>

namespace tlab::eval {

struct TemperatureFit {
  double temperature = 1;               // T
  double nll_before = 0, nll_after = 0;  // mean negative log-likelihood at T = 1 and at T
  double ece_before = 0, ece_after = 0;  // expected calibration error (15 bins) at T = 1 and at T
};

// `logits` [N, K], `labels` [N] int64 (any device). The NLL is convex in 1/T, which is what L-BFGS
// (strong Wolfe line search) moves, starting at 1. Throws UsageError for mismatched or empty inputs.
TemperatureFit fit_temperature(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace tlab::eval
