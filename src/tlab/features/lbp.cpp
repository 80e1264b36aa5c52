#include "tlab/features/lbp.h"

#include <algorithm>
#include <cmath>

#include "tlab/core/error.h"

// local_binary_pattern mirrors skimage 0.19.3's feature/_texture.pyx (_local_binary_pattern) line
// by line, in double; exact codes also need the compiler not to contract a * b + c into FMAs
// (the build uses no -march).
namespace tlab::features {
namespace {

// The method letter _local_binary_pattern switches on.
char method_letter(const std::string& method) {
  if (method == "default") return 'D';
  if (method == "ror") return 'R';
  if (method == "uniform") return 'U';
  if (method == "nri_uniform") return 'N';
  if (method == "var") return 'V';
  throw UsageError(str_cat("--lbp-method: expected default, ror, uniform, nri_uniform or var, found '", method, "'"));
}

// np.round(x, 5): multiply by 10^5, rint (halves to even), divide by 10^5.
double round5(double x) { return std::nearbyint(x * 100000.0) / 100000.0; }

// _shared/interpolation.pxd bilinear_interpolation, mode 'C' with cval 0: outside reads 0.
double bilinear(const cv::Mat& image, double r, double c) {
  const long minr = long(std::floor(r)), minc = long(std::floor(c));
  const long maxr = long(std::ceil(r)), maxc = long(std::ceil(c));
  const double dr = r - double(minr), dc = c - double(minc);
  const auto pixel = [&](long y, long x) {
    return y < 0 || y >= image.rows || x < 0 || x >= image.cols ? 0.0 : image.at<double>(int(y), int(x));
  };
  const double top = (1 - dc) * pixel(minr, minc) + dc * pixel(minr, maxc);
  const double bottom = (1 - dc) * pixel(maxr, minc) + dc * pixel(maxr, maxc);
  return (1 - dr) * top + dr * bottom;
}

// One pixel's code from its thresholded samples (`on`) and samples (`texture`).
double code(const std::vector<int>& on, const std::vector<double>& texture, char method) {
  const int P = int(on.size());
  if (method == 'V') {  // biased variance, in the pyx's order of operations; 0 gives NaN
    double sum = 0, var = 0;
    for (double t : texture) {
      sum += t;
      var += t * t;
    }
    var = (var - (sum * sum) / P) / P;
    return var != 0 ? var : std::nan("");
  }
  if (method == 'U' || method == 'N') {
    int changes = 0;  // 0/1 changes along the chain, not around it: skimage's range(P - 1)
    for (int i = 0; i < P - 1; ++i) changes += on[size_t(i)] != on[size_t(i + 1)];
    if (method == 'U') return changes <= 2 ? std::count(on.begin(), on.end(), 1) : P + 1;
    if (changes > 2) return P * (P - 1) + 2;
    int ones = 0, first_one = -1, first_zero = -1;
    for (int i = 0; i < P; ++i) {
      if (on[size_t(i)]) {
        ++ones;
        if (first_one == -1) first_one = i;
      } else if (first_zero == -1) {
        first_zero = i;
      }
    }
    if (ones == 0) return 0;
    if (ones == P) return P * (P - 1) + 1;
    const int rotation = first_one == 0 ? ones - first_zero : P - first_one;
    return 1 + (ones - 1) * P + rotation;
  }
  int value = 0;
  for (int i = 0; i < P; ++i) value += on[size_t(i)] << i;  // weights 2 ** arange(P)
  if (method == 'R') {  // the smallest of the P right rotations (_bit_rotate_right)
    int rotated = value, smallest = value;
    for (int i = 1; i < P; ++i) {
      rotated = (rotated >> 1) | ((rotated & 1) << (P - 1));
      smallest = std::min(smallest, rotated);
    }
    value = smallest;
  }
  return value;
}

int bins_of(const LbpOptions& o) {
  const int P = o.points;
  if (o.method == "uniform") return P + 2;
  if (o.method == "nri_uniform") return P * (P - 1) + 3;
  if (o.method == "var") return 16;
  return 1 << P;
}

}  // namespace

void validate(const LbpOptions& o) {
  method_letter(o.method);
  const int most = o.method == "default" || o.method == "ror" ? 16 : 31;
  TLAB_CHECK(o.points >= 1 && o.points <= most, "--lbp-points: expected 1..", most, " samples with --lbp-method ",
             o.method, most == 16 ? " (a 2^P-bin histogram)" : "", ", found ", o.points);
  TLAB_CHECK(o.radius > 0 && std::isfinite(o.radius), "--lbp-radius: expected a radius > 0 pixels, found ", o.radius);
}

cv::Mat local_binary_pattern(const cv::Mat& gray, int P, double R, const std::string& method) {
  const char letter = method_letter(method);
  TLAB_CHECK(P >= 1 && P <= 31, "--lbp-points: expected 1..31 samples (skimage's int32 weights), found ", P);
  TLAB_CHECK(R > 0 && std::isfinite(R), "--lbp-radius: expected a radius > 0 pixels, found ", R);
  TLAB_CHECK(gray.channels() == 1 && !gray.empty(), "lbp: expected a non-empty 1-channel image, found ",
             gray.channels(), " channels, ", gray.rows, "x", gray.cols);
  cv::Mat image;
  gray.convertTo(image, CV_64F);
  // rr = -R * sin(2 pi i / P), cc = R * cos(2 pi i / P), np.round(., 5); R passes through the
  // pyx's `float R` argument, so it is rounded to float first.
  const double r_float = double(float(R));
  const auto samples = static_cast<size_t>(P);
  std::vector<double> rp(samples), cp(samples), texture(samples);
  for (int i = 0; i < P; ++i) {
    const double angle = 2 * M_PI * i / P;
    rp[size_t(i)] = round5(-r_float * std::sin(angle));
    cp[size_t(i)] = round5(r_float * std::cos(angle));
  }
  std::vector<int> on(samples);
  cv::Mat out(image.size(), CV_64F);
  for (int r = 0; r < image.rows; ++r)
    for (int c = 0; c < image.cols; ++c) {
      const double centre = image.at<double>(r, c);
      for (size_t i = 0; i < samples; ++i) {
        texture[i] = bilinear(image, r + rp[i], c + cp[i]);
        on[i] = texture[i] - centre >= 0;  // signed_texture
      }
      out.at<double>(r, c) = code(on, texture, letter);
    }
  return out;
}

std::vector<float> lbp_histogram(const cv::Mat& image, const LbpOptions& o) {
  validate(o);
  const int depth = image.depth();
  TLAB_CHECK((depth == CV_8U || depth == CV_32F || depth == CV_64F) && (image.channels() == 1 || image.channels() == 3),
             "lbp: expected a uint8, float32 or float64 image with 1 or 3 channels, found depth ", depth, " with ",
             image.channels(), " channels");
  // img_as_float: uint8 * (1. / 255) (dtype.py multiplies by the reciprocal); then rgb2gray's
  // `rgb @ coeffs`, summed left to right. BLAS may sum those three products in another order or
  // with FMAs, so the grey can differ from rgb2gray's by an ulp or two (and float32 colour input, which
  // rgb2gray keeps in float32, by float32 rounding); the tests pin the grey to this formula.
  cv::Mat f;
  image.convertTo(f, CV_64F);
  const double scale = depth == CV_8U ? 1. / 255 : 1.;
  cv::Mat grey(image.size(), CV_64F);
  for (int r = 0; r < image.rows; ++r)
    for (int c = 0; c < image.cols; ++c) {
      const double* p = f.ptr<double>(r) + size_t(c) * size_t(f.channels());
      const double red = p[0] * scale;  // the grey itself with one channel
      grey.at<double>(r, c) =
          f.channels() == 1 ? red : (red * 0.2125 + p[1] * scale * 0.7154) + p[2] * scale * 0.0721;
    }
  const cv::Mat codes = local_binary_pattern(grey, o.points, o.radius, o.method);
  const bool var = o.method == "var";
  std::vector<double> counts(size_t(bins_of(o)));
  for (int r = 0; r < codes.rows; ++r)
    for (int c = 0; c < codes.cols; ++c) {
      const double v = codes.at<double>(r, c);
      // var: bin floor(32 sqrt(var)) of 16; the other codes are their own bin.
      const int bin = var ? int(std::min(std::sqrt(std::isnan(v) ? 0. : std::max(v, 0.)) * 32, 15.)) : int(v);
      counts[size_t(bin)] += 1;
    }
  std::vector<float> out(counts.size());
  const double n = double(codes.total());
  for (size_t k = 0; k < counts.size(); ++k) out[k] = float(counts[k] / n);
  return out;
}

}  // namespace tlab::features
