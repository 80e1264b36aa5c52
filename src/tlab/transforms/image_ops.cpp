#include "tlab/transforms/image_ops.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>

#include "tlab/core/error.h"

namespace tlab::transforms {

namespace {

void check_image(const cv::Mat& image, const char* what) {
  TLAB_CHECK(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3), what,
             ": expected a uint8 image with 1 or 3 channels, got type ", image.type());
}

// PIL's Image.blend result for one value: a + f (b - a) in float, truncated, clipped to 0..255.
inline uint8_t blend_value(float a, float b, float f) {
  const float v = a + f * (b - a);
  return v <= 0.f ? 0 : v >= 255.f ? 255 : static_cast<uint8_t>(v);
}

cv::Mat apply_lut(const cv::Mat& image, const std::array<uint8_t, 256>& table) {
  cv::Mat lut(1, 256, CV_8U, const_cast<uint8_t*>(table.data()));
  cv::Mat out;
  cv::LUT(image, lut, out);
  return out;
}

// Blend of the image with a constant `c` (the degenerate image): out = c + f (x - c).
cv::Mat blend_constant(const cv::Mat& image, float c, float f) {
  std::array<uint8_t, 256> t;
  for (int x = 0; x < 256; ++x) t[x] = blend_value(c, float(x), f);
  return apply_lut(image, t);
}

// out = blend(degenerate, image, f) element by element (same size, type and channels), as
// f * image + (1 - f) * degenerate with OpenCV's vectorised addWeighted. Its rounding becomes
// PIL's truncation through gamma = -0.5 + 1/1024 (the 1/1024 absorbs float error, so values that
// are integers, e.g. where image == degenerate, stay exact).
cv::Mat blend_images(const cv::Mat& degenerate, const cv::Mat& image, double f) {
  cv::Mat out;
  cv::addWeighted(image, f, degenerate, 1.0 - f, -0.5 + 1.0 / 1024, out);
  return out;
}

cv::Mat grey_of(const cv::Mat& image) {
  if (image.channels() == 1) return image;
  cv::Mat grey;
  cv::cvtColor(image, grey, cv::COLOR_RGB2GRAY);
  return grey;
}

// Per-channel histograms of a uint8 image.
std::vector<std::array<int64_t, 256>> histograms(const cv::Mat& image) {
  const int cn = image.channels();
  std::vector<std::array<int64_t, 256>> h(cn);
  std::array<std::array<int32_t, 256>, 3> counts{};
  for (int y = 0; y < image.rows; ++y) {
    const uint8_t* s = image.ptr<uint8_t>(y);
    if (cn == 3) {
      for (int x = 0; x < image.cols; ++x, s += 3) {
        ++counts[0][s[0]];
        ++counts[1][s[1]];
        ++counts[2][s[2]];
      }
    } else {
      for (int x = 0; x < image.cols; ++x) ++counts[0][s[x]];
    }
  }
  for (int c = 0; c < cn; ++c) std::copy(counts[c].begin(), counts[c].end(), h[c].begin());
  return h;
}

// One lookup table per channel, applied with cv::LUT.
cv::Mat apply_channel_luts(const cv::Mat& image, const std::vector<std::array<uint8_t, 256>>& tables) {
  const int cn = image.channels();
  cv::Mat lut(1, 256, CV_8UC(cn));
  for (int x = 0; x < 256; ++x)
    for (int c = 0; c < cn; ++c) lut.ptr<uint8_t>(0)[x * cn + c] = tables[c][x];
  cv::Mat out;
  cv::LUT(image, lut, out);
  return out;
}

}  // namespace

cv::Mat adjust_brightness(const cv::Mat& image, double factor) {
  check_image(image, "adjust_brightness");
  TLAB_CHECK(factor >= 0, "adjust_brightness: factor must be >= 0, got ", factor);
  return blend_constant(image, 0.f, float(factor));
}

cv::Mat adjust_contrast(const cv::Mat& image, double factor) {
  check_image(image, "adjust_contrast");
  TLAB_CHECK(factor >= 0, "adjust_contrast: factor must be >= 0, got ", factor);
  // PIL: mean = int(ImageStat.Stat(image.convert("L")).mean[0] + 0.5)
  const double mean = cv::mean(grey_of(image))[0];
  return blend_constant(image, float(int(mean + 0.5)), float(factor));
}

cv::Mat adjust_saturation(const cv::Mat& image, double factor) {
  check_image(image, "adjust_saturation");
  TLAB_CHECK(factor >= 0, "adjust_saturation: factor must be >= 0, got ", factor);
  if (image.channels() == 1) return image.clone();
  cv::Mat degenerate;  // image.convert("L").convert("RGB")
  cv::cvtColor(grey_of(image), degenerate, cv::COLOR_GRAY2RGB);
  return blend_images(degenerate, image, factor);
}

cv::Mat adjust_hue(const cv::Mat& image, double hue) {
  check_image(image, "adjust_hue");
  TLAB_CHECK(hue >= -0.5 && hue <= 0.5, "adjust_hue: hue must be in [-0.5, 0.5], got ", hue);
  if (image.channels() == 1) return image.clone();
  // torchvision: np_h += np.uint8(hue_factor * 255), uint8 arithmetic wrapping around.
  const uint8_t shift = static_cast<uint8_t>(static_cast<int>(hue * 255) & 0xFF);
  cv::Mat hsv;
  cv::cvtColor(image, hsv, cv::COLOR_RGB2HSV_FULL);  // 8-bit: H in 0..255 per turn, as PIL
  if (shift != 0) {
    for (int y = 0; y < hsv.rows; ++y) {
      uint8_t* p = hsv.ptr<uint8_t>(y);
      for (int x = 0; x < hsv.cols; ++x) p[3 * x] = static_cast<uint8_t>(p[3 * x] + shift);
    }
  }
  cv::Mat out;
  cv::cvtColor(hsv, out, cv::COLOR_HSV2RGB_FULL);
  return out;
}

cv::Mat adjust_sharpness(const cv::Mat& image, double factor) {
  check_image(image, "adjust_sharpness");
  TLAB_CHECK(factor >= 0, "adjust_sharpness: factor must be >= 0, got ", factor);
  if (image.rows < 3 || image.cols < 3) return image.clone();  // no interior: SMOOTH is the identity
  const cv::Matx33f kernel(1, 1, 1, 1, 5, 1, 1, 1, 1);
  cv::Mat smooth;
  cv::filter2D(image, smooth, -1, cv::Mat(kernel * (1.f / 13)), cv::Point(-1, -1), 0, cv::BORDER_REPLICATE);
  // PIL's 3x3 filter leaves the outermost rows and columns as they were.
  image.row(0).copyTo(smooth.row(0));
  image.row(image.rows - 1).copyTo(smooth.row(image.rows - 1));
  image.col(0).copyTo(smooth.col(0));
  image.col(image.cols - 1).copyTo(smooth.col(image.cols - 1));
  return blend_images(smooth, image, factor);
}

cv::Mat posterize(const cv::Mat& image, int bits) {
  check_image(image, "posterize");
  TLAB_CHECK(bits >= 0 && bits <= 8, "posterize: bits must be in [0, 8], got ", bits);
  const int mask = ~((1 << (8 - bits)) - 1) & 0xFF;
  std::array<uint8_t, 256> t;
  for (int x = 0; x < 256; ++x) t[x] = static_cast<uint8_t>(x & mask);
  return apply_lut(image, t);
}

cv::Mat solarize(const cv::Mat& image, double threshold) {
  check_image(image, "solarize");
  std::array<uint8_t, 256> t;
  for (int x = 0; x < 256; ++x) t[x] = static_cast<uint8_t>(x < threshold ? x : 255 - x);
  return apply_lut(image, t);
}

cv::Mat autocontrast(const cv::Mat& image) {
  check_image(image, "autocontrast");
  const auto hist = histograms(image);
  std::vector<std::array<uint8_t, 256>> tables(hist.size());
  for (size_t c = 0; c < hist.size(); ++c) {
    int lo = 0, hi = 255;
    while (lo < 256 && hist[c][lo] == 0) ++lo;
    while (hi >= 0 && hist[c][hi] == 0) --hi;
    auto& t = tables[c];
    if (hi <= lo) {
      for (int x = 0; x < 256; ++x) t[x] = static_cast<uint8_t>(x);
      continue;
    }
    const double scale = 255.0 / (hi - lo), offset = -lo * scale;
    for (int x = 0; x < 256; ++x) t[x] = static_cast<uint8_t>(std::clamp(int(x * scale + offset), 0, 255));
  }
  return apply_channel_luts(image, tables);
}

cv::Mat equalize(const cv::Mat& image) {
  check_image(image, "equalize");
  const auto hist = histograms(image);
  std::vector<std::array<uint8_t, 256>> tables(hist.size());
  for (size_t c = 0; c < hist.size(); ++c) {
    const auto& h = hist[c];
    auto& t = tables[c];
    for (int x = 0; x < 256; ++x) t[x] = static_cast<uint8_t>(x);
    // PIL ImageOps.equalize: step = (sum of the non-zero bins - the last non-zero bin) // 255
    int64_t total = 0, last = 0, nonzero = 0;
    for (int x = 0; x < 256; ++x)
      if (h[x]) {
        total += h[x];
        last = h[x];
        ++nonzero;
      }
    if (nonzero <= 1) continue;
    const int64_t step = (total - last) / 255;
    if (step == 0) continue;
    int64_t n = step / 2;
    for (int x = 0; x < 256; ++x) {
      t[x] = static_cast<uint8_t>(std::min<int64_t>(n / step, 255));
      n += h[x];
    }
  }
  return apply_channel_luts(image, tables);
}

cv::Mat affine_nearest(const cv::Mat& image, double angle, cv::Point2d translate, double scale, cv::Point2d shear,
                       cv::Point2d center, double fill) {
  check_image(image, "affine");
  TLAB_CHECK(scale > 0, "affine: scale must be > 0, got ", scale);
  // torchvision _get_inverse_affine_matrix (inverted): M^-1 = C * RSS^-1 * C^-1 * T^-1.
  const double rot = angle * CV_PI / 180, sx = shear.x * CV_PI / 180, sy = shear.y * CV_PI / 180;
  const double a = std::cos(rot - sy) / std::cos(sy);
  const double b = -std::cos(rot - sy) * std::tan(sx) / std::cos(sy) - std::sin(rot);
  const double c = std::sin(rot - sy) / std::cos(sy);
  const double d = -std::sin(rot - sy) * std::tan(sx) / std::cos(sy) + std::cos(rot);
  double m[6] = {d / scale, -b / scale, 0, -c / scale, a / scale, 0};
  const double cx = center.x, cy = center.y, tx = translate.x, ty = translate.y;
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx;
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy;
  // PIL samples output pixel (x, y) at M (x + 0.5, y + 0.5) and takes the pixel covering that
  // point; in pixel-index coordinates (centres at integers) the offset becomes M (0.5, 0.5) - 0.5.
  const cv::Matx23d idx(m[0], m[1], m[2] + 0.5 * (m[0] + m[1]) - 0.5,  //
                        m[3], m[4], m[5] + 0.5 * (m[3] + m[4]) - 0.5);
  cv::Mat out;
  cv::warpAffine(image, out, idx, image.size(), cv::INTER_NEAREST | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                 cv::Scalar::all(fill));
  return out;
}

}  // namespace tlab::transforms
