#include "tlab/transforms/preprocess.h"

#include <opencv2/imgproc.hpp>
#include <opencv2/photo.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tlab/core/error.h"

namespace tlab::transforms {

nlohmann::json to_json(const InputSpec& s) {
  return {{"channels", s.channels},   {"height", s.height},
          {"width", s.width},         {"mean", s.mean},
          {"std", s.std},             {"resize", s.resize},
          {"interpolation", s.interpolation}, {"bgr", s.bgr},
          {"scale", s.scale},         {"denoise", s.denoise},
          {"denoise_size", s.denoise_size}, {"denoise_strength", s.denoise_strength}};
}

namespace {

// The optional keys, type-checked so that a wrong type names the key (nlohmann's own message does not).
std::string optional_string(const nlohmann::json& j, const char* key, const std::string& fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  TLAB_CHECK(it->is_string(), "input spec: '", key, "' must be a string, got ", it->dump());
  return it->get<std::string>();
}

int optional_int(const nlohmann::json& j, const char* key, int fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  TLAB_CHECK(it->is_number_integer(), "input spec: '", key, "' must be an integer, got ", it->dump());
  return it->get<int>();
}

float optional_float(const nlohmann::json& j, const char* key, float fallback) {
  const auto it = j.find(key);
  if (it == j.end()) return fallback;
  TLAB_CHECK(it->is_number(), "input spec: '", key, "' must be a number, got ", it->dump());
  return it->get<float>();
}

}  // namespace

InputSpec input_spec_from_json(const nlohmann::json& j) {
  TLAB_CHECK(j.is_object(), "input spec: expected a JSON object, got ", j.dump());
  InputSpec s;
  s.channels = j.at("channels").get<int>();
  s.height = j.at("height").get<int>();
  s.width = j.at("width").get<int>();
  s.mean = j.at("mean").get<std::vector<float>>();
  s.std = j.at("std").get<std::vector<float>>();
  s.resize = j.value("resize", 0);
  s.interpolation = j.value("interpolation", std::string("auto"));
  s.bgr = j.value("bgr", false);
  s.scale = j.value("scale", 1.0f / 255);
  s.denoise = optional_string(j, "denoise", s.denoise);
  s.denoise_size = optional_int(j, "denoise_size", s.denoise_size);
  s.denoise_strength = optional_float(j, "denoise_strength", s.denoise_strength);
  validate(s);
  return s;
}

InputSpec imagenet_spec(int resize, int crop, const std::string& interpolation) {
  InputSpec s;
  s.height = s.width = crop;
  s.resize = resize;
  s.interpolation = interpolation;
  s.mean = {0.485f, 0.456f, 0.406f};
  s.std = {0.229f, 0.224f, 0.225f};
  return s;
}

InputSpec caffe_spec(int resize, int crop) {
  InputSpec s;
  s.height = s.width = crop;
  s.resize = resize;
  s.interpolation = "bilinear";
  s.bgr = true;
  s.scale = 1.0f;
  s.mean = {104.f, 117.f, 123.f};
  s.std = {1.f, 1.f, 1.f};
  return s;
}

// ---- Pillow-compatible resampling -------------------------------------------------------------

namespace {

// Pillow's filters (Resample.c): the function and its support at scale 1.
double bilinear_filter(double x) {
  if (x < 0.0) x = -x;
  return x < 1.0 ? 1.0 - x : 0.0;
}

double bicubic_filter(double x) {
  constexpr double a = -0.5;
  if (x < 0.0) x = -x;
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
  if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
  return 0.0;
}

constexpr int kPrecisionBits = 32 - 8 - 2;  // Pillow's PRECISION_BITS: room for negative lobes and overflow

// For each output pixel along one axis: the first input pixel, how many, and their fixed-point weights.
struct AxisCoeffs {
  int ksize = 0;                 // weights per output pixel (some trailing ones zero)
  std::vector<int> first, count;
  std::vector<int32_t> weights;  // out_size * ksize
};

// Pillow's precompute_coeffs + normalize_coeffs_8bpc, for the box (0, in_size).
AxisCoeffs axis_coeffs(int in_size, int out_size, ResampleFilter filter) {
  double (*fn)(double) = filter == ResampleFilter::kBilinear ? bilinear_filter : bicubic_filter;
  const double filter_support = filter == ResampleFilter::kBilinear ? 1.0 : 2.0;
  const double scale = double(in_size) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = filter_support * filterscale;
  AxisCoeffs c;
  c.ksize = int(std::ceil(support)) * 2 + 1;
  c.first.resize(out_size);
  c.count.resize(out_size);
  c.weights.assign(size_t(out_size) * c.ksize, 0);
  std::vector<double> w(c.ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    const int xmin = std::max(int(center - support + 0.5), 0);  // truncation, as Pillow's (int) casts
    // (never more than ksize; the bound only keeps the writes below in range)
    const int xmax = std::min(std::min(int(center + support + 0.5), in_size) - xmin, c.ksize);
    double ww = 0.0;
    for (int x = 0; x < xmax; ++x) {
      w[x] = fn((x + xmin - center + 0.5) * ss);
      ww += w[x];
    }
    int32_t* k = &c.weights[size_t(xx) * c.ksize];
    for (int x = 0; x < xmax; ++x) {
      const double v = ww != 0.0 ? w[x] / ww : w[x];
      k[x] = int32_t(v < 0 ? -0.5 + v * (1 << kPrecisionBits) : 0.5 + v * (1 << kPrecisionBits));
    }
    c.first[xx] = xmin;
    c.count[xx] = std::max(xmax, 0);
  }
  return c;
}

inline uint8_t clip8(int32_t v) {
  v >>= kPrecisionBits;  // arithmetic shift, as Pillow's lookup table index
  return uint8_t(v < 0 ? 0 : v > 255 ? 255 : v);
}

// Horizontal pass over `rows` input rows from `y_first`: output columns [x0, x1) into dst.
template <int C>
void resample_rows(const cv::Mat& src, int y_first, const AxisCoeffs& cx, int x0, int x1, cv::Mat& dst) {
  constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
  for (int r = 0; r < dst.rows; ++r) {
    const uint8_t* in = src.ptr<uint8_t>(y_first + r);
    uint8_t* out = dst.ptr<uint8_t>(r);
    for (int xx = x0; xx < x1; ++xx) {
      const int n = cx.count[xx];
      const int32_t* k = &cx.weights[size_t(xx) * cx.ksize];
      const uint8_t* p = in + size_t(cx.first[xx]) * C;
      int32_t sum[C];
      for (int ch = 0; ch < C; ++ch) sum[ch] = kHalf;
      for (int i = 0; i < n; ++i)
        for (int ch = 0; ch < C; ++ch) sum[ch] += int32_t(p[i * C + ch]) * k[i];
      for (int ch = 0; ch < C; ++ch) *out++ = clip8(sum[ch]);
    }
  }
}

// Vertical pass: output rows [y0, y1) of `dst` from `src`, whose row 0 is input row `y_first`.
void resample_columns(const cv::Mat& src, int y_first, const AxisCoeffs& cy, int y0, cv::Mat& dst) {
  constexpr int32_t kHalf = 1 << (kPrecisionBits - 1);
  const int n_values = src.cols * src.channels();
  std::vector<int32_t> acc(n_values);
  for (int r = 0; r < dst.rows; ++r) {
    const int yy = y0 + r;
    const int32_t* k = &cy.weights[size_t(yy) * cy.ksize];
    std::fill(acc.begin(), acc.end(), kHalf);
    for (int i = 0; i < cy.count[yy]; ++i) {  // row by row, so the inner loop vectorises
      const uint8_t* in = src.ptr<uint8_t>(cy.first[yy] - y_first + i);
      const int32_t w = k[i];
      for (int v = 0; v < n_values; ++v) acc[v] += int32_t(in[v]) * w;
    }
    uint8_t* out = dst.ptr<uint8_t>(r);
    for (int v = 0; v < n_values; ++v) out[v] = clip8(acc[v]);
  }
}

// Pillow's NEAREST (ImagingScaleAffine): the source index of each output pixel along one axis,
// with the position accumulated step by step in double exactly as Pillow does; -1 past the input
// (Pillow leaves such pixels 0; it only happens if rounding ever carried the last one past the end).
std::vector<int> nearest_index(int in_size, int out_size) {
  std::vector<int> index(out_size);
  const double step = double(in_size) / out_size;
  double pos = step * 0.5;
  for (int x = 0; x < out_size; ++x) {
    const int i = pos < 0.0 ? -1 : int(pos);
    index[x] = i < in_size ? i : -1;
    pos += step;
  }
  return index;
}

cv::Mat resample_nearest(const cv::Mat& image, cv::Size size, cv::Rect crop) {
  const std::vector<int> xs = nearest_index(image.cols, size.width), ys = nearest_index(image.rows, size.height);
  const size_t pixel = image.elemSize();
  cv::Mat out(crop.size(), image.type(), cv::Scalar::all(0));
  for (int r = 0; r < crop.height; ++r) {
    const int y = ys[crop.y + r];
    if (y < 0) continue;
    const uint8_t* in = image.ptr<uint8_t>(y);
    uint8_t* o = out.ptr<uint8_t>(r);
    for (int c = 0; c < crop.width; ++c) {
      const int x = xs[crop.x + c];
      if (x >= 0) std::memcpy(o + c * pixel, in + x * pixel, pixel);
    }
  }
  return out;
}

}  // namespace

cv::Mat resample(const cv::Mat& image, cv::Size size, ResampleFilter filter, cv::Rect crop) {
  TLAB_CHECK(image.depth() == CV_8U && image.channels() >= 1 && image.channels() <= 4 && !image.empty(),
             "resample: expected a non-empty uint8 image with 1 to 4 channels, got type ", image.type(), " size ",
             image.cols, "x", image.rows);
  TLAB_CHECK(size.width > 0 && size.height > 0, "resample: output size must be positive, got ", size.width, "x",
             size.height);
  if (crop.empty()) crop = cv::Rect(0, 0, size.width, size.height);
  TLAB_CHECK((crop & cv::Rect(0, 0, size.width, size.height)) == crop, "resample: crop ", crop.width, "x", crop.height,
             " at (", crop.x, ", ", crop.y, ") is outside the ", size.width, "x", size.height, " output");
  if (filter == ResampleFilter::kNearest) return resample_nearest(image, size, crop);
  const int channels = image.channels();
  const bool need_x = size.width != image.cols, need_y = size.height != image.rows;

  // The input rows the cropped output rows read (all of them when there is no vertical pass).
  AxisCoeffs cy;
  int y_first = crop.y, y_last = crop.y + crop.height;
  if (need_y) {
    cy = axis_coeffs(image.rows, size.height, filter);
    y_first = image.rows;
    y_last = 0;
    for (int yy = crop.y; yy < crop.y + crop.height; ++yy) {
      y_first = std::min(y_first, cy.first[yy]);
      y_last = std::max(y_last, cy.first[yy] + cy.count[yy]);
    }
    y_last = std::max(y_last, y_first);
  }

  cv::Mat rows;  // horizontally resampled input rows [y_first, y_last), cropped columns only
  if (need_x) {
    const AxisCoeffs cx = axis_coeffs(image.cols, size.width, filter);
    rows.create(y_last - y_first, crop.width, CV_8UC(channels));
    const int x0 = crop.x, x1 = crop.x + crop.width;
    switch (channels) {
      case 1: resample_rows<1>(image, y_first, cx, x0, x1, rows); break;
      case 2: resample_rows<2>(image, y_first, cx, x0, x1, rows); break;
      case 3: resample_rows<3>(image, y_first, cx, x0, x1, rows); break;
      default: resample_rows<4>(image, y_first, cx, x0, x1, rows); break;
    }
  } else {
    rows = image(cv::Rect(crop.x, y_first, crop.width, y_last - y_first));
  }
  if (!need_y) return need_x ? rows : rows.clone();
  cv::Mat out(crop.height, crop.width, CV_8UC(channels));
  resample_columns(rows, y_first, cy, crop.y, out);
  return out;
}

// ---- Preprocessing ---------------------------------------------------------------------------

namespace {

const char* const kInterpolations = "auto, bilinear, bicubic, nearest or area";
const char* const kDenoiseMethods = "none, gaussian, median, bilateral or nlmeans";

// Python's round(d / 2) for d >= 0: a tie (odd d) goes to the even neighbour.
int half_to_even(int d) {
  const int half = d / 2;
  return d % 2 == 1 && half % 2 == 1 ? half + 1 : half;
}

// Resizes to `size` and returns the part `crop`, with the spec's interpolation.
// torchvision Resize(int): the shorter side becomes `side`, the longer keeps the aspect ratio
// (its size is truncated, as torchvision does).
cv::Size shorter_side_size(cv::Size in, int side) {
  const bool portrait = in.height > in.width;
  const int short_side = portrait ? in.width : in.height, long_side = portrait ? in.height : in.width;
  const int new_long = int(double(side) * long_side / short_side);
  return portrait ? cv::Size(side, new_long) : cv::Size(new_long, side);
}

cv::Mat resize_crop(const cv::Mat& img, cv::Size size, cv::Rect crop, const std::string& name, bool shrinking) {
  if (name == "bilinear" || (name == "auto" && !shrinking)) return resample(img, size, ResampleFilter::kBilinear, crop);
  if (name == "bicubic") return resample(img, size, ResampleFilter::kBicubic, crop);
  if (name == "nearest") return resample(img, size, ResampleFilter::kNearest, crop);
  cv::Mat resized;  // "area", and "auto" when shrinking
  cv::resize(img, resized, size, 0, 0, cv::INTER_AREA);
  return resized(crop);
}

cv::Mat denoised(const cv::Mat& img, const InputSpec& s) {
  if (s.denoise == "none") return img;
  cv::Mat out;
  if (s.denoise == "gaussian") {
    const int k = s.denoise_size > 0 ? s.denoise_size : 5;
    cv::GaussianBlur(img, out, cv::Size(k, k), s.denoise_strength, s.denoise_strength);
  } else if (s.denoise == "median") {
    cv::medianBlur(img, out, s.denoise_size > 0 ? s.denoise_size : 3);
  } else if (s.denoise == "bilateral") {
    const double sigma = s.denoise_strength > 0 ? s.denoise_strength : 75.0;
    cv::bilateralFilter(img, out, s.denoise_size > 0 ? s.denoise_size : 9, sigma, sigma);
  } else {  // nlmeans
    const float h = s.denoise_strength > 0 ? s.denoise_strength : 10.f;
    const int search = s.denoise_size > 0 ? s.denoise_size : 21;
    if (img.channels() == 1) {
      cv::fastNlMeansDenoising(img, out, h, 7, search);
    } else {
      // The coloured variant works in Lab converted from BGR: give it BGR.
      cv::Mat bgr;
      cv::cvtColor(img, bgr, cv::COLOR_RGB2BGR);
      cv::fastNlMeansDenoisingColored(bgr, out, h, h, 7, search);
      cv::cvtColor(out, out, cv::COLOR_BGR2RGB);
    }
  }
  return out;
}

}  // namespace

void validate(const InputSpec& spec) {
  TLAB_CHECK(spec.channels == 1 || spec.channels == 3, "input spec: channels must be 1 or 3, got ", spec.channels);
  TLAB_CHECK(spec.height > 0 && spec.width > 0, "input spec: size must be positive, got ", spec.height, "x", spec.width);
  TLAB_CHECK(spec.resize >= 0, "input spec: resize must be >= 0, got ", spec.resize);
  TLAB_CHECK(spec.mean.empty() || int(spec.mean.size()) == spec.channels, "input spec: ", spec.mean.size(),
             " mean values for ", spec.channels, " channels");
  TLAB_CHECK(spec.std.empty() || int(spec.std.size()) == spec.channels, "input spec: ", spec.std.size(),
             " std values for ", spec.channels, " channels");
  const std::string& interp = spec.interpolation;
  TLAB_CHECK(interp == "auto" || interp == "bilinear" || interp == "bicubic" || interp == "nearest" || interp == "area",
             "input spec: interpolation: expected ", kInterpolations, ", got '", interp, "'");

  const std::string& m = spec.denoise;
  TLAB_CHECK(m == "none" || m == "gaussian" || m == "median" || m == "bilateral" || m == "nlmeans",
             "input spec: denoise: expected ", kDenoiseMethods, ", got '", m, "'");
  const int size = spec.denoise_size;
  const float strength = spec.denoise_strength;
  TLAB_CHECK(size >= 0 && size <= 255, "input spec: denoise_size must be 0 (the method's default) to 255, got ", size);
  TLAB_CHECK(std::isfinite(strength) && strength >= 0, "input spec: denoise_strength must be >= 0 (0: the method's default), got ",
             strength);
  if (m == "none")
    TLAB_CHECK(size == 0 && strength == 0, "input spec: denoise_size ", size, " / denoise_strength ", strength,
               " are set but denoise is 'none'; choose a method (", kDenoiseMethods, ") or leave them 0");
  if (m == "gaussian" || m == "median" || m == "nlmeans")
    TLAB_CHECK(size == 0 || size % 2 == 1, "input spec: denoise ", m, " needs an odd denoise_size (",
               m == "nlmeans" ? "search window" : "kernel side", "), got ", size);
  if (m == "median")
    TLAB_CHECK(size != 1 && strength == 0, "input spec: denoise median takes an aperture (denoise_size, odd, >= 3) ",
               "and no strength; got size ", size, ", strength ", strength);
}

cv::Mat resize_and_crop(const cv::Mat& image, const InputSpec& spec) {
  TLAB_CHECK(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3 || image.channels() == 4),
             "preprocess: expected a uint8 image with 1, 3 or 4 channels, got type ", image.type());
  TLAB_CHECK(!image.empty(), "preprocess: the image is empty");
  validate(spec);
  cv::Mat img = image;
  if (img.channels() != spec.channels) {
    cv::Mat converted;
    if (spec.channels == 1)
      cv::cvtColor(img, converted, img.channels() == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
    else
      cv::cvtColor(img, converted, img.channels() == 4 ? cv::COLOR_RGBA2RGB : cv::COLOR_GRAY2RGB);
    img = converted;
  }
  img = denoised(img, spec);
  if (spec.resize > 0) {
    const cv::Size size = shorter_side_size(img.size(), spec.resize);
    const int short_side = std::min(img.rows, img.cols);
    TLAB_CHECK(size.height >= spec.height && size.width >= spec.width, "preprocess: centre crop ", spec.height, "x",
               spec.width, " is larger than the resized image ", size.height, "x", size.width);
    // torchvision CenterCrop: top = int(round((H - h) / 2)), Python's round: ties to even.
    const int top = half_to_even(size.height - spec.height), left = half_to_even(size.width - spec.width);
    const cv::Rect crop(left, top, spec.width, spec.height);
    if (size == img.size()) return img(crop);
    return resize_crop(img, size, crop, spec.interpolation, short_side > spec.resize);
  }
  const cv::Size size(spec.width, spec.height);
  if (img.size() == size) return img;
  const bool shrink = img.rows > spec.height && img.cols > spec.width;
  return resize_crop(img, size, cv::Rect(0, 0, size.width, size.height), spec.interpolation, shrink);
}

cv::Mat resize_shorter_side(const cv::Mat& image, int side, const std::string& interpolation) {
  TLAB_CHECK(side > 0, "resize_shorter_side: side must be positive, got ", side);
  const cv::Size size = shorter_side_size(image.size(), side);
  if (size == image.size()) return image;
  return resize_crop(image, size, cv::Rect(cv::Point(), size), interpolation, std::min(image.rows, image.cols) > side);
}

void to_chw_float(const cv::Mat& image, const InputSpec& spec, float* out) {
  const cv::Mat img = resize_and_crop(image, spec);
  const int c_count = spec.channels;
  float scale[3], shift[3];
  for (int c = 0; c < c_count; ++c) {
    const float m = spec.mean.empty() ? 0.f : spec.mean[c];
    const float s = spec.std.empty() ? 1.f : spec.std[c];
    scale[c] = spec.scale / s;
    shift[c] = -m / s;
  }
  const size_t plane = static_cast<size_t>(spec.height) * spec.width;
  for (int y = 0; y < spec.height; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(y);
    for (int x = 0; x < spec.width; ++x)
      for (int c = 0; c < c_count; ++c) {
        const int src = (spec.bgr && c_count == 3) ? 2 - c : c;  // the image is RGB
        out[c * plane + static_cast<size_t>(y) * spec.width + x] = row[x * c_count + src] * scale[c] + shift[c];
      }
  }
}

}  // namespace tlab::transforms

