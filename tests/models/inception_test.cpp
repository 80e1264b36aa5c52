// Inception v3: parity with torchvision (weights loaded from a torch.save file), module names,
// stages, the auxiliary head, transform_input, headless features and head re-initialisation.
#include "tlab/models/inception.h"

#include <algorithm>

#include "parity.h"

namespace tlab::test {
namespace {

TEST(InceptionParity, InceptionV3) { expect_torchvision_parity("inception_v3", {10, 299}); }

TEST(Inception, RegistryNamesAndParameterCount) {
  EXPECT_EQ(models::model_info("inception_v3").default_image_size, 299);
  auto model = models::create_model("inception_v3", {1000, 3, 299, 299});
  EXPECT_EQ(models::count_parameters(*model).total(), 27161264);  // torchvision's num_params
  EXPECT_EQ(model->feature_dim(), 2048);
  EXPECT_EQ(model->head_prefixes(), (std::vector<std::string>{"fc.", "AuxLogits.fc."}));
  const auto s = state_of(*model);
  EXPECT_EQ(find(s, "Conv2d_1a_3x3.conv.weight").sizes(), (std::vector<int64_t>{32, 3, 3, 3}));
  EXPECT_EQ(find(s, "Mixed_5b.branch1x1.bn.weight").sizes(), (std::vector<int64_t>{64}));
  EXPECT_EQ(find(s, "Mixed_6b.branch7x7_2.conv.weight").sizes(), (std::vector<int64_t>{128, 128, 1, 7}));
  EXPECT_EQ(find(s, "Mixed_7c.branch3x3dbl_3b.conv.weight").sizes(), (std::vector<int64_t>{384, 384, 3, 1}));
  EXPECT_EQ(find(s, "AuxLogits.conv1.conv.weight").sizes(), (std::vector<int64_t>{768, 128, 5, 5}));
  EXPECT_EQ(find(s, "AuxLogits.fc.weight").sizes(), (std::vector<int64_t>{1000, 768}));
  EXPECT_EQ(find(s, "fc.bias").sizes(), (std::vector<int64_t>{1000}));
  EXPECT_TRUE(find(s, "Mixed_7a.branch3x3_2.bn.num_batches_tracked").defined());
  auto modules = model->named_modules();
  EXPECT_DOUBLE_EQ(modules["Mixed_5b.branch1x1.bn"]->as<torch::nn::BatchNorm2d>()->options.eps(), 0.001);
  EXPECT_FALSE(modules["Conv2d_1a_3x3.conv"]->as<torch::nn::Conv2d>()->options.bias());
  EXPECT_THROW(models::create_model("inception_v3", {10, 3, 74, 299}), std::invalid_argument);
}

TEST(Inception, ObservedStagesAndShapes) {
  auto model = models::create_model("inception_v3", {10, 3, 299, 299});
  model->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({1, 3, 299, 299});
  std::vector<std::string> names;
  std::map<std::string, std::vector<int64_t>> shapes;
  const auto y = model->forward_observed(x, [&](const std::string& n, const torch::nn::Module&, const torch::Tensor& t) {
    names.push_back(n);
    shapes[n] = t.sizes().vec();
  });
  EXPECT_EQ(names, (std::vector<std::string>{"Conv2d_1a_3x3", "Conv2d_2a_3x3", "Conv2d_2b_3x3", "maxpool1",
                                             "Conv2d_3b_1x1", "Conv2d_4a_3x3", "maxpool2", "Mixed_5b", "Mixed_5c",
                                             "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e",
                                             "AuxLogits", "Mixed_7a", "Mixed_7b", "Mixed_7c", "avgpool", "dropout",
                                             "fc"}));
  using S = std::vector<int64_t>;
  EXPECT_EQ(shapes["Conv2d_1a_3x3"], (S{1, 32, 149, 149}));
  EXPECT_EQ(shapes["Conv2d_2b_3x3"], (S{1, 64, 147, 147}));
  EXPECT_EQ(shapes["maxpool1"], (S{1, 64, 73, 73}));
  EXPECT_EQ(shapes["Conv2d_4a_3x3"], (S{1, 192, 71, 71}));
  EXPECT_EQ(shapes["maxpool2"], (S{1, 192, 35, 35}));
  EXPECT_EQ(shapes["Mixed_5b"], (S{1, 256, 35, 35}));
  EXPECT_EQ(shapes["Mixed_5d"], (S{1, 288, 35, 35}));
  EXPECT_EQ(shapes["Mixed_6a"], (S{1, 768, 17, 17}));
  EXPECT_EQ(shapes["Mixed_6e"], (S{1, 768, 17, 17}));
  EXPECT_EQ(shapes["AuxLogits"], (S{1, 10}));
  EXPECT_EQ(shapes["Mixed_7a"], (S{1, 1280, 8, 8}));
  EXPECT_EQ(shapes["Mixed_7c"], (S{1, 2048, 8, 8}));
  EXPECT_EQ(shapes["avgpool"], (S{1, 2048}));
  EXPECT_EQ(shapes["dropout"], (S{1, 2048}));
  EXPECT_EQ(shapes["fc"], (S{1, 10}));
  EXPECT_TRUE(torch::equal(y, model->forward(x)));

  // Below 299 the auxiliary branch cannot run and is not reported; the main path works down to 75.
  auto small = models::create_model("inception_v3", {10, 3, 75, 75});
  small->eval();
  names.clear();
  small->forward_observed(torch::randn({1, 3, 75, 75}),
                          [&](const std::string& n, const torch::nn::Module&, const torch::Tensor& t) {
                            names.push_back(n);
                            shapes[n] = t.sizes().vec();
                          });
  EXPECT_EQ(names.size(), 21u);
  EXPECT_EQ(std::find(names.begin(), names.end(), "AuxLogits"), names.end());
  EXPECT_EQ(shapes["Mixed_7c"], (S{1, 2048, 1, 1}));
  EXPECT_THROW(models::extract_features(*small, torch::randn({1, 3, 75, 75}), {"Mixed_8a"}), std::invalid_argument);
}

TEST(Inception, AuxiliaryHead) {
  auto model = models::inception_v3({10, 3, 299, 299});
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 3, 299, 299});
  model->train();
  const auto out = model->forward_with_aux(x);
  EXPECT_EQ(out.logits.sizes(), (std::vector<int64_t>{2, 10}));
  ASSERT_TRUE(out.aux_logits.defined());
  EXPECT_EQ(out.aux_logits.sizes(), (std::vector<int64_t>{2, 10}));
  // forward() is the main logits only, in either mode; in eval the two agree exactly.
  model->eval();
  const auto eval_out = model->forward_with_aux(x);
  EXPECT_TRUE(torch::equal(eval_out.logits, model->forward(x)));
  EXPECT_FALSE(torch::allclose(eval_out.logits, eval_out.aux_logits));
  // The auxiliary head needs 299x299 inputs; the main path does not.
  const auto small = torch::randn({2, 3, 150, 150});
  EXPECT_EQ(model->forward(small).sizes(), (std::vector<int64_t>{2, 10}));
  EXPECT_THROW(model->forward_with_aux(small), std::invalid_argument);

  // Without the auxiliary head: no AuxLogits tensors, aux_logits undefined.
  models::InceptionOptions no_aux;
  no_aux.aux_logits = false;
  auto plain = models::inception_v3({10, 3, 299, 299}, no_aux);
  for (const auto& p : plain->named_parameters()) EXPECT_NE(p.key().rfind("AuxLogits.", 0), 0u) << p.key();
  plain->eval();
  EXPECT_FALSE(plain->forward_with_aux(torch::randn({1, 3, 299, 299})).aux_logits.defined());
}

TEST(Inception, TransformInputRenormalisesImageNetInput) {
  models::InceptionOptions t;
  t.transform_input = true;
  auto with = models::inception_v3({10, 3, 80, 80}, t);
  auto without = models::inception_v3({10, 3, 80, 80});
  weights::load_state_dict(*without, state_of(*with), "with");
  with->eval();
  without->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 3, 80, 80});
  const auto mean = torch::tensor({0.485, 0.456, 0.406}).view({1, 3, 1, 1});
  const auto std = torch::tensor({0.229, 0.224, 0.225}).view({1, 3, 1, 1});
  const auto renormalised = ((x * std + mean) - 0.5) / 0.5;  // back to [0, 1] pixels, then to [-1, 1]
  // Randomly initialised Inception has logits of large magnitude: compare relative to the largest.
  auto relative = [](const torch::Tensor& a, const torch::Tensor& b) {
    return ((a - b).abs().max() / b.abs().max().clamp_min(1.0)).item<double>();
  };
  const auto expected = without->forward(renormalised);
  EXPECT_LE(relative(with->forward(x), expected), 1e-4);
  EXPECT_GT(relative(without->forward(x), expected), 1e-2);
  EXPECT_THROW(models::inception_v3({10, 1, 299, 299}, t), std::invalid_argument);
  auto grey = models::inception_v3({10, 1, 80, 80});  // without transform_input any channel count works
  grey->eval();
  EXPECT_EQ(grey->forward(torch::randn({1, 1, 80, 80})).sizes(), (std::vector<int64_t>{1, 10}));
}

TEST(Inception, HeadlessAndHeadReinitialisation) {
  TempDir dir;
  const std::string cmd = "/usr/bin/python3 " + std::string(TLAB_SOURCE_DIR) +
                          "/tests/models/torchvision_reference.py inception_v3 " + dir.str() +
                          " --num-classes 1000 --side 75 --batch 1";
  ASSERT_EQ(run_command(cmd), 0) << cmd;
  const auto state = weights::read_pth(dir.str("weights.pth"));

  // 1000-class file -> 10-class model: both classifier heads keep their fresh initialisation.
  auto model = models::create_model("inception_v3", {10, 3, 299, 299});
  const auto fc_before = find(state_of(*model), "fc.weight");
  auto report = weights::load_state_dict(*model, state, "inception_v3.pth", model->head_prefixes());
  EXPECT_EQ(sorted(report.reinitialized),
            (std::vector<std::string>{"AuxLogits.fc.bias", "AuxLogits.fc.weight", "fc.bias", "fc.weight"}))
      << report.summary();
  EXPECT_EQ(report.loaded.size(), state.size() - 4);
  const auto after = state_of(*model);
  EXPECT_TRUE(torch::equal(find(after, "fc.weight"), fc_before));
  EXPECT_TRUE(torch::equal(find(after, "AuxLogits.conv1.conv.weight"), find(state, "AuxLogits.conv1.conv.weight")));
  EXPECT_TRUE(torch::equal(find(after, "Mixed_7c.branch_pool.bn.running_mean"),
                           find(state, "Mixed_7c.branch_pool.bn.running_mean")));

  // Headless: no fc, no dropout, no AuxLogits.fc; the file's heads are ignored.
  auto headless = models::create_model("inception_v3", {10, 3, 75, 75, /*include_top=*/false});
  for (const auto& p : headless->named_parameters()) {
    EXPECT_NE(p.key().rfind("fc.", 0), 0u) << p.key();
    EXPECT_NE(p.key().rfind("AuxLogits.fc.", 0), 0u) << p.key();
  }
  report = weights::load_state_dict(*headless, state, "inception_v3.pth", headless->head_prefixes());
  EXPECT_EQ(sorted(report.ignored),
            (std::vector<std::string>{"AuxLogits.fc.bias", "AuxLogits.fc.weight", "fc.bias", "fc.weight"}));
  EXPECT_TRUE(report.reinitialized.empty());
  headless->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 3, 75, 75});
  EXPECT_EQ(headless->forward(x).sizes(), (std::vector<int64_t>{2, 2048}));
  std::vector<std::string> names;
  headless->forward_observed(x, [&](const std::string& n, const torch::nn::Module&, const torch::Tensor&) {
    names.push_back(n);
  });
  EXPECT_EQ(names.back(), "avgpool");

  // Unknown tensors still fail.
  auto extra = state;
  extra.emplace_back("Mixed_8a.branch1x1.conv.weight", torch::zeros({1}));
  EXPECT_THROW(weights::load_state_dict(*model, extra, "extra.pth", model->head_prefixes()), std::runtime_error);
}

TEST(Inception, TorchvisionInitialisation) {
  auto model = models::inception_v3({1000, 3, 299, 299});
  auto modules = model->named_modules();
  // trunc_normal_(std 0.1, a=-2, b=2) for convolutions and fc; 0.001 for AuxLogits.fc.
  const auto conv = modules["Mixed_7b.branch3x3dbl_2.conv"]->as<torch::nn::Conv2d>()->weight;
  EXPECT_NEAR(conv.std().item<double>(), 0.1, 0.002);
  EXPECT_LE(conv.abs().max().item<double>(), 2.0);
  EXPECT_NEAR(modules["fc"]->as<torch::nn::Linear>()->weight.std().item<double>(), 0.1, 0.002);
  EXPECT_NEAR(modules["AuxLogits.fc"]->as<torch::nn::Linear>()->weight.std().item<double>(), 0.001, 0.00003);
  EXPECT_NEAR(modules["AuxLogits.conv1.conv"]->as<torch::nn::Conv2d>()->weight.std().item<double>(), 0.1, 0.002);
  for (const auto& m : model->modules(false))
    if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      EXPECT_TRUE(torch::all(bn->weight == 1).item<bool>());
      EXPECT_TRUE(torch::all(bn->bias == 0).item<bool>());
    }
}

}  // namespace
}  // namespace tlab::test
