#include "tlab/report/run_report.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/eval/probabilistic.h"
#include "tlab/features/classical_model.h"
#include "tlab/infer/loaded_model.h"
#include "tlab/report/gradcam.h"
#include "tlab/report/html.h"
#include "tlab/train/run_data.h"
#include "tlab/train/strategy.h"

namespace fs = std::filesystem;

namespace tlab::report {
namespace {

std::vector<nlohmann::json> read_records(const fs::path& p) {
  std::vector<nlohmann::json> out;
  if (!fs::is_regular_file(p)) return out;
  std::istringstream in(read_file(p.string()));
  for (std::string line; std::getline(in, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!line.empty() && !j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

// A row of predictions_<split>.csv (train/run_dir.h).
struct Prediction {
  int64_t index = 0, label = 0, predicted = 0;
  double loss = 0;
  std::vector<float> p;
};

std::vector<Prediction> read_predictions(const fs::path& path) {
  std::vector<Prediction> out;
  if (!fs::is_regular_file(path)) return out;
  std::istringstream in(read_file(path.string()));
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string cell;
    Prediction pr;
    std::vector<double> cells;
    while (std::getline(row, cell, ',')) cells.push_back(std::stod(cell));
    TLAB_CHECK_DATA(cells.size() >= 4, "'", path.string(), "': a row with ", cells.size(), " cells");
    pr.index = int64_t(cells[0]), pr.label = int64_t(cells[1]), pr.predicted = int64_t(cells[2]), pr.loss = cells[3];
    pr.p.assign(cells.begin() + 4, cells.end());
    out.push_back(std::move(pr));
  }
  return out;
}

std::vector<unsigned char> png_of(const cv::Mat& bgr) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", bgr, bytes)) throw IoError("report: OpenCV could not encode a PNG thumbnail");
  return bytes;
}

// The image as a person sees it: the model's crop, in BGR for OpenCV, at least `side` pixels wide.
cv::Mat display_image(const cv::Mat& image, const transforms::InputSpec& spec, int side = 128) {
  cv::Mat crop = transforms::resize_and_crop(image, spec), bgr;
  if (crop.channels() == 1) cv::cvtColor(crop, bgr, cv::COLOR_GRAY2BGR);
  else cv::cvtColor(crop, bgr, cv::COLOR_RGB2BGR);
  if (bgr.cols < side) {
    cv::Mat big;
    cv::resize(bgr, big, cv::Size(side, side * bgr.rows / bgr.cols), 0, 0, cv::INTER_NEAREST);
    return big;
  }
  return bgr;
}

// Figures go into the page and, as PNG, into DIR/report/NAME.png.
class Figures {
 public:
  Figures(Page& page, fs::path dir) : page_(page), dir_(std::move(dir)) { fs::create_directories(dir_); }
  void add(const std::string& name, const Figure& f, const std::string& caption) {
    page_.figure(f, caption);
    write_file_atomic((dir_ / (name + ".png")).string(), std::string(f.png.begin(), f.png.end()));
  }

 private:
  Page& page_;
  fs::path dir_;
};

void training_section(Page& page, Figures& figures, const std::vector<nlohmann::json>& records) {
  if (records.empty()) return;
  page.heading("Training");
  auto column = [&](const char* key, std::vector<double>& x, std::vector<double>& y) {
    for (const auto& r : records)
      if (r.contains(key) && r[key].is_number()) {
        x.push_back(r["epoch"].get<double>());
        y.push_back(r[key].get<double>());
      }
  };
  auto chart = [&](const std::string& title, const std::string& y_label, const char* train_key, const char* val_key) {
    LineChart c;
    c.title = title;
    c.x_label = "epoch";
    c.y_label = y_label;
    Series train = series("train"), val = series("val");
    column(train_key, train.x, train.y);
    if (val_key) column(val_key, val.x, val.y);
    train.points = val.points = records.size() < 12;
    val.dashed = true;
    c.series.push_back(train);
    if (!val.y.empty()) c.series.push_back(val);
    return render(c);
  };
  figures.add("loss", chart("Loss", "cross-entropy", "train_loss", "val_loss"), "Training and validation loss per epoch.");
  figures.add("accuracy", chart("Accuracy", "accuracy", "train_accuracy", "val_accuracy"),
              "Training and validation accuracy per epoch.");
  LineChart lr;
  lr.title = "Learning rate";
  lr.x_label = "epoch";
  lr.y_label = "LR at the epoch's last step";
  Series s = series("lr");
  s.points = records.size() < 12;
  column("lr", s.x, s.y);
  if (!s.y.empty()) {
    lr.series.push_back(s);
    figures.add("lr", render(lr), "The learning rate at the end of each epoch.");
  }
}

// What the pictures need: the split's data and the best checkpoint's model.
struct Pictures {
  std::map<std::string, data::DatasetPtr> splits;
  transforms::InputSpec input;
  models::ModelPtr model;
  torch::Device device = torch::kCPU;
  bool gradients = true;  // a network Grad-CAM can differentiate (not a classical pipeline)
};

// One-vs-rest ROC curves from the predictions (the first 10 classes; class 1 of a binary task).
Figure roc_figure(const nlohmann::json& m, const std::vector<std::string>& classes,
                  const std::vector<Prediction>& predictions) {
  std::vector<int64_t> labels;
  std::vector<float> p;
  for (const auto& r : predictions) labels.push_back(r.label), p.insert(p.end(), r.p.begin(), r.p.end());
  LineChart roc;
  roc.title = "ROC one-vs-rest" + (m.contains("roc_auc_ovr_macro")
                                       ? " (macro AUC " + fixed(m["roc_auc_ovr_macro"].get<double>(), 3) + ")"
                                       : std::string());
  roc.x_label = "false positive rate";
  roc.y_label = "true positive rate";
  roc.y_range = {{0.0, 1.0}};
  const size_t shown = classes.size() == 2 ? 1 : std::min<size_t>(classes.size(), 10);
  for (size_t c = classes.size() == 2 ? 1 : 0, k = 0; k < shown; ++c, ++k) {
    const auto curve = eval::roc_curve(labels, p, int64_t(classes.size()), int64_t(c));
    if (!curve.fpr.empty()) roc.series.push_back(series(classes[c], curve.fpr, curve.tpr));
  }
  Series chance = series("chance", {0, 1}, {0, 1});
  chance.dashed = true;
  roc.series.push_back(chance);
  return render(roc);
}

// The `count` samples of the split with the highest loss, as the model saw them.
void top_losses_section(Page& page, const data::Dataset& ds, const transforms::InputSpec& input,
                        const std::string& split, const std::vector<std::string>& classes,
                        const std::vector<Prediction>& predictions, int count) {
  std::vector<const Prediction*> worst;
  for (const auto& r : predictions) worst.push_back(&r);
  std::stable_sort(worst.begin(), worst.end(), [](auto* a, auto* b) { return a->loss > b->loss; });
  worst.resize(std::min(worst.size(), size_t(count)));
  std::vector<GridImage> grid;
  for (const auto* r : worst) {
    const auto ex = ds.get(size_t(r->index));
    grid.push_back({png_of(display_image(ex.image, input)), "image/png", "sample " + std::to_string(r->index),
                    {"predicted: " + classes[size_t(r->predicted)] + " (" + fixed(r->p[size_t(r->predicted)], 2) + ")",
                     "actual: " + classes[size_t(r->label)] + " (" + fixed(r->p[size_t(r->label)], 2) + ")",
                     "loss: " + fixed(r->loss, 2)}});
  }
  page.heading("Top losses", 3);
  page.paragraph("The " + std::to_string(grid.size()) + " samples of " + split +
                 " with the highest loss, as the model saw them (its resize and crop).");
  page.image_grid(grid);
}

void split_section(Page& page, Figures& figures, const std::string& split, const nlohmann::json& m,
                   const std::vector<std::string>& classes, const std::vector<Prediction>& predictions,
                   const Pictures* pictures, const ReportOptions& o) {
  page.heading("Evaluation on " + split + " (" + std::to_string(m.value("samples", 0)) + " samples)");
  const auto& cm = m.at("confusion_matrix");
  Heatmap counts, normalised;
  counts.title = "Confusion matrix (" + split + ")";
  normalised.title = "Confusion matrix, row-normalised (recall)";
  for (auto* h : {&counts, &normalised}) {
    h->x_label = "predicted";
    h->y_label = "actual";
    h->row_labels = h->col_labels = classes;
  }
  for (const auto& row : cm) {
    double total = 0;
    for (const auto& v : row) total += v.get<double>();
    std::vector<double> c, r;
    std::vector<std::string> ct, rt;
    for (const auto& v : row) {
      c.push_back(v.get<double>());
      ct.push_back(std::to_string(v.get<int64_t>()));
      r.push_back(total > 0 ? v.get<double>() / total : 0);
      rt.push_back(fixed(r.back(), 2));
    }
    counts.values.push_back(c), counts.cell_text.push_back(ct);
    normalised.values.push_back(r), normalised.cell_text.push_back(rt);
  }
  figures.add(split + "_confusion", render(counts), "Counts: row = actual class, column = predicted class.");
  figures.add(split + "_confusion_normalised", render(normalised), "Each row divided by its total.");

  BarChart bars;
  bars.title = "Per-class precision, recall and F1";
  bars.categories = classes;
  bars.y_range = {{0.0, 1.0}};
  Series pr = series("precision"), rc = series("recall"), f1 = series("F1");
  for (const auto& c : m.at("per_class")) {
    pr.y.push_back(c["precision"]), rc.y.push_back(c["recall"]), f1.y.push_back(c["f1"]);
  }
  bars.groups = {pr, rc, f1};
  figures.add(split + "_per_class", render(bars), "scikit-learn's definitions; a 0/0 ratio counts as 0.");

  if (m.contains("reliability")) {
    std::vector<ReliabilityBin> bins;
    for (const auto& b : m["reliability"])
      bins.push_back({b["lower"], b["upper"], b["confidence"], b["accuracy"], b["count"].get<long>()});
    figures.add(split + "_reliability", reliability_diagram(bins, m.value("ece", 0.0)),
                "15 equal-width bins of the top probability; bars: accuracy in the bin; the gap to the diagonal is "
                "miscalibration.");
  }
  if (!predictions.empty() && classes.size() >= 2)
    figures.add(split + "_roc", roc_figure(m, classes, predictions),
                classes.size() > 10 ? "The first 10 classes against the rest." : "Each class against the rest.");

  std::vector<std::vector<std::string>> confused;
  for (const auto& c : m.value("most_confused", nlohmann::json::array()))
    confused.push_back({c["actual"], c["predicted"], std::to_string(c["count"].get<int64_t>())});
  page.heading("Most confused pairs", 3);
  if (confused.empty()) page.paragraph("No sample of " + split + " was predicted as another class.");
  else page.table({"actual", "predicted as", "samples"}, confused);

  if (pictures && pictures->splits.count(split) && !predictions.empty() && o.top_losses > 0)
    top_losses_section(page, *pictures->splits.at(split), pictures->input, split, classes, predictions, o.top_losses);
}

void gradcam_section(Page& page, const Pictures& pictures, const std::string& split,
                     const std::vector<std::string>& classes, int count) {
  const auto& ds = *pictures.splits.at(split);
  if (count <= 0 || ds.size() == 0) return;
  std::vector<GridImage> grid;
  std::string stage;
  for (int k = 0; k < count && size_t(k) < ds.size(); ++k) {
    const size_t i = size_t(k) * ds.size() / size_t(count);
    const auto ex = ds.get(i);
    auto x = torch::empty({1, pictures.input.channels, pictures.input.height, pictures.input.width});
    transforms::to_chw_float(ex.image, pictures.input, x.data_ptr<float>());
    const GradCam cam = grad_cam(*pictures.model, x.to(pictures.device));
    stage = cam.stage;
    const cv::Mat shown = display_image(ex.image, pictures.input, 0);
    cv::Mat both;
    cv::hconcat(shown, overlay(shown, cam.heatmap), both);
    if (both.rows < 128) cv::resize(both, both, cv::Size(both.cols * 128 / both.rows, 128), 0, 0, cv::INTER_NEAREST);
    grid.push_back({png_of(both), "image/png", "Grad-CAM of sample " + std::to_string(i),
                    {"predicted: " + classes.at(size_t(cam.target)), "actual: " + classes.at(size_t(ex.label))}});
  }
  page.heading("Grad-CAM (" + split + ")", 3);
  page.paragraph("Where the predicted class's evidence lies (Selvaraju et al. 2017): at stage '" + stage +
                 "', the activations weighted by the spatial mean of the class logit's gradient, ReLU, upsampled; "
                 "left the input, right the overlay.");
  page.image_grid(grid, /*wide=*/true);
}

}  // namespace

std::string write_run_report(const std::string& run_dir, const ReportOptions& o) {
  const fs::path dir = run_dir;
  const nlohmann::json config = read_json_file((dir / "config.json").string());
  const auto records = read_records(dir / "metrics.jsonl");
  const nlohmann::json metrics = fs::is_regular_file(dir / "metrics.json")
                                     ? read_json_file((dir / "metrics.json").string())
                                     : nlohmann::json::object();
  std::vector<std::string> classes = config.value("data_info", nlohmann::json::object()).value("classes",
                                                                                                std::vector<std::string>{});
  const std::string title = str_cat(config.value("model", "?"), " ", config.value("strategy", "?"), " on ",
                                    config.value("data", "?"));
  Page page("Run report: " + title);
  Figures figures(page, dir / "report");

  std::vector<std::vector<std::string>> summary;
  for (const char* split : {"val", "test"}) {
    if (!metrics.contains(split) || !metrics[split].is_object()) continue;
    const auto& m = metrics[split];
    const auto ts = m.value("temperature_scaling", nlohmann::json::object());
    summary.push_back({split, std::to_string(m.value("samples", 0)), fixed(m.value("accuracy", 0.0)),
                       fixed(m.value("macro_f1", 0.0)), fixed(m.value("loss", 0.0)), fixed(m.value("ece", 0.0)),
                       m.contains("roc_auc_ovr_macro") ? fixed(m["roc_auc_ovr_macro"].get<double>()) : "-",
                       ts.is_object() && ts.contains("temperature")
                           ? str_cat(fixed(ts["temperature"].get<double>(), 3), " (NLL ", fixed(ts["nll_before"], 3),
                                     " -> ", fixed(ts["nll_after"], 3), ")")
                           : "-"});
  }
  const int best_epoch = metrics.value("checkpoint", nlohmann::json::object()).value("epoch", 0);
  page.paragraph(str_cat("Strategy ", config.value("strategy", "?"), ", ", records.size(), " epoch(s) recorded, ",
                         "best checkpoint from epoch ", best_epoch, ". Data: ", config.value("data", "?"), ", ",
                         classes.size(), " classes. TransferLab ", config.value("version", "?"), ", LibTorch ",
                         config.value("torch_version", "?"), ", device ", config.value("resolved_device", "?"), "."));
  if (!summary.empty())
    page.table({"split", "samples", "accuracy", "macro F1", "loss (NLL)", "ECE", "ROC-AUC (macro)", "temperature"},
               summary);
  training_section(page, figures, records);

  std::optional<Pictures> pictures;
  if (o.images && fs::is_regular_file(dir / "checkpoints" / "best.pt")) {
    Pictures p;
    const std::string best = (dir / "checkpoints" / "best.pt").string();
    p.device = resolve_device(o.device);
    const infer::LoadedModel loaded = infer::load_checkpoint(best, p.device);
    p.model = loaded.model;
    p.input = loaded.input;
    p.gradients = loaded.architecture != features::kClassicalModelName;
    const auto options = train::run_options_from_json(config);
    const auto d = train::open_run_data(options, *train::make_strategy(options.strategy.name), p.input);
    if (d.val) p.splits["val"] = d.val;
    if (d.test) p.splits["test"] = d.test;
    pictures = std::move(p);
  }
  for (const char* split : {"test", "val"}) {
    if (!metrics.contains(split) || !metrics[split].is_object()) continue;
    split_section(page, figures, split, metrics[split], classes,
                  read_predictions(dir / (std::string("predictions_") + split + ".csv")),
                  pictures ? &*pictures : nullptr, o);
  }
  if (pictures && !pictures->splits.empty() && pictures->gradients)  // Grad-CAM needs a differentiable network
    gradcam_section(page, *pictures, pictures->splits.count("val") ? "val" : "test", classes, o.gradcam_images);

  page.heading("Configuration");
  page.collapsed("config.json: every resolved option, versions, data sizes, skipped files", config.dump(2));
  const std::string path = (dir / "report.html").string();
  write_file_atomic(path, page.render());
  return path;
}

}  // namespace tlab::report
