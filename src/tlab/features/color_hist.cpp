#include "tlab/features/color_hist.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "tlab/core/error.h"

// rgb2hsv follows skimage 0.19.3's color/colorconv.py in double, operation for operation, so a hue
// that lands on a bin edge lands there in both; the bins follow numpy 1.24's np.histogram.
namespace tlab::features {
namespace {

// np.histogram's uniform bins over [0, range]: the index from the scaled value, then corrected
// against the np.linspace edges (e_i = i * (range / bins), the last edge exactly `range`), so that
// bin i is [e_i, e_{i+1}) and the last bin also holds `range` itself.
class Bins {
 public:
  Bins(int bins, double range) : bins_(bins), range_(range), step_(range / bins) {}
  int operator()(double v) const {
    int i = int((v / range_) * bins_);  // ((a - first_edge) / norm_denom) * norm_numerator
    if (i == bins_) --i;
    if (v < edge(i)) --i;
    else if (i != bins_ - 1 && v >= edge(i + 1)) ++i;
    return i;
  }

 private:
  double edge(int i) const { return i == bins_ ? range_ : i * step_; }
  int bins_;
  double range_, step_;
};

// A fraction of the pixels per bin, one channel after the other.
std::vector<float> fractions(const std::vector<int64_t>& counts, int64_t pixels) {
  std::vector<float> out(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) out[i] = float(double(counts[i]) / double(pixels));
  return out;
}

// skimage.color.rgb2hsv of one pixel of img_as_float (u * (1 / 255) in double): V the largest
// channel, S the range over V (0 when the range is 0), H from the largest channel (blue over green
// over red when they tie, as the later assignment wins), (h / 6) % 1 with numpy's remainder.
std::array<double, 3> rgb2hsv(const uint8_t* px) {
  constexpr double kScale = 1. / 255;
  const double r = px[0] * kScale, g = px[1] * kScale, b = px[2] * kScale;
  const double v = std::max({r, g, b});
  const double delta = v - std::min({r, g, b});  // arr.ptp(-1)
  if (delta == 0) return {0., 0., v};            // out_s[delta == 0] = 0, out_h[delta == 0] = 0
  double h;
  if (b == v) h = 4. + (r - g) / delta;
  else if (g == v) h = 2. + (b - r) / delta;
  else h = (g - b) / delta;
  double hue = std::fmod(h / 6., 1.);  // npy_divmod: the divisor's sign, a zero remainder is +0
  if (hue == 0) hue = 0.;
  else if (hue < 0) hue += 1.;
  return {hue, delta / v, v};
}

}  // namespace

void validate(const ColorHistOptions& o) {
  TLAB_CHECK(o.bins >= 1 && o.bins <= 256, "--color-bins: expected 1..256 bins per channel (8-bit channels have 256 ",
             "values), found ", o.bins);
  TLAB_CHECK(o.space == "hsv" || o.space == "rgb", "--color-space: expected hsv or rgb, found '", o.space, "'");
}

int color_hist_length(int channels, const ColorHistOptions& o) {
  validate(o);
  TLAB_CHECK(channels == 1 || channels == 3, "color_hist: expected 1 or 3 channels, found ", channels);
  return channels * o.bins;
}

std::vector<float> color_histogram(const cv::Mat& image, const ColorHistOptions& o) {
  validate(o);
  const int channels = image.channels();
  TLAB_CHECK(image.depth() == CV_8U && (channels == 1 || channels == 3) && !image.empty() && image.dims == 2,
             "color_hist: expected a non-empty uint8 image with 1 or 3 channels, found ", image.rows, "x", image.cols,
             " of depth ", image.depth(), " with ", channels, " channels");
  const int n = o.bins;
  std::array<int, 256> byte_bin{};  // the bin of each 8-bit value over [0, 256)
  const Bins over_256(n, 256.);
  for (int u = 0; u < 256; ++u) byte_bin[size_t(u)] = over_256(u);
  std::vector<int64_t> counts(size_t(channels) * n, 0);
  const bool hsv = channels == 3 && o.space == "hsv";
  const Bins over_1(n, 1.);
  for (int r = 0; r < image.rows; ++r) {
    const uint8_t* px = image.ptr<uint8_t>(r);
    for (int c = 0; c < image.cols; ++c, px += channels) {
      if (hsv) {
        const auto values = rgb2hsv(px);
        for (int k = 0; k < 3; ++k) ++counts[size_t(k * n + over_1(values[size_t(k)]))];
      } else {
        for (int k = 0; k < channels; ++k) ++counts[size_t(k * n + byte_bin[px[k]])];
      }
    }
  }
  return fractions(counts, int64_t(image.rows) * image.cols);
}

}  // namespace tlab::features
