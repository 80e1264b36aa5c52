#pragma once
// Checks shared by the mobile families' tests (mobilenet_v2, mobilenet_v3, efficientnet): names,
// parameter counts, headless features, stage names and head re-initialisation. Parity with
// torchvision itself is parity.h.
#include <algorithm>
#include <set>

#include "parity.h"

namespace tlab::test {

// Parity at the architecture's registered default input side. The tolerance is tighter than the
// harness's 1e-4: that is relative to max(1, |logit|), so absolute for these models' small random
// logits (|logit| < 0.4, mobilenet_v3 < 0.03), where it would miss e.g. mobilenet_v3 with PyTorch's
// default BatchNorm eps (logits move by 2e-5). Both sides run the same ATen kernels (Debian's
// python3-torch links the same libtorch_cpu), so the outputs agree to float rounding or better.
inline void expect_parity_at_default_size(const std::string& arch) {
  ParityOptions o;
  o.side = models::model_info(arch).default_image_size;
  o.tolerance = 1e-6;
  expect_torchvision_parity(arch, o);
}

// Every name in `names` is a parameter or buffer of a 1000-class `arch`; the parameter count
// equals torchvision's (its weights' meta "num_params").
inline void expect_names_and_size(const std::string& arch, const std::vector<std::string>& names, int64_t num_params) {
  auto model = models::create_model(arch, {1000, 3, 224, 224});
  std::set<std::string> have;
  for (const auto& p : model->named_parameters()) have.insert(p.key());
  for (const auto& b : model->named_buffers()) have.insert(b.key());
  for (const auto& n : names) EXPECT_TRUE(have.count(n)) << arch << " lacks '" << n << "'";
  EXPECT_EQ(models::count_parameters(*model).total(), num_params) << arch;
}

// include_top = false: no classifier tensors, forward gives [N, feature_dim()] for a non-square,
// non-RGB input; the features equal the full model's "avgpool" tap.
inline void expect_headless_features(const std::string& arch, int64_t feature_dim) {
  torch::manual_seed(0);
  models::ModelOptions o{10, 1, 64, 96, false};
  auto model = models::create_model(arch, o);
  EXPECT_EQ(model->feature_dim(), feature_dim);
  for (const auto& p : model->named_parameters())
    EXPECT_EQ(p.key().rfind("classifier", 0), std::string::npos) << arch << ": headless model has " << p.key();
  model->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({3, 1, 64, 96});
  const auto y = model->forward(x);
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{3, feature_dim})) << arch;
  const auto taps = models::extract_features(*model, x, {"avgpool"});
  EXPECT_TRUE(torch::equal(taps.at("avgpool"), y)) << arch;
}

// forward_observed reports "features.0" .. "features.<num_stages - 1>", "avgpool", then each
// classifier layer, and its final output is forward()'s.
inline void expect_stage_names(const std::string& arch, int64_t num_stages, int64_t classifier_layers,
                               int64_t feature_dim) {
  auto model = models::create_model(arch, {7, 3, 64, 64});
  model->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 3, 64, 64});
  std::vector<std::string> names;
  torch::Tensor pooled;
  const auto y = model->forward_observed(x, [&](const std::string& n, const torch::nn::Module&, const torch::Tensor& t) {
    names.push_back(n);
    if (n == "avgpool") pooled = t;
  });
  std::vector<std::string> expected;
  for (int64_t i = 0; i < num_stages; ++i) expected.push_back("features." + std::to_string(i));
  expected.push_back("avgpool");
  for (int64_t i = 0; i < classifier_layers; ++i) expected.push_back("classifier." + std::to_string(i));
  EXPECT_EQ(names, expected) << arch;
  ASSERT_TRUE(pooled.defined());
  EXPECT_EQ(pooled.sizes(), (std::vector<int64_t>{2, feature_dim})) << arch;
  EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 7})) << arch;
  EXPECT_TRUE(torch::allclose(y, model->forward(x))) << arch;
}

// A 1000-class state dict (from a 1000-class model of the same architecture) loads into a
// 10-class model: everything but the head is copied, the head (`head_tensors`) keeps its fresh
// initialisation and is reported as re-initialised.
inline void expect_head_reinitialised(const std::string& arch, const std::vector<std::string>& head_tensors) {
  torch::manual_seed(1);
  auto source = models::create_model(arch, {1000, 3, 224, 224});
  weights::StateDict state;
  for (const auto& p : source->named_parameters()) state.emplace_back(p.key(), p.value().detach().clone());
  for (const auto& b : source->named_buffers()) state.emplace_back(b.key(), b.value().clone());
  auto model = models::create_model(arch, {10, 3, 224, 224});
  std::map<std::string, torch::Tensor> before;
  for (const auto& p : model->named_parameters()) before[p.key()] = p.value().detach().clone();
  const auto report = weights::load_state_dict(*model, state, "1000-class " + arch, model->head_prefixes());
  auto sorted = report.reinitialized;
  std::sort(sorted.begin(), sorted.end());
  auto expected = head_tensors;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(sorted, expected) << report.summary();
  EXPECT_TRUE(report.missing.empty() && report.unexpected.empty() && report.mismatched.empty());
  EXPECT_EQ(report.loaded.size() + report.reinitialized.size(), model->named_parameters().size() +
                                                                    model->named_buffers().size());
  std::map<std::string, torch::Tensor> file(state.begin(), state.end());
  for (const auto& p : model->named_parameters()) {
    const bool head = std::find(expected.begin(), expected.end(), p.key()) != expected.end();
    if (head)
      EXPECT_TRUE(torch::equal(p.value(), before.at(p.key()))) << p.key() << " should keep its initialisation";
    else
      EXPECT_TRUE(torch::equal(p.value(), file.at(p.key()))) << p.key() << " should come from the file";
  }
}

// Training mode runs forward and backward (dropout, stochastic depth, in-place activations) and
// gives every parameter a gradient.
inline void expect_trains(const std::string& arch) {
  torch::manual_seed(2);
  auto model = models::create_model(arch, {5, 3, 48, 48});
  model->train();
  const auto y = model->forward(torch::randn({2, 3, 48, 48}));
  ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 5}));
  torch::nn::functional::cross_entropy(y, torch::tensor({0, 3})).backward();
  for (const auto& p : model->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << arch << ": no gradient for " << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << arch << ": " << p.key();
  }
}

}  // namespace tlab::test
