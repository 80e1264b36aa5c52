// distill: any student trains on alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE.
// Without augmentation the teacher's outputs are computed once per training image; with it, the
// teacher sees each augmented batch converted to its own input size and normalisation.
#include <chrono>
#include <cmath>

#include "tlab/core/error.h"
#include "tlab/core/log.h"
#include "tlab/train/distill.h"
#include "tlab/train/strategies/image_training.h"
#include "tlab/train/strategies/strategies.h"

namespace tlab::train {
namespace {

class Distill : public Strategy {
 public:
  std::string name() const override { return "distill"; }
  bool needs_weights() const override { return false; }

  void check(const RunOptions& o) const override {
    const DistillOptions& d = o.strategy.distill;
    TLAB_CHECK(!d.teacher.empty(), "--strategy distill needs --teacher RUN_DIR|CHECKPOINT|MODEL:WEIGHTS");
    TLAB_CHECK(d.temperature > 0 && std::isfinite(d.temperature), "--temperature: expected a positive value, got ",
               d.temperature);
    TLAB_CHECK(d.alpha >= 0 && d.alpha <= 1, "--alpha: expected a weight in [0, 1], got ", d.alpha);
    Teacher::input_of(d.teacher);  // names a teacher that is there
  }

  int extra_input_side(const RunOptions& o) const override {
    return transforms::resize_side(Teacher::input_of(o.strategy.distill.teacher));
  }

  Trained train(const StrategyInput& in) const override {
    const DistillOptions& d = in.options->strategy.distill;
    Teacher teacher(d.teacher, in.device);
    teacher.check_classes(in.train->classes());
    Trainer trainer = make_trainer(in);
    if (in.augmentation->empty()) {  // the teacher sees each image as it always will: its outputs once, per sample
      const auto t0 = std::chrono::steady_clock::now();
      teacher.cache(in.train, eval_loader_options(in), in.callbacks.on_progress);
      log_info(str_cat("teacher outputs for ", in.train->size(), " images computed once in ",
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), " s"));
    }
    trainer.set_teacher([&](const data::Batch& b, const torch::Tensor& x) { return teacher.logits(b, x, in.input); },
                        d.temperature, d.alpha);
    return fit_on_images(in, trainer);
  }
};

}  // namespace

std::unique_ptr<Strategy> distill_strategy() { return std::make_unique<Distill>(); }

}  // namespace tlab::train
