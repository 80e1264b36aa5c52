// ResNet-18/34/50/101/152: parity with torchvision (weights loaded from a torch.save file), module
// names, stages, headless features, head re-initialisation and initialisation.
#include "tlab/models/resnet.h"

#include <algorithm>

#include "parity.h"

namespace tlab::test {
namespace {

// torchvision's `arch` with random weights and `num_classes` outputs, saved by torch.save into `dir`.
weights::StateDict torchvision_state(const std::string& arch, int64_t num_classes, int64_t side, const TempDir& dir) {
  const std::string cmd = "/usr/bin/python3 " + std::string(TLAB_SOURCE_DIR) + "/tests/models/torchvision_reference.py " +
                          arch + " " + dir.str() + " --num-classes " + std::to_string(num_classes) + " --side " +
                          std::to_string(side) + " --batch 1";
  EXPECT_EQ(run_command(cmd), 0) << cmd;
  return weights::read_pth(dir.str("weights.pth"));
}

TEST(ResNetParity, Resnet18) { expect_torchvision_parity("resnet18"); }
TEST(ResNetParity, Resnet34) { expect_torchvision_parity("resnet34"); }
TEST(ResNetParity, Resnet50) { expect_torchvision_parity("resnet50"); }
TEST(ResNetParity, Resnet101) { expect_torchvision_parity("resnet101"); }
TEST(ResNetParity, Resnet152) { expect_torchvision_parity("resnet152"); }

TEST(ResNet, RegistryAndParameterCountsMatchTorchvision) {
  // torchvision's documented num_params (1000 classes).
  const std::vector<std::pair<std::string, int64_t>> expected = {{"resnet18", 11689512},
                                                                 {"resnet34", 21797672},
                                                                 {"resnet50", 25557032},
                                                                 {"resnet101", 44549160},
                                                                 {"resnet152", 60192808}};
  for (const auto& [name, params] : expected) {
    EXPECT_EQ(models::model_info(name).default_image_size, 224) << name;
    auto model = models::create_model(name, {1000, 3, 224, 224});
    EXPECT_EQ(models::count_parameters(*model).total(), params) << name;
    EXPECT_EQ(model->head_prefixes(), std::vector<std::string>{"fc."});
    EXPECT_EQ(model->feature_dim(), name == "resnet18" || name == "resnet34" ? 512 : 2048) << name;
  }
}

TEST(ResNet, ModuleNamesAndStridesAreTorchvisions) {
  auto r18 = models::create_model("resnet18", {10, 3, 224, 224});
  const auto s18 = state_of(*r18);
  std::vector<std::string> names;
  for (const auto& [k, v] : s18) names.push_back(k);
  for (const char* n : {"conv1.weight", "bn1.weight", "bn1.running_mean", "bn1.num_batches_tracked",
                        "layer1.0.conv1.weight", "layer1.0.bn2.running_mean", "layer1.1.conv2.weight",
                        "layer2.0.downsample.0.weight", "layer2.0.downsample.1.running_var", "layer4.1.bn2.bias",
                        "fc.weight", "fc.bias"})
    EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
  EXPECT_EQ(std::find(names.begin(), names.end(), "layer1.0.downsample.0.weight"), names.end());
  EXPECT_EQ(find(s18, "layer2.0.downsample.0.weight").sizes(), (std::vector<int64_t>{128, 64, 1, 1}));

  auto r50 = models::create_model("resnet50", {10, 3, 224, 224});
  const auto s50 = state_of(*r50);
  EXPECT_EQ(find(s50, "layer1.0.downsample.0.weight").sizes(), (std::vector<int64_t>{256, 64, 1, 1}));
  EXPECT_EQ(find(s50, "layer3.5.conv3.weight").sizes(), (std::vector<int64_t>{1024, 256, 1, 1}));
  EXPECT_EQ(find(s50, "fc.weight").sizes(), (std::vector<int64_t>{10, 2048}));
  // v1.5: the stride sits on the 3x3 conv2, not on conv1.
  auto modules = r50->named_modules();
  EXPECT_EQ(modules["layer2.0.conv1"]->as<torch::nn::Conv2d>()->options.stride()->at(0), 1);
  EXPECT_EQ(modules["layer2.0.conv2"]->as<torch::nn::Conv2d>()->options.stride()->at(0), 2);
  EXPECT_EQ(modules["layer2.0.downsample.0"]->as<torch::nn::Conv2d>()->options.stride()->at(0), 2);
  EXPECT_EQ(modules["maxpool"]->as<torch::nn::MaxPool2d>()->options.padding()->at(0), 1);
  EXPECT_DOUBLE_EQ(modules["layer1.0.bn1"]->as<torch::nn::BatchNorm2d>()->options.eps(), 1e-5);
  EXPECT_DOUBLE_EQ(modules["layer1.0.bn1"]->as<torch::nn::BatchNorm2d>()->options.momentum().value(), 0.1);
}

TEST(ResNet, ObservedStagesAndShapes) {
  auto model = models::create_model("resnet18", {10, 3, 224, 224});
  model->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({1, 3, 224, 224});
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> shapes;
  const auto y = model->forward_observed(x, [&](const std::string& n, const torch::nn::Module&, const torch::Tensor& t) {
    names.push_back(n);
    shapes.push_back(t.sizes().vec());
  });
  EXPECT_EQ(names, (std::vector<std::string>{"conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
                                             "avgpool", "fc"}));
  const std::vector<std::vector<int64_t>> expected = {{1, 64, 112, 112}, {1, 64, 112, 112}, {1, 64, 112, 112},
                                                      {1, 64, 56, 56},   {1, 64, 56, 56},   {1, 128, 28, 28},
                                                      {1, 256, 14, 14},  {1, 512, 7, 7},    {1, 512},
                                                      {1, 10}};
  EXPECT_EQ(shapes, expected);
  EXPECT_TRUE(torch::equal(y, model->forward(x)));

  // Taps keep their own values (bn1 is not overwritten by the ReLU after it).
  const auto taps = models::extract_features(*model, x, {"bn1", "relu", "avgpool"});
  EXPECT_LT(taps.at("bn1").min().item<float>(), 0.0f);
  EXPECT_TRUE(torch::equal(taps.at("relu"), taps.at("bn1").clamp_min(0)));
  EXPECT_THROW(models::extract_features(*model, x, {"layer5"}), std::invalid_argument);

  // Bottleneck widths (4x expansion) on a smaller input.
  auto r50 = models::create_model("resnet50", {10, 3, 64, 64});
  r50->eval();
  std::map<std::string, std::vector<int64_t>> s50;
  r50->forward_observed(torch::randn({2, 3, 64, 64}),
                        [&](const std::string& n, const torch::nn::Module&, const torch::Tensor& t) {
                          s50[n] = t.sizes().vec();
                        });
  EXPECT_EQ(s50["layer1"], (std::vector<int64_t>{2, 256, 16, 16}));
  EXPECT_EQ(s50["layer2"], (std::vector<int64_t>{2, 512, 8, 8}));
  EXPECT_EQ(s50["layer3"], (std::vector<int64_t>{2, 1024, 4, 4}));
  EXPECT_EQ(s50["layer4"], (std::vector<int64_t>{2, 2048, 2, 2}));
  EXPECT_EQ(s50["avgpool"], (std::vector<int64_t>{2, 2048}));
  EXPECT_EQ(s50["fc"], (std::vector<int64_t>{2, 10}));
}

TEST(ResNet, HeadlessReturnsPooledFeatures) {
  torch::NoGradGuard no_grad;
  for (const std::string arch : {"resnet18", "resnet50"}) {
    models::ModelOptions o{10, 3, 64, 64};
    auto full = models::create_model(arch, o);
    o.include_top = false;
    auto headless = models::create_model(arch, o);
    for (const auto& p : headless->named_parameters()) EXPECT_NE(p.key().rfind("fc.", 0), 0u) << p.key();
    // The full model's weights load into the headless one; its head is ignored.
    const auto report = weights::load_state_dict(*headless, state_of(*full), "full", headless->head_prefixes());
    EXPECT_EQ(sorted(report.ignored), (std::vector<std::string>{"fc.bias", "fc.weight"}));
    full->eval();
    headless->eval();
    const auto x = torch::randn({2, 3, 64, 64});
    const auto features = headless->forward(x);
    EXPECT_EQ(features.sizes(), (std::vector<int64_t>{2, headless->feature_dim()})) << arch;
    EXPECT_TRUE(torch::allclose(features, models::extract_features(*full, x, {"avgpool"}).at("avgpool"))) << arch;
    std::vector<std::string> names;
    headless->forward_observed(x, [&](const std::string& n, const torch::nn::Module&, const torch::Tensor&) {
      names.push_back(n);
    });
    EXPECT_EQ(names.back(), "avgpool");
  }
}

TEST(ResNet, ThousandClassFileIntoTenClassModelReinitialisesOnlyTheHead) {
  TempDir dir;
  const auto state = torchvision_state("resnet18", 1000, 64, dir);
  auto model = models::create_model("resnet18", {10, 3, 224, 224});
  const auto fc_before = find(state_of(*model), "fc.weight");
  const auto report = weights::load_state_dict(*model, state, "resnet18.pth", model->head_prefixes());
  EXPECT_EQ(sorted(report.reinitialized), (std::vector<std::string>{"fc.bias", "fc.weight"})) << report.summary();
  EXPECT_TRUE(report.missing.empty() && report.unexpected.empty() && report.mismatched.empty());
  EXPECT_EQ(report.loaded.size(), state.size() - 2);
  const auto after = state_of(*model);
  EXPECT_TRUE(torch::equal(find(after, "fc.weight"), fc_before));
  EXPECT_TRUE(torch::equal(find(after, "conv1.weight"), find(state, "conv1.weight")));
  EXPECT_TRUE(torch::equal(find(after, "layer3.1.bn2.running_var"), find(state, "layer3.1.bn2.running_var")));
  model->eval();
  torch::NoGradGuard no_grad;
  EXPECT_EQ(model->forward(torch::randn({2, 3, 64, 64})).sizes(), (std::vector<int64_t>{2, 10}));
}

TEST(ResNet, UnknownMissingOrMisshapenTensorsFail) {
  auto model = models::create_model("resnet18", {10, 3, 224, 224});
  auto expect_failure = [&](const weights::StateDict& s, const std::string& needle) {
    try {
      weights::load_state_dict(*model, s, "bad.pth", model->head_prefixes());
      ADD_FAILURE() << "loading should fail: " << needle;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto s = state_of(*model);
  s.emplace_back("layer5.0.conv1.weight", torch::zeros({64, 64, 3, 3}));
  expect_failure(s, "layer5.0.conv1.weight");
  s = state_of(*model);
  s.erase(std::find_if(s.begin(), s.end(), [](const auto& kv) { return kv.first == "layer1.0.bn1.running_var"; }));
  expect_failure(s, "layer1.0.bn1.running_var");
  s = state_of(*model);
  for (auto& [k, v] : s)
    if (k == "conv1.weight") v = torch::zeros({64, 1, 7, 7});
  expect_failure(s, "conv1.weight");
  // An unknown architecture name is a caller error.
  EXPECT_THROW(models::create_model("resnet19", {}), std::invalid_argument);
}

TEST(ResNet, InChannelsAndTorchvisionInitialisation) {
  auto model = models::resnet50({10, 1, 64, 64});
  auto modules = model->named_modules();
  auto* conv1 = modules["conv1"]->as<torch::nn::Conv2d>();
  EXPECT_EQ(conv1->weight.sizes(), (std::vector<int64_t>{64, 1, 7, 7}));
  {
    torch::NoGradGuard no_grad;
    model->eval();
    EXPECT_EQ(model->forward(torch::randn({2, 1, 64, 64})).sizes(), (std::vector<int64_t>{2, 10}));
  }
  // kaiming_normal_(fan_out, relu): std sqrt(2 / (out_channels * k * k)).
  const auto w = modules["layer4.0.conv2"]->as<torch::nn::Conv2d>()->weight;
  EXPECT_NEAR(w.std().item<double>(), std::sqrt(2.0 / (512 * 9)), 0.02 * std::sqrt(2.0 / (512 * 9)));
  EXPECT_NEAR(w.mean().item<double>(), 0.0, 1e-4);
  for (const auto& m : model->modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      EXPECT_TRUE(torch::all(bn->weight == 1).item<bool>());
      EXPECT_TRUE(torch::all(bn->bias == 0).item<bool>());
    }
  // Linear keeps PyTorch's default: U(+-1/sqrt(fan_in)) for the bias.
  const auto fc_bias = modules["fc"]->as<torch::nn::Linear>()->bias;
  EXPECT_LE(fc_bias.abs().max().item<double>(), 1.0 / std::sqrt(2048.0));

  models::ResNetOptions zero;
  zero.zero_init_residual = true;
  auto r18 = models::resnet18({10, 3, 64, 64}, zero);
  auto m18 = r18->named_modules();
  EXPECT_TRUE(torch::all(m18["layer1.0.bn2"]->as<torch::nn::BatchNorm2d>()->weight == 0).item<bool>());
  EXPECT_TRUE(torch::all(m18["layer1.0.bn1"]->as<torch::nn::BatchNorm2d>()->weight == 1).item<bool>());
}

TEST(ResNet, TrainsOneStep) {
  // Training mode: BatchNorm uses batch statistics and the gradient reaches conv1.
  auto model = models::create_model("resnet18", {10, 3, 32, 32});
  model->train();
  const auto loss = torch::nn::functional::cross_entropy(model->forward(torch::randn({4, 3, 32, 32})),
                                                         torch::tensor({0, 1, 2, 3}));
  loss.backward();
  const auto g = model->named_parameters()["conv1.weight"].grad();
  ASSERT_TRUE(g.defined());
  EXPECT_GT(g.abs().sum().item<double>(), 0.0);
  EXPECT_EQ(model->named_buffers()["bn1.num_batches_tracked"].item<int64_t>(), 1);
}

}  // namespace
}  // namespace tlab::test
