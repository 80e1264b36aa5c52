#include "tlab/eval/probabilistic.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tlab/core/error.h"

namespace tlab::eval {
namespace {

void check_sizes(const std::vector<int64_t>& labels, const std::vector<float>& probabilities, int64_t classes) {
  TLAB_CHECK(classes >= 2, "metrics: probabilities need at least 2 classes, got ", classes);
  TLAB_CHECK(!labels.empty(), "metrics: no samples");
  TLAB_CHECK(probabilities.size() == labels.size() * size_t(classes), "metrics: ", labels.size(), " labels and ",
             classes, " classes need ", labels.size() * size_t(classes), " probabilities, got ", probabilities.size());
  for (size_t i = 0; i < labels.size(); ++i)
    TLAB_CHECK(labels[i] >= 0 && labels[i] < classes, "metrics: sample ", i, " has label ", labels[i], " outside 0..",
               classes - 1);
}

// The area under the ROC curve of `scores` for the samples with positive[i]: the Mann-Whitney
// statistic with average ranks for ties, which equals the trapezoidal area of roc_curve.
double binary_auc(const std::vector<double>& scores, const std::vector<bool>& positive, int64_t positives) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  double positive_rank_sum = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && scores[order[j]] == scores[order[i]]) ++j;
    const double rank = (double(i) + double(j - 1)) / 2 + 1;  // the tie block's average rank, 1-based
    for (size_t k = i; k < j; ++k)
      if (positive[order[k]]) positive_rank_sum += rank;
    i = j;
  }
  const double negatives = double(int64_t(n) - positives);
  return (positive_rank_sum - double(positives) * double(positives + 1) / 2) / (double(positives) * negatives);
}

}  // namespace

std::optional<RocAuc> roc_auc_ovr(const std::vector<int64_t>& labels, const std::vector<float>& probabilities,
                                  int64_t classes, std::string* why) {
  check_sizes(labels, probabilities, classes);
  const size_t n = labels.size();
  std::vector<int64_t> support(size_t(classes), 0);
  for (auto l : labels) ++support[size_t(l)];
  for (int64_t c = 0; c < classes; ++c)
    if (support[size_t(c)] == 0 || support[size_t(c)] == int64_t(n)) {
      if (why)
        *why = "ROC-AUC is undefined: class " + std::to_string(c) +
               (support[size_t(c)] == 0 ? " has no true samples" : " holds every sample");
      return std::nullopt;
    }
  RocAuc r;
  std::vector<double> scores(n);
  std::vector<bool> positive(n);
  for (int64_t c = 0; c < classes; ++c) {
    for (size_t i = 0; i < n; ++i) {
      scores[i] = probabilities[i * size_t(classes) + size_t(c)];
      positive[i] = labels[i] == c;
    }
    r.per_class.push_back(binary_auc(scores, positive, support[size_t(c)]));
    r.macro += r.per_class.back() / double(classes);
    r.weighted += r.per_class.back() * double(support[size_t(c)]) / double(n);
  }
  if (classes == 2) r.macro = r.weighted = r.per_class[1];  // scikit-learn's binary case: class 1's scores
  return r;
}

Calibration calibration(const std::vector<int64_t>& labels, const std::vector<float>& probabilities, int64_t classes,
                        int bins) {
  check_sizes(labels, probabilities, classes);
  TLAB_CHECK(bins >= 1, "metrics: calibration needs at least 1 bin, got ", bins);
  Calibration c;
  for (int b = 0; b < bins; ++b) c.bins.push_back({double(b) / bins, double(b + 1) / bins, 0, 0, 0});
  for (size_t i = 0; i < labels.size(); ++i) {
    const float* row = probabilities.data() + i * size_t(classes);
    const int64_t top = std::max_element(row, row + classes) - row;
    const double confidence = row[top];
    // (b/bins, (b+1)/bins]: ceil(conf * bins) - 1, with 0 in the first bin.
    const int b = std::clamp(int(std::ceil(confidence * bins)) - 1, 0, bins - 1);
    auto& bin = c.bins[size_t(b)];
    ++bin.count;
    bin.accuracy += top == labels[i];
    bin.confidence += confidence;
  }
  for (auto& bin : c.bins) {
    if (bin.count == 0) continue;
    bin.accuracy /= double(bin.count);
    bin.confidence /= double(bin.count);
    const double gap = std::abs(bin.accuracy - bin.confidence);
    c.ece += gap * double(bin.count) / double(labels.size());
    c.mce = std::max(c.mce, gap);
  }
  return c;
}

RocCurve roc_curve(const std::vector<int64_t>& labels, const std::vector<float>& probabilities, int64_t classes,
                   int64_t positive) {
  TLAB_CHECK(classes > 0 && probabilities.size() == labels.size() * size_t(classes) && positive >= 0 &&
                 positive < classes,
             "roc_curve: ", probabilities.size(), " probabilities for ", labels.size(), " samples of ", classes,
             " classes, class ", positive);
  std::vector<size_t> order(labels.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto score = [&](size_t i) { return probabilities[i * size_t(classes) + size_t(positive)]; };
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return score(a) > score(b); });
  double p = 0, n = 0;
  for (auto l : labels) (l == positive ? p : n) += 1;
  RocCurve c;
  if (p == 0 || n == 0) return c;
  c.fpr.push_back(0);
  c.tpr.push_back(0);
  double tp = 0, fp = 0;
  for (size_t k = 0; k < order.size(); ++k) {
    (labels[order[k]] == positive ? tp : fp) += 1;
    if (k + 1 == order.size() || score(order[k + 1]) != score(order[k])) {
      c.fpr.push_back(fp / n);
      c.tpr.push_back(tp / p);
    }
  }
  return c;
}

}  // namespace tlab::eval
