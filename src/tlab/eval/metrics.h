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

// From hard predictions. Throws UsageError for size mismatches or labels out of range.
Metrics compute_metrics(const std::vector<int64_t>& labels, const std::vector<int64_t>& predictions,
                        const std::vector<std::string>& class_names);

// Every metric of the samples whose log-probabilities [N, K] (float64) and labels [N] are given: from
// the argmax, and from the probabilities the loss (mean negative log-probability of the label), top-5
// accuracy, ROC-AUC and calibration.
Metrics metrics_from_log_probabilities(const torch::Tensor& log_probabilities, const torch::Tensor& labels,
                                       const std::vector<std::string>& class_names);

// What a model gave for each sample of one pass over a loader: row i is the loader's i-th sample.
struct Outputs {
  torch::Tensor logits;  // [N, K] float32, on the CPU
  torch::Tensor labels;  // [N] int64
};

// Runs `model` over the loader in eval mode without gradients; `pass` is the epoch the loader's
// pass starts with (an augmenting loader draws from it). `progress`: a report per batch (phase "evaluate").
Outputs collect_outputs(torch::nn::Module& model, const std::function<torch::Tensor(torch::Tensor)>& forward,
                        data::BatchSource& loader, const torch::Device& device, const ProgressCallback& progress = {},
                        int64_t pass = 0);

// collect_outputs, then every metric from the softmax of the logits.
Metrics evaluate(torch::nn::Module& model, const std::function<torch::Tensor(torch::Tensor)>& forward,
                 data::BatchSource& loader, const torch::Device& device, const ProgressCallback& progress = {});

// The most confused pairs (fastai's most_confused): off-diagonal cells of the confusion matrix with
// at least `min_count` samples, largest first (ties: by actual, then predicted class).
struct ConfusedPair {
  std::string actual, predicted;
  int64_t count = 0;
};
std::vector<ConfusedPair> most_confused(const Metrics& m, int64_t min_count = 1);

nlohmann::json to_json(const Metrics& m);
// A scikit-learn style classification report plus accuracy/loss/top-5 lines.
std::string format_report(const Metrics& m);

}  // namespace tlab::eval
