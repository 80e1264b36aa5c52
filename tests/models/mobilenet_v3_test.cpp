#include "tlab/models/mobilenet_v3.h"

#include "mobile_checks.h"

namespace tlab::test {
namespace {

TEST(MobileNetV3, SmallMatchesTorchvision) { expect_parity_at_default_size("mobilenet_v3_small"); }

TEST(MobileNetV3, LargeMatchesTorchvision) { expect_parity_at_default_size("mobilenet_v3_large"); }

TEST(MobileNetV3, TorchvisionNamesAndSize) {
  expect_names_and_size("mobilenet_v3_small",
                        {"features.0.0.weight", "features.0.1.running_mean", "features.1.block.0.0.weight",
                         "features.1.block.1.fc1.weight", "features.1.block.1.fc2.bias", "features.4.block.2.fc1.weight",
                         "features.4.block.3.1.running_var", "features.12.0.weight", "classifier.0.weight",
                         "classifier.3.weight", "classifier.3.bias"},
                        2542856);
  expect_names_and_size("mobilenet_v3_large",
                        {"features.1.block.0.0.weight", "features.4.block.2.fc1.weight", "features.4.block.3.0.weight",
                         "features.16.1.bias", "classifier.0.weight", "classifier.3.weight"},
                        5483032);
}

TEST(MobileNetV3, BatchNormUsesTorchvisionsEpsAndMomentum) {
  auto model = models::create_model("mobilenet_v3_small", {});
  int64_t count = 0;
  for (const auto& m : model->modules())
    if (const auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      EXPECT_DOUBLE_EQ(bn->options.eps(), 1e-3);
      EXPECT_DOUBLE_EQ(bn->options.momentum().value(), 0.01);
      ++count;
    }
  EXPECT_EQ(count, 1 + 2 + 10 * 3 + 1);  // stem, block 1 (no expand conv), blocks 2-11, last conv
}

TEST(MobileNetV3, HeadlessGivesPooledFeatures) {
  expect_headless_features("mobilenet_v3_small", 576);
  expect_headless_features("mobilenet_v3_large", 960);
}

TEST(MobileNetV3, ObservedStageNames) {
  expect_stage_names("mobilenet_v3_small", 13, 4, 576);
  expect_stage_names("mobilenet_v3_large", 17, 4, 960);
}

TEST(MobileNetV3, ImageNetHeadIntoTenClassesReinitialisesOnlyTheHead) {
  expect_head_reinitialised("mobilenet_v3_small", {"classifier.3.weight", "classifier.3.bias"});
  expect_head_reinitialised("mobilenet_v3_large", {"classifier.3.weight", "classifier.3.bias"});
}

TEST(MobileNetV3, TrainsWithGradientsEverywhere) {
  expect_trains("mobilenet_v3_small");
  expect_trains("mobilenet_v3_large");
}

}  // namespace
}  // namespace tlab::test
