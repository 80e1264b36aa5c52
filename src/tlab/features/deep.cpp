#include "tlab/features/deep.h"

#include <filesystem>
#include <fstream>

#include "tlab/core/error.h"

namespace tlab::features {

namespace {

FeatureSet collect(const std::function<torch::Tensor(torch::Tensor)>& forward, data::BatchSource& loader,
                   const torch::Device& device, const std::string& spill_file, int64_t pass,
                   const ProgressCallback& progress) {
  PhaseProgress report(progress, "features", int64_t(loader.num_batches()));
  std::vector<torch::Tensor> features, labels;
  std::ofstream spill;
  if (!spill_file.empty()) {
    spill.open(spill_file, std::ios::binary | std::ios::trunc);
    TLAB_CHECK(spill.good(), "feature cache: cannot write ", spill_file);
  }
  int64_t rows = 0, dim = 0;
  {
    c10::InferenceMode inference;
    loader.start_epoch(pass);
    while (auto batch = loader.next()) {
      auto y = forward(batch->images.to(device, /*non_blocking=*/true)).flatten(1).to(torch::kCPU, torch::kFloat32);
      rows += y.size(0);
      dim = y.size(1);
      if (spill.is_open()) {
        y = y.contiguous();
        spill.write(reinterpret_cast<const char*>(y.data_ptr<float>()), std::streamsize(y.numel() * sizeof(float)));
        TLAB_CHECK(spill.good(), "feature cache: writing ", spill_file, " failed (disk full?)");
      } else {
        features.push_back(y);
      }
      labels.push_back(batch->labels);
      report.step(y.size(0));
    }
  }
  TLAB_CHECK(!labels.empty(), "extract_deep_features: the loader gave no batches");
  // Copies made outside inference mode, so autograd may use them later (a head, L-BFGS).
  if (!spill.is_open()) return {torch::cat(features).clone(), torch::cat(labels).clone()};
  spill.close();
  TLAB_CHECK(spill.good(), "feature cache: closing ", spill_file, " failed (disk full?)");
  auto mapped = torch::from_file(spill_file, /*shared=*/false, rows * dim, torch::kFloat32).view({rows, dim});
  std::filesystem::remove(spill_file);  // the mapping keeps the pages; the name goes now
  return {mapped, torch::cat(labels).clone()};
}

}  // namespace

FeatureSet extract_deep_features(torch::nn::Module& model, const std::function<torch::Tensor(torch::Tensor)>& forward,
                                 data::BatchSource& loader, const torch::Device& device, const std::string& spill_file,
                                 int64_t pass, const ProgressCallback& progress) {
  const bool was_training = model.is_training();
  model.eval();
  try {
    FeatureSet out = collect(forward, loader, device, spill_file, pass, progress);
    model.train(was_training);
    return out;
  } catch (...) {
    model.train(was_training);
    throw;
  }
}

}  // namespace tlab::features
