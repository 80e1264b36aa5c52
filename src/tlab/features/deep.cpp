#include "tlab/features/deep.h"

#include "tlab/core/error.h"

namespace tlab::features {

namespace {

FeatureSet collect(const std::function<torch::Tensor(torch::Tensor)>& forward, data::BatchSource& loader,
                   const torch::Device& device) {
  std::vector<torch::Tensor> features, labels;
  {
    c10::InferenceMode inference;
    loader.start_epoch(0);
    while (auto batch = loader.next()) {
      auto y = forward(batch->images.to(device, /*non_blocking=*/true));
      features.push_back(y.flatten(1).to(torch::kCPU, torch::kFloat32));
      labels.push_back(batch->labels);
    }
  }
  TLAB_CHECK(!features.empty(), "extract_deep_features: the loader gave no batches");
  // Copies made outside inference mode, so autograd may use them later (a head, L-BFGS).
  return {torch::cat(features).clone(), torch::cat(labels).clone()};
}

}  // namespace

FeatureSet extract_deep_features(torch::nn::Module& model, const std::function<torch::Tensor(torch::Tensor)>& forward,
                                 data::BatchSource& loader, const torch::Device& device) {
  const bool was_training = model.is_training();
  model.eval();
  try {
    FeatureSet out = collect(forward, loader, device);
    model.train(was_training);
    return out;
  } catch (...) {
    model.train(was_training);
    throw;
  }
}

}  // namespace tlab::features
