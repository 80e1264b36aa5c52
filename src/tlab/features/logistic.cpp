#include "tlab/features/logistic.h"

#include "tlab/core/error.h"

namespace tlab::features {

LogisticRegression LogisticRegression::fit(const torch::Tensor& features, const torch::Tensor& labels,
                                           int64_t num_classes, const LogisticOptions& o) {
  TLAB_CHECK(features.dim() == 2 && labels.dim() == 1 && features.size(0) == labels.size(0) && features.size(0) > 0,
             "logistic regression: expected features [N, D] and labels [N], got ", features.sizes(), " and ",
             labels.sizes());
  TLAB_CHECK(num_classes >= 2, "logistic regression: need at least 2 classes, got ", num_classes);
  TLAB_CHECK(labels.min().item<int64_t>() >= 0 && labels.max().item<int64_t>() < num_classes,
             "logistic regression: labels must lie in [0, ", num_classes, ")");
  TLAB_CHECK(o.c > 0 && o.max_iterations > 0 && o.tolerance > 0, "logistic regression: C, max_iterations and ",
             "tolerance must be positive, got ", o.c, ", ", o.max_iterations, ", ", o.tolerance);
  torch::NoGradGuard outer_no_grad;  // statistics and the final copy; the closure enables grad itself
  LogisticRegression model;
  auto x = features.to(torch::kFloat64);
  if (o.standardize) {
    model.mean_ = x.mean(0);
    model.scale_ = x.std(0, /*unbiased=*/false).clamp_min(1e-12);
    x = (x - model.mean_) / model.scale_;
  }
  const auto y = labels.to(torch::kInt64);
  const int64_t n = x.size(0), d = x.size(1);
  // Float64, as scikit-learn: L-BFGS's convergence test needs the precision.
  auto w = torch::zeros({num_classes, d}, torch::kFloat64).requires_grad_(true);
  auto b = torch::zeros({num_classes}, torch::kFloat64).requires_grad_(true);
  // The objective divided by C * N (same minimiser, better scaled for the line search).
  const double l2 = 0.5 / (o.c * double(n));
  torch::optim::LBFGS lbfgs({w, b}, torch::optim::LBFGSOptions(1.0)
                                        .max_iter(o.max_iterations)
                                        .max_eval(o.max_iterations * 5 / 4)
                                        .tolerance_grad(o.tolerance / (o.c * double(n)))
                                        .tolerance_change(1e-14)
                                        .history_size(20)
                                        .line_search_fn("strong_wolfe"));
  int evaluations = 0;
  PhaseProgress report(o.progress, "linear probe", o.max_iterations * 5 / 4);
  auto closure = [&] {
    torch::AutoGradMode grad(true);
    lbfgs.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(torch::addmm(b, x, w.t()), y) + l2 * w.pow(2).sum();
    loss.backward();
    ++evaluations;
    if (o.progress) report.step(0, loss.item<double>() * o.c * double(n));  // the objective, scikit-learn's scale
    return loss;
  };
  model.final_loss_ = lbfgs.step(closure).item<double>();
  model.evaluations_ = evaluations;
  model.weight_ = w.detach().to(torch::kFloat32);
  model.bias_ = b.detach().to(torch::kFloat32);
  if (o.standardize) {
    model.mean_ = model.mean_.to(torch::kFloat32);
    model.scale_ = model.scale_.to(torch::kFloat32);
  }
  return model;
}

torch::Tensor LogisticRegression::standardized(const torch::Tensor& x) const {
  TLAB_CHECK(x.dim() == 2 && x.size(1) == weight_.size(1), "logistic regression: expected features [N, ",
             weight_.size(1), "], got ", x.sizes());
  auto f = x.to(torch::kFloat32);
  return mean_.defined() ? (f - mean_) / scale_ : f;
}

torch::Tensor LogisticRegression::logits(const torch::Tensor& features) const {
  return torch::addmm(bias_, standardized(features), weight_.t());
}

torch::Tensor LogisticRegression::predict_proba(const torch::Tensor& features) const {
  return torch::softmax(logits(features), 1);
}

torch::Tensor LogisticRegression::predict(const torch::Tensor& features) const { return logits(features).argmax(1); }

}  // namespace tlab::features
