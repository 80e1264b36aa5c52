#pragma once
// Helpers shared by the model-zoo tests (vgg, squeezenet, densenet): a model's own state dict,
// stage names and shapes from forward_observed, and tensor comparisons.
#include <string>
#include <vector>

#include "../test_util.h"
#include "tlab/models/model.h"
#include "tlab/weights/load.h"

namespace tlab::test {

// The model's parameters and buffers as a state dict (sharing storage with the model), as
// torchvision's model.state_dict() would list them.
inline weights::StateDict state_dict_of(const torch::nn::Module& model) {
  weights::StateDict state;
  for (const auto& p : model.named_parameters()) state.emplace_back(p.key(), p.value());
  for (const auto& b : model.named_buffers()) state.emplace_back(b.key(), b.value());
  return state;
}

struct Stage {
  std::string name;
  std::vector<int64_t> shape;  // with the batch dimension
  torch::Tensor output;        // the tensor reported to the observer, cloned
};

// Runs forward_observed in eval mode without grad; returns every reported stage and, in `result`,
// what forward_observed returned.
inline std::vector<Stage> observe_stages(models::Model& model, const torch::Tensor& x, torch::Tensor* result = nullptr) {
  std::vector<Stage> stages;
  model.eval();
  torch::NoGradGuard no_grad;
  auto y = model.forward_observed(x, [&](const std::string& name, const torch::nn::Module&, const torch::Tensor& out) {
    stages.push_back({name, out.sizes().vec(), out.clone()});
  });
  if (result) *result = y;
  return stages;
}

inline std::vector<std::string> stage_names(const std::vector<Stage>& stages) {
  std::vector<std::string> names;
  for (const auto& s : stages) names.push_back(s.name);
  return names;
}

inline double max_abs_diff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>();
}

}  // namespace tlab::test
