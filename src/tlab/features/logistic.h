#pragma once
// Multinomial logistic regression fitted by L-BFGS: the linear probe, the fastest strong baseline
// on frozen deep features. Same objective as scikit-learn's
// LogisticRegression(multi_class="multinomial", solver="lbfgs", C=c):
//   C * sum_i CE(W x_i + b, y_i) + 0.5 * ||W||^2   (the intercept is not penalised),
// so the solutions agree (tests/features/logistic_test.cpp checks against scikit-learn).
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tlab/core/progress.h"

namespace tlab::features {

struct LogisticOptions {
  double c = 1.0;           // inverse regularisation strength (scikit-learn's C), > 0
  int max_iterations = 500;  // L-BFGS iterations
  double tolerance = 1e-6;   // stop when the gradient's largest entry falls below this
  bool standardize = true;   // scale each feature to zero mean / unit variance (statistics of the training set)
  ProgressCallback progress;  // a report per objective evaluation (phase "linear probe"; steps: the cap on them)
};

class LogisticRegression {
 public:
  // Fits on features [N, D] (float) and labels [N] (int64 in [0, num_classes)).
  static LogisticRegression fit(const torch::Tensor& features, const torch::Tensor& labels, int64_t num_classes,
                                const LogisticOptions& options = {});
  torch::Tensor logits(const torch::Tensor& features) const;         // [N, K]
  torch::Tensor predict_proba(const torch::Tensor& features) const;  // [N, K], rows sum to 1
  torch::Tensor predict(const torch::Tensor& features) const;        // [N] int64

  const torch::Tensor& weight() const { return weight_; }  // [K, D], on standardised features when standardize
  const torch::Tensor& bias() const { return bias_; }      // [K]
  int evaluations() const { return evaluations_; }  // objective evaluations L-BFGS used
  double final_loss() const { return final_loss_; }

 private:
  torch::Tensor standardized(const torch::Tensor& x) const;
  torch::Tensor weight_, bias_, mean_, scale_;  // mean_/scale_ undefined without standardize
  int evaluations_ = 0;
  double final_loss_ = 0;
};

}  // namespace tlab::features
