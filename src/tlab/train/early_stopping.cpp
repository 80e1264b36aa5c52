#include "tlab/train/early_stopping.h"

#include "tlab/core/error.h"

namespace tlab::train {

void validate(const EarlyStoppingOptions& o) {
  TLAB_CHECK(o.monitor == "val_accuracy" || o.monitor == "val_loss",
             "--monitor: expected val_accuracy or val_loss, got '", o.monitor, "'");
  TLAB_CHECK(o.patience >= 0, "--early-stopping: expected a patience >= 0 epochs (0: off), got ", o.patience);
  TLAB_CHECK(o.min_delta >= 0, "--min-delta: expected >= 0, got ", o.min_delta);
}

Monitor::Monitor(EarlyStoppingOptions options, MonitorState state)
    : options_(std::move(options)), state_(state) {}

bool Monitor::update(int epoch, double value) {
  // Keras: monitor_op(current - min_delta, best) with the delta's sign following the mode.
  const bool improved = state_.best_epoch == 0 ||
                        (lower_is_better() ? value + options_.min_delta < state_.best
                                           : value - options_.min_delta > state_.best);
  if (improved) {
    state_.best = value;
    state_.best_epoch = epoch;
    state_.wait = 0;
  } else {
    ++state_.wait;
  }
  return improved;
}

bool Monitor::should_stop() const { return options_.patience > 0 && state_.wait >= options_.patience; }

}  // namespace tlab::train
