#include "tlab/models/vgg.h"

#include "parity.h"
#include "tlab/models/summary.h"
#include "zoo_test_util.h"

namespace tlab::test {
namespace {

// Parity with torchvision for every configuration. A VGG weights file is ~500 MB whatever the
// head (classifier.0 alone is 25088x4096), so 10 classes only trims the last layer.
TEST(VggParity, Vgg11) { expect_torchvision_parity("vgg11", {10}); }
TEST(VggParity, Vgg13) { expect_torchvision_parity("vgg13", {10}); }
TEST(VggParity, Vgg16) { expect_torchvision_parity("vgg16", {10}); }
TEST(VggParity, Vgg19) { expect_torchvision_parity("vgg19", {10}); }
TEST(VggParity, Vgg11Bn) { expect_torchvision_parity("vgg11_bn", {10}); }
TEST(VggParity, Vgg13Bn) { expect_torchvision_parity("vgg13_bn", {10}); }
TEST(VggParity, Vgg16Bn) { expect_torchvision_parity("vgg16_bn", {10}); }
TEST(VggParity, Vgg19Bn) { expect_torchvision_parity("vgg19_bn", {10}); }

TEST(Vgg, StageNamesShapesAndSummary) {
  auto model = models::create_model("vgg16", {10, 3, 32, 32});
  const auto x = torch::randn({1, 3, 32, 32});
  torch::Tensor result;
  const auto stages = observe_stages(*model, x, &result);
  std::vector<std::string> expected;
  for (int i = 0; i <= 30; ++i) expected.push_back("features." + std::to_string(i));  // 13 x (conv, relu) + 5 pools
  expected.push_back("avgpool");
  for (int i = 0; i <= 6; ++i) expected.push_back("classifier." + std::to_string(i));
  ASSERT_EQ(stage_names(stages), expected);
  EXPECT_EQ(stages[0].shape, (std::vector<int64_t>{1, 64, 32, 32}));
  EXPECT_EQ(stages[30].shape, (std::vector<int64_t>{1, 512, 1, 1}));
  EXPECT_EQ(stages[31].shape, (std::vector<int64_t>{1, 512, 7, 7}));
  EXPECT_EQ(stages[32].shape, (std::vector<int64_t>{1, 4096}));
  EXPECT_EQ(stages.back().shape, (std::vector<int64_t>{1, 10}));
  // The reported conv output is not overwritten by the following ReLU.
  EXPECT_LT(stages[0].output.min().item<float>(), 0.0f);
  EXPECT_GE(stages[1].output.min().item<float>(), 0.0f);
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(result, model->forward(x)));
    EXPECT_TRUE(torch::equal(result, stages.back().output));
  }
  const auto taps = models::extract_features(*model, x, {"avgpool", "classifier.3"});
  EXPECT_EQ(taps.at("classifier.3").sizes(), (std::vector<int64_t>{1, 4096}));
  EXPECT_THROW(models::extract_features(*model, x, {"fc"}), std::invalid_argument);

  // Every parameter belongs to exactly one reported stage. torchvision: 138,357,544 at 1000
  // classes; the 10-class head has 4096 * 990 + 990 fewer.
  const auto s = models::summarize(*model, "vgg16", 3, 32, 32);
  int64_t layer_sum = 0;
  for (const auto& l : s.layers) layer_sum += l.parameters;
  EXPECT_EQ(s.parameters.total(), 138357544 - 4096 * 990 - 990);
  EXPECT_EQ(layer_sum, s.parameters.total());
  EXPECT_EQ(s.layers[0].type, "Conv2d");
  EXPECT_EQ(s.layers[31].type, "AdaptiveAvgPool2d");
  EXPECT_EQ(model->feature_dim(), 25088);
  EXPECT_EQ(model->head_prefixes(), (std::vector<std::string>{"classifier.6."}));
}

TEST(Vgg, BatchNormStageNames) {
  auto model = models::create_model("vgg11_bn", {10, 3, 32, 32});
  const auto names = stage_names(observe_stages(*model, torch::randn({1, 3, 32, 32})));
  // 8 x (conv, bn, relu) + 5 pools = 29 children, then avgpool and 7 classifier children.
  ASSERT_EQ(names.size(), 29u + 1 + 7);
  EXPECT_EQ(names[28], "features.28");
  EXPECT_EQ(names[29], "avgpool");
  const auto params = model->named_parameters();
  EXPECT_TRUE(params.contains("features.1.weight"));  // BatchNorm2d after the first conv
  const auto buffers = model->named_buffers();
  EXPECT_TRUE(buffers.contains("features.1.running_var"));
  EXPECT_TRUE(buffers.contains("features.1.num_batches_tracked"));
}

TEST(Vgg, HeadlessModelReturnsFlattenedPoolFeatures) {
  auto full = models::create_model("vgg11_bn", {10, 3, 64, 64});
  models::ModelOptions o{10, 3, 64, 64};
  o.include_top = false;
  auto headless = models::create_model("vgg11_bn", o);
  for (const auto& p : headless->named_parameters()) EXPECT_NE(p.key().rfind("classifier", 0), 0u) << p.key();
  EXPECT_EQ(headless->feature_dim(), 25088);

  // The full model's weights load into the headless one; its classifier is ignored.
  const auto report = weights::load_state_dict(*headless, state_dict_of(*full), "vgg11_bn", headless->head_prefixes());
  EXPECT_EQ(report.ignored, (std::vector<std::string>{"classifier.0.weight", "classifier.0.bias", "classifier.3.weight",
                                                      "classifier.3.bias", "classifier.6.weight", "classifier.6.bias"}));
  EXPECT_TRUE(report.reinitialized.empty());
  const auto x = torch::randn({2, 3, 64, 64});
  full->eval();  // BatchNorm with running statistics, as observe_stages uses for the headless model
  const auto pooled = models::extract_features(*full, x, {"avgpool"}).at("avgpool");
  torch::Tensor features;
  const auto stages = observe_stages(*headless, x, &features);
  EXPECT_EQ(stages.back().name, "avgpool");
  ASSERT_EQ(features.sizes(), (std::vector<int64_t>{2, 25088}));
  EXPECT_TRUE(torch::equal(features, pooled.flatten(1)));
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(headless->forward(x), features));
}

TEST(Vgg, GreyInputAndOtherSizes) {
  auto model = models::create_model("vgg11", {3, 1, 48, 80});
  const auto first_conv = model->named_parameters()["features.0.weight"];
  EXPECT_EQ(first_conv.sizes(), (std::vector<int64_t>{64, 1, 3, 3}));
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(model->forward(torch::randn({2, 1, 48, 80})).sizes(), (std::vector<int64_t>{2, 3}));
  EXPECT_THROW(models::create_model("vgg11", {10, 3, 31, 224}), std::invalid_argument);
}

TEST(Vgg, ThousandClassStateDictReinitialisesOnlyTheHead) {
  auto source = models::create_model("vgg11", {1000, 3, 224, 224});
  auto target = models::create_model("vgg11", {10, 3, 224, 224});
  auto target_params = target->named_parameters();

  // torchvision's initialisation: conv kaiming-normal (fan_out, ReLU gain), Linear N(0, 0.01), zero biases.
  const auto conv = target_params["features.3.weight"];  // 128 x 64 x 3 x 3
  EXPECT_NEAR(conv.std().item<double>(), std::sqrt(2.0 / (128 * 9)), 0.03 * std::sqrt(2.0 / (128 * 9)));
  EXPECT_NEAR(target_params["classifier.0.weight"].std().item<double>(), 0.01, 1e-4);
  EXPECT_NEAR(target_params["classifier.0.weight"].mean().item<double>(), 0.0, 1e-4);
  for (const auto& name : {"features.0.bias", "classifier.0.bias", "classifier.6.bias"})
    EXPECT_EQ(target_params[name].abs().max().item<float>(), 0.0f) << name;

  const auto head_before = target_params["classifier.6.weight"].clone();
  const auto state = state_dict_of(*source);
  const auto report = weights::load_state_dict(*target, state, "vgg11 (1000 classes)", target->head_prefixes());
  EXPECT_EQ(report.reinitialized, (std::vector<std::string>{"classifier.6.weight", "classifier.6.bias"}));
  EXPECT_TRUE(report.ignored.empty());
  EXPECT_EQ(report.loaded.size(), state.size() - 2);
  for (const auto& [name, tensor] : state) {
    if (name.rfind("classifier.6.", 0) == 0) continue;
    EXPECT_TRUE(torch::equal(target_params[name], tensor)) << name;
  }
  EXPECT_TRUE(torch::equal(target_params["classifier.6.weight"], head_before));
  EXPECT_EQ(target_params["classifier.6.weight"].sizes(), (std::vector<int64_t>{10, 4096}));
}

}  // namespace
}  // namespace tlab::test
