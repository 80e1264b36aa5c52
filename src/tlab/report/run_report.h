#pragma once
// The report of one run directory (report.h).
#include <string>

#include "tlab/report/report.h"

namespace tlab::report {

std::string write_run_report(const std::string& run_dir, const ReportOptions& options);

}  // namespace tlab::report
