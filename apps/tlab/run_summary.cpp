#include "run_summary.h"

#include <cstdio>

#include "progress.h"
#include "tlab/core/log.h"
#include "tlab/report/report.h"

namespace tlab::app {

void print_reports(const train::RunResult& r) {
  clear_progress_line();  // the evaluation's bar
  for (const char* split : {"val", "test"})
    if (auto it = r.splits.find(split); it != r.splits.end())
      std::printf("\n== %s (checkpoint of epoch %d) ==\n%s", split, r.best_epoch, eval::format_report(it->second).c_str());
  std::printf("\nrun directory: %s\n", r.dir.c_str());
}

void write_html_report(const std::string& dir) {
  try {
    std::printf("report: %s\n", report::write_report(dir).c_str());
  } catch (const std::exception& e) {
    log_warning(std::string("report.html not written: ") + e.what() + " (tlab report " + dir + " tries again)");
  }
}

}  // namespace tlab::app
