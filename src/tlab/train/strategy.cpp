#include "tlab/train/strategy.h"

#include <utility>

#include "tlab/core/error.h"
#include "tlab/train/strategies/strategies.h"

namespace tlab::train {

std::string Strategy::describe(const RunOptions& o) const {
  const Recipe& r = o.recipe;
  return str_cat("training ", o.model.name, " on ", o.data.spec, " (", name(), "): ", r.epochs, " epochs, batch ",
                 r.batch_size, ", ", r.optimizer.name, " lr ", r.optimizer.lr, ", ", r.schedule.name,
                 " schedule (warm-up ", r.schedule.warmup_epochs, " epochs), label smoothing ", r.label_smoothing,
                 ", seed ", r.seed);
}

std::string Strategy::checkpoint_model(const RunOptions& o) const { return o.model.name; }

std::unique_ptr<Strategy> make_strategy(const std::string& name) {
  static const std::pair<const char*, std::unique_ptr<Strategy> (*)()> kStrategies[] = {
      {"scratch", scratch_strategy},
      {"linear-probe", linear_probe_strategy},
      {"feature-extract", feature_extract_strategy},
      {"fine-tune", fine_tune_strategy},
      {"distill", distill_strategy},
      {"classical", classical_strategy}};
  for (const auto& [known, make] : kStrategies)
    if (name == known) return make();
  throw UsageError(str_cat("--strategy: expected scratch, linear-probe, feature-extract, fine-tune, distill or classical, got '",
                           name, "'"));
}

}  // namespace tlab::train
