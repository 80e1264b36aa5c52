#include "tlab/eval/metrics.h"

#include <algorithm>
#include <iomanip>
#include <sstream>

#include "tlab/core/error.h"

namespace tlab::eval {
namespace {
double ratio(double a, double b) { return b > 0 ? a / b : 0.0; }
}  // namespace

Metrics compute_metrics(const std::vector<int64_t>& labels, const std::vector<int64_t>& predictions,
                        const std::vector<std::string>& class_names) {
  TLAB_CHECK(labels.size() == predictions.size(), "metrics: ", labels.size(), " labels but ",
             predictions.size(), " predictions");
  TLAB_CHECK(!labels.empty(), "metrics: no samples");
  const int64_t k = static_cast<int64_t>(class_names.size());
  Metrics m;
  m.samples = static_cast<int64_t>(labels.size());
  m.confusion_matrix.assign(k, std::vector<int64_t>(k, 0));
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    TLAB_CHECK(labels[i] >= 0 && labels[i] < k && predictions[i] >= 0 && predictions[i] < k, "metrics: sample ",
               i, " has label ", labels[i], " / prediction ", predictions[i], " outside 0..", k - 1);
    ++m.confusion_matrix[labels[i]][predictions[i]];
    correct += labels[i] == predictions[i];
  }
  m.accuracy = double(correct) / double(m.samples);
  for (int64_t c = 0; c < k; ++c) {
    int64_t tp = m.confusion_matrix[c][c], predicted = 0, actual = 0;
    for (int64_t j = 0; j < k; ++j) {
      predicted += m.confusion_matrix[j][c];
      actual += m.confusion_matrix[c][j];
    }
    ClassMetrics cm{class_names[c], ratio(tp, predicted), ratio(tp, actual), 0, actual};
    cm.f1 = ratio(2 * cm.precision * cm.recall, cm.precision + cm.recall);
    m.macro_precision += cm.precision / double(k);
    m.macro_recall += cm.recall / double(k);
    m.macro_f1 += cm.f1 / double(k);
    m.weighted_precision += cm.precision * double(actual) / double(m.samples);
    m.weighted_recall += cm.recall * double(actual) / double(m.samples);
    m.weighted_f1 += cm.f1 * double(actual) / double(m.samples);
    m.per_class.push_back(cm);
  }
  return m;
}

Outputs collect_outputs(torch::nn::Module& model, const std::function<torch::Tensor(torch::Tensor)>& forward,
                        data::BatchSource& loader, const torch::Device& device, const ProgressCallback& progress,
                        int64_t pass) {
  PhaseProgress report(progress, "evaluate", int64_t(loader.num_batches()));
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> logits, labels;
  loader.start_epoch(pass);
  while (auto batch = loader.next()) {
    logits.push_back(forward(batch->images.to(device, /*non_blocking=*/true)).to(torch::kCPU, torch::kFloat32));
    labels.push_back(batch->labels.to(torch::kCPU));
    report.step(batch->labels.size(0));
  }
  model.train(was_training);
  TLAB_CHECK(!logits.empty(), "evaluate: the loader gives no batches");
  return {torch::cat(logits), torch::cat(labels)};
}

Metrics metrics_from_log_probabilities(const torch::Tensor& log_probabilities, const torch::Tensor& labels,
                                       const std::vector<std::string>& classes) {
  const auto lp = log_probabilities.to(torch::kCPU, torch::kFloat64).contiguous();
  const auto y = labels.to(torch::kCPU, torch::kInt64).contiguous();
  TLAB_CHECK(lp.dim() == 2 && lp.size(0) == y.size(0) && lp.size(1) == int64_t(classes.size()), "metrics: ",
             lp.sizes(), " log-probabilities for ", y.size(0), " labels and ", classes.size(), " classes");
  const auto predicted = lp.argmax(1).contiguous();
  const std::vector<int64_t> label_v(y.data_ptr<int64_t>(), y.data_ptr<int64_t>() + y.numel());
  Metrics m = compute_metrics(label_v, {predicted.data_ptr<int64_t>(), predicted.data_ptr<int64_t>() + y.numel()},
                              classes);
  m.loss = -lp.gather(1, y.unsqueeze(1)).mean().item<double>();
  if (classes.size() > 5)
    m.top5_accuracy = std::get<1>(lp.topk(5, 1)).eq(y.unsqueeze(1)).any(1).to(torch::kFloat64).mean().item<double>();
  if (classes.size() >= 2) {
    const auto p = lp.exp().to(torch::kFloat32).contiguous();
    const std::vector<float> probabilities(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
    m.roc_auc = roc_auc_ovr(label_v, probabilities, int64_t(classes.size()), &m.roc_auc_undefined);
    m.calibration = calibration(label_v, probabilities, int64_t(classes.size()));
  }
  return m;
}

Metrics evaluate(torch::nn::Module& model, const std::function<torch::Tensor(torch::Tensor)>& forward,
                 data::BatchSource& loader, const torch::Device& device, const ProgressCallback& progress) {
  const Outputs out = collect_outputs(model, forward, loader, device, progress);
  return metrics_from_log_probabilities(torch::log_softmax(out.logits.to(torch::kFloat64), 1), out.labels,
                                        loader.classes());
}

std::vector<ConfusedPair> most_confused(const Metrics& m, int64_t min_count) {
  std::vector<ConfusedPair> out;
  for (size_t a = 0; a < m.confusion_matrix.size(); ++a)
    for (size_t p = 0; p < m.confusion_matrix[a].size(); ++p)
      if (a != p && m.confusion_matrix[a][p] >= min_count)
        out.push_back({m.per_class[a].name, m.per_class[p].name, m.confusion_matrix[a][p]});
  std::stable_sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.count > y.count; });
  return out;
}

nlohmann::json to_json(const Metrics& m) {
  nlohmann::json j = {{"samples", m.samples},
                      {"accuracy", m.accuracy},
                      {"confusion_matrix", m.confusion_matrix},
                      {"macro_precision", m.macro_precision},
                      {"macro_recall", m.macro_recall},
                      {"macro_f1", m.macro_f1},
                      {"weighted_precision", m.weighted_precision},
                      {"weighted_recall", m.weighted_recall},
                      {"weighted_f1", m.weighted_f1}};
  if (m.loss) j["loss"] = *m.loss;
  if (m.top5_accuracy) j["top5_accuracy"] = *m.top5_accuracy;
  if (m.roc_auc) {
    j["roc_auc_ovr_macro"] = m.roc_auc->macro;
    j["roc_auc_ovr_weighted"] = m.roc_auc->weighted;
  } else if (!m.roc_auc_undefined.empty()) {
    j["roc_auc_undefined"] = m.roc_auc_undefined;
  }
  if (m.calibration) {
    j["ece"] = m.calibration->ece;
    j["mce"] = m.calibration->mce;
    j["reliability"] = nlohmann::json::array();
    for (const auto& b : m.calibration->bins)
      j["reliability"].push_back({{"lower", b.lower}, {"upper", b.upper}, {"count", b.count},
                                  {"accuracy", b.accuracy}, {"confidence", b.confidence}});
  }
  j["most_confused"] = nlohmann::json::array();
  for (const auto& c : most_confused(m)) {
    if (j["most_confused"].size() == 10) break;
    j["most_confused"].push_back({{"actual", c.actual}, {"predicted", c.predicted}, {"count", c.count}});
  }
  j["per_class"] = nlohmann::json::array();
  for (size_t c = 0; c < m.per_class.size(); ++c) {
    const auto& pc = m.per_class[c];
    nlohmann::json row = {{"class", pc.name}, {"precision", pc.precision}, {"recall", pc.recall}, {"f1", pc.f1},
                          {"support", pc.support}};
    if (m.roc_auc) row["roc_auc"] = m.roc_auc->per_class[c];
    j["per_class"].push_back(std::move(row));
  }
  return j;
}

std::string format_report(const Metrics& m) {
  size_t width = 12;
  for (const auto& c : m.per_class) width = std::max(width, c.name.size() + 2);
  std::ostringstream os;
  os << std::fixed << std::setprecision(4);
  auto row = [&](const std::string& name, double p, double r, double f, int64_t s) {
    os << std::right << std::setw(int(width)) << name << std::setw(11) << p << std::setw(11) << r << std::setw(11) << f
       << std::setw(10) << s << "\n";
  };
  os << std::setw(int(width)) << "" << std::setw(11) << "precision" << std::setw(11) << "recall" << std::setw(11)
     << "f1-score" << std::setw(10) << "support" << "\n\n";
  for (const auto& c : m.per_class) row(c.name, c.precision, c.recall, c.f1, c.support);
  os << "\n" << std::setw(int(width)) << "accuracy" << std::setw(33) << m.accuracy << std::setw(10) << m.samples << "\n";
  row("macro avg", m.macro_precision, m.macro_recall, m.macro_f1, m.samples);
  row("weighted avg", m.weighted_precision, m.weighted_recall, m.weighted_f1, m.samples);
  if (m.loss) os << "\nloss " << *m.loss;
  if (m.top5_accuracy) os << (m.loss ? "   " : "\n") << "top-5 accuracy " << *m.top5_accuracy;
  if (m.loss || m.top5_accuracy) os << "\n";
  if (m.roc_auc) os << "roc-auc ovr macro " << m.roc_auc->macro << "   weighted " << m.roc_auc->weighted << "\n";
  if (m.calibration) os << "calibration (15 bins) ece " << m.calibration->ece << "   mce " << m.calibration->mce << "\n";
  const auto confused = most_confused(m);
  if (!confused.empty()) {
    os << "most confused:";
    for (size_t i = 0; i < confused.size() && i < 3; ++i)
      os << (i ? ", " : " ") << confused[i].actual << " as " << confused[i].predicted << " (" << confused[i].count << ")";
    os << "\n";
  }
  return os.str();
}

}  // namespace tlab::eval
