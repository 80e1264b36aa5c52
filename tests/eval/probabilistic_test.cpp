// ROC-AUC one-vs-rest equals scikit-learn's roc_auc_score (macro, weighted, per class, the binary
// case, tied scores); the expected calibration error and its bins equal a direct numpy computation
// of Guo et al.'s definition (15 equal-width bins of the top probability).
#include "tlab/eval/probabilistic.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <random>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/core/io.h"

namespace tlab::test {
namespace {

// Softmax rows of random logits, rounded to 2 decimals (so scores tie) and renormalised; labels
// drawn to agree with the largest score ~60% of the time.
void make_scores(int k, int n, uint32_t seed, std::vector<int64_t>& y, std::vector<float>& p) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> z(0, 1.5);
  std::uniform_int_distribution<int> cls(0, k - 1), coin(0, 9);
  for (int i = 0; i < n; ++i) {
    std::vector<double> row(static_cast<size_t>(k));
    double sum = 0;
    for (auto& v : row) sum += (v = std::exp(z(rng)));
    double rounded = 0;
    for (auto& v : row) rounded += (v = std::round(100 * v / sum) / 100 + 0.001);
    for (auto v : row) p.push_back(float(v / rounded));
    const int top = int(std::max_element(row.begin(), row.end()) - row.begin());
    y.push_back(coin(rng) < 6 ? top : cls(rng));
  }
}

nlohmann::json scikit_reference(const TempDir& dir, const std::vector<int64_t>& y, const std::vector<float>& p, int k) {
  write_file_atomic(dir.str("scores.json"), nlohmann::json{{"y", y}, {"p", p}, {"k", k}}.dump());
  write_file_atomic(dir.str("ref.py"), R"PY(
import json, sys
import numpy as np
from sklearn.metrics import roc_auc_score
d = json.load(open(sys.argv[1]))
y, k = np.array(d["y"]), d["k"]
p = np.array(d["p"], dtype=np.float32).reshape(len(y), k)
out = {}
if k == 2:
    out["macro"] = out["weighted"] = roc_auc_score(y, p[:, 1])
else:
    out["macro"] = roc_auc_score(y, p, multi_class="ovr", average="macro", labels=list(range(k)))
    out["weighted"] = roc_auc_score(y, p, multi_class="ovr", average="weighted", labels=list(range(k)))
out["per_class"] = [roc_auc_score(y == c, p[:, c]) for c in range(k)]
conf, pred = p.max(1).astype(np.float64), p.argmax(1)
edges = np.linspace(0, 1, 16)
ece, bins = 0.0, []
for b in range(15):
    inside = (conf > edges[b]) & (conf <= edges[b + 1]) if b > 0 else (conf <= edges[1])
    n = int(inside.sum())
    acc = float((pred[inside] == y[inside]).mean()) if n else 0.0
    cf = float(conf[inside].mean()) if n else 0.0
    ece += abs(acc - cf) * n / len(y)
    bins.append([n, acc, cf])
out["ece"], out["bins"] = ece, bins
json.dump(out, open(sys.argv[2], "w"))
)PY");
  const std::string cmd = "/usr/bin/python3 " + dir.str("ref.py") + " " + dir.str("scores.json") + " " + dir.str("ref.json");
  EXPECT_EQ(run_command(cmd), 0) << "the scikit-learn reference failed; is python3-sklearn installed (scripts/setup.sh)?";
  return nlohmann::json::parse(read_text(dir.str("ref.json")), nullptr, false);
}

TEST(ProbabilityMetrics, RocAucAndCalibrationEqualScikitLearnAndNumpy) {
  for (int k : {2, 5}) {
    SCOPED_TRACE(std::to_string(k) + " classes");
    TempDir dir;
    std::vector<int64_t> y;
    std::vector<float> p;
    make_scores(k, 400, 3 + k, y, p);
    const auto ref = scikit_reference(dir, y, p, k);
    ASSERT_TRUE(ref.is_object());
    const auto auc = eval::roc_auc_ovr(y, p, k);
    ASSERT_TRUE(auc);
    EXPECT_NEAR(auc->macro, ref["macro"].get<double>(), 1e-12);
    EXPECT_NEAR(auc->weighted, ref["weighted"].get<double>(), 1e-12);
    for (int c = 0; c < k; ++c) EXPECT_NEAR(auc->per_class[size_t(c)], ref["per_class"][c].get<double>(), 1e-12) << c;
    EXPECT_GT(auc->macro, 0.6);  // the scores carry signal: a broken ranking would sit near 0.5

    const auto cal = eval::calibration(y, p, k);
    EXPECT_NEAR(cal.ece, ref["ece"].get<double>(), 1e-9);
    ASSERT_EQ(cal.bins.size(), 15u);
    int64_t total = 0;
    for (size_t b = 0; b < 15; ++b) {
      EXPECT_EQ(cal.bins[b].count, ref["bins"][b][0].get<int64_t>()) << b;
      EXPECT_NEAR(cal.bins[b].accuracy, ref["bins"][b][1].get<double>(), 1e-9) << b;
      EXPECT_NEAR(cal.bins[b].confidence, ref["bins"][b][2].get<double>(), 1e-6) << b;
      total += cal.bins[b].count;
    }
    EXPECT_EQ(total, 400);
  }
}

TEST(ProbabilityMetrics, HandComputedCases) {
  // Perfect ranking: AUC 1; reversed: 0; all scores equal: 0.5 (ties count half).
  const std::vector<int64_t> y = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(eval::roc_auc_ovr(y, {0.9f, 0.1f, 0.8f, 0.2f, 0.3f, 0.7f, 0.4f, 0.6f}, 2)->macro, 1.0);
  EXPECT_DOUBLE_EQ(eval::roc_auc_ovr(y, {0.1f, 0.9f, 0.2f, 0.8f, 0.7f, 0.3f, 0.6f, 0.4f}, 2)->macro, 0.0);
  EXPECT_DOUBLE_EQ(eval::roc_auc_ovr(y, std::vector<float>(8, 0.5f), 2)->macro, 0.5);
  // Always 90% sure and right half the time: ECE 0.4, all in the last bin.
  const auto cal = eval::calibration(y, {0.9f, 0.1f, 0.9f, 0.1f, 0.9f, 0.1f, 0.9f, 0.1f}, 2);
  EXPECT_NEAR(cal.ece, 0.4, 1e-7);
  EXPECT_NEAR(cal.mce, 0.4, 1e-7);
  EXPECT_EQ(cal.bins[13].count, 4);  // 0.9 is in (13/15, 14/15]
}

TEST(ProbabilityMetrics, UndefinedAucSaysWhyAndBadSizesAreUsageErrors) {
  std::string why;
  EXPECT_FALSE(eval::roc_auc_ovr({0, 0, 1}, std::vector<float>(9, 1.0f / 3), 3, &why));
  EXPECT_NE(why.find("class 2 has no true samples"), std::string::npos) << why;
  EXPECT_THROW(eval::roc_auc_ovr({0, 1}, {0.5f, 0.5f, 1.0f}, 2), UsageError);
  EXPECT_THROW(eval::calibration({0, 3}, {0.5f, 0.5f, 0.5f, 0.5f}, 2), UsageError);
}

}  // namespace
}  // namespace tlab::test
