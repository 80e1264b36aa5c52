#pragma once
// Parity with torchvision: the Python reference (torchvision_reference.py) builds the architecture
// with random weights, saves them with torch.save and records its eval-mode output for a fixed
// input; our model loads that very file through the .pth reader and must give the same logits.
#include <algorithm>

#include "../test_util.h"
#include "tlab/models/model.h"
#include "tlab/weights/load.h"

namespace tlab::test {

// A model's own parameters and buffers as a state dict (named as load_state_dict expects).
inline weights::StateDict state_of(torch::nn::Module& m) {
  weights::StateDict s;
  for (const auto& p : m.named_parameters()) s.emplace_back(p.key(), p.value().detach().clone());
  for (const auto& b : m.named_buffers()) s.emplace_back(b.key(), b.value().clone());
  return s;
}

// The tensor called `name` in `s` (a test failure when there is none).
inline torch::Tensor find(const weights::StateDict& s, const std::string& name) {
  for (const auto& [k, v] : s)
    if (k == name) return v;
  ADD_FAILURE() << "no tensor " << name;
  return {};
}

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

struct ParityOptions {
  int64_t num_classes = 1000;
  int64_t side = 224;
  double tolerance = 1e-4;  // on |ours - theirs| / max(1, |theirs|)
};

inline void expect_torchvision_parity(const std::string& arch, ParityOptions o = {}) {
  TempDir dir;
  const std::string script = std::string(TLAB_SOURCE_DIR) + "/tests/models/torchvision_reference.py";
  const std::string cmd = "/usr/bin/python3 " + script + " " + arch + " " + dir.str() + " --num-classes " +
                          std::to_string(o.num_classes) + " --side " + std::to_string(o.side);
  ASSERT_EQ(run_command(cmd), 0) << "the torchvision reference failed: " << cmd
                                 << " (needs python3-torchvision from scripts/setup.sh)";
  auto model = models::create_model(arch, {o.num_classes, 3, o.side, o.side});
  const auto report = weights::load_state_dict(*model, weights::read_pth(dir.str("weights.pth")), dir.str("weights.pth"),
                                               model->head_prefixes());
  EXPECT_TRUE(report.reinitialized.empty()) << report.summary();
  const auto io = weights::state_dict_from(weights::read_torch_file(dir.str("io.pth")), "io.pth");
  torch::Tensor x, expected;
  for (const auto& [k, v] : io) (k == "input" ? x : expected) = v;
  model->eval();
  torch::NoGradGuard no_grad;
  const auto ours = model->forward(x);
  ASSERT_EQ(ours.sizes(), expected.sizes()) << arch;
  const auto err = ((ours - expected).abs() / expected.abs().clamp_min(1.0)).max().item<double>();
  EXPECT_LE(err, o.tolerance) << arch << ": max relative difference " << err
                              << " (max |logit| " << expected.abs().max().item<double>() << ")";
}

}  // namespace tlab::test
