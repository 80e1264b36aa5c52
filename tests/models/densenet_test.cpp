#include "tlab/models/densenet.h"

#include "parity.h"
#include "tlab/models/summary.h"
#include "zoo_test_util.h"

namespace tlab::test {
namespace {

using Shape = std::vector<int64_t>;

TEST(DenseNetParity, DenseNet121) { expect_torchvision_parity("densenet121"); }
// A small input (2x2 before the global pool) with a 10-class head.
TEST(DenseNetParity, DenseNet121At64PixelsTenClasses) { expect_torchvision_parity("densenet121", {10, 64}); }

TEST(DenseNet, StageNamesShapesAndSummary) {
  auto model = models::create_model("densenet121", {1000, 3, 224, 224});
  const auto x = torch::randn({1, 3, 224, 224});
  torch::Tensor result;
  const auto stages = observe_stages(*model, x, &result);
  const std::vector<std::pair<std::string, Shape>> expected = {
      {"features.conv0", {1, 64, 112, 112}},       {"features.norm0", {1, 64, 112, 112}},
      {"features.relu0", {1, 64, 112, 112}},       {"features.pool0", {1, 64, 56, 56}},
      {"features.denseblock1", {1, 256, 56, 56}},  {"features.transition1", {1, 128, 28, 28}},
      {"features.denseblock2", {1, 512, 28, 28}},  {"features.transition2", {1, 256, 14, 14}},
      {"features.denseblock3", {1, 1024, 14, 14}}, {"features.transition3", {1, 512, 7, 7}},
      {"features.denseblock4", {1, 1024, 7, 7}},   {"features.norm5", {1, 1024, 7, 7}},
      {"pool", {1, 1024}},                         {"classifier", {1, 1000}}};
  ASSERT_EQ(stages.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(stages[i].name, expected[i].first);
    EXPECT_EQ(stages[i].shape, expected[i].second) << expected[i].first;
  }
  // The reported BatchNorm output is not overwritten by the following ReLU.
  EXPECT_LT(stages[1].output.min().item<float>(), 0.0f);
  EXPECT_GE(stages[2].output.min().item<float>(), 0.0f);
  // "pool" is relu + global average pool of norm5.
  EXPECT_LE(max_abs_diff(stages[12].output, stages[11].output.relu().mean({2, 3})), 1e-5);
  {
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(torch::equal(result, model->forward(x)));
    EXPECT_TRUE(torch::equal(result, stages.back().output));
  }
  // torchvision's parameter count; every parameter belongs to exactly one stage.
  const auto s = models::summarize(*model, "densenet121", 3, 224, 224);
  EXPECT_EQ(s.parameters.total(), 7978856);
  int64_t layer_sum = 0;
  for (const auto& l : s.layers) layer_sum += l.parameters;
  EXPECT_EQ(layer_sum, s.parameters.total());
  EXPECT_EQ(s.layers[4].type, "DenseBlock");
  EXPECT_EQ(s.layers[5].type, "Transition");
  EXPECT_EQ(model->feature_dim(), 1024);
  EXPECT_EQ(model->head_prefixes(), (std::vector<std::string>{"classifier."}));
}

TEST(DenseNet, ParameterNamesAndInitialisation) {
  auto model = models::create_model("densenet121", {10, 3, 224, 224});
  auto params = model->named_parameters();
  const auto buffers = model->named_buffers();
  for (const auto& name :
       {"features.conv0.weight", "features.norm0.weight", "features.denseblock1.denselayer1.norm1.weight",
        "features.denseblock1.denselayer1.conv1.weight", "features.denseblock1.denselayer6.conv2.weight",
        "features.denseblock4.denselayer16.norm2.bias", "features.transition1.norm.weight",
        "features.transition3.conv.weight", "features.norm5.weight", "classifier.weight", "classifier.bias"})
    EXPECT_TRUE(params.contains(name)) << name;
  for (const auto& name : {"features.norm0.running_mean", "features.denseblock3.denselayer24.norm2.running_var",
                           "features.transition2.norm.num_batches_tracked", "features.norm5.running_var"})
    EXPECT_TRUE(buffers.contains(name)) << name;
  EXPECT_FALSE(params.contains("features.conv0.bias"));  // convs have no bias
  EXPECT_EQ(params["features.denseblock2.denselayer12.conv1.weight"].sizes(), (Shape{128, 128 + 11 * 32, 1, 1}));
  // torchvision: kaiming-normal convs (fan_in), BatchNorm 1 / 0, Linear bias 0.
  const auto conv = params["features.denseblock3.denselayer1.conv2.weight"];  // 32 x 128 x 3 x 3
  EXPECT_NEAR(conv.std().item<double>(), std::sqrt(2.0 / (128 * 9)), 0.05 * std::sqrt(2.0 / (128 * 9)));
  EXPECT_TRUE(torch::equal(params["features.norm5.weight"], torch::ones({1024})));
  EXPECT_TRUE(torch::equal(params["features.norm5.bias"], torch::zeros({1024})));
  EXPECT_TRUE(torch::equal(params["classifier.bias"], torch::zeros({10})));
  EXPECT_GT(params["classifier.weight"].abs().max().item<float>(), 0.0f);
}

TEST(DenseNet, ThousandClassStateDictReinitialisesOnlyTheHead) {
  auto source = models::create_model("densenet121", {1000, 3, 224, 224});
  auto target = models::create_model("densenet121", {10, 3, 224, 224});
  auto target_params = target->named_parameters();
  const auto head_before = target_params["classifier.weight"].clone();
  const auto state = state_dict_of(*source);
  const auto report = weights::load_state_dict(*target, state, "densenet121 (1000 classes)", target->head_prefixes());
  EXPECT_EQ(report.reinitialized, (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  EXPECT_TRUE(report.ignored.empty());
  EXPECT_EQ(report.loaded.size(), state.size() - 2);
  EXPECT_TRUE(torch::equal(target_params["classifier.weight"], head_before));
  EXPECT_TRUE(torch::equal(target_params["features.denseblock4.denselayer16.conv2.weight"],
                           source->named_parameters()["features.denseblock4.denselayer16.conv2.weight"]));
}

TEST(DenseNet, HeadlessModelReturnsPooledFeatures) {
  auto full = models::create_model("densenet121", {10, 3, 64, 64});
  models::ModelOptions o{10, 3, 64, 64};
  o.include_top = false;
  auto headless = models::create_model("densenet121", o);
  EXPECT_FALSE(headless->named_parameters().contains("classifier.weight"));
  const auto report = weights::load_state_dict(*headless, state_dict_of(*full), "densenet121", headless->head_prefixes());
  EXPECT_EQ(report.ignored, (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  const auto x = torch::randn({2, 3, 64, 64});
  full->eval();  // BatchNorm with running statistics, as observe_stages uses for the headless model
  const auto pooled = models::extract_features(*full, x, {"pool"}).at("pool");
  torch::Tensor features;
  const auto stages = observe_stages(*headless, x, &features);
  EXPECT_EQ(stages.back().name, "pool");
  ASSERT_EQ(features.sizes(), (Shape{2, 1024}));
  EXPECT_TRUE(torch::equal(features, pooled));
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(headless->forward(x), features));
}

TEST(DenseNet, GreyInputAndMinimumSize) {
  auto model = models::create_model("densenet121", {3, 1, 29, 40});
  const auto first_conv = model->named_parameters()["features.conv0.weight"];
  EXPECT_EQ(first_conv.sizes(), (Shape{64, 1, 7, 7}));
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(model->forward(torch::randn({2, 1, 29, 40})).sizes(), (Shape{2, 3}));
  EXPECT_THROW(models::create_model("densenet121", {3, 1, 28, 40}), std::invalid_argument);
}

}  // namespace
}  // namespace tlab::test
