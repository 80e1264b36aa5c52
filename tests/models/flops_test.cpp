#include "tlab/models/flops.h"

#include "../test_util.h"

namespace tlab::test {
namespace {

TEST(CountMacs, SimpleCnnByHand) {
  auto model = models::create_model("simple_cnn", {10, 1, 28, 28});
  const auto c = models::count_macs(*model, 1, 28, 28);
  // conv1 26*26*32*9 + conv2 11*11*64*(32*9); fc1 1600*64 + fc2 64*10
  EXPECT_EQ(c.conv_macs, 26 * 26 * 32 * 9 + 11 * 11 * 64 * 32 * 9);
  EXPECT_EQ(c.linear_macs, 1600 * 64 + 64 * 10);
}

TEST(CountMacs, MatchesTorchvisionsPublishedFigures) {
  // torchvision's model tables list these as GFLOPS (multiply-accumulates): resnet50 4.09,
  // mobilenet_v2 0.30, squeezenet1_1 0.35 (grouped and 1x1 convolutions included).
  const std::vector<std::pair<std::string, double>> published = {
      {"resnet50", 4.09}, {"mobilenet_v2", 0.30}, {"squeezenet1_1", 0.35}};
  for (const auto& [name, gmacs] : published) {
    auto model = models::create_model(name, {1000, 3, 224, 224});
    EXPECT_NEAR(double(models::count_macs(*model, 3, 224, 224).total()) / 1e9, gmacs, 0.01) << name;
  }
}

}  // namespace
}  // namespace tlab::test
