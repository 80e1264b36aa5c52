#include "tlab/report/summary_report.h"

#include <filesystem>
#include <sstream>

#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/report/html.h"

namespace fs = std::filesystem;

namespace tlab::report {
namespace {

std::string pm(const nlohmann::json& m) { return fixed(m.at("mean")) + " ± " + fixed(m.at("std")); }

std::string finish(Page& page, const fs::path& dir, const std::vector<std::pair<std::string, Figure>>& pngs) {
  fs::create_directories(dir / "report");
  for (const auto& [name, f] : pngs)
    write_file_atomic((dir / "report" / (name + ".png")).string(), std::string(f.png.begin(), f.png.end()));
  const std::string path = (dir / "report.html").string();
  write_file_atomic(path, page.render());
  return path;
}

// Per-fold accuracy and macro F1 of one cross-validation.
Figure folds_chart(const nlohmann::json& folds, const std::string& title) {
  BarChart c;
  c.title = title;
  c.y_label = "score on the held-out fold";
  c.y_range = {{0.0, 1.0}};
  Series acc = series("accuracy"), f1 = series("macro F1");
  for (const auto& f : folds) {
    c.categories.push_back(str_cat("fold ", f["fold"].get<int>() + 1,
                                   f["repeat"].get<int>() > 0 ? str_cat(" r", f["repeat"].get<int>() + 1) : ""));
    acc.y.push_back(f["accuracy"]);
    f1.y.push_back(f["macro_f1"]);
  }
  c.groups = {acc, f1};
  return render(c);
}

std::vector<std::vector<std::string>> fold_rows(const nlohmann::json& folds) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : folds)
    rows.push_back({std::to_string(f["repeat"].get<int>() + 1), std::to_string(f["fold"].get<int>() + 1),
                    std::to_string(f["train_samples"].get<int64_t>()), std::to_string(f["test_samples"].get<int64_t>()),
                    fixed(f["accuracy"]), fixed(f["macro_f1"]), fixed(f["loss"]), fixed(f["seconds"], 1)});
  return rows;
}

}  // namespace

std::string write_cv_report(const std::string& d) {
  const fs::path dir = d;
  const auto cv = read_json_file((dir / "cv.json").string());
  const auto& config = cv.at("config");
  Page page(str_cat("Cross-validation: ", config.value("model", "?"), " ", config.value("strategy", "?"), " on ",
                    config.value("data", "?")));
  page.paragraph(str_cat(cv["folds"].size(), " folds (scikit-learn's StratifiedKFold assignment, seed ",
                         config.value("seed", 0), "): accuracy ", pm(cv["accuracy"]), ", macro F1 ", pm(cv["macro_f1"]),
                         " (mean ± population std), ", fixed(cv["seconds"], 1), " s in all",
                         cv.value("feature_passes", 0) > 0
                             ? str_cat("; backbone features computed ", cv["feature_passes"].get<int>(), "x in ",
                                       fixed(cv["feature_seconds"], 1), " s")
                             : std::string(),
                         "."));
  const Figure f = folds_chart(cv["folds"], "Scores per fold");
  page.figure(f, "Each fold trained on the other folds and scored once on its own.");
  page.table({"repeat", "fold", "train", "held out", "accuracy", "macro F1", "loss", "seconds"}, fold_rows(cv["folds"]));
  page.heading("Configuration");
  page.collapsed("the resolved options", config.dump(2));
  return finish(page, dir, {{"folds", f}});
}

std::string write_selection_report(const std::string& d) {
  const fs::path dir = d;
  const auto board = read_json_file((dir / "leaderboard.json").string());
  Page page(str_cat("Model selection: ", board["candidates"].size(), " candidates"));
  const auto& best = board.at("best");
  page.collapsed("the grid (--grid)", board.value("grid", std::string()));
  page.paragraph(str_cat(board["candidates"].size(), " candidates, each cross-validated on ", board.value("folds", 0),
                         " stratified folds", board.value("repeats", 1) > 1 ? str_cat(" x ", board["repeats"].get<int>()) : "",
                         " (seed ", board.value("seed", 0), "); the best by mean accuracy (ties: the first, as "
                         "GridSearchCV): ", best.value("name", "?"), ". ", fixed(board.value("seconds", 0.0), 1),
                         " s in all."));
  BarChart chart;
  chart.title = "Cross-validated accuracy and macro F1 (mean ± std)";
  chart.y_label = "score";
  chart.y_range = {{0.0, 1.0}};
  Series acc = series("accuracy"), f1 = series("macro F1");
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : board["candidates"]) {
    const auto& cv = c["cv"];
    chart.categories.push_back("#" + std::to_string(c["index"].get<int>() + 1));
    acc.y.push_back(cv["accuracy"]["mean"]), acc.y_err.push_back(cv["accuracy"]["std"]);
    f1.y.push_back(cv["macro_f1"]["mean"]), f1.y_err.push_back(cv["macro_f1"]["std"]);
    rows.push_back({std::to_string(c["rank"].get<int>()) + (c["index"] == best["index"] ? " (best)" : ""),
                    "#" + std::to_string(c["index"].get<int>() + 1), c["name"], pm(cv["accuracy"]), pm(cv["macro_f1"]),
                    fixed(cv["seconds"], 1),
                    cv.value("feature_passes", 0) > 0 ? fixed(cv["feature_seconds"], 1) : std::string("-")});
  }
  chart.groups = {acc, f1};
  const Figure f = render(chart, 760, 420);
  page.figure(f, "Error bars: the population standard deviation over the folds.");
  page.heading("Leaderboard");
  page.table({"rank", "#", "candidate", "accuracy", "macro F1", "seconds", "feature seconds"}, rows);
  if (best.contains("metrics") && best["metrics"].is_object()) {
    page.heading("The best candidate, refit on all training data");
    const auto& m = best["metrics"];
    page.paragraph(str_cat(best.value("name", "?"), ": on ", best.value("evaluated_on", "test"), " (",
                           m.value("samples", 0), " samples) accuracy ", fixed(m.value("accuracy", 0.0)), ", macro F1 ",
                           fixed(m.value("macro_f1", 0.0)), ", loss ", fixed(m.value("loss", 0.0)), "; refit in ",
                           fixed(best.value("refit_seconds", 0.0), 1), " s. Its run directory: ",
                           best.value("run_dir", "?"), " (report.html there; tlab export and tlab serve take it)."));
  }
  return finish(page, dir, {{"leaderboard", f}});
}

std::string write_compare_report(const std::string& d) {
  const fs::path dir = d;
  const auto rows_json = read_json_file((dir / "compare.json").string());
  Page page("Strategy comparison: " + dir.filename().string());
  BarChart chart;
  chart.title = "Accuracy and macro F1 by strategy";
  chart.y_range = {{0.0, 1.0}};
  Series acc = series("accuracy"), f1 = series("macro F1");
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : rows_json) {
    chart.categories.push_back(r["strategy"]);
    acc.y.push_back(r["accuracy"]), f1.y.push_back(r["macro_f1"]);
    rows.push_back({r["strategy"], r["model"], r["split"], fixed(r["accuracy"]), fixed(r["macro_f1"]),
                    fixed(r["seconds"], 1), fixed(r["images_per_second"], 1), r["dir"]});
  }
  chart.groups = {acc, f1};
  const Figure f = render(chart);
  page.figure(f, "Each strategy on the same data and split.");
  page.table({"strategy", "model", "split", "accuracy", "macro F1", "seconds", "images/s", "run directory"}, rows);
  return finish(page, dir, {{"compare", f}});
}

}  // namespace tlab::report
