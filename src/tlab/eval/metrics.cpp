#include "tlab/eval/metrics.h"

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

Metrics evaluate(torch::nn::Module& model, const std::function<torch::Tensor(torch::Tensor)>& forward,
                 data::BatchSource& loader, const torch::Device& device, const ProgressCallback& progress) {
  PhaseProgress report(progress, "evaluate", int64_t(loader.num_batches()));
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const auto& classes = loader.classes();
  std::vector<int64_t> labels, predictions;
  std::vector<float> probabilities;  // [N, K] row-major, for ROC-AUC and calibration
  torch::Tensor loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat64).device(device));
  torch::Tensor top5_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kInt64).device(device));
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    auto x = batch->images.to(device, /*non_blocking=*/true);
    auto y = batch->labels.to(device, /*non_blocking=*/true);
    auto logits = forward(x);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .to(torch::kFloat64);
    if (classes.size() > 5) {
      auto top5 = std::get<1>(logits.topk(5, 1));
      top5_sum += top5.eq(y.unsqueeze(1)).any(1).sum();
    }
    const auto prob = torch::softmax(logits.to(torch::kFloat32), 1).to(torch::kCPU).contiguous();
    probabilities.insert(probabilities.end(), prob.data_ptr<float>(), prob.data_ptr<float>() + prob.numel());
    auto pred = logits.argmax(1).to(torch::kCPU);
    const int64_t* p = pred.data_ptr<int64_t>();
    const int64_t* l = batch->labels.data_ptr<int64_t>();
    predictions.insert(predictions.end(), p, p + pred.size(0));
    labels.insert(labels.end(), l, l + pred.size(0));
    report.step(pred.size(0));
  }
  model.train(was_training);
  Metrics m = compute_metrics(labels, predictions, classes);
  m.loss = loss_sum.item<double>() / double(m.samples);
  if (classes.size() > 5) m.top5_accuracy = double(top5_sum.item<int64_t>()) / double(m.samples);
  add_probability_metrics(m, labels, probabilities);
  return m;
}

void add_probability_metrics(Metrics& m, const std::vector<int64_t>& labels, const std::vector<float>& probabilities) {
  const auto classes = int64_t(m.per_class.size());
  if (classes < 2) return;
  m.roc_auc = roc_auc_ovr(labels, probabilities, classes, &m.roc_auc_undefined);
  m.calibration = calibration(labels, probabilities, classes);
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
  return os.str();
}

}  // namespace tlab::eval
