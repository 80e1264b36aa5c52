// linear-probe: a multinomial logistic regression (L-BFGS, scikit-learn's objective) on the frozen
// backbone's pooled features, computed once, folded into the model's linear head, so that its
// checkpoint predicts like any other. One "epoch": the fit.
#include <chrono>

#include "tlab/core/error.h"
#include "tlab/core/log.h"
#include "tlab/eval/metrics.h"
#include "tlab/features/logistic.h"
#include "tlab/models/transfer.h"
#include "tlab/train/feature_cache.h"
#include "tlab/train/strategies/strategies.h"

namespace tlab::train {
namespace {

// Writes the probe's logits W (x - mean) / scale + b into the head as W' x + b' (identity
// statistics when not standardised).
void fold_into_head(const features::LogisticRegression& probe, models::TransferModel& model, int64_t dim,
                    const torch::Device& device) {
  torch::NoGradGuard no_grad;
  auto params = model.head_parameters();  // Linear(feature_dim, K): weight, bias
  const auto b = probe.logits(torch::zeros({1, dim}))[0];
  const auto w = probe.logits(torch::eye(dim)) - b;  // row d: the logits of unit vector e_d
  params[0].copy_(w.t().to(device, torch::kFloat32));
  params[1].copy_(b.to(device, torch::kFloat32));
}

class LinearProbe : public Strategy {
 public:
  std::string name() const override { return "linear-probe"; }
  bool reads_images_once(const RunOptions&) const override { return true; }
  bool resumable() const override { return false; }
  std::string describe(const RunOptions& o) const override {
    return str_cat("linear probe of ", o.model.name, " features on ", o.data.spec, ": logistic regression (L-BFGS, C ",
                   o.strategy.linear_probe.c, "), seed ", o.recipe.seed);
  }

  void check(const RunOptions& o) const override {
    TLAB_CHECK(!o.model.head || *o.model.head == models::HeadOptions{},
               "--strategy linear-probe fits a linear head on pooled features; --head must be gap, got '",
               o.model.head->str(), "'");
    TLAB_CHECK(o.recipe.augment == "none", "--strategy linear-probe fits on features computed once; drop --augment ",
               o.recipe.augment);
    TLAB_CHECK(o.recipe.early_stopping.patience == 0 && o.recipe.ema_decay == 0,
               "--strategy linear-probe is one fit, not epochs of steps: drop --early-stopping and --ema");
    TLAB_CHECK(o.strategy.linear_probe.c > 0, "--probe-c: expected a positive inverse regularisation strength, got ",
               o.strategy.linear_probe.c);
  }

  Trained train(const StrategyInput& in) const override {
    auto& transfer = dynamic_cast<models::TransferModel&>(*in.model);
    transfer.set_trainable_from(transfer.stages().size());
    in.model->to(in.device);
    const CachedFeatures features = cache_features(in, transfer, 0);
    const torch::Tensor& x = features.train_views.front();
    const torch::Tensor& y = features.train_labels;

    const auto t0 = std::chrono::steady_clock::now();
    features::LogisticOptions lo;
    lo.c = in.options->strategy.linear_probe.c;
    lo.progress = in.callbacks.on_progress;
    const auto probe = features::LogisticRegression::fit(x, y, int64_t(in.train->classes().size()), lo);
    const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fold_into_head(probe, transfer, x.size(1), in.device);
    log_info(str_cat("linear probe: fitted on ", x.size(0), " x ", x.size(1), " features in ", fit_seconds, " s (",
                     probe.evaluations(), " L-BFGS evaluations)"));

    Trained out;
    out.model = in.model;
    out.forward = [model = in.model](torch::Tensor f) {
      return static_cast<models::TransferModel&>(*model).head_forward(f);
    };
    add_eval_batches(in, features, out);
    EpochRecord rec;
    rec.epoch = 1;
    const auto logits = probe.logits(x);
    rec.train_loss = logits.to(torch::kFloat64).log_softmax(1).gather(1, y.unsqueeze(1)).mean().neg().item<double>();
    rec.train_accuracy = logits.argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
    if (out.eval_batches.count("val")) {
      const auto m = eval::evaluate(*in.model, out.forward, *out.eval_batches["val"], in.device);
      rec.val_loss = m.loss;
      rec.val_accuracy = m.accuracy;
    }
    rec.seconds = features.seconds + fit_seconds;
    rec.images_per_second = double(x.size(0)) / rec.seconds;
    for (const auto& p : transfer.head_parameters()) rec.trainable_parameters += p.numel();
    rec.details = {{"extract_seconds", features.seconds},
                   {"fit_seconds", fit_seconds},
                   {"lbfgs_evaluations", probe.evaluations()},
                   {"feature_dim", x.size(1)},
                   {"train_samples", x.size(0)}};
    out.state.epoch = out.state.best_epoch = 1;
    out.state.best_val_accuracy = rec.val_accuracy.value_or(-1.0);
    if (in.store) in.store->save_epoch(rec, out.state, *in.model, nullptr, true, {});
    out.epochs.push_back(rec);
    if (in.callbacks.on_epoch) in.callbacks.on_epoch(rec);
    return out;
  }
};

}  // namespace

std::unique_ptr<Strategy> linear_probe_strategy() { return std::make_unique<LinearProbe>(); }

}  // namespace tlab::train
