// feature-extract: a frozen backbone (no gradients; BatchNorm and dropout in eval mode) and a new
// head. Without augmentation the backbone's features are computed once and the head trains on
// them; with it, only when --feature-views K caches K augmented views, else the backbone runs
// every epoch.
#include "tlab/core/error.h"
#include "tlab/models/transfer.h"
#include "tlab/train/feature_cache.h"
#include "tlab/train/strategies/image_training.h"
#include "tlab/train/strategies/strategies.h"

namespace tlab::train {
namespace {

class FeatureExtract : public Strategy {
 public:
  std::string name() const override { return "feature-extract"; }

  void check(const RunOptions& o) const override {
    const int views = o.strategy.feature_extract.views;
    TLAB_CHECK(views >= 0, "--feature-views: expected a count >= 0, got ", views);
    TLAB_CHECK(views == 0 || !o.recipe.augmentation->mix().enabled(),
               "--feature-views: MixUp/CutMix mix whole batches, which cached per-image views cannot; use an "
               "augmentation without mixup_alpha/cutmix_alpha, or --feature-views 0");
  }

  bool reads_images_once(const RunOptions& o) const override { return cached(o); }
  int feature_views(const RunOptions& o) const override {
    return o.recipe.augmentation->empty() ? 0 : o.strategy.feature_extract.views;
  }

  Trained train(const StrategyInput& in) const override {
    auto& transfer = dynamic_cast<models::TransferModel&>(*in.model);
    transfer.set_trainable_from(transfer.stages().size());
    Trainer trainer = make_trainer(in);
    if (!cached(*in.options)) return fit_on_images(in, trainer);

    if (in.resume) trainer.resume(*in.store);
    const CachedFeatures features = cache_features(in, transfer, feature_views(*in.options));
    Trained out;
    out.model = in.model;
    out.forward = [model = in.model](torch::Tensor x) {
      return static_cast<models::TransferModel&>(*model).head_forward(x);
    };
    add_eval_batches(in, features, out);
    trainer.set_forward(out.forward);
    data::TensorBatches train(features.train_views, features.train_labels, in.train->classes(),
                              in.options->recipe.batch_size, true, in.options->recipe.seed);
    out.epochs = trainer.fit(train, out.eval_batches.count("val") ? out.eval_batches["val"].get() : nullptr, in.store,
                             in.callbacks);
    out.state = trainer.state();
    return out;
  }

 private:
  // Frozen backbone: its features are the same every epoch without augmentation, so they are
  // computed once; with augmentation, only K views of them (--feature-views).
  static bool cached(const RunOptions& o) {
    const auto& f = o.strategy.feature_extract;
    return f.cache && (f.views > 0 || o.recipe.augmentation->empty());
  }
};

}  // namespace

std::unique_ptr<Strategy> feature_extract_strategy() { return std::make_unique<FeatureExtract>(); }

}  // namespace tlab::train
