#include "tlab/models/efficientnet.h"

#include "mobile_checks.h"

namespace tlab::test {
namespace {

TEST(EfficientNet, B0MatchesTorchvision) { expect_parity_at_default_size("efficientnet_b0"); }
TEST(EfficientNet, B1MatchesTorchvision) { expect_parity_at_default_size("efficientnet_b1"); }
TEST(EfficientNet, B2MatchesTorchvision) { expect_parity_at_default_size("efficientnet_b2"); }
TEST(EfficientNet, B3MatchesTorchvision) { expect_parity_at_default_size("efficientnet_b3"); }

TEST(EfficientNet, TorchvisionNamesAndSize) {
  const std::vector<std::string> common = {"features.0.0.weight",          "features.0.1.running_mean",
                                           "features.1.0.block.0.0.weight", "features.1.0.block.1.fc1.weight",
                                           "features.1.0.block.2.1.bias",   "features.2.0.block.2.fc1.weight",
                                           "features.2.1.block.3.0.weight", "features.8.0.weight",
                                           "classifier.1.weight",          "classifier.1.bias"};
  expect_names_and_size("efficientnet_b0", common, 5288548);
  expect_names_and_size("efficientnet_b1", common, 7794184);
  expect_names_and_size("efficientnet_b2", common, 9109994);
  expect_names_and_size("efficientnet_b3", common, 12233232);
}

TEST(EfficientNet, DepthAndStochasticDepthFollowTorchvision) {
  // Blocks per stage: ceil(n * depth_mult) for n = 1, 2, 2, 3, 3, 4, 1.
  const std::map<std::string, std::vector<int64_t>> blocks = {{"efficientnet_b0", {1, 2, 2, 3, 3, 4, 1}},
                                                              {"efficientnet_b1", {2, 3, 3, 4, 4, 5, 2}},
                                                              {"efficientnet_b2", {2, 3, 3, 4, 4, 5, 2}},
                                                              {"efficientnet_b3", {2, 3, 3, 5, 5, 6, 2}}};
  for (const auto& [arch, per_stage] : blocks) {
    auto model = models::create_model(arch, {});
    const auto features = model->named_children()["features"];
    ASSERT_EQ(features->children().size(), 9u) << arch;
    int64_t total = 0;
    for (auto n : per_stage) total += n;
    int64_t id = 0;
    for (size_t s = 0; s < per_stage.size(); ++s) {
      const auto stage = features->children()[s + 1]->children();
      ASSERT_EQ(int64_t(stage.size()), per_stage[s]) << arch << " stage " << s + 1;
      for (const auto& block : stage) {
        const auto* sd = block->named_children()["stochastic_depth"]->as<models::StochasticDepth>();
        ASSERT_NE(sd, nullptr);
        EXPECT_DOUBLE_EQ(sd->p(), 0.2 * double(id++) / double(total)) << arch;
      }
    }
  }
}

TEST(EfficientNet, HeadlessGivesPooledFeatures) {
  expect_headless_features("efficientnet_b0", 1280);
  expect_headless_features("efficientnet_b1", 1280);
  expect_headless_features("efficientnet_b2", 1408);
  expect_headless_features("efficientnet_b3", 1536);
}

TEST(EfficientNet, ObservedStageNames) {
  expect_stage_names("efficientnet_b0", 9, 2, 1280);
  expect_stage_names("efficientnet_b3", 9, 2, 1536);
}

TEST(EfficientNet, ImageNetHeadIntoTenClassesReinitialisesOnlyTheHead) {
  expect_head_reinitialised("efficientnet_b0", {"classifier.1.weight", "classifier.1.bias"});
  expect_head_reinitialised("efficientnet_b2", {"classifier.1.weight", "classifier.1.bias"});
}

TEST(EfficientNet, TrainsWithGradientsEverywhere) { expect_trains("efficientnet_b0"); }

TEST(EfficientNet, StochasticDepthDropsWholeRowsOnlyInTraining) {
  torch::manual_seed(3);
  models::StochasticDepth sd(0.5, "row");
  const auto x = torch::ones({400, 3, 2, 2});
  sd->train();
  const auto y = sd(x);
  const auto per_row = y.view({400, -1});
  // Each row is all 0 or all 1 / (1 - p) = 2.
  EXPECT_TRUE(((per_row == 0).all(1) | (per_row == 2).all(1)).all().item<bool>());
  const double kept = (per_row.select(1, 0) == 2).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(kept, 0.5, 0.1);
  sd->eval();
  EXPECT_TRUE(torch::equal(sd(x), x));
  EXPECT_THROW(models::StochasticDepth(1.5, "row"), std::invalid_argument);
  EXPECT_THROW(models::StochasticDepth(0.1, "column"), std::invalid_argument);
}

TEST(EfficientNet, MakeDivisibleMatchesTorchvision) {
  // Values from torchvision.models._utils._make_divisible.
  EXPECT_EQ(models::make_divisible(32 * 1.1, 8), 32);
  EXPECT_EQ(models::make_divisible(32 * 1.2, 8), 40);
  EXPECT_EQ(models::make_divisible(320 * 1.1, 8), 352);
  EXPECT_EQ(models::make_divisible(24 * 1.1, 8), 24);
  EXPECT_EQ(models::make_divisible(3, 8), 8);
  EXPECT_EQ(models::make_divisible(12, 8), 16);
  EXPECT_EQ(models::make_divisible(90, 8), 88);
  EXPECT_EQ(models::make_divisible(67, 8), 64);
  EXPECT_EQ(models::make_divisible(1, 8, 1), 1);
}

}  // namespace
}  // namespace tlab::test
