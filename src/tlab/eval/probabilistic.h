#pragma once
// Metrics of predicted probabilities, not only of the top class: ROC-AUC one-vs-rest (scikit-learn's
// roc_auc_score(y, p, multi_class="ovr"), macro and weighted by support; the binary case is the AUC
// of class 1) and the expected calibration error with its reliability diagram (15 equal-width bins
// of the top probability, Guo et al. 2017: bin b holds confidences in (b/15, (b+1)/15], the first
// bin also 0).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tlab::eval {

struct RocAuc {
  double macro = 0;
  double weighted = 0;               // by each class's number of true samples
  std::vector<double> per_class;     // class c against the rest
};

// `probabilities`: row-major [N, K] (each row a distribution), `labels` in 0..K-1. std::nullopt with
// `why` set when it is undefined: a class without true samples, or all samples of one class (as
// scikit-learn, which raises then). Ties between scores count half (the trapezoidal ROC area).
std::optional<RocAuc> roc_auc_ovr(const std::vector<int64_t>& labels, const std::vector<float>& probabilities,
                                  int64_t classes, std::string* why = nullptr);

// The one-vs-rest ROC curve of class `positive`: a point (false positive rate, true positive rate)
// at (0, 0) and after every distinct score, highest first (scikit-learn's roc_curve with
// drop_intermediate=False). Empty when the class has no positives or no negatives.
struct RocCurve {
  std::vector<double> fpr, tpr;
};
RocCurve roc_curve(const std::vector<int64_t>& labels, const std::vector<float>& probabilities, int64_t classes,
                   int64_t positive);

struct ReliabilityBin {
  double lower = 0, upper = 0;  // confidences in (lower, upper]
  int64_t count = 0;
  double accuracy = 0;          // of the samples in the bin (0 when empty)
  double confidence = 0;        // their mean top probability (0 when empty)
};

struct Calibration {
  double ece = 0;  // sum over bins of count/N * |accuracy - confidence|
  double mce = 0;  // the largest |accuracy - confidence| of a non-empty bin
  std::vector<ReliabilityBin> bins;
};

// Throws UsageError for sizes that do not match or bins < 1.
Calibration calibration(const std::vector<int64_t>& labels, const std::vector<float>& probabilities, int64_t classes,
                        int bins = 15);

}  // namespace tlab::eval
