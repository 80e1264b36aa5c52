#pragma once
// Cross-validation of one set of run options (tlab cv): stratified folds of the training split
// (select/folds.h); on each fold the strategy trains on the fold's training part from the same
// initial weights and is scored once on its held-out part. Inside a fold there is no validation
// split: every fold trains all its epochs (choosing epochs on the held-out part would leak it).
// Frozen-backbone strategies (linear-probe, cached feature-extract) run the backbone over the
// training split once for all folds, and once per model across a selection (CvData).
#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tlab/select/folds.h"
#include "tlab/train/feature_cache.h"
#include "tlab/train/run_data.h"

namespace tlab::select {

struct FoldScore {
  int repeat = 0, fold = 0;
  size_t train_samples = 0, test_samples = 0;
  double accuracy = 0, macro_f1 = 0, loss = 0;  // on the held-out part
  double seconds = 0;                           // the fold's training and scoring (shared features excluded)
};

struct CvOptions {
  FoldOptions folds;             // K, R, shuffle; the seed is the recipe's (--seed)
  bool share_features = true;    // --share-features: frozen-backbone features once for all folds (false: per
                                 // fold, as a plain loop over folds would; for timing the difference)
  std::function<void(const FoldScore&)> on_fold;  // after each fold
};

struct MeanStd {
  double mean = 0, std = 0;  // std: population (ddof 0), as GridSearchCV's std_test_score
};

struct CvResult {
  std::vector<FoldScore> folds;
  MeanStd accuracy, macro_f1, loss;
  double seconds = 0;          // the whole cross-validation: data, features, folds
  double feature_seconds = 0;  // time spent running the backbone for features (0: the strategy trains on images)
  int feature_passes = 0;      // how often the backbone ran over the training split's images for features
  nlohmann::json config;       // the resolved options (train::to_json)
};

nlohmann::json to_json(const CvResult& result);
MeanStd mean_std(const std::vector<double>& values);

// What the cross-validations of a selection share: the data, opened once per model input (data,
// model, weights, image size), with the pretrained backbone's weights kept so that every fold starts
// from them; and frozen-backbone features, computed once per backbone and augmentation.
class CvData {
 public:
  // The run's data for resolved options `o` (the cv pool is its training split).
  const train::RunData& data(const train::RunOptions& o, const train::Strategy& strategy);
  // The model for `o` as a new run builds it, its backbone reset to the pretrained weights.
  models::ModelPtr fresh_model(const train::RunOptions& o, const train::RunData& d);
  // The training split's frozen-backbone features for `o` (null: computed earlier for the same key
  // are returned); `computed` is set when this call ran the backbone.
  std::shared_ptr<const train::CachedFeatures> features(const train::RunOptions& o, const train::Strategy& strategy,
                                                         const train::TrainCallbacks& callbacks, bool* computed);

 private:
  struct Opened {
    train::RunData data;
    std::vector<torch::Tensor> pretrained;  // the backbone's parameters and buffers as loaded
  };
  std::map<std::string, std::unique_ptr<Opened>> data_;
  std::map<std::string, std::shared_ptr<const train::CachedFeatures>> features_;
};

// Resolves `options` (no validation split: the held-out folds score), then cross-validates.
// Throws UsageError for options cross-validation cannot honour (--val, --early-stopping).
CvResult cross_validate(const train::RunOptions& options, const CvOptions& cv, CvData& shared,
                        const train::TrainCallbacks& callbacks = {});

// The options cross_validate runs: `options` resolved, without a validation split.
train::RunOptions cv_options(train::RunOptions options);

}  // namespace tlab::select
