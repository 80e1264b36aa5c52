#include "tlab/train/feature_cache.h"

#include <chrono>
#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/core/log.h"
#include "tlab/train/strategies/image_training.h"

namespace fs = std::filesystem;

namespace tlab::train {

CachedFeatures cache_features(const StrategyInput& in, models::TransferModel& model, int augmented_views) {
  if (in.features) {
    TLAB_CHECK(int(in.features->train_views.size()) == std::max(1, augmented_views), "cached features: ",
               in.features->train_views.size(), " training views given, the strategy needs ",
               std::max(1, augmented_views));
    return *in.features;
  }
  size_t memory_left = size_t(in.options->system.cache_mb) << 20;
  const std::string spill_dir = in.scratch_dir.empty() ? fs::temp_directory_path().string() : in.scratch_dir;
  // pass > 0: an augmented view of the training data (the augmentation's draws of epoch `pass`).
  auto features_of = [&](const data::DatasetPtr& ds, const std::string& split, int64_t pass) {
    data::LoaderOptions lo = eval_loader_options(in);
    if (pass > 0) {
      lo.augment = in.augmentation;
      lo.seed = in.options->recipe.seed;
    }
    data::DataLoader loader(ds, in.input, lo);
    const size_t bytes = ds->size() * size_t(model.feature_dim()) * sizeof(float);
    std::string spill;
    if (bytes > memory_left) {
      spill = (fs::path(spill_dir) / ("features-" + split + (pass ? "-" + std::to_string(pass) : "") + ".f32")).string();
      log_info(str_cat("feature cache: ", split, " features (", bytes >> 20, " MiB) exceed --cache-mb; kept on disk"));
    } else {
      memory_left -= bytes;
    }
    return features::extract_deep_features(
        model, [&](torch::Tensor x) { return model.backbone_features(x); }, loader, in.device, spill, pass,
        with_phase(in.callbacks.on_progress, "features " + split));
  };
  const auto t0 = std::chrono::steady_clock::now();
  CachedFeatures out;
  for (int v = 0; v < std::max(1, augmented_views); ++v) {
    auto f = features_of(in.train, "train", augmented_views > 0 ? v + 1 : 0);
    out.train_views.push_back(f.features);
    if (v == 0) out.train_labels = f.labels;
  }
  if (in.val) out.val = features_of(in.val, "val", 0);
  if (in.test) out.test = features_of(in.test, "test", 0);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  log_info(str_cat("feature cache: backbone features of ", in.train->size(),
                   out.train_views.size() > 1 ? " (+ " + std::to_string(out.train_views.size()) + " augmented views)"
                                              : std::string(),
                   (in.val ? " + " + std::to_string(in.val->size()) : std::string()),
                   (in.test ? " + " + std::to_string(in.test->size()) : std::string()), " images computed once in ",
                   out.seconds, " s"));
  return out;
}

CachedFeatures select_rows(const CachedFeatures& all, const std::vector<size_t>& train, const std::vector<size_t>& test) {
  auto rows = [](const torch::Tensor& t, const std::vector<size_t>& idx) {
    std::vector<int64_t> i(idx.begin(), idx.end());
    return t.index_select(0, torch::tensor(i, torch::kInt64));
  };
  CachedFeatures out;
  for (const auto& v : all.train_views) out.train_views.push_back(rows(v, train));
  out.train_labels = rows(all.train_labels, train);
  const torch::Tensor& plain = all.val ? all.val->features : all.train_views.front();
  TLAB_CHECK(plain.size(0) == all.train_labels.size(0), "select_rows: ", plain.size(0), " unaugmented rows for ",
             all.train_labels.size(0), " samples");
  out.test = features::FeatureSet{rows(plain, test), rows(all.train_labels, test)};
  out.seconds = 0;  // nothing computed here
  return out;
}

void add_eval_batches(const StrategyInput& in, const CachedFeatures& f, Trained& out) {
  auto batches = [&](const features::FeatureSet& set) {
    return std::make_unique<data::TensorBatches>(set.features, set.labels, in.train->classes(),
                                                 in.options->recipe.eval_batch_size, false, in.options->recipe.seed);
  };
  if (f.val) out.eval_batches["val"] = batches(*f.val);
  if (f.test) out.eval_batches["test"] = batches(*f.test);
}

}  // namespace tlab::train
