#pragma once
// Charts for the run report. A chart is a plain description (data and labels); render() draws it
// once as SVG text (inlined into report.html) and once as a PNG (written beside it), through one
// drawing routine over two canvas backends, so the two files always show the same picture.
//
// Values that are NaN or infinite are skipped (a line breaks there), an empty chart draws "no data"
// instead of throwing, and a constant series gets a padded range. Only data the caller cannot mean
// throws tlab::UsageError (a bar group whose length differs from the categories', a ragged heatmap).
// The PNG's text is ASCII only: each other character is drawn as '?'.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tlab::report {

// One line (LineChart) or one group of bars (BarChart).
struct Series {
  std::string name;             // legend entry; the legend shows when there are two or more series
  std::vector<double> x, y;     // same length; BarChart ignores x (y[c] is the bar of category c)
  std::vector<double> y_err;    // optional, empty or the length of y: error bars (a band on lines)
  bool dashed = false;          // dashed line (e.g. validation next to a solid training curve)
  bool points = false;          // a dot at every point (always drawn for a single point)
};

// A named series (the other fields at their defaults).
inline Series series(std::string name, std::vector<double> x = {}, std::vector<double> y = {}) {
  Series s;
  s.name = std::move(name);
  s.x = std::move(x);
  s.y = std::move(y);
  return s;
}

// A labelled dot on a line chart, e.g. the learning rate that lr-find suggests.
struct Marker {
  double x = 0, y = 0;
  std::string label;
};

struct LineChart {
  std::string title, x_label, y_label;
  bool log_x = false;                                  // decades on x; x <= 0 is skipped
  std::optional<std::pair<double, double>> y_range;    // fixed y axis, else the data's range
  std::vector<Series> series;
  std::vector<Marker> markers;
};

// Grouped bars: one bar per (category, group), groups side by side within a category.
struct BarChart {
  std::string title, y_label;
  std::vector<std::string> categories;                 // x axis; long or many labels are rotated,
                                                       // truncated and thinned
  std::vector<Series> groups;                          // groups[g].y[c] = height; y_err optional
  std::optional<std::pair<double, double>> y_range;    // fixed y axis, else 0 and the data's range
};

// A matrix of colours (white to dark blue) with optional text in each cell, e.g. a confusion matrix.
struct Heatmap {
  std::string title, x_label, y_label;
  std::vector<std::string> row_labels, col_labels;
  std::vector<std::vector<double>> values;             // values[row][col]; NaN cells are grey
  std::vector<std::vector<std::string>> cell_text;     // optional, the shape of values; when empty,
                                                       // the values are printed if the cells fit them
};

// One reliability-diagram bin: predictions with confidence in [lower, upper).
struct ReliabilityBin {
  double lower = 0, upper = 0;   // the bin's edges in [0, 1]
  double confidence = 0;         // mean confidence of the bin's predictions
  double accuracy = 0;           // fraction of them that were right
  long count = 0;                // predictions in the bin; empty bins are not drawn
};

// The same chart twice: an SVG document (with a viewBox, no external references) and PNG bytes of
// width x height pixels.
struct Figure {
  std::string svg;
  std::vector<unsigned char> png;
};

Figure render(const LineChart& chart, int width = 640, int height = 400);
Figure render(const BarChart& chart, int width = 640, int height = 400);
Figure render(const Heatmap& chart, int width = 560, int height = 520);

// Accuracy per confidence bin as bars spanning each bin, the gap to the bin's mean confidence
// shaded, the diagonal of perfect calibration dashed, and the expected calibration error in the title.
Figure reliability_diagram(const std::vector<ReliabilityBin>& bins, double ece, int width = 480,
                           int height = 420);

// Axis ticks, exposed for the tests. nice_ticks: multiples of a 1-2-5 step inside [lo, hi], about
// `target` of them. log_ticks: the decades inside [lo, hi] (0 < lo), every k-th when there are many,
// with 2 and 5 added when the range spans less than two decades.
std::vector<double> nice_ticks(double lo, double hi, int target = 6);
std::vector<double> log_ticks(double lo, double hi);
// A tick label with as many decimals as the step needs: 0.2, 15, 1e-7 (decades far from 1).
std::string format_tick(double value, double step);

// Text for XML and HTML: escapes & < > " ' and replaces invalid UTF-8 and control characters, so
// any class name gives a well-formed document.
std::string escape_xml(std::string_view text);

}  // namespace tlab::report
