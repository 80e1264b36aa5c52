#include "tlab/report/plot.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <sstream>
#include <tuple>

#include "tlab/core/error.h"

namespace tlab::report {
namespace {

struct Color { unsigned char r, g, b; };
struct Pt { double x, y; };
enum class Anchor { kStart, kMiddle, kEnd };

const Color kInk{0x22, 0x22, 0x22}, kMuted{0x55, 0x55, 0x55}, kGrid{0xe5, 0xe5, 0xe5};
const Color kWhite{0xff, 0xff, 0xff}, kMissing{0xdd, 0xdd, 0xdd};
// Okabe-Ito, safe for the common colour blindnesses; its yellow is left out (unreadable on white).
const Color kPalette[] = {{0x00, 0x72, 0xb2}, {0xd5, 0x5e, 0x00}, {0x00, 0x9e, 0x73}, {0xe6, 0x9f, 0x00},
                          {0xcc, 0x79, 0xa7}, {0x56, 0xb4, 0xe9}, {0x00, 0x00, 0x00}};
Color palette(size_t i) { return kPalette[i % std::size(kPalette)]; }

constexpr double kTick = 12, kLabel = 13, kTitle = 15;  // font sizes in pixels

bool finite(double v) { return std::isfinite(v); }

// The PNG's Hershey font is ASCII: each other UTF-8 sequence becomes one '?'.
std::string ascii(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f) out += char(c);
    else if (c < 0x80 || c >= 0xc0) out += '?';  // control characters and UTF-8 lead bytes
  }
  return out;
}

// One width estimate for both backends: Hershey Simplex at the scale that matches a sans-serif of
// `size` pixels (its widths are within ~5% of Arial's), so layout never depends on the backend.
double hershey_scale(double size) { return size / 30.5; }
double text_width(const std::string& s, double size, bool bold = false) {
  int baseline = 0;
  const double w = cv::getTextSize(ascii(s), cv::FONT_HERSHEY_SIMPLEX, hershey_scale(size), 1, &baseline).width;
  return w * (bold ? 1.12 : 1.05);
}

// `s` cut at a code point and ended with "..." so that it is at most max_width wide.
std::string fit(std::string s, double size, double max_width, bool bold = false) {
  if (text_width(s, size, bold) <= max_width) return s;
  while (!s.empty() && text_width(s + "...", size, bold) > max_width) {
    while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xc0) == 0x80) s.pop_back();
    if (!s.empty()) s.pop_back();
  }
  return s + "...";
}

// The one drawing interface: pixels, origin top-left, text placed by its baseline and rotated
// clockwise by `angle` degrees about that point.
class Canvas {
 public:
  virtual ~Canvas() = default;
  virtual void polyline(const std::vector<Pt>& pts, Color c, double width, bool dashed = false) = 0;
  virtual void polygon(const std::vector<Pt>& pts, Color fill, double opacity = 1) = 0;
  virtual void circle(Pt centre, double r, Color fill, Color stroke) = 0;
  virtual void text(Pt at, const std::string& s, double size, Color c, Anchor a = Anchor::kStart,
                    double angle = 0, bool bold = false) = 0;
  void line(Pt a, Pt b, Color c, double width, bool dashed = false) { polyline({a, b}, c, width, dashed); }
  void rect(double x0, double y0, double x1, double y1, Color fill, double opacity = 1) {
    polygon({{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}}, fill, opacity);
  }
};

std::string num(double v) { char b[32]; std::snprintf(b, sizeof b, "%.1f", v); return b; }
std::string hex(Color c) { char b[8]; std::snprintf(b, sizeof b, "#%02x%02x%02x", c.r, c.g, c.b); return b; }

class SvgCanvas : public Canvas {
 public:
  SvgCanvas(int w, int h) {
    out_ << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
         << "\" viewBox=\"0 0 " << w << ' ' << h
         << "\" font-family=\"Helvetica, Arial, 'DejaVu Sans', sans-serif\">\n"
         << "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n";
  }
  std::string finish() { return out_.str() + "</svg>\n"; }

  void polyline(const std::vector<Pt>& pts, Color c, double width, bool dashed) override {
    out_ << "<polyline points=\"" << points(pts) << "\" fill=\"none\" stroke=\"" << hex(c)
         << "\" stroke-width=\"" << width << "\" stroke-linejoin=\"round\""
         << (dashed ? " stroke-dasharray=\"6 4\"" : " stroke-linecap=\"round\"") << "/>\n";
  }
  void polygon(const std::vector<Pt>& pts, Color fill, double opacity) override {
    out_ << "<polygon points=\"" << points(pts) << "\" fill=\"" << hex(fill) << '"';
    // Opaque fills are cells and bars: crisp edges keep neighbours free of hairline seams.
    if (opacity < 1) out_ << " fill-opacity=\"" << opacity << '"';
    else out_ << " shape-rendering=\"crispEdges\"";
    out_ << "/>\n";
  }
  void circle(Pt c, double r, Color fill, Color stroke) override {
    out_ << "<circle cx=\"" << num(c.x) << "\" cy=\"" << num(c.y) << "\" r=\"" << r << "\" fill=\""
         << hex(fill) << "\" stroke=\"" << hex(stroke) << "\" stroke-width=\"1\"/>\n";
  }
  void text(Pt at, const std::string& s, double size, Color c, Anchor a, double angle, bool bold) override {
    static const char* kAnchors[] = {"start", "middle", "end"};
    out_ << "<text x=\"" << num(at.x) << "\" y=\"" << num(at.y) << "\" font-size=\"" << size
         << "\" fill=\"" << hex(c) << "\" text-anchor=\"" << kAnchors[int(a)] << '"';
    if (bold) out_ << " font-weight=\"bold\"";
    if (angle != 0) out_ << " transform=\"rotate(" << angle << ' ' << num(at.x) << ' ' << num(at.y) << ")\"";
    out_ << '>' << escape_xml(s) << "</text>\n";
  }

 private:
  static std::string points(const std::vector<Pt>& pts) {
    std::string s;
    for (const Pt& p : pts) s += num(p.x) + ',' + num(p.y) + ' ';
    return s;
  }
  std::ostringstream out_;
};

// Draws at twice the size and shrinks at the end: smoother lines and text than LINE_AA alone.
class MatCanvas : public Canvas {
 public:
  MatCanvas(int w, int h) : img_(h * kScale, w * kScale, CV_8UC3, cv::Scalar(255, 255, 255)), size_(w, h) {}
  std::vector<unsigned char> encode() const {
    cv::Mat out;
    cv::resize(img_, out, size_, 0, 0, cv::INTER_AREA);
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", out, png)) throw IoError("report: OpenCV could not encode a PNG");
    return png;
  }

  void polyline(const std::vector<Pt>& pts, Color c, double width, bool dashed) override {
    const int thickness = std::max(1, int(std::lround(width * kScale)));
    for (const auto& piece : dashed ? dashes(pts, 6, 4) : std::vector<std::vector<Pt>>{pts}) {
      const std::vector<cv::Point> ip = fixed(piece);
      cv::polylines(img_, ip, false, bgr(c), thickness, cv::LINE_AA, kShift);
    }
  }
  void polygon(const std::vector<Pt>& pts, Color fill, double opacity) override {
    if (opacity >= 1) return cv::fillPoly(img_, std::vector{fixed(pts)}, bgr(fill), cv::LINE_8, kShift);
    cv::Mat mask(img_.size(), CV_8UC1, cv::Scalar(0));
    cv::fillPoly(mask, std::vector{fixed(pts)}, cv::Scalar(255 * opacity), cv::LINE_8, kShift);
    blend(mask, fill);
  }
  void circle(Pt c, double r, Color fill, Color stroke) override {
    const cv::Point centre = fixed({c.x, c.y});
    const int radius = int(std::lround(r * kFixed));
    cv::circle(img_, centre, radius, bgr(fill), cv::FILLED, cv::LINE_AA, kShift);
    cv::circle(img_, centre, radius, bgr(stroke), kScale, cv::LINE_AA, kShift);
  }
  void text(Pt at, const std::string& s, double size, Color c, Anchor a, double angle, bool bold) override {
    const std::string t = ascii(s);
    const double scale = hershey_scale(size) * kScale;
    const int thickness = bold ? 3 : 2;
    int baseline = 0;
    const cv::Size sz = cv::getTextSize(t, cv::FONT_HERSHEY_SIMPLEX, scale, thickness, &baseline);
    const double shift = a == Anchor::kStart ? 0 : a == Anchor::kMiddle ? sz.width / 2.0 : sz.width;
    if (angle == 0) {
      const cv::Point org(int(std::lround(at.x * kScale - shift)), int(std::lround(at.y * kScale)));
      return cv::putText(img_, t, org, cv::FONT_HERSHEY_SIMPLEX, scale, bgr(c), thickness, cv::LINE_AA);
    }
    // putText cannot rotate: draw the text into a mask, rotate the mask about the anchor, blend.
    const int pad = 4;
    cv::Mat patch(sz.height + baseline + 2 * pad, sz.width + 2 * pad, CV_8UC1, cv::Scalar(0));
    cv::putText(patch, t, {pad, pad + sz.height}, cv::FONT_HERSHEY_SIMPLEX, scale, 255, thickness, cv::LINE_AA);
    const cv::Point2f pivot(float(pad + shift), float(pad + sz.height));
    cv::Mat m = cv::getRotationMatrix2D(pivot, -angle, 1.0);
    m.at<double>(0, 2) += at.x * kScale - pivot.x;
    m.at<double>(1, 2) += at.y * kScale - pivot.y;
    cv::Mat mask;
    cv::warpAffine(patch, mask, m, img_.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    blend(mask, c);
  }

 private:
  static constexpr int kScale = 2, kShift = 4;  // supersampling; fixed-point bits for sub-pixel lines
  static constexpr double kFixed = kScale * (1 << kShift);
  static cv::Scalar bgr(Color c) { return cv::Scalar(c.b, c.g, c.r); }
  static cv::Point fixed(Pt p) { return {int(std::lround(p.x * kFixed)), int(std::lround(p.y * kFixed))}; }
  static std::vector<cv::Point> fixed(const std::vector<Pt>& pts) {
    std::vector<cv::Point> out;
    for (const Pt& p : pts) out.push_back(fixed(p));
    return out;
  }
  // The pieces of a dashed path: `on` pixels drawn, `off` pixels skipped, as SVG's dasharray does.
  static std::vector<std::vector<Pt>> dashes(const std::vector<Pt>& pts, double on, double off) {
    std::vector<std::vector<Pt>> out;
    std::vector<Pt> cur{pts.front()};
    bool drawing = true;
    double left = on;
    for (size_t i = 1; i < pts.size(); ++i) {
      const Pt a = pts[i - 1], b = pts[i];
      const double len = std::hypot(b.x - a.x, b.y - a.y);
      double pos = 0;
      while (len - pos > left) {
        pos += left;
        const Pt m{a.x + (b.x - a.x) * pos / len, a.y + (b.y - a.y) * pos / len};
        if (drawing) cur.push_back(m), out.push_back(cur);
        cur = {m};
        drawing = !drawing;
        left = drawing ? on : off;
      }
      left -= len - pos;
      if (drawing) cur.push_back(b);
    }
    if (drawing && cur.size() > 1) out.push_back(cur);
    return out;
  }
  void blend(const cv::Mat& mask, Color c) {
    const cv::Rect box = cv::boundingRect(mask);
    for (int y = box.y; y < box.y + box.height; ++y) {
      for (int x = box.x; x < box.x + box.width; ++x) {
        const int a = mask.at<unsigned char>(y, x);
        cv::Vec3b& px = img_.at<cv::Vec3b>(y, x);
        const unsigned char col[3] = {c.b, c.g, c.r};
        for (int k = 0; k < 3; ++k) px[k] = static_cast<unsigned char>((px[k] * (255 - a) + col[k] * a) / 255);
      }
    }
  }
  cv::Mat img_;
  cv::Size size_;
};

// Runs one drawing routine on both backends.
template <typename Draw>
Figure draw_twice(int width, int height, const Draw& draw) {
  TLAB_CHECK(width >= 64 && height >= 64 && width <= 8192 && height <= 8192,
             "report: a figure is 64 to 8192 pixels on each side, got ", width, "x", height);
  SvgCanvas svg(width, height);
  draw(svg);
  MatCanvas png(width, height);
  draw(png);
  return {svg.finish(), png.encode()};
}

// ---- Layout shared by the charts ----

struct Frame { double left, top, right, bottom; };  // the plot area in pixels

// A data range mapped onto pixels p0 (at lo) .. p1 (at hi).
struct Axis {
  double lo = 0, hi = 1;
  bool log = false;
  double p0 = 0, p1 = 1;
  double px(double v) const {
    const double t = log ? std::log10(v / lo) / std::log10(hi / lo) : (v - lo) / (hi - lo);
    return p0 + t * (p1 - p0);
  }
  std::vector<double> ticks() const { return log ? log_ticks(lo, hi) : nice_ticks(lo, hi); }
  std::string label(const std::vector<double>& ts, size_t i) const {
    return format_tick(ts[i], log ? ts[i] : ts.size() > 1 ? ts[1] - ts[0] : std::abs(ts[i]));
  }
};

// [lo, hi] with a margin (so no point sits on the frame); a zero-width range is widened.
std::pair<double, double> pad_range(double lo, double hi, bool log, double margin = 0.04) {
  if (log) {
    const auto [a, b] = pad_range(std::log10(lo), std::log10(hi), false, margin);
    return {std::pow(10.0, a), std::pow(10.0, b)};
  }
  const double d = hi > lo ? (hi - lo) * margin : lo == 0 ? 1 : std::abs(lo) * 0.1;
  return {lo - d, hi + d};
}

std::pair<double, double> checked_range(const std::pair<double, double>& r, const std::string& title) {
  TLAB_CHECK(finite(r.first) && finite(r.second) && r.first < r.second, "chart '", title,
             "': y_range must be finite with lower < upper, got [", r.first, ", ", r.second, "]");
  return r;
}

struct LegendItem {
  std::string name;
  Color colour;
  enum Kind { kLine, kDashed, kBox } kind;
  double opacity = 1;
};

// A centred legend, wrapped into rows, from `top`; returns its height.
double legend(Canvas& c, const std::vector<LegendItem>& items, double top, int width) {
  if (items.size() < 2) return 0;
  auto item_width = [](const LegendItem& it) { return 26 + text_width(it.name, kTick) + 14; };
  double y = top + 10, height = 0;
  for (size_t i = 0; i < items.size();) {
    size_t end = i;
    double row = 0;
    while (end < items.size() && (end == i || row + item_width(items[end]) <= width - 20))
      row += item_width(items[end++]);
    double x = (width - row) / 2;
    for (; i < end; ++i) {
      const LegendItem& it = items[i];
      if (it.kind == LegendItem::kBox) c.rect(x + 4, y - 6, x + 16, y + 6, it.colour, it.opacity);
      else c.line({x, y}, {x + 20, y}, it.colour, 2, it.kind == LegendItem::kDashed);
      c.text({x + 26, y + 4.2}, fit(it.name, kTick, width - 60), kTick, kInk);
      x += item_width(it);
    }
    y += 18;
    height += 18;
  }
  return height + 4;
}

// The title and the legend; returns where the plot area starts.
double draw_header(Canvas& c, const std::string& title, const std::vector<LegendItem>& items, int width) {
  double top = 10;
  if (!title.empty()) {
    c.text({width / 2.0, 22}, fit(title, kTitle, width - 16, true), kTitle, kInk, Anchor::kMiddle, 0, true);
    top = 32;
  }
  return top + legend(c, items, top, width) + 8;
}

double tick_label_width(const Axis& a) {
  const std::vector<double> ts = a.ticks();
  double w = 0;
  for (size_t i = 0; i < ts.size(); ++i) w = std::max(w, text_width(a.label(ts, i), kTick));
  return w;
}

// An axis label centred at `at` and cut to `length`; a vertical one reads from bottom to top.
void axis_label(Canvas& c, Pt at, const std::string& s, double length, bool vertical) {
  if (!s.empty()) c.text(at, fit(s, kLabel, length), kLabel, kInk, Anchor::kMiddle, vertical ? -90 : 0);
}

// Horizontal grid lines, ticks and labels of a y axis, and the rotated y label at x = label_x.
void draw_y_axis(Canvas& c, const Axis& y, const Frame& f, const std::string& label, double label_x) {
  const std::vector<double> ts = y.ticks();
  for (size_t i = 0; i < ts.size(); ++i) {
    const double py = y.px(ts[i]);
    c.line({f.left, py}, {f.right, py}, kGrid, 1);
    c.line({f.left - 4, py}, {f.left, py}, kInk, 1);
    c.text({f.left - 7, py + 4.2}, y.label(ts, i), kTick, kInk, Anchor::kEnd);
  }
  axis_label(c, {label_x, (f.top + f.bottom) / 2}, label, f.bottom - f.top, true);
}

void draw_x_axis(Canvas& c, const Axis& x, const Frame& f, const std::string& label, int height) {
  const std::vector<double> ts = x.ticks();
  for (size_t i = 0; i < ts.size(); ++i) {
    const double px = x.px(ts[i]);
    c.line({px, f.top}, {px, f.bottom}, kGrid, 1);
    c.line({px, f.bottom}, {px, f.bottom + 4}, kInk, 1);
    c.text({px, f.bottom + 17}, x.label(ts, i), kTick, kInk, Anchor::kMiddle);
  }
  axis_label(c, {(f.left + f.right) / 2, height - 10.0}, label, f.right - f.left, false);
}

void draw_frame(Canvas& c, const Frame& f) {
  c.polyline({{f.left, f.top}, {f.left, f.bottom}, {f.right, f.bottom}}, kInk, 1);
}

void no_data(Canvas& c, const Frame& f) {
  draw_frame(c, f);
  c.text({(f.left + f.right) / 2, (f.top + f.bottom) / 2}, "no data", kLabel, kMuted, Anchor::kMiddle);
}

// Cuts segment a-b to the frame (Liang-Barsky); false when nothing of it is inside.
bool clip(Pt& a, Pt& b, const Frame& f) {
  const double dx = b.x - a.x, dy = b.y - a.y;
  const double p[4] = {-dx, dx, -dy, dy};
  const double q[4] = {a.x - f.left, f.right - a.x, a.y - f.top, f.bottom - a.y};
  double t0 = 0, t1 = 1;
  for (int i = 0; i < 4; ++i) {
    if (p[i] == 0 && q[i] < 0) return false;  // parallel to this edge and outside it
    if (p[i] == 0) continue;
    const double t = q[i] / p[i];
    if (p[i] < 0) t0 = std::max(t0, t);
    else t1 = std::min(t1, t);
  }
  if (t0 > t1) return false;
  b = {a.x + t1 * dx, a.y + t1 * dy};
  a = {a.x + t0 * dx, a.y + t0 * dy};
  return true;
}

bool inside(Pt p, const Frame& f) { return p.x >= f.left && p.x <= f.right && p.y >= f.top && p.y <= f.bottom; }

// Labels along a category axis: truncated to a length, rotated 45 degrees when they do not fit side
// by side, and only every `every`-th shown when even rotated ones would overlap.
struct CategoryLabels {
  std::vector<std::string> text;
  bool rotated = false;
  size_t every = 1;
  double extent = 0;  // pixels they take below the axis
};

CategoryLabels layout_categories(const std::vector<std::string>& labels, double band, double max_extent) {
  CategoryLabels out;
  double widest = 0;
  for (const std::string& s : labels) {
    out.text.push_back(fit(s, kTick, std::min(140.0, max_extent / 0.71)));
    widest = std::max(widest, text_width(out.text.back(), kTick));
  }
  out.rotated = widest + 6 > band;
  const double pitch = out.rotated ? kTick * 1.3 : widest + 6;
  out.every = std::max<size_t>(1, size_t(std::ceil(pitch / std::max(band, 1e-9))));
  out.extent = out.rotated ? widest * 0.71 + kTick + 8 : kTick + 10;
  return out;
}

void draw_categories(Canvas& c, const CategoryLabels& l, double first_centre, double band, double y) {
  for (size_t i = 0; i < l.text.size(); i += l.every) {
    const double x = first_centre + band * i;
    c.line({x, y}, {x, y + 4}, kInk, 1);
    if (l.rotated) c.text({x + 3, y + 10}, fit(l.text[i], kTick, (x + 1) / 0.71), kTick, kInk, Anchor::kEnd, -45);
    else c.text({x, y + 17}, l.text[i], kTick, kInk, Anchor::kMiddle);
  }
}

void error_bar(Canvas& c, double x, double y0, double y1, double cap, const Frame& f) {
  Pt a{x, y0}, b{x, y1};
  if (!clip(a, b, f)) return;
  c.line(a, b, kInk, 1.2);
  for (double y : {y0, y1})
    if (y >= f.top && y <= f.bottom) c.line({x - cap, y}, {x + cap, y}, kInk, 1.2);
}

// Sequential white -> dark blue (ColorBrewer Blues), t in [0, 1].
Color blues(double t) {
  static const Color kStops[] = {{247, 251, 255}, {198, 219, 239}, {107, 174, 214}, {33, 113, 181}, {8, 48, 107}};
  t = std::clamp(t, 0.0, 1.0) * 4;
  const int i = std::min(3, int(t));
  const double u = t - i;
  auto mix = [u](unsigned char a, unsigned char b) { return static_cast<unsigned char>(std::lround(a + (b - a) * u)); };
  return {mix(kStops[i].r, kStops[i + 1].r), mix(kStops[i].g, kStops[i + 1].g), mix(kStops[i].b, kStops[i + 1].b)};
}
bool is_dark(Color c) { return 0.299 * c.r + 0.587 * c.g + 0.114 * c.b < 128; }

// ---- The charts ----

void draw(Canvas& c, const LineChart& ch, int w, int h) {
  std::vector<LegendItem> items;
  for (size_t i = 0; i < ch.series.size(); ++i)
    items.push_back({ch.series[i].name, palette(i), ch.series[i].dashed ? LegendItem::kDashed : LegendItem::kLine});
  const double top = draw_header(c, ch.title, items, w);

  // The data's range; a point counts when both coordinates are finite (and x > 0 on a log axis).
  auto usable = [&](double x, double y) { return finite(x) && finite(y) && (!ch.log_x || x > 0); };
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  auto extend = [&](double x, double y) {
    x0 = std::min(x0, x), x1 = std::max(x1, x), y0 = std::min(y0, y), y1 = std::max(y1, y);
  };
  for (const Series& s : ch.series) {
    TLAB_CHECK(s.x.size() == s.y.size() && (s.y_err.empty() || s.y_err.size() == s.y.size()), "line chart '",
               ch.title, "': series '", s.name, "' has ", s.x.size(), " x, ", s.y.size(), " y and ", s.y_err.size(),
               " y_err values");
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (!usable(s.x[i], s.y[i])) continue;
      extend(s.x[i], s.y[i]);
      if (!s.y_err.empty() && finite(s.y_err[i]))
        extend(s.x[i], s.y[i] - s.y_err[i]), extend(s.x[i], s.y[i] + s.y_err[i]);
    }
  }
  for (const Marker& m : ch.markers)
    if (usable(m.x, m.y)) extend(m.x, m.y);
  Frame f{60, top, w - 20.0, h - 46.0};
  if (x0 > x1) return no_data(c, f);

  Axis x, y;
  std::tie(x.lo, x.hi) = pad_range(x0, x1, ch.log_x);
  x.log = ch.log_x;
  std::tie(y.lo, y.hi) = ch.y_range ? checked_range(*ch.y_range, ch.title) : pad_range(y0, y1, false);
  f.left = tick_label_width(y) + 12 + (ch.y_label.empty() ? 0 : 22);
  f.bottom = h - (ch.x_label.empty() ? 26.0 : 46.0);
  x.p0 = f.left, x.p1 = f.right, y.p0 = f.bottom, y.p1 = f.top;
  draw_y_axis(c, y, f, ch.y_label, 16);
  draw_x_axis(c, x, f, ch.x_label, h);
  draw_frame(c, f);

  for (size_t si = 0; si < ch.series.size(); ++si) {
    const Series& s = ch.series[si];
    const Color col = palette(si);
    // Runs of consecutive usable points: a NaN or inf breaks the line.
    std::vector<std::vector<size_t>> runs(1);
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (usable(s.x[i], s.y[i])) runs.back().push_back(i);
      else if (!runs.back().empty()) runs.emplace_back();
    }
    auto err = [&](size_t i) { return s.y_err.empty() || !finite(s.y_err[i]) ? 0.0 : s.y_err[i]; };
    auto edge = [&](size_t i, double sign) {
      return Pt{x.px(s.x[i]), std::clamp(y.px(s.y[i] + sign * err(i)), f.top, f.bottom)};
    };
    for (const auto& run : runs) {
      if (!s.y_err.empty() && !s.points && run.size() > 1) {  // a band around the line
        std::vector<Pt> band;
        for (size_t i : run) band.push_back(edge(i, 1));
        for (auto it = run.rbegin(); it != run.rend(); ++it) band.push_back(edge(*it, -1));
        c.polygon(band, col, 0.18);
      }
      std::vector<std::vector<Pt>> paths;
      for (size_t k = 1; k < run.size(); ++k) {
        Pt a{x.px(s.x[run[k - 1]]), y.px(s.y[run[k - 1]])}, b{x.px(s.x[run[k]]), y.px(s.y[run[k]])};
        if (!clip(a, b, f)) continue;
        if (paths.empty() || paths.back().back().x != a.x || paths.back().back().y != a.y) paths.push_back({a});
        paths.back().push_back(b);
      }
      for (const auto& p : paths) c.polyline(p, col, 1.8, s.dashed);
      for (size_t i : run) {
        const Pt p{x.px(s.x[i]), y.px(s.y[i])};
        if (s.points && err(i) > 0) error_bar(c, p.x, y.px(s.y[i] - err(i)), y.px(s.y[i] + err(i)), 3, f);
        if ((s.points || run.size() == 1) && inside(p, f)) c.circle(p, 3.5, col, kWhite);
      }
    }
  }
  std::vector<Frame> taken;  // the marker labels already placed
  for (const Marker& m : ch.markers) {
    if (!usable(m.x, m.y) || !inside({x.px(m.x), y.px(m.y)}, f)) continue;
    const Pt p{x.px(m.x), y.px(m.y)};
    c.circle(p, 4.5, kInk, kWhite);
    // The label points inwards, above the dot unless that leaves the frame or covers another label.
    const double tw = text_width(m.label, kTick), lx = p.x > (f.left + f.right) / 2 ? p.x - 7 - tw : p.x + 7;
    Frame box{};
    for (double dy : {-8.0, 18.0, -24.0, 34.0}) {
      box = {lx, p.y + dy - kTick, lx + tw, p.y + dy + 3};
      const bool free = std::none_of(taken.begin(), taken.end(), [&](const Frame& o) {
        return box.left < o.right && o.left < box.right && box.top < o.bottom && o.top < box.bottom;
      });
      if (free && box.top >= f.top && box.bottom <= f.bottom) break;
    }
    taken.push_back(box);
    c.text({box.left, box.bottom - 3}, m.label, kTick, kInk);
  }
}

void draw(Canvas& c, const BarChart& ch, int w, int h) {
  const size_t n = ch.categories.size();
  std::vector<LegendItem> items;
  for (size_t g = 0; g < ch.groups.size(); ++g) items.push_back({ch.groups[g].name, palette(g), LegendItem::kBox});
  const double top = draw_header(c, ch.title, items, w);
  double y0 = 0, y1 = 0;  // bars start at zero, so zero is always in range
  bool any = false;
  for (const Series& s : ch.groups) {
    TLAB_CHECK(s.y.size() == n && (s.y_err.empty() || s.y_err.size() == n), "bar chart '", ch.title, "': group '",
               s.name, "' has ", s.y.size(), " values and ", s.y_err.size(), " errors for ", n, " categories");
    for (size_t i = 0; i < n; ++i) {
      if (!finite(s.y[i])) continue;
      const double e = s.y_err.empty() || !finite(s.y_err[i]) ? 0 : s.y_err[i];
      y0 = std::min(y0, s.y[i] - e), y1 = std::max(y1, s.y[i] + e), any = true;
    }
  }
  Frame f{60, top, w - 16.0, h - 30.0};
  if (!any) return no_data(c, f);

  Axis y;
  std::tie(y.lo, y.hi) = ch.y_range ? checked_range(*ch.y_range, ch.title) : pad_range(y0, y1, false, 0.06);
  if (!ch.y_range && y0 == 0) y.lo = 0;  // bars of positive values stand on the frame
  if (!ch.y_range && y1 == 0 && y0 < 0) y.hi = 0;
  f.left = tick_label_width(y) + 12 + (ch.y_label.empty() ? 0 : 22);
  const double band = (f.right - f.left) / n;
  const CategoryLabels labels = layout_categories(ch.categories, band, 0.4 * (h - top));
  f.bottom = h - labels.extent - 4;
  y.p0 = f.bottom, y.p1 = f.top;
  draw_y_axis(c, y, f, ch.y_label, 16);

  const double base = y.px(std::clamp(0.0, y.lo, y.hi));
  const double fill = band >= 6 ? 0.8 : 1.0;  // hundreds of categories: bars touch, like a histogram
  const double bar = band * fill / ch.groups.size();
  for (size_t g = 0; g < ch.groups.size(); ++g) {
    const Series& s = ch.groups[g];
    for (size_t i = 0; i < n; ++i) {
      if (!finite(s.y[i])) continue;
      const double x0 = f.left + band * (i + (1 - fill) / 2) + bar * g;
      const double top_px = std::clamp(y.px(s.y[i]), f.top, f.bottom);
      c.rect(x0, std::min(base, top_px), x0 + bar, std::max(base, top_px), palette(g));
      if (!s.y_err.empty() && finite(s.y_err[i]))
        error_bar(c, x0 + bar / 2, y.px(s.y[i] - s.y_err[i]), y.px(s.y[i] + s.y_err[i]), std::min(4.0, bar / 3), f);
    }
  }
  if (y.lo < 0 && y.hi > 0) c.line({f.left, base}, {f.right, base}, kInk, 1);
  draw_frame(c, f);
  draw_categories(c, labels, f.left + band / 2, band, f.bottom);
}

void draw(Canvas& c, const Heatmap& ch, int w, int h) {
  const size_t rows = ch.values.size(), cols = rows ? ch.values[0].size() : 0;
  double lo = 0, hi = -INFINITY;  // the colour scale starts at zero (or below, for negative values)
  TLAB_CHECK((ch.row_labels.empty() || ch.row_labels.size() == rows) &&
                 (ch.col_labels.empty() || ch.col_labels.size() == cols),
             "heatmap '", ch.title, "': ", ch.row_labels.size(), " row labels and ", ch.col_labels.size(),
             " column labels for ", rows, "x", cols, " values");
  for (size_t r = 0; r < rows; ++r) {
    TLAB_CHECK(ch.values[r].size() == cols, "heatmap '", ch.title, "': row ", r, " has ", ch.values[r].size(),
               " values, row 0 has ", cols);
    TLAB_CHECK(ch.cell_text.empty() || (ch.cell_text.size() == rows && ch.cell_text[r].size() == cols), "heatmap '",
               ch.title, "': cell_text must have the shape of values (", rows, "x", cols, ")");
    for (double v : ch.values[r])
      if (finite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  const double top = draw_header(c, ch.title, {}, w);
  if (!finite(hi)) return no_data(c, {60, top, w - 16.0, h - 30.0});
  if (hi == lo) hi = lo + 1;

  // Row labels on the left, a colour bar on the right, square cells in between.
  double row_w = 0;
  std::vector<std::string> row_text;
  for (const std::string& s : ch.row_labels) {
    row_text.push_back(fit(s, kTick, 0.25 * w));
    row_w = std::max(row_w, text_width(row_text.back(), kTick));
  }
  const double left = 10 + (ch.y_label.empty() ? 0 : 20) + row_w + 8, right = w - 64.0;
  double cell = (right - left) / cols, bottom = h;
  CategoryLabels col_text;
  for (int pass = 0; pass < 3; ++pass) {  // the labels' extent and the cell size depend on each other
    col_text = layout_categories(ch.col_labels, cell, 0.3 * h);
    bottom = h - col_text.extent - (ch.x_label.empty() ? 4 : 24);
    cell = std::min((right - left) / cols, (bottom - top) / rows);
  }
  const double ox = (right - left - cell * cols) / 2, oy = (bottom - top - cell * rows) / 2;  // centred
  const Frame f{left + ox, top + oy, left + ox + cell * cols, top + oy + cell * rows};

  // Cell text: one font size for all, as large as the widest text allows, none when below 7 px.
  std::vector<std::vector<std::string>> text(rows, std::vector<std::string>(cols));
  double widest = 1;
  for (size_t r = 0; r < rows && cell * 0.42 >= 7; ++r)
    for (size_t k = 0; k < cols; ++k) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3g", ch.values[r][k]);
      text[r][k] = !ch.cell_text.empty() ? ch.cell_text[r][k] : finite(ch.values[r][k]) ? buf : "";
      widest = std::max(widest, text_width(text[r][k], 10));
    }
  const double size = std::min({11.0, cell * 0.42, 10 * (cell - 4) / widest});
  // Cells in the lowest colour are the background: a 1000-class confusion matrix stays small.
  const Color zero = blues(0);
  c.rect(f.left, f.top, f.right, f.bottom, zero);
  for (size_t r = 0; r < rows; ++r)
    for (size_t k = 0; k < cols; ++k) {
      const double v = ch.values[r][k], x0 = f.left + cell * k, y0 = f.top + cell * r;
      const Color fill = finite(v) ? blues((v - lo) / (hi - lo)) : kMissing;
      if (fill.r != zero.r || fill.g != zero.g || fill.b != zero.b) c.rect(x0, y0, x0 + cell, y0 + cell, fill);
      if (size >= 7 && !text[r][k].empty())
        c.text({x0 + cell / 2, y0 + cell / 2 + size * 0.35}, text[r][k], size, is_dark(fill) ? kWhite : kInk,
               Anchor::kMiddle);
    }
  c.polyline({{f.left, f.top}, {f.right, f.top}, {f.right, f.bottom}, {f.left, f.bottom}, {f.left, f.top}}, kMuted, 1);

  const size_t row_every = std::max<size_t>(1, size_t(std::ceil(kTick * 1.2 / cell)));
  for (size_t r = 0; r < row_text.size(); r += row_every)
    c.text({f.left - 6, f.top + cell * (r + 0.5) + 4.2}, row_text[r], kTick, kInk, Anchor::kEnd);
  draw_categories(c, col_text, f.left + cell / 2, cell, f.bottom);
  axis_label(c, {f.left - row_w - 18, (f.top + f.bottom) / 2}, ch.y_label, f.bottom - f.top, true);
  axis_label(c, {(f.left + f.right) / 2, f.bottom + col_text.extent + 16}, ch.x_label, w - 20.0, false);

  // The colour bar: 48 steps, ticks on its right.
  const double bx = f.right + 14, bar_h = f.bottom - f.top;
  for (int i = 0; i < 48; ++i)
    c.rect(bx, f.bottom - bar_h * (i + 1) / 48, bx + 12, f.bottom - bar_h * i / 48 + 0.5, blues((i + 0.5) / 48));
  const Axis scale{lo, hi, false, f.bottom, f.top};
  const std::vector<double> ts = nice_ticks(lo, hi, 5);
  for (size_t i = 0; i < ts.size(); ++i) {
    c.line({bx + 12, scale.px(ts[i])}, {bx + 16, scale.px(ts[i])}, kInk, 1);
    c.text({bx + 19, scale.px(ts[i]) + 4}, scale.label(ts, i), 11, kInk);
  }
}

void draw_reliability(Canvas& c, const std::vector<ReliabilityBin>& bins, double ece, int w, int h) {
  char title[64];
  std::snprintf(title, sizeof title, "Reliability diagram (ECE = %.4f)", ece);
  const Color bar = palette(0), gap = palette(1);
  const std::vector<LegendItem> items{{"accuracy", bar, LegendItem::kBox},
                                      {"gap to confidence", gap, LegendItem::kBox, 0.35},
                                      {"perfect calibration", kMuted, LegendItem::kDashed}};
  const double top = draw_header(c, finite(ece) ? title : "Reliability diagram", items, w);
  Axis x{0, 1, false, 58, w - 20.0}, y{0, 1, false, h - 46.0, top};
  const Frame f{x.p0, top, x.p1, y.p0};
  const bool any = std::any_of(bins.begin(), bins.end(), [](const ReliabilityBin& b) { return b.count > 0; });
  if (!any) return no_data(c, f);
  draw_y_axis(c, y, f, "accuracy", 16);
  draw_x_axis(c, x, f, "confidence", h);
  for (const ReliabilityBin& b : bins) {
    if (b.count <= 0 || !finite(b.lower) || !finite(b.upper) || !finite(b.accuracy) || !finite(b.confidence)) continue;
    const double x0 = x.px(std::clamp(b.lower, 0.0, 1.0)) + 0.5, x1 = x.px(std::clamp(b.upper, 0.0, 1.0)) - 0.5;
    const double acc = y.px(std::clamp(b.accuracy, 0.0, 1.0)), conf = y.px(std::clamp(b.confidence, 0.0, 1.0));
    c.rect(x0, acc, x1, f.bottom, bar);
    c.rect(x0, std::min(acc, conf), x1, std::max(acc, conf), gap, 0.35);
  }
  c.line({f.left, f.bottom}, {f.right, f.top}, kMuted, 1.5, true);
  draw_frame(c, f);
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!finite(lo) || !finite(hi) || hi < lo) return {};
  if (hi == lo) return {lo};
  const double raw = (hi - lo) / std::max(1, target - 1);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * mag;
  for (double m : {1.0, 2.0, 5.0})
    if (m * mag >= raw * (1 - 1e-9)) {
      step = m * mag;
      break;
    }
  std::vector<double> ts;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; ++k)
    ts.push_back(std::abs(k) < 1e-9 ? 0.0 : k * step);
  return ts;
}

std::vector<double> log_ticks(double lo, double hi) {
  if (!(lo > 0) || !finite(hi) || hi <= lo) return {};
  const int e0 = int(std::ceil(std::log10(lo) - 1e-9)), e1 = int(std::floor(std::log10(hi) + 1e-9));
  std::vector<double> ts;
  if (std::log10(hi / lo) < 2) {  // a short range: 1, 2 and 5 in each decade
    for (int e = e0 - 1; e <= e1; ++e)
      for (double m : {1.0, 2.0, 5.0}) {
        const double v = m * std::pow(10.0, e);
        if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) ts.push_back(v);
      }
    return ts.size() >= 2 ? ts : nice_ticks(lo, hi);
  }
  const int every = std::max(1, (e1 - e0 + 10) / 10);  // at most ~10 labels
  for (int e = e0; e <= e1; ++e)
    if (e % every == 0) ts.push_back(std::pow(10.0, e));
  return ts;
}

std::string format_tick(double value, double step) {
  char buf[32];
  const double a = std::abs(value);
  if (value == 0) return "0";
  if (a >= 1e5 || a < 1e-3) {
    std::snprintf(buf, sizeof buf, "%.2g", value);
    std::string s = buf;  // 1e-07 -> 1e-7, 2e+06 -> 2e6
    for (const char* from : {"e-0", "e+0", "e+"}) {
      const size_t at = s.find(from);
      if (at != std::string::npos) s.replace(at, std::string(from).size(), from[1] == '-' ? "e-" : "e");
    }
    return s;
  }
  const int decimals = std::clamp(int(-std::floor(std::log10(std::abs(step)) + 1e-9)), 0, 6);
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string escape_xml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      const char* entity = c == '&' ? "&amp;" : c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '"' ? "&quot;"
                         : c == '\'' ? "&apos;" : nullptr;
      const bool control = c < 0x20 && c != '\t' && c != '\n' && c != '\r';  // not allowed in XML 1.0
      out += entity ? entity : control ? "\xEF\xBF\xBD" : std::string(1, char(c));
      ++i;
      continue;
    }
    // A multi-byte sequence is copied only when it is valid UTF-8 for a character XML allows.
    const size_t n = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    unsigned cp = n == 2 ? c & 0x1f : n == 3 ? c & 0x0f : c & 0x07;
    bool ok = n > 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      ok = (static_cast<unsigned char>(s[i + k]) & 0xc0) == 0x80;
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    }
    const unsigned min_cp = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    ok = ok && cp >= min_cp && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) && cp != 0xfffe && cp != 0xffff;
    out += ok ? std::string(s.substr(i, n)) : "\xEF\xBF\xBD";  // U+FFFD, the replacement character
    i += ok ? n : 1;
  }
  return out;
}

Figure render(const LineChart& chart, int width, int height) {
  return draw_twice(width, height, [&](Canvas& c) { draw(c, chart, width, height); });
}
Figure render(const BarChart& chart, int width, int height) {
  return draw_twice(width, height, [&](Canvas& c) { draw(c, chart, width, height); });
}
Figure render(const Heatmap& chart, int width, int height) {
  return draw_twice(width, height, [&](Canvas& c) { draw(c, chart, width, height); });
}
Figure reliability_diagram(const std::vector<ReliabilityBin>& bins, double ece, int width, int height) {
  return draw_twice(width, height, [&](Canvas& c) { draw_reliability(c, bins, ece, width, height); });
}

}  // namespace tlab::report
