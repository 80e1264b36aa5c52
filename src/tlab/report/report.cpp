#include "tlab/report/report.h"

#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/report/run_report.h"
#include "tlab/report/summary_report.h"

namespace fs = std::filesystem;

namespace tlab::report {

std::string write_report(const std::string& dir, const ReportOptions& options) {
  const fs::path d = dir;
  if (fs::is_regular_file(d / "leaderboard.json")) {
    const auto best = d / "best";
    if (fs::is_regular_file(best / "config.json")) write_run_report(best.string(), options);
    return write_selection_report(dir);
  }
  if (fs::is_regular_file(d / "cv.json")) return write_cv_report(dir);
  if (fs::is_regular_file(d / "compare.json")) {
    for (const auto& entry : fs::directory_iterator(d))  // a run directory per strategy
      if (fs::is_regular_file(entry.path() / "config.json")) write_run_report(entry.path().string(), options);
    return write_compare_report(dir);
  }
  if (fs::is_regular_file(d / "config.json")) return write_run_report(dir, options);
  throw UsageError(str_cat("tlab report ", dir, ": not a run directory (config.json), a cross-validation (cv.json), a "
                           "selection (leaderboard.json) or a comparison (compare.json)"));
}

}  // namespace tlab::report
