// MixUp / CutMix: image mixing, label mixing and the soft-target loss.
#include "../test_util.h"
#include "tlab/transforms/mix.h"

namespace tlab::test {
namespace {

using transforms::MixOptions;

// Batch of 4 flat images: image i is filled with value i; labels 0..3.
std::pair<torch::Tensor, torch::Tensor> flat_batch() {
  auto x = torch::arange(4, torch::kFloat32).view({4, 1, 1, 1}).expand({4, 3, 8, 8}).clone();
  return {x, torch::arange(4, torch::kInt64)};
}

TEST(Mix, MixUpBlendsImagesAndLabelsWithTheSameLambda) {
  auto [x, y] = flat_batch();
  std::mt19937_64 rng(1);
  MixOptions o;
  o.mixup_alpha = 0.4;
  const auto r = transforms::mix_batch(x, y, 5, 0.0, o, rng);
  EXPECT_FALSE(r.cutmix);
  ASSERT_GT(r.lambda, 0.0);
  ASSERT_LT(r.lambda, 1.0);
  for (int i = 0; i < 4; ++i) {
    const double expected = r.lambda * i + (1 - r.lambda) * (3 - i);  // partner: the batch reversed
    EXPECT_NEAR(x[i].mean().item<double>(), expected, 1e-5);
    EXPECT_NEAR(x[i].max().item<double>() - x[i].min().item<double>(), 0.0, 1e-5);  // still flat
    EXPECT_NEAR(r.targets[i][i].item<double>(), r.lambda, 1e-6);
    EXPECT_NEAR(r.targets[i][3 - i].item<double>(), 1 - r.lambda, 1e-6);
    EXPECT_NEAR(r.targets[i][4].item<double>(), 0.0, 1e-7);
  }
  EXPECT_TRUE(torch::allclose(r.targets.sum(1), torch::ones({4})));
}

TEST(Mix, CutMixPastesABoxAndLambdaIsItsAreaComplement) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto [x, y] = flat_batch();
    std::mt19937_64 rng(seed);
    MixOptions o;
    o.cutmix_alpha = 1.0;
    const auto r = transforms::mix_batch(x, y, 4, 0.0, o, rng);
    ASSERT_TRUE(r.cutmix);
    // Image 0 is 0 outside the box and 3 (image 3's value) inside: the pasted fraction is (1 - lambda).
    const double pasted = x[0][0].eq(3.0).to(torch::kFloat64).mean().item<double>();
    EXPECT_NEAR(pasted, 1 - r.lambda, 1e-9) << "seed " << seed;
    EXPECT_NEAR(r.targets[0][0].item<double>(), r.lambda, 1e-6);
    EXPECT_NEAR(r.targets[0][3].item<double>(), 1 - r.lambda, 1e-6);
    // Only values 0 and 3 occur in image 0: a box was pasted, nothing blended.
    EXPECT_TRUE(x[0].eq(0.0).logical_or(x[0].eq(3.0)).all().item<bool>());
  }
}

TEST(Mix, SwitchProbChoosesBetweenMixUpAndCutMix) {
  MixOptions o;
  o.mixup_alpha = 0.2;
  o.cutmix_alpha = 1.0;
  int cutmix = 0;
  std::mt19937_64 rng(7);
  for (int t = 0; t < 400; ++t) {
    auto [x, y] = flat_batch();
    cutmix += transforms::mix_batch(x, y, 4, 0.0, o, rng).cutmix;
  }
  EXPECT_GT(cutmix, 150);
  EXPECT_LT(cutmix, 250);
}

TEST(Mix, ProbZeroLeavesTheBatchAloneAndSmoothsTargets) {
  auto [x, y] = flat_batch();
  const auto before = x.clone();
  std::mt19937_64 rng(3);
  MixOptions o;
  o.mixup_alpha = 1.0;
  o.prob = 0.0;
  const auto r = transforms::mix_batch(x, y, 4, 0.2, o, rng);
  EXPECT_TRUE(torch::equal(x, before));
  EXPECT_EQ(r.lambda, 1.0);
  EXPECT_NEAR(r.targets[1][1].item<double>(), 0.8 + 0.05, 1e-6);  // torch's smoothing: 1 - ls + ls / K
  EXPECT_NEAR(r.targets[1][0].item<double>(), 0.05, 1e-6);
}

TEST(Mix, SameSeedSameMix) {
  MixOptions o;
  o.mixup_alpha = 0.2;
  o.cutmix_alpha = 1.0;
  auto [x1, y1] = flat_batch();
  auto [x2, y2] = flat_batch();
  std::mt19937_64 a(11), b(11);
  const auto r1 = transforms::mix_batch(x1, y1, 4, 0.0, o, a);
  const auto r2 = transforms::mix_batch(x2, y2, 4, 0.0, o, b);
  EXPECT_TRUE(torch::equal(x1, x2));
  EXPECT_TRUE(torch::equal(r1.targets, r2.targets));
}

TEST(Mix, SoftTargetLossEqualsCrossEntropyOnOneHotAndMixesLinearly) {
  torch::manual_seed(0);
  const auto logits = torch::randn({6, 5});
  const auto y = torch::tensor({0, 1, 2, 3, 4, 0}, torch::kInt64);
  const auto y2 = torch::tensor({4, 3, 2, 1, 0, 1}, torch::kInt64);
  const auto onehot = torch::one_hot(y, 5).to(torch::kFloat32), onehot2 = torch::one_hot(y2, 5).to(torch::kFloat32);
  namespace F = torch::nn::functional;
  EXPECT_NEAR(transforms::soft_target_cross_entropy(logits, onehot).item<double>(),
              F::cross_entropy(logits, y).item<double>(), 1e-5);
  const double lam = 0.3;
  EXPECT_NEAR(transforms::soft_target_cross_entropy(logits, onehot * lam + onehot2 * (1 - lam)).item<double>(),
              lam * F::cross_entropy(logits, y).item<double>() + (1 - lam) * F::cross_entropy(logits, y2).item<double>(),
              1e-5);
}

TEST(Mix, BadOptionsAreErrors) {
  auto [x, y] = flat_batch();
  std::mt19937_64 rng(0);
  MixOptions o;
  o.mixup_alpha = -1;
  EXPECT_THROW(transforms::mix_batch(x, y, 4, 0.0, o, rng), std::invalid_argument);
  o.mixup_alpha = 0.2;
  o.prob = 2;
  EXPECT_THROW(transforms::mix_batch(x, y, 4, 0.0, o, rng), std::invalid_argument);
}

}  // namespace
}  // namespace tlab::test
