#pragma once
// What "best" means for a run (--monitor) and when to stop (--early-stopping PATIENCE), as Keras's
// EarlyStopping(monitor, min_delta, patience, restore_best_weights=True): an epoch improves when its
// value beats the best by more than min_delta (val_loss lower, val_accuracy higher); after `patience`
// epochs in a row without one, training stops, and the best epoch's weights are the model's.
#include <string>

namespace tlab::train {

struct EarlyStoppingOptions {
  std::string monitor = "val_accuracy";  // --monitor val_accuracy|val_loss: picks the best checkpoint, and stops
  int patience = 0;                      // --early-stopping PATIENCE: epochs without improvement before stopping;
                                         // 0: train every epoch
  double min_delta = 0;                  // --min-delta: the least change that counts as an improvement, >= 0
};

// Throws UsageError naming the flag.
void validate(const EarlyStoppingOptions& options);

// The monitor's state across epochs; stored with every checkpoint so a resumed run continues it.
struct MonitorState {
  double best = 0;        // the best value so far (valid when best_epoch > 0)
  int best_epoch = 0;     // 0: none yet
  int wait = 0;           // epochs since the last improvement
};

class Monitor {
 public:
  explicit Monitor(EarlyStoppingOptions options, MonitorState state = {});
  // Records epoch `epoch`'s value; returns whether it improved on the best (the first value always does).
  bool update(int epoch, double value);
  // Whether training should stop now (patience > 0 and `patience` epochs without improvement).
  bool should_stop() const;
  const MonitorState& state() const { return state_; }
  bool lower_is_better() const { return options_.monitor == "val_loss"; }

 private:
  EarlyStoppingOptions options_;
  MonitorState state_;
};

}  // namespace tlab::train
