// Test-time augmentation as fastai's Learner.tta blends it: the mean of N augmented passes'
// probabilities, lerped towards the plain pass's by beta.
#include "../test_util.h"
#include "../train/fixtures.h"
#include "tlab/core/error.h"
#include "tlab/data/spec.h"
#include "tlab/eval/evaluate.h"
#include "tlab/train/run.h"

namespace tlab::test {
namespace {

TEST(TestTimeAugmentation, BlendsAugmentedPassesWithThePlainOneAsFastai) {
  TempDir dir;
  write_bar_dataset(dir.str("data"));
  train::run_training(bar_run(dir.str("data"), dir.str("run")));
  const auto model = infer::load_checkpoint(dir.str("run/checkpoints/best.pt"), torch::kCPU);
  const auto test = data::open_data("idx:" + dir.str("data"), {}).test;

  eval::EvaluateOptions e;
  e.workers = 0;
  e.batch_size = 16;
  e.tta = 3;
  e.seed = 5;
  e.tta_augmentation =
      std::make_shared<const transforms::Augmentation>(transforms::Augmentation::from_flag("light"));
  eval::Metrics plain;
  const auto m = eval::evaluate(model, test, e, &plain);

  // by hand: the same loader, passes 1..3, probabilities averaged, torch.lerp(aug, plain, 0.25)
  const auto forward = [&](torch::Tensor x) { return infer::logits(model, x); };
  data::LoaderOptions lo;
  lo.batch_size = 16;
  lo.workers = 0;
  data::DataLoader loader(test, model.input, lo);
  const auto base = eval::collect_outputs(*model.model, forward, loader, torch::kCPU);
  lo.augment = e.tta_augmentation;
  lo.seed = 5;
  data::DataLoader augmented(test, model.input, lo);
  torch::Tensor sum;
  for (int pass = 1; pass <= 3; ++pass) {
    const auto p = torch::softmax(eval::collect_outputs(*model.model, forward, augmented, torch::kCPU, {}, pass)
                                      .logits.to(torch::kFloat64), 1);
    sum = pass == 1 ? p : sum + p;
  }
  const auto pbase = torch::softmax(base.logits.to(torch::kFloat64), 1);
  const auto blend = 0.75 * (sum / 3) + 0.25 * pbase;
  const double nll = -blend.gather(1, base.labels.unsqueeze(1)).log().mean().item<double>();
  EXPECT_NEAR(m.loss.value(), nll, 1e-9);
  EXPECT_NE(m.loss.value(), plain.loss.value());  // the augmented passes differ from the plain one
  EXPECT_NEAR(plain.loss.value(),
              -torch::log_softmax(base.logits.to(torch::kFloat64), 1).gather(1, base.labels.unsqueeze(1)).mean().item<double>(),
              1e-12);

  e.tta_beta = 1;  // all weight on the plain pass
  EXPECT_NEAR(eval::evaluate(model, test, e).loss.value(), plain.loss.value(), 1e-9);
  e.tta_augmentation.reset();
  EXPECT_THROW(eval::evaluate(model, test, e), UsageError);
}

}  // namespace
}  // namespace tlab::test
