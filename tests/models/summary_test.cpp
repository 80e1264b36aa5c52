#include "tlab/models/summary.h"

#include "../test_util.h"

namespace tlab::test {
namespace {

struct Case {
  int64_t channels, side, classes;
};

class SimpleCnnShapes : public ::testing::TestWithParam<Case> {};

TEST_P(SimpleCnnShapes, ParameterCountsMatchLibTorch) {
  const auto c = GetParam();
  auto model = models::create_model("simple_cnn", {c.classes, c.channels, c.side, c.side});
  auto s = models::summarize(*model, "simple_cnn", c.channels, c.side, c.side);
  int64_t libtorch_total = 0;
  for (const auto& p : model->parameters()) libtorch_total += p.numel();
  EXPECT_EQ(s.parameters.total(), libtorch_total);
  int64_t layer_sum = 0;
  for (const auto& l : s.layers) layer_sum += l.parameters;
  EXPECT_EQ(layer_sum, libtorch_total);
  // Hand-computed: conv1 (9C+1)*32, conv2 (9*32+1)*64, fc1 (64*s*s+1)*64, fc2 65*K
  const int64_t s2 = ((c.side - 2) / 2 - 2) / 2;
  EXPECT_EQ(libtorch_total, (9 * c.channels + 1) * 32 + (9 * 32 + 1) * 64 + (64 * s2 * s2 + 1) * 64 + 65 * c.classes);
  ASSERT_EQ(s.layers.size(), 10u);
  EXPECT_EQ(s.layers[0].name, "conv1");
  EXPECT_EQ(s.layers[0].type, "Conv2d");
  EXPECT_EQ(s.layers[0].output_shape, (std::vector<int64_t>{32, c.side - 2, c.side - 2}));
  EXPECT_EQ(s.layers[6].output_shape, (std::vector<int64_t>{64 * s2 * s2}));
  EXPECT_EQ(s.layers.back().output_shape, (std::vector<int64_t>{c.classes}));
  const std::string table = models::format_summary(s);
  EXPECT_NE(table.find("conv1 (Conv2d)"), std::string::npos) << table;
  EXPECT_NE(table.find("Trainable params"), std::string::npos) << table;
}

INSTANTIATE_TEST_SUITE_P(Sizes, SimpleCnnShapes,
                         ::testing::Values(Case{1, 28, 10}, Case{3, 32, 10}, Case{3, 64, 5}, Case{1, 10, 2},
                                           Case{3, 97, 100}),
                         [](const auto& info) {
                           return "c" + std::to_string(info.param.channels) + "_s" + std::to_string(info.param.side) +
                                  "_k" + std::to_string(info.param.classes);
                         });

TEST(Summary, CountsFrozenParametersAsNonTrainable) {
  auto model = models::create_model("simple_cnn", {10, 1, 28, 28});
  for (auto& p : model->named_parameters())
    if (p.key().rfind("conv", 0) == 0) p.value().set_requires_grad(false);
  auto s = models::summarize(*model, "simple_cnn", 1, 28, 28);
  EXPECT_EQ(s.parameters.non_trainable, 320 + 18496);
  EXPECT_EQ(s.parameters.trainable, 102464 + 650);
  EXPECT_NE(models::format_summary(s).find("Non-trainable params: 18,816"), std::string::npos);
}

TEST(Registry, ErrorsNameTheProblem) {
  try {
    models::create_model("resnet9000", {});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("simple_cnn"), std::string::npos) << e.what();
  }
  EXPECT_THROW(models::create_model("simple_cnn", {10, 1, 8, 8}), std::invalid_argument);  // too small
  EXPECT_THROW(models::create_model("simple_cnn", {0, 1, 28, 28}), std::invalid_argument);
}

TEST(SimpleCnn, NamedParametersAndForward) {
  auto model = models::create_model("simple_cnn", {7, 3, 40, 36});
  auto names = model->named_parameters().keys();
  EXPECT_EQ(names, (std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                             "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"}));
  auto y = model->forward(torch::randn({2, 3, 40, 36}));
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 7}));
}

}  // namespace
}  // namespace tlab::test
