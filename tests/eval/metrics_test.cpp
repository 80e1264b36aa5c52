#include "tlab/eval/metrics.h"

#include <nlohmann/json.hpp>

#include <fstream>
#include <random>

#include "../test_util.h"
#include "tlab/core/io.h"

namespace tlab::test {
namespace {

// Predictions that are right ~60% of the time, never predict class 4, and leave class 5 without
// true samples: both 0/0 cases of precision and recall appear.
void make_predictions(int classes, int n, uint32_t seed, std::vector<int64_t>& y, std::vector<int64_t>& p) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> cls(0, classes - 1), coin(0, 9);
  for (int i = 0; i < n; ++i) {
    int label = cls(rng);
    if (label == 5) label = 0;
    int pred = coin(rng) < 6 ? label : cls(rng);
    if (pred == 4) pred = 1;
    y.push_back(label);
    p.push_back(pred);
  }
}

TEST(Metrics, EqualScikitLearn) {
  TempDir dir;
  std::vector<int64_t> y, p;
  make_predictions(7, 500, 11, y, p);
  std::vector<std::string> names;
  for (int c = 0; c < 7; ++c) names.push_back("c" + std::to_string(c));
  const auto m = eval::compute_metrics(y, p, names);
  write_file_atomic(dir.str("preds.json"), nlohmann::json{{"y", y}, {"p", p}}.dump());

  // The reference: scikit-learn on the very same predictions (zero_division=0 as ours).
  write_file_atomic(dir.str("ref.py"), R"PY(
import json, sys
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support, f1_score
d = json.load(open(sys.argv[1]))
labels = list(range(7))
p, r, f, s = precision_recall_fscore_support(d["y"], d["p"], labels=labels, zero_division=0)
out = {"accuracy": accuracy_score(d["y"], d["p"]),
       "cm": confusion_matrix(d["y"], d["p"], labels=labels).tolist(),
       "precision": p.tolist(), "recall": r.tolist(), "f1": f.tolist(), "support": s.tolist(),
       "macro_f1": f1_score(d["y"], d["p"], labels=labels, average="macro", zero_division=0),
       "weighted_f1": f1_score(d["y"], d["p"], labels=labels, average="weighted", zero_division=0)}
json.dump(out, open(sys.argv[2], "w"))
)PY");
  ASSERT_EQ(run_command("/usr/bin/python3 " + dir.str("ref.py") + " " + dir.str("preds.json") + " " + dir.str("ref.json")), 0)
      << "the scikit-learn reference failed; is python3-sklearn installed (scripts/setup.sh)?";
  const auto ref = nlohmann::json::parse(read_text(dir.str("ref.json")));
  EXPECT_NEAR(m.accuracy, ref["accuracy"].get<double>(), 1e-12);
  EXPECT_EQ(m.confusion_matrix, ref["cm"].get<std::vector<std::vector<int64_t>>>());
  for (int c = 0; c < 7; ++c) {
    SCOPED_TRACE("class " + std::to_string(c));
    EXPECT_NEAR(m.per_class[c].precision, ref["precision"][c].get<double>(), 1e-12);
    EXPECT_NEAR(m.per_class[c].recall, ref["recall"][c].get<double>(), 1e-12);
    EXPECT_NEAR(m.per_class[c].f1, ref["f1"][c].get<double>(), 1e-12);
    EXPECT_EQ(m.per_class[c].support, ref["support"][c].get<int64_t>());
  }
  EXPECT_NEAR(m.macro_f1, ref["macro_f1"].get<double>(), 1e-12);
  EXPECT_NEAR(m.weighted_f1, ref["weighted_f1"].get<double>(), 1e-12);
}

TEST(Metrics, HandComputedAndReport) {
  const auto m = eval::compute_metrics({0, 0, 1, 1}, {0, 1, 1, 1}, {"cat", "dog"});
  EXPECT_DOUBLE_EQ(m.accuracy, 0.75);
  EXPECT_DOUBLE_EQ(m.per_class[0].precision, 1.0);
  EXPECT_DOUBLE_EQ(m.per_class[0].recall, 0.5);
  EXPECT_DOUBLE_EQ(m.per_class[1].precision, 2.0 / 3.0);
  EXPECT_EQ(m.confusion_matrix, (std::vector<std::vector<int64_t>>{{1, 1}, {0, 2}}));
  const auto report = eval::format_report(m);
  EXPECT_NE(report.find("weighted avg"), std::string::npos);
  EXPECT_NE(report.find("dog"), std::string::npos);
  const auto j = eval::to_json(m);
  EXPECT_EQ(j["per_class"][1]["class"], "dog");
  EXPECT_FALSE(j.contains("top5_accuracy"));
}

TEST(Metrics, RejectsMismatchedInputs) {
  EXPECT_THROW(eval::compute_metrics({0, 1}, {0}, {"a", "b"}), std::invalid_argument);
  EXPECT_THROW(eval::compute_metrics({0, 2}, {0, 1}, {"a", "b"}), std::invalid_argument);
  EXPECT_THROW(eval::compute_metrics({}, {}, {"a"}), std::invalid_argument);
}

TEST(Metrics, EvaluateComputesLossAndTop5FromLogits) {
  // 12 samples of 8 classes; a fixed linear "model" on a flattened 1x2x2 image.
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  std::vector<std::string> names;
  for (int c = 0; c < 8; ++c) names.push_back(std::to_string(c));
  for (int i = 0; i < 12; ++i) {
    for (int k = 0; k < 4; ++k) pixels.push_back(uint8_t(i * 20 + k * 3));
    labels.push_back(i % 8);
  }
  auto ds = std::make_shared<data::InMemoryDataset>(pixels, labels, 2, 2, 1, names, "tiny");
  data::DataLoader loader(ds, {1, 2, 2, {}, {}}, {5, false, false, 1, 2, 0});
  torch::manual_seed(0);
  torch::nn::Linear fc(4, 8);
  auto forward = [&](torch::Tensor x) { return fc->forward(x.flatten(1)); };
  const auto m = eval::evaluate(*fc, forward, loader, torch::kCPU);

  torch::NoGradGuard g;
  auto x = torch::tensor(std::vector<float>(pixels.begin(), pixels.end())).reshape({12, 4}) / 255.0;
  auto y = torch::tensor(labels);
  auto logits = fc->forward(x);
  EXPECT_NEAR(*m.loss, torch::nn::functional::cross_entropy(logits, y).item<double>(), 1e-5);
  const double top5 = std::get<1>(logits.topk(5, 1)).eq(y.unsqueeze(1)).any(1).to(torch::kFloat64).mean().item<double>();
  EXPECT_NEAR(*m.top5_accuracy, top5, 1e-12);
  EXPECT_NEAR(m.accuracy, logits.argmax(1).eq(y).to(torch::kFloat64).mean().item<double>(), 1e-12);

  // ROC-AUC and calibration from the same softmax probabilities, and in metrics.json.
  const auto probs = torch::softmax(logits, 1).contiguous();
  const std::vector<float> p(probs.data_ptr<float>(), probs.data_ptr<float>() + probs.numel());
  const auto auc = eval::roc_auc_ovr(labels, p, 8);
  ASSERT_TRUE(m.roc_auc && auc);
  EXPECT_NEAR(m.roc_auc->macro, auc->macro, 1e-12);
  ASSERT_TRUE(m.calibration);
  EXPECT_NEAR(m.calibration->ece, eval::calibration(labels, p, 8).ece, 1e-7);
  const auto j = eval::to_json(m);
  EXPECT_NEAR(j["roc_auc_ovr_macro"].get<double>(), auc->macro, 1e-12);
  EXPECT_EQ(j["reliability"].size(), 15u);
  EXPECT_TRUE(j["per_class"][0].contains("roc_auc"));
}

}  // namespace
}  // namespace tlab::test
