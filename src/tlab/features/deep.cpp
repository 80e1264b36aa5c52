#include "tlab/features/deep.h"

#include "tlab/core/error.h"

namespace tlab::features {

FeatureSet extract_deep_features(models::Model& backbone, data::DataLoader& loader, const torch::Device& device) {
  backbone.eval();
  c10::InferenceMode inference;
  std::vector<torch::Tensor> features, labels;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    auto y = backbone.forward(batch->images.to(device, /*non_blocking=*/true));
    features.push_back(y.flatten(1).to(torch::kCPU, torch::kFloat32));
    labels.push_back(batch->labels);
  }
  TLAB_CHECK(!features.empty(), "extract_deep_features: the loader gave no batches");
  // Clone out of inference mode, so the tensors can be used in autograd later (e.g. by L-BFGS).
  c10::InferenceMode off(false);
  return {torch::cat(features).clone(), torch::cat(labels).clone()};
}

}  // namespace tlab::features
