#pragma once
// Classification metrics: accuracy, top-5, confusion matrix, per-class precision / recall / F1 /
// support, macro and weighted F1 (scikit-learn's definitions: a 0/0 ratio counts as 0); from the
// probabilities, ROC-AUC one-vs-rest and calibration (probabilistic.h).
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "tlab/core/progress.h"
#include "tlab/data/loader.h"
#include "tlab/eval/probabilistic.h"

namespace tlab::eval {

struct ClassMetrics {
  std::string name;
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;
};

struct Metrics {
  int64_t samples = 0;
  double accuracy = 0;
  std::optional<double> loss;            // mean cross-entropy, when logits were available
  std::optional<double> top5_accuracy;   // when there are more than 5 classes
  std::vector<std::vector<int64_t>> confusion_matrix;  // [true][predicted]
  std::vector<ClassMetrics> per_class;
  double macro_precision = 0, macro_recall = 0, macro_f1 = 0;
  double weighted_precision = 0, weighted_recall = 0, weighted_f1 = 0;
  // From the softmax probabilities (evaluate):
  std::optional<RocAuc> roc_auc;        // unset when undefined (roc_auc_undefined says why)
  std::string roc_auc_undefined;
  std::optional<Calibration> calibration;  // 15 bins
};

// Adds ROC-AUC and calibration to `m` from row-major probabilities [N, K] of the same samples.
void add_probability_metrics(Metrics& m, const std::vector<int64_t>& labels, const std::vector<float>& probabilities);

// From hard predictions. Throws UsageError for size mismatches or labels out of range.
Metrics compute_metrics(const std::vector<int64_t>& labels, const std::vector<int64_t>& predictions,
                        const std::vector<std::string>& class_names);

// Runs `model` over the loader in eval mode without gradients and computes every metric,
// including loss and top-5 accuracy from the logits. `progress`: a report per batch (phase "evaluate").
Metrics evaluate(torch::nn::Module& model, const std::function<torch::Tensor(torch::Tensor)>& forward,
                 data::BatchSource& loader, const torch::Device& device, const ProgressCallback& progress = {});

nlohmann::json to_json(const Metrics& m);
// A scikit-learn style classification report plus accuracy/loss/top-5 lines.
std::string format_report(const Metrics& m);

}  // namespace tlab::eval
