#pragma once
// The report a person looks at (report.html): self-contained (inline SVG, images as data URIs, no
// request leaves the file), with the PNG of every plot beside it in report/ for papers. One for a
// run directory (curves, confusion matrices, per-class scores, reliability, ROC, most-confused pairs,
// top losses, Grad-CAM, the config), and one for the directories of tlab cv, select and compare
// (the leaderboard with error bars, the folds). Built from the files the run wrote, the data and
// the best checkpoint; `tlab report DIR` rebuilds it.
#include <string>

namespace tlab::report {

struct ReportOptions {
  int top_losses = 12;      // thumbnails of the samples with the highest loss, per split
  int gradcam_images = 6;   // Grad-CAM overlays of validation images (test without val); 0: none
  bool images = true;       // top losses and Grad-CAM read the data and the model; false: the files alone
  std::string device = "cpu";  // where Grad-CAM runs
};

// Writes DIR/report.html (and DIR/report/*.png) for whatever DIR holds: a run directory (config.json),
// a cross-validation (cv.json), a selection (leaderboard.json; its refit run gets its own report) or
// a comparison (compare.json). Returns report.html's path. Throws UsageError naming DIR when it holds
// none of these.
std::string write_report(const std::string& dir, const ReportOptions& options = {});

}  // namespace tlab::report
