// The LR finder: fastai 2.7's suggestion rules on a fixed curve (the rules ported to Python beside
// it, run from the test), the exponential sweep, the stop at 4x the best loss, and the model
// restored afterwards.
#include "tlab/train/lr_find.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "../test_util.h"
#include "tlab/core/error.h"

namespace tlab::test {
namespace {

// fastai.callback.schedule's valley, steep and minimum (fastai 2.7.x), on lr_find's slice
// [num_it // 10 : -5] of the recorded curve.
constexpr const char* kFastaiRules = R"(import sys, torch
def valley(lrs, losses, num_it):
    n = len(losses)
    max_start, max_end = 0, 0
    lds = [1] * n
    for i in range(1, n):
        for j in range(0, i):
            if (losses[i] < losses[j]) and (lds[i] < lds[j] + 1):
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    idx = max_start + int(sections) + int(sections / 2)
    return float(lrs[idx]), (float(lrs[idx]), losses[idx])
def steep(lrs, losses, num_it):
    grads = (losses[1:] - losses[:-1]) / (lrs[1:].log() - lrs[:-1].log())
    return lrs[grads.argmin()].item(), (lrs[grads.argmin()].item(), losses[grads.argmin()].item())
def minimum(lrs, losses, num_it):
    lr_min = lrs[losses.argmin()].item()
    return lr_min / 10, (lr_min, losses[losses.argmin()].item())
num_it = int(sys.argv[2])
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1])]
lrs = torch.tensor([r[0] for r in rows], dtype=torch.float64)[num_it // 10:-5]
losses = torch.tensor([r[1] for r in rows], dtype=torch.float64)[num_it // 10:-5]
with open(sys.argv[3], "w") as out:
    for f in (valley, steep, minimum):
        lr, (x, y) = f(lrs, losses, num_it)
        out.write(f"{f.__name__} {lr!r} {float(x)!r} {float(y)!r}\n")
)";

TEST(LrFind, SuggestionsFollowFastaisRulesOnAFixedCurve) {
  TempDir dir;
  // a typical curve: flat, a descent with a bump, a valley, then divergence
  std::vector<double> lrs, losses;
  const int num_it = 100;
  for (int i = 0; i < 93; ++i) {
    const double lr = 1e-7 * std::pow(1e8, double(i) / num_it);
    const double t = std::log10(lr);
    double loss = 2.3 - 1.6 / (1 + std::exp(-(t + 3.2) * 2.5)) + 0.05 * std::sin(3.7 * i);
    if (t > -0.6) loss += std::pow(10, 2.5 * (t + 0.6)) - 1;
    lrs.push_back(lr);
    losses.push_back(loss);
  }
  std::ostringstream curve;
  curve.precision(17);
  for (size_t i = 0; i < lrs.size(); ++i) curve << lrs[i] << " " << losses[i] << "\n";
  std::ofstream(dir.str("curve.txt")) << curve.str();
  std::ofstream(dir.str("rules.py")) << kFastaiRules;
  ASSERT_EQ(run_command("/usr/bin/python3 " + dir.str("rules.py") + " " + dir.str("curve.txt") + " " +
                        std::to_string(num_it) + " " + dir.str("out.txt")),
            0)
      << "the fastai rules (in PyTorch) failed; is python3-torch installed?";
  const auto ours = train::suggest_lrs(lrs, losses, num_it);
  ASSERT_EQ(ours.size(), 3u);
  std::istringstream in(read_text(dir.str("out.txt")));
  for (const auto& s : ours) {
    std::string name;
    double lr = 0, x = 0, y = 0;
    ASSERT_TRUE(in >> name >> lr >> x >> y);
    EXPECT_EQ(s.name, name);
    EXPECT_DOUBLE_EQ(s.lr, lr) << name;
    EXPECT_DOUBLE_EQ(s.at_lr, x) << name;
    EXPECT_DOUBLE_EQ(s.loss, y) << name;
  }
  EXPECT_TRUE(train::suggest_lrs({1, 2, 3}, {3, 2, 1}, 100).empty());  // too short for the slice
}

struct Linear : models::Model {
  torch::nn::Linear fc{nullptr};
  Linear() { fc = register_module("fc", torch::nn::Linear(6, 3)); }
  torch::Tensor forward(torch::Tensor x) override { return fc(x); }
  torch::Tensor forward_observed(torch::Tensor x, const models::LayerObserver&) override { return forward(x); }
  int64_t feature_dim() const override { return 6; }
};

TEST(LrFind, SweepsExponentiallyStopsAtFourTimesTheBestAndRestoresTheModel) {
  torch::manual_seed(1);
  auto model = std::make_shared<Linear>();
  const auto x = torch::randn({64, 6});
  const auto y = (x.select(1, 0) > 0).to(torch::kInt64) + (x.select(1, 1) > 0.5).to(torch::kInt64);
  data::TensorBatches batches(x, y, {"a", "b", "c"}, 8, true, 0);  // 8 batches: the sweep repeats epochs
  train::TrainOptions t;
  t.optimizer.name = "adam";
  train::Trainer trainer(model, t, torch::kCPU);
  trainer.train_step(*[&] { batches.start_epoch(9); return batches.next(); }());  // some optimizer state
  const auto before = model->fc->weight.clone();

  train::LrFindOptions o;
  o.start_lr = 1e-5;
  o.end_lr = 1e3;
  o.iterations = 40;
  const auto r = train::lr_sweep(trainer, batches, o);
  ASSERT_GE(r.lrs.size(), 10u);
  for (size_t i = 0; i < r.lrs.size(); ++i) EXPECT_NEAR(r.lrs[i], 1e-5 * std::pow(1e8, double(i) / 40), 1e-12 * r.lrs[i]);
  // Adam at LR up to 1e3 on a linear model diverges before the end: the sweep stops at 4x the best
  EXPECT_TRUE(r.diverged);
  EXPECT_LT(r.lrs.size(), 40u);
  EXPECT_GT(r.losses.back(), 4 * *std::min_element(r.losses.begin(), r.losses.end()));
  EXPECT_TRUE(torch::equal(model->fc->weight, before));

  // without the stop: exactly `iterations` steps; the suggestions come from the slice
  o.stop_div = false;
  o.end_lr = 1e-1;
  const auto full = train::lr_sweep(trainer, batches, o);
  EXPECT_EQ(full.lrs.size(), 40u);
  EXPECT_EQ(full.suggestions.size(), 3u);
  EXPECT_TRUE(torch::equal(model->fc->weight, before));
  EXPECT_THROW(train::lr_sweep(trainer, batches, {1e-3, 1e-4}), UsageError);
}

}  // namespace
}  // namespace tlab::test
