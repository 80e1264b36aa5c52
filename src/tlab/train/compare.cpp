#include "tlab/train/compare.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/core/io.h"

namespace fs = std::filesystem;

namespace tlab::train {

namespace {

const std::vector<std::string> kRows = {"linear-probe", "feature-extract", "fine-tune", "scratch", "student", "distill"};
const std::string kClassicalRow = "classical:";  // classical:FEATURES, the base's pipeline on those descriptors

bool known_row(const std::string& row) {
  return std::find(kRows.begin(), kRows.end(), row) != kRows.end() ||
         (row.rfind(kClassicalRow, 0) == 0 && row.size() > kClassicalRow.size());
}

// A row's run directory: its name with what a path should not hold ('/', ':') made '_'.
std::string row_dir(std::string row) {
  for (char& ch : row)
    if (ch == '/' || ch == ':' || ch == '\\') ch = '_';
  return row;
}

RunOptions row_options(const CompareOptions& c, const std::string& row) {
  RunOptions o = c.base;
  o.system.out = (fs::path(c.base.system.out) / row_dir(row)).string();
  o.strategy.name = row;
  if (row.rfind(kClassicalRow, 0) == 0) {
    o.strategy.name = "classical";
    o.strategy.classical.features = row.substr(kClassicalRow.size());
    o.recipe.augment = "none";
    o.recipe.augmentation.reset();
    // the base's weights are for deep descriptors; a row without one runs without them
    if (o.strategy.classical.features.find("deep") == std::string::npos) {
      o.model.weights.clear();
      o.model.head.reset();
    }
    return o;
  }
  if (row == "linear-probe" || row == "feature-extract") {
    o.recipe.augment = "none";
    o.recipe.augmentation.reset();
  }
  if (row == "scratch" || row == "student" || row == "distill") {
    o.strategy.name = row == "distill" ? "distill" : "scratch";
    o.model.weights.clear();
    o.model.head.reset();
  }
  if (row == "scratch" && !c.scratch_model.empty()) o.model.name = c.scratch_model;
  if (row == "student" || row == "distill") {
    o.model.name = c.student;
    o.model.image_size = c.student_image_size;
  }
  if (row == "distill") o.strategy.distill.teacher = (fs::path(c.base.system.out) / "fine-tune").string();
  return o;
}

}  // namespace

std::vector<CompareRow> run_comparison(const CompareOptions& c,
                                       const std::function<void(const std::string&, const RunOptions&)>& on_start,
                                       const TrainCallbacks& callbacks) {
  TLAB_CHECK(!c.strategies.empty(), "--strategies: expected at least one of linear-probe, feature-extract, fine-tune, "
             "scratch, student, distill");
  TLAB_CHECK(!c.base.system.out.empty(), "tlab compare: --out DIR is required (a run directory per strategy goes there)");
  for (size_t i = 0; i < c.strategies.size(); ++i) {
    const auto& row = c.strategies[i];
    TLAB_CHECK(known_row(row), "--strategies: unknown '", row,
               "'; expected linear-probe, feature-extract, fine-tune, scratch, student, distill or classical:FEATURES");
    TLAB_CHECK(std::count(c.strategies.begin(), c.strategies.end(), row) == 1, "--strategies: '", row, "' twice");
    if (row == "distill")
      TLAB_CHECK(std::find(c.strategies.begin(), c.strategies.begin() + long(i), "fine-tune") !=
                     c.strategies.begin() + long(i),
                 "--strategies: distill learns from this comparison's fine-tune run; list fine-tune before it");
  }
  std::vector<CompareRow> rows;
  PhaseProgress report(callbacks.on_progress, "compare", int64_t(c.strategies.size()));
  for (const auto& row : c.strategies) {
    const RunOptions o = row_options(c, row);
    if (on_start) on_start(row, o);
    const auto t0 = std::chrono::steady_clock::now();
    const RunResult r = run_training(o, callbacks);
    report.step();
    CompareRow out;
    out.strategy = row;
    out.model = r.config.value("model", o.model.name);  // as resolved: a classical row names its own
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out.dir = r.dir;
    const auto& m = r.splits.count("test") ? r.splits.at("test") : r.splits.at("val");
    out.split = r.splits.count("test") ? "test" : "val";
    out.accuracy = m.accuracy;
    out.macro_f1 = m.macro_f1;
    const double images = r.config.at("data_info").at("train").at("samples").get<double>() * double(r.epochs.size());
    out.images_per_second = images / out.seconds;
    rows.push_back(out);
    write_json_atomic((fs::path(c.base.system.out) / "compare.json").string(), to_json(rows));  // after each row
  }
  return rows;
}

nlohmann::json to_json(const std::vector<CompareRow>& rows) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& r : rows)
    j.push_back({{"strategy", r.strategy},
                 {"model", r.model},
                 {"split", r.split},
                 {"accuracy", r.accuracy},
                 {"macro_f1", r.macro_f1},
                 {"seconds", r.seconds},
                 {"images_per_second", r.images_per_second},
                 {"dir", r.dir}});
  return j;
}

std::string format_table(const std::vector<CompareRow>& rows) {
  int width = 16;  // the strategy column grows with classical:FEATURES rows
  for (const auto& r : rows) width = std::max(width, int(r.strategy.size()));
  char line[512];
  std::snprintf(line, sizeof line, "%-*s %-16s split   accuracy  macro F1     time  images/s\n", width, "strategy",
                "model");
  std::string out = line;
  for (const auto& r : rows) {
    const int minutes = int(r.seconds) / 60;
    std::snprintf(line, sizeof line, "%-*s %-16s %-5s   %8.4f  %8.4f  %3d:%02d  %8.1f\n", width, r.strategy.c_str(),
                  r.model.c_str(), r.split.c_str(), r.accuracy, r.macro_f1, minutes, int(r.seconds) % 60,
                  r.images_per_second);
    out += line;
  }
  return out;
}

}  // namespace tlab::train
