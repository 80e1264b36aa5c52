// fine-tune: the two-phase recipe. The new head trains alone for --head-epochs, then the unfrozen
// backbone stages join at --backbone-lr-scale of the head's LR (earlier stages lower by
// --layer-decay each), with the LR schedule (warm-up included) starting again when they join;
// BatchNorm statistics stay the pretrained ones unless --bn train.
#include <algorithm>
#include <cmath>

#include "tlab/core/error.h"
#include "tlab/models/transfer.h"
#include "tlab/train/strategies/image_training.h"
#include "tlab/train/strategies/strategies.h"

namespace tlab::train {
namespace {

// --unfreeze: 0 for all, else the number of last stages.
size_t unfreeze_count(const std::string& unfreeze) {
  if (unfreeze == "all") return 0;
  try {
    size_t used = 0;
    const long n = std::stol(unfreeze, &used);
    if (used == unfreeze.size() && n > 0) return size_t(n);
  } catch (const std::exception&) {
  }
  throw UsageError(str_cat("--unfreeze: expected all or a positive number of stages, got '", unfreeze, "'"));
}

// The first backbone stage that trains under --unfreeze / --unfreeze-from.
size_t first_trainable_stage(const RunOptions& o, const models::TransferModel& model) {
  const FineTuneOptions& f = o.strategy.fine_tune;
  const auto& stages = model.stages();
  if (!f.unfreeze_from.empty()) {
    const auto it = std::find(stages.begin(), stages.end(), f.unfreeze_from);
    std::string known;
    for (const auto& s : stages) known += (known.empty() ? "" : ", ") + s;
    TLAB_CHECK(it != stages.end(), "--unfreeze-from '", f.unfreeze_from, "': not a stage of ", o.model.name,
               "; its stages: ", known);
    return size_t(it - stages.begin());
  }
  const size_t n = unfreeze_count(f.unfreeze);
  return n == 0 ? 0 : stages.size() - std::min(n, stages.size());
}

// The head trains from the first epoch at the scheduled LR; the unfrozen backbone stages join after
// the head epochs at backbone_lr_scale of it, earlier stages lower by layer_decay each. Frozen
// stages are in no group.
std::vector<ParamGroup> fine_tuning_groups(const RunOptions& o, models::TransferModel& model) {
  const FineTuneOptions& f = o.strategy.fine_tune;
  model.freeze_batchnorm(f.bn == "frozen");
  const size_t first = first_trainable_stage(o, model), n = model.stages().size();
  model.set_trainable_from(first);
  std::vector<ParamGroup> groups;
  for (size_t i = first; i < n; ++i)
    groups.push_back({model.stage_parameters(i), f.backbone_lr_scale * std::pow(f.layer_decay, double(n - 1 - i)),
                      f.head_epochs});
  groups.push_back({model.head_parameters(), 1.0, 0});
  return groups;
}

class FineTune : public Strategy {
 public:
  std::string name() const override { return "fine-tune"; }

  void resolve(RunOptions& o) const override {
    if (o.strategy.fine_tune.head_epochs < 0) o.strategy.fine_tune.head_epochs = std::max(1, o.recipe.epochs / 4);
  }

  void check(const RunOptions& o) const override {
    const FineTuneOptions& f = o.strategy.fine_tune;
    TLAB_CHECK(f.head_epochs >= 0 && f.head_epochs < o.recipe.epochs, "--head-epochs ", f.head_epochs,
               " leaves no epoch of --epochs ", o.recipe.epochs, " to fine-tune the backbone in");
    TLAB_CHECK(f.backbone_lr_scale > 0 && f.backbone_lr_scale <= 1,
               "--backbone-lr-scale: expected a value in (0, 1], got ", f.backbone_lr_scale);
    TLAB_CHECK(f.layer_decay > 0 && f.layer_decay <= 1, "--layer-decay: expected a value in (0, 1], got ",
               f.layer_decay);
    TLAB_CHECK(f.bn == "frozen" || f.bn == "train", "--bn: expected frozen or train, got '", f.bn, "'");
    unfreeze_count(f.unfreeze);
  }

  Trained train(const StrategyInput& in) const override {
    auto& transfer = dynamic_cast<models::TransferModel&>(*in.model);
    Trainer trainer = make_trainer(in, fine_tuning_groups(*in.options, transfer));
    return fit_on_images(in, trainer);
  }
};

}  // namespace

std::unique_ptr<Strategy> fine_tune_strategy() { return std::make_unique<FineTune>(); }

}  // namespace tlab::train
