// tlab cv: cross-validation of one set of run options (select::cross_validate); DIR/cv.json.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "cv_flags.h"
#include "run_flags.h"
#include "run_summary.h"
#include "tlab/core/io.h"

namespace tlab::app {
namespace {

int run_cv(const train::RunOptions& o, select::CvOptions cv) {
  cv.on_fold = [&cv](const select::FoldScore& s) {
    std::printf("%s\n", fold_line(s, cv.folds).c_str());
    std::fflush(stdout);
  };
  select::CvData shared;
  const auto r = select::cross_validate(o, cv, shared, progress_callbacks());
  const std::string out = r.config.at("out").get<std::string>();
  std::filesystem::create_directories(out);
  write_json_atomic(out + "/cv.json", select::to_json(r));
  std::printf("\naccuracy %.4f +- %.4f   macro F1 %.4f +- %.4f   (%d folds, %.1f s", r.accuracy.mean, r.accuracy.std,
              r.macro_f1.mean, r.macro_f1.std, int(r.folds.size()), r.seconds);
  if (r.feature_passes) std::printf("; backbone features %d x in %.1f s", r.feature_passes, r.feature_seconds);
  std::printf(")\nwrote %s/cv.json\n", out.c_str());
  write_html_report(out);
  return 0;
}

}  // namespace

Command add_cv(CLI::App& app) {
  auto o = std::make_shared<train::RunOptions>();
  auto cv = std::make_shared<select::CvOptions>();
  auto* c = app.add_subcommand("cv", "cross-validate a model and strategy: stratified K folds, mean +- std");
  add_run_flags(c, *o);
  add_cv_flags(c, *cv);
  c->get_option("--out")->description("directory for cv.json (default: runs/<model>-<timestamp>)");
  return {c, [o, cv] { return run_cv(*o, *cv); }};
}

}  // namespace tlab::app
