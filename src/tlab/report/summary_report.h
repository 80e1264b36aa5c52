#pragma once
// The reports of tlab cv (cv.json), tlab select (leaderboard.json) and tlab compare (compare.json)
// directories (report.h).
#include <string>

namespace tlab::report {

std::string write_cv_report(const std::string& dir);
std::string write_selection_report(const std::string& dir);
std::string write_compare_report(const std::string& dir);

}  // namespace tlab::report
