// load_state_dict: files from PyTorch (zip, legacy, safetensors) into simple_cnn, shape and key
// checks listed in one error, all-or-nothing copying, and re-initialising a head of another size.
#include "tlab/weights/load.h"

#include "tlab/models/model.h"
#include "weights_util.h"

namespace tlab::test {
namespace {

using weights::StateDict;

models::ModelPtr simple_cnn(int64_t classes, int64_t channels, int64_t side, bool include_top = true) {
  models::ModelOptions o;
  o.num_classes = classes;
  o.in_channels = channels;
  o.height = side;
  o.width = side;
  o.include_top = include_top;
  return models::create_model("simple_cnn", o);
}

// The module's parameters and buffers, copied, in registration order.
StateDict state_of(torch::nn::Module& m) {
  StateDict sd;
  for (const auto& p : m.named_parameters()) sd.emplace_back(p.key(), p.value().detach().clone());
  for (const auto& b : m.named_buffers()) sd.emplace_back(b.key(), b.value().detach().clone());
  return sd;
}

torch::Tensor param(torch::nn::Module& m, const std::string& name) {
  for (const auto& p : m.named_parameters())
    if (p.key() == name) return p.value().detach().clone();
  ADD_FAILURE() << "no parameter " << name;
  return torch::Tensor();
}

const std::vector<std::string> kCnnNames = {"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                            "fc1.weight",   "fc1.bias",   "fc2.weight",   "fc2.bias"};

TEST(LoadStateDict, PyTorchFilesLoadEveryTensorInEachFormat) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"simple_cnn:cnn:1:28:10", "simple_cnn:cnn_legacy:1:28:10:legacy",
                                              "simple_cnn:cnn_st:1:28:10:safetensors"}));
  const auto ref = read_json(dir.str("cnn.json"));
  StateDict first;
  for (const char* file : {"cnn.pth", "cnn_legacy.pth", "cnn_st.safetensors"}) {
    SCOPED_TRACE(file);
    const std::string path = dir.str(file);
    auto model = simple_cnn(10, 1, 28);
    const StateDict sd = weights::read_weights(path);
    const auto report = weights::load_state_dict(*model, sd, path, model->head_prefixes());
    EXPECT_EQ(report.loaded, kCnnNames);
    EXPECT_TRUE(report.missing.empty() && report.unexpected.empty() && report.mismatched.empty());
    EXPECT_TRUE(report.reinitialized.empty() && report.ignored.empty());
    for (const auto& name : kCnnNames) {
      const torch::Tensor p = param(*model, name);
      EXPECT_EQ(p.sizes().vec(), ref[name]["shape"].get<std::vector<int64_t>>()) << name;
      const double sum = p.to(torch::kFloat64).sum().item<double>();
      EXPECT_NEAR(sum, ref[name]["sum"].get<double>(), 1e-9 * (1 + std::abs(sum))) << name;
    }
    // The three containers hold the same values (the script seeds each the same way).
    if (first.empty()) first = sd;
    for (size_t i = 0; i < first.size(); ++i) {
      const auto it = std::find_if(sd.begin(), sd.end(), [&](const auto& kv) { return kv.first == first[i].first; });
      ASSERT_NE(it, sd.end()) << first[i].first;
      expect_same_tensor(it->second, first[i].second, first[i].first);
      expect_same_tensor(param(*model, first[i].first), first[i].second, first[i].first);
    }
    EXPECT_EQ(model->forward(torch::zeros({2, 1, 28, 28})).sizes().vec(), (std::vector<int64_t>{2, 10}));
  }
}

TEST(LoadStateDict, WrongShapesAreListedAndNothingIsCopied) {
  TempDir dir;
  // A simple_cnn for RGB 32x32 images: conv1 and fc1 differ from the grey 28x28 model.
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"simple_cnn:rgb32:3:32:10"}));
  const std::string path = dir.str("rgb32.pth");
  auto model = simple_cnn(10, 1, 28);
  const StateDict before = state_of(*model);
  expect_runtime_error([&] { weights::load_state_dict(*model, weights::read_weights(path), path, model->head_prefixes()); },
                       {path, "does not fit the model", "shape mismatches (2)",
                        "conv1.weight: file [32, 3, 3, 3] vs model [32, 1, 3, 3]",
                        "fc1.weight: file [64, 2304] vs model [64, 1600]"});
  // All or nothing: not even the tensors that fit were copied.
  const StateDict after = state_of(*model);
  for (size_t i = 0; i < before.size(); ++i) expect_same_tensor(after[i].second, before[i].second, before[i].first);
}

TEST(LoadStateDict, MissingUnexpectedAndMismatchedTensorsAreListedInOneError) {
  auto source = simple_cnn(10, 1, 28);
  StateDict sd;
  for (auto& [k, v] : state_of(*source))
    if (k != "conv2.bias" && k != "fc1.weight") sd.emplace_back(k, v);
  sd.emplace_back("conv3.weight", torch::zeros({3}));
  sd.emplace_back("extra", torch::zeros({1}));
  auto model = simple_cnn(10, 1, 28);
  expect_runtime_error([&] { weights::load_state_dict(*model, sd, "keys.pth", model->head_prefixes()); },
                       {"weights file 'keys.pth'", "missing in the file (2): conv2.bias, fc1.weight",
                        "unexpected in the file (2): conv3.weight, extra"});
  // All three kinds at once.
  sd[0].second = torch::zeros({7});  // conv1.weight
  const std::string msg =
      expect_runtime_error([&] { weights::load_state_dict(*model, sd, "all.pth"); },
                           {"all.pth", "missing in the file (2)", "unexpected in the file (2)",
                            "shape mismatches (1): conv1.weight: file [7] vs model [32, 1, 3, 3]"});
}

TEST(LoadStateDict, HeadOfAnotherSizeIsReinitialised) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(make_fixtures(dir, {"simple_cnn:imagenet:1:28:1000"}));
  const std::string path = dir.str("imagenet.pth");
  const StateDict sd = weights::read_pth(path);
  auto model = simple_cnn(10, 1, 28);
  ASSERT_EQ(model->head_prefixes(), (std::vector<std::string>{"fc2."}));
  const torch::Tensor fc2_before = param(*model, "fc2.weight");
  const auto report = weights::load_state_dict(*model, sd, path, {"fc2."});
  EXPECT_EQ(report.reinitialized, (std::vector<std::string>{"fc2.weight", "fc2.bias"}));
  EXPECT_EQ(report.loaded, (std::vector<std::string>{"conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                                                      "fc1.weight", "fc1.bias"}));
  EXPECT_TRUE(report.missing.empty() && report.unexpected.empty() && report.mismatched.empty());
  EXPECT_NE(report.summary().find("re-initialised the head (fc2.weight, fc2.bias)"), std::string::npos)
      << report.summary();
  // The head keeps its fresh initialisation (10 classes); the backbone has the file's values.
  expect_same_tensor(param(*model, "fc2.weight"), fc2_before, "fc2.weight");
  EXPECT_EQ(param(*model, "fc2.weight").sizes().vec(), (std::vector<int64_t>{10, 64}));
  for (const auto& [k, v] : sd)
    if (k.rfind("fc2.", 0) != 0) expect_same_tensor(param(*model, k), v, k);
  // Without head prefixes the same file is a shape error naming both head tensors.
  auto strict = simple_cnn(10, 1, 28);
  expect_runtime_error([&] { weights::load_state_dict(*strict, sd, path); },
                       {path, "shape mismatches (2)", "fc2.weight: file [1000, 64] vs model [10, 64]",
                        "fc2.bias: file [1000] vs model [10]"});
}

TEST(LoadStateDict, HeadlessModelIgnoresTheFilesHeadAndConvertsDtypes) {
  auto source = simple_cnn(1000, 1, 28);
  StateDict sd;
  for (auto& [k, v] : state_of(*source)) sd.emplace_back(k, v.to(torch::kFloat64));  // converted on copy
  auto model = simple_cnn(10, 1, 28, /*include_top=*/false);
  const auto report = weights::load_state_dict(*model, sd, "headless.pth", model->head_prefixes());
  EXPECT_EQ(report.ignored, (std::vector<std::string>{"fc2.weight", "fc2.bias"}));
  EXPECT_EQ(report.loaded.size(), 6u);
  EXPECT_TRUE(report.reinitialized.empty());
  for (const auto& [k, v] : sd)
    if (k.rfind("fc2.", 0) != 0) {
      const torch::Tensor p = param(*model, k);
      EXPECT_EQ(p.scalar_type(), torch::kFloat32) << k;
      EXPECT_TRUE(torch::equal(p, v.to(torch::kFloat32))) << k;
    }
  // A head tensor the file lacks is re-initialised, not missing.
  StateDict no_head;
  for (auto& [k, v] : sd)
    if (k.rfind("fc2.", 0) != 0) no_head.emplace_back(k, v);
  auto with_top = simple_cnn(10, 1, 28);
  const auto r2 = weights::load_state_dict(*with_top, no_head, "nohead.pth", with_top->head_prefixes());
  EXPECT_EQ(r2.reinitialized, (std::vector<std::string>{"fc2.weight", "fc2.bias"}));
  EXPECT_TRUE(r2.missing.empty());
}

}  // namespace
}  // namespace tlab::test
