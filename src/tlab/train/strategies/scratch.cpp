// scratch: every parameter trains from the first epoch (random initialisation, or a pretrained
// backbone trained whole when --weights is given).
#include "tlab/train/strategies/image_training.h"
#include "tlab/train/strategies/strategies.h"

namespace tlab::train {
namespace {

class Scratch : public Strategy {
 public:
  std::string name() const override { return "scratch"; }
  bool needs_weights() const override { return false; }
  Trained train(const StrategyInput& in) const override {
    Trainer trainer = make_trainer(in);
    return fit_on_images(in, trainer);
  }
};

}  // namespace

std::unique_ptr<Strategy> scratch_strategy() { return std::make_unique<Scratch>(); }

}  // namespace tlab::train
