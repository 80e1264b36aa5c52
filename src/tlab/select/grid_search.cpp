#include "tlab/select/grid_search.h"

#include <chrono>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "tlab/core/error.h"
#include "tlab/core/io.h"

namespace fs = std::filesystem;

namespace tlab::select {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

nlohmann::json leaderboard_json(const SelectOptions& o, const SelectResult& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (size_t i = 0; i < r.candidates.size(); ++i) {
    const auto& c = r.candidates[i];
    nlohmann::json params = nlohmann::json::object();
    for (const auto& [k, v] : c.candidate.params) params[k] = v;
    nlohmann::json cv = to_json(c.cv);
    cv.erase("config");
    rows.push_back({{"index", i}, {"name", c.candidate.name()}, {"params", params}, {"rank", c.rank}, {"cv", cv}});
  }
  nlohmann::json best = {{"index", r.best}, {"name", r.candidates.at(r.best).candidate.name()}};
  if (r.refit) {
    best["run_dir"] = r.refit->dir;
    best["refit_seconds"] = r.refit_seconds;
    // the test split; a data set with a val split of its own and no test split is scored on that
    const std::string split = r.refit->metrics.contains("test") ? "test" : "val";
    best["evaluated_on"] = r.refit->metrics.contains(split) ? nlohmann::json(split) : nlohmann::json();
    best["metrics"] = r.refit->metrics.contains(split) ? r.refit->metrics[split] : nlohmann::json();
  }
  return {{"grid", o.grid},
          {"folds", o.cv.folds.folds},
          {"repeats", o.cv.folds.repeats},
          {"shuffle", o.cv.folds.shuffle},
          {"seed", o.base.recipe.seed},
          {"candidates", rows},
          {"best", best},
          {"seconds", r.seconds}};
}

}  // namespace

SelectResult run_selection(const SelectOptions& o, const std::function<void(size_t, size_t, const Candidate&)>& on_candidate,
                           const std::function<void(const CandidateResult&)>& on_result,
                           const train::TrainCallbacks& callbacks) {
  const auto t0 = Clock::now();
  TLAB_CHECK(!o.base.system.out.empty(), "tlab select: --out DIR is needed for the leaderboard and the refit run");
  const fs::path out = o.base.system.out;
  TLAB_CHECK(!fs::exists(out / "leaderboard.json"), "--out ", out.string(),
             ": holds a selection already; choose another directory");
  auto candidates = expand_grid(o.grid, o.base);
  for (const auto& c : candidates) cv_options(c.options);  // every candidate's options checked before any runs

  SelectResult r;
  CvData shared;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (on_candidate) on_candidate(i, candidates.size(), candidates[i]);
    CandidateResult cr{candidates[i], cross_validate(candidates[i].options, o.cv, shared, callbacks), 0};
    r.candidates.push_back(std::move(cr));
    if (on_result) on_result(r.candidates.back());
  }
  // ranks as GridSearchCV: by mean accuracy, equal means share the lowest rank; the best is the
  // first candidate of rank 1
  for (auto& c : r.candidates) {
    c.rank = 1;
    for (const auto& other : r.candidates) c.rank += other.cv.accuracy.mean > c.cv.accuracy.mean ? 1 : 0;
  }
  for (size_t i = 0; i < r.candidates.size(); ++i)
    if (r.candidates[i].rank == 1) {
      r.best = i;
      break;
    }
  fs::create_directories(out);
  if (o.refit) {
    const auto tr = Clock::now();
    train::RunOptions best = r.candidates[r.best].candidate.options;
    best.data.val_split = 0;  // all the training data, as GridSearchCV's refit
    best.data.val.clear();
    best.system.out = (out / "best").string();
    r.refit = train::run_training(best, callbacks);
    r.refit_seconds = since(tr);
  }
  r.seconds = since(t0);
  r.leaderboard = leaderboard_json(o, r);
  write_json_atomic((out / "leaderboard.json").string(), r.leaderboard);
  return r;
}

std::string format_leaderboard(const SelectResult& r) {
  std::ostringstream s;
  size_t width = 9;
  for (const auto& c : r.candidates) width = std::max(width, c.candidate.name().size());
  s << std::left << std::setw(5) << "rank" << std::setw(int(width) + 2) << "candidate" << std::right << std::setw(18)
    << "accuracy" << std::setw(18) << "macro F1" << std::setw(10) << "seconds" << "\n";
  auto pm = [](const MeanStd& m) {
    std::ostringstream v;
    v << std::fixed << std::setprecision(4) << m.mean << " +- " << m.std;
    return v.str();
  };
  for (size_t i = 0; i < r.candidates.size(); ++i) {
    const auto& c = r.candidates[i];
    s << std::left << std::setw(5) << (std::to_string(c.rank) + (i == r.best ? "*" : "")) << std::setw(int(width) + 2)
      << c.candidate.name() << std::right << std::setw(18) << pm(c.cv.accuracy) << std::setw(18) << pm(c.cv.macro_f1)
      << std::setw(10) << std::fixed << std::setprecision(1) << c.cv.seconds << "\n";
  }
  return s.str();
}

}  // namespace tlab::select
