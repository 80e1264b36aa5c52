#pragma once
// What a run prints at its end: the classification reports, and where its report.html went.
#include <string>

#include "tlab/train/run.h"

namespace tlab::app {

// Writes DIR/report.html (report::write_report) and prints its path; a report that fails is a
// warning, not a failed run: the run directory is complete without it.
void write_html_report(const std::string& dir);

// "== val (checkpoint of epoch N) ==" and "== test ... ==" with each split's report, then the run directory.
void print_reports(const train::RunResult& result);

}  // namespace tlab::app
