#include "report.h"

#include <cstdio>

#include "progress.h"

namespace tlab::app {

void print_reports(const train::RunResult& r) {
  clear_progress_line();  // the evaluation's bar
  for (const char* split : {"val", "test"})
    if (auto it = r.splits.find(split); it != r.splits.end())
      std::printf("\n== %s (checkpoint of epoch %d) ==\n%s", split, r.best_epoch, eval::format_report(it->second).c_str());
  std::printf("\nrun directory: %s\n", r.dir.c_str());
}

}  // namespace tlab::app
