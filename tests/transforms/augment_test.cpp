// The augmentation library: the keras op against hand-computed positions and scipy, the
// torchvision ops, the sample ops, the JSON form, presets, errors, determinism and threads.
#include "tlab/transforms/augment.h"

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>
#include <functional>
#include <thread>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/transforms/image_ops.h"

namespace tlab::transforms {
namespace {

using nlohmann::json;

// ---- helpers ----

cv::Mat black(int h, int w, int channels = 1) { return cv::Mat::zeros(h, w, CV_8UC(channels)); }

// A deterministic, asymmetric, non-periodic pattern.
cv::Mat pattern(int h, int w, int channels = 3, uint32_t seed = 1) {
  cv::Mat m(h, w, CV_8UC(channels));
  std::mt19937 g(seed);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w * channels; ++x) m.ptr<uint8_t>(y)[x] = static_cast<uint8_t>(g() & 0xFF);
  return m;
}

// A smooth image (bounded gradient), for comparisons that tolerate sub-pixel differences.
cv::Mat smooth(int h, int w, int channels = 3) {
  cv::Mat m(h, w, CV_8UC(channels));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < channels; ++c)
        m.ptr<uint8_t>(y)[x * channels + c] =
            cv::saturate_cast<uint8_t>(127.5 + 100 * std::sin(y / 5.0 + c) * std::cos(x / 7.0 - c));
  return m;
}

bool same(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::norm(a, b, cv::NORM_INF) == 0;
}

int max_diff(const cv::Mat& a, const cv::Mat& b) { return int(cv::norm(a, b, cv::NORM_INF)); }

// Intensity centroid (x = column, y = row) of a single-channel image.
cv::Point2d centroid(const cv::Mat& m) {
  const cv::Moments mo = cv::moments(m);
  return {mo.m10 / mo.m00, mo.m01 / mo.m00};
}

// The OpenCV inverse map of a Keras (row, col) matrix, as the implementation must build it.
cv::Matx23d to_cv(const cv::Matx33d& m) { return {m(1, 1), m(1, 0), m(1, 2), m(0, 1), m(0, 0), m(0, 2)}; }

InputSpec spec_of(int h, int w, int channels = 3) {
  InputSpec s;
  s.height = h;
  s.width = w;
  s.channels = channels;
  return s;
}

Augmentation aug(const json& ops, json extra = json::object()) {
  extra["ops"] = ops;
  return Augmentation::from_json(extra);
}

template <typename F>
void expect_invalid(F&& f, std::initializer_list<const char*> parts) {
  try {
    f();
    ADD_FAILURE() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    for (const char* p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

void expect_bad_config(const json& config, std::initializer_list<const char*> parts) {
  expect_invalid([&] { Augmentation::from_json(config); }, parts);
}

// ---- Keras geometry, hand-computed: output(r, c) = input(M (r, c)) ----

TEST(KerasAffine, WidthShiftMovesContentLeftByTy) {
  // 50 x 100, a 3x3 marker at rows 20-22, cols 50-52. ty = 0.1 * width = 10 pixels:
  // output(r, c) = input(r, c + 10), so the marker moves 10 columns to the LEFT (Keras's sign).
  cv::Mat img = black(50, 100);
  img(cv::Rect(50, 20, 3, 3)).setTo(255);
  KerasTransform t;
  t.ty = 0.1 * img.cols;
  const cv::Mat out = apply_keras_transform(img, t);
  cv::Mat expected = black(50, 100);
  expected(cv::Rect(40, 20, 3, 3)).setTo(255);
  EXPECT_TRUE(same(out, expected));
  t.ty = -10;  // and a negative shift moves it right
  expected.setTo(0);
  expected(cv::Rect(60, 20, 3, 3)).setTo(255);
  EXPECT_TRUE(same(apply_keras_transform(img, t), expected));
}

TEST(KerasAffine, HeightShiftMovesContentUpByTx) {
  // tx = 0.1 * height = 5: output(r, c) = input(r + 5, c): rows 20-22 -> 15-17.
  cv::Mat img = black(50, 100);
  img(cv::Rect(50, 20, 3, 3)).setTo(255);
  KerasTransform t;
  t.tx = 0.1 * img.rows;
  cv::Mat expected = black(50, 100);
  expected(cv::Rect(50, 15, 3, 3)).setTo(255);
  EXPECT_TRUE(same(apply_keras_transform(img, t), expected));
}

TEST(KerasAffine, OpShiftRangesMoveAlongOneAxisWithinTheRange) {
  // width_shift_range 0.1 on a 100-wide image: |shift| <= 10 columns, rows untouched; the
  // bilinear warp of a translation keeps the intensity centroid exact up to uint8 rounding.
  cv::Mat img = black(60, 100);
  img(cv::Rect(48, 28, 5, 5)).setTo(200);
  const auto before = centroid(img);
  const auto a = aug({{{"op", "keras"}, {"width_shift_range", 0.1}}});
  const auto b = aug({{{"op", "keras"}, {"height_shift_range", 0.1}}});
  const InputSpec spec = spec_of(60, 100, 1);
  double max_dx = 0, max_dy = 0;
  for (int seed = 0; seed < 40; ++seed) {
    Rng ra(seed), rb(seed);
    const auto ca = centroid(a.apply_image(img, spec, ra)), cb = centroid(b.apply_image(img, spec, rb));
    EXPECT_NEAR(ca.y, before.y, 0.02) << "seed " << seed;
    EXPECT_LE(std::abs(ca.x - before.x), 10.02) << "seed " << seed;
    EXPECT_NEAR(cb.x, before.x, 0.02) << "seed " << seed;
    EXPECT_LE(std::abs(cb.y - before.y), 6.02) << "seed " << seed;
    max_dx = std::max(max_dx, std::abs(ca.x - before.x));
    max_dy = std::max(max_dy, std::abs(cb.y - before.y));
  }
  EXPECT_GT(max_dx, 5);  // the range is used, not just its start
  EXPECT_GT(max_dy, 3);
}

// in(r, c) = 10 (c + 1) + r on a 4 x 6 image; a pure shift by 2 columns either way.
class KerasFillMode : public ::testing::Test {
 protected:
  static cv::Mat image() {
    cv::Mat m(4, 6, CV_8UC1);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 6; ++c) m.at<uint8_t>(r, c) = uint8_t(10 * (c + 1) + r);
    return m;
  }
  // Expected output for shift ty: output(r, c) = in(r, map(c + ty)).
  static cv::Mat expected(double ty, int (*map)(int), int cval = -1) {
    const cv::Mat in = image();
    cv::Mat out(4, 6, CV_8UC1);
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 6; ++c) {
        const int src = c + int(ty);
        out.at<uint8_t>(r, c) = (src < 0 || src > 5) && cval >= 0 ? uint8_t(cval) : in.at<uint8_t>(r, map(src));
      }
    return out;
  }
  static cv::Mat shifted(double ty, const std::string& mode, double cval = 0) {
    KerasTransform t;
    t.ty = ty;
    return apply_keras_transform(image(), t, mode, cval);
  }
};

TEST_F(KerasFillMode, Nearest) {
  auto clamp = [](int c) { return std::clamp(c, 0, 5); };  // a a | a b c d e f | f f
  EXPECT_TRUE(same(shifted(2, "nearest"), expected(2, clamp))) << shifted(2, "nearest");
  EXPECT_TRUE(same(shifted(-2, "nearest"), expected(-2, clamp))) << shifted(-2, "nearest");
  // Hand values: row 0 is 10 20 30 40 50 60; shifted left by 2 -> 30 40 50 60 60 60.
  EXPECT_EQ(shifted(2, "nearest").at<uint8_t>(0, 5), 60);
  EXPECT_EQ(shifted(-2, "nearest").at<uint8_t>(0, 0), 10);
}

TEST_F(KerasFillMode, ConstantUsesCval) {
  EXPECT_TRUE(same(shifted(2, "constant", 7), expected(
                                                  2, [](int c) { return c; }, 7)))
      << shifted(2, "constant", 7);
  EXPECT_TRUE(same(shifted(-2, "constant", 7), expected(
                                                   -2, [](int c) { return c; }, 7)));
  EXPECT_EQ(shifted(2, "constant", 7).at<uint8_t>(3, 4), 7);
  EXPECT_EQ(shifted(2, "constant", 7).at<uint8_t>(3, 3), 63);
}

TEST_F(KerasFillMode, ReflectIsHalfSampleSymmetric) {
  // scipy's reflect: (d c b a | a b c d | d c b a): column 6 -> 5, 7 -> 4, -1 -> 0, -2 -> 1.
  auto reflect = [](int c) { return c < 0 ? -c - 1 : c > 5 ? 11 - c : c; };
  EXPECT_TRUE(same(shifted(2, "reflect"), expected(2, reflect))) << shifted(2, "reflect");
  EXPECT_TRUE(same(shifted(-2, "reflect"), expected(-2, reflect))) << shifted(-2, "reflect");
  // Row 1 is 11 21 31 41 51 61: shifted left by 2 -> 31 41 51 61 61 51.
  EXPECT_EQ(shifted(2, "reflect").at<uint8_t>(1, 4), 61);
  EXPECT_EQ(shifted(2, "reflect").at<uint8_t>(1, 5), 51);
}

TEST_F(KerasFillMode, WrapRepeatsTheImage) {
  auto wrap = [](int c) { return (c + 6) % 6; };  // (a b c d | a b c d | a b c d)
  EXPECT_TRUE(same(shifted(2, "wrap"), expected(2, wrap))) << shifted(2, "wrap");
  EXPECT_TRUE(same(shifted(-2, "wrap"), expected(-2, wrap))) << shifted(-2, "wrap");
  EXPECT_EQ(shifted(2, "wrap").at<uint8_t>(2, 4), 12);   // column 6 wraps to column 0
  EXPECT_EQ(shifted(-2, "wrap").at<uint8_t>(2, 0), 52);  // column -2 wraps to column 4
}

TEST(KerasAffine, TwoHorizontalFlipsAreTheIdentity) {
  const cv::Mat img = pattern(7, 9);
  KerasTransform t;
  t.flip_horizontal = true;
  const cv::Mat once = apply_keras_transform(img, t);
  cv::Mat mirrored;
  cv::flip(img, mirrored, 1);
  EXPECT_TRUE(same(once, mirrored));
  EXPECT_TRUE(same(apply_keras_transform(once, t), img));
  t.flip_horizontal = false;
  t.flip_vertical = true;
  cv::flip(img, mirrored, 0);
  EXPECT_TRUE(same(apply_keras_transform(img, t), mirrored));
}

TEST(KerasAffine, Rotation90IsCvRotateAboutKerasCentre) {
  // theta = 90: M = [[0, -1], [1, 0]] about Keras's centre o = (n/2 + 0.5, n/2 + 0.5) = (11, 11)
  // for n = 21, so output(r, c) = input(22 - c, r). cv::rotate clockwise about the true centre
  // (10, 10) gives cw(r, c) = input(20 - c, r): Keras's result is cw shifted right by 2 columns
  // (its centre is one pixel off the true one), and the first two columns come from the border.
  const int n = 21;
  const cv::Mat img = pattern(n, n, 1);
  KerasTransform t;
  t.theta = 90;
  const cv::Mat out = apply_keras_transform(img, t, "constant", 0);
  cv::Mat cw;
  cv::rotate(img, cw, cv::ROTATE_90_CLOCKWISE);
  EXPECT_TRUE(same(out(cv::Rect(2, 0, n - 2, n)), cw(cv::Rect(0, 0, n - 2, n))));
  EXPECT_EQ(cv::countNonZero(out(cv::Rect(0, 0, 2, n))), 0);  // input rows 22, 21: outside
  EXPECT_EQ(out.at<uint8_t>(0, 2), img.at<uint8_t>(20, 0));
}

TEST(KerasAffine, ZoomTwoShowsMoreAndShrinksContent) {
  // zx = zy = 2 on 101 x 101 (centre 101 / 2 + 0.5 = 51): output(o) = input(2 (o - 51) + 51)
  // = input(2 o - 51). A pixel at input (9, 29) appears at output (30, 40), alone.
  cv::Mat img = black(101, 101);
  img.at<uint8_t>(9, 29) = 200;
  KerasTransform t;
  t.zx = t.zy = 2;
  const cv::Mat out = apply_keras_transform(img, t, "constant");
  EXPECT_EQ(out.at<uint8_t>(30, 40), 200);
  EXPECT_EQ(cv::countNonZero(out), 1);
  // zoom 0.5 magnifies: output(o) = input(0.5 (o - 51) + 51); input (41, 41) is output (31, 31),
  // and output (32, 31) samples input (41.5, 41): half of it, bilinear.
  img.setTo(0);
  img.at<uint8_t>(41, 41) = 200;
  t.zx = t.zy = 0.5;
  const cv::Mat big = apply_keras_transform(img, t, "constant");
  EXPECT_EQ(big.at<uint8_t>(31, 31), 200);
  EXPECT_EQ(big.at<uint8_t>(32, 31), 100);
  EXPECT_EQ(big.at<uint8_t>(31, 32), 100);
  EXPECT_EQ(big.at<uint8_t>(32, 32), 50);
  // On an even side the centre falls between pixels: 100 x 100 has o = 50.5, so zoom 2 reads
  // input (2 r - 50.5, 2 c - 50.5): output (30, 40) gets a quarter of each of 4 pixels.
  cv::Mat even = black(100, 100);
  even(cv::Rect(29, 9, 2, 2)).setTo(200);
  t.zx = t.zy = 2;
  EXPECT_EQ(apply_keras_transform(even, t, "constant").at<uint8_t>(30, 40), 200);
  even.setTo(0);
  even.at<uint8_t>(9, 29) = 200;
  EXPECT_EQ(apply_keras_transform(even, t, "constant").at<uint8_t>(30, 40), 50);
}

TEST(KerasAffine, ShearMovesRowsWithTheColumn) {
  // shear 30 degrees: output(r, c) = input(r - sin(30) (c - 51), cos(30) (c - 51) + 51) for a
  // 101 x 101 image (centre 51). On horizontal stripes in(r, c) = 2 r only the row matters:
  // column 51 is unchanged, column 71 reads 10 rows higher up, column 31 10 rows lower.
  cv::Mat img(101, 101, CV_8UC1);
  for (int r = 0; r < 101; ++r) img.row(r).setTo(2 * r);
  KerasTransform t;
  t.shear = 30;
  const cv::Mat out = apply_keras_transform(img, t, "nearest");
  for (int r = 10; r < 91; ++r) {
    EXPECT_EQ(out.at<uint8_t>(r, 51), 2 * r) << r;
    EXPECT_EQ(out.at<uint8_t>(r, 71), 2 * (r - 10)) << r;
    EXPECT_EQ(out.at<uint8_t>(r, 31), 2 * (r + 10)) << r;
  }
}

TEST(KerasAffine, MatrixIsRotationShiftShearZoomAboutTheCentreTimesFlips) {
  KerasTransform t;
  t.theta = 12;
  t.tx = 3;
  t.ty = -4;
  t.shear = 5;
  t.zx = 1.1;
  t.zy = 0.9;
  const int h = 30, w = 40;
  const double th = 12 * CV_PI / 180, sh = 5 * CV_PI / 180;
  const cv::Matx33d core = cv::Matx33d(std::cos(th), -std::sin(th), 0, std::sin(th), std::cos(th), 0, 0, 0, 1) *
                           cv::Matx33d(1, 0, 3, 0, 1, -4, 0, 0, 1) *
                           cv::Matx33d(1, -std::sin(sh), 0, 0, std::cos(sh), 0, 0, 0, 1) *
                           cv::Matx33d(1.1, 0, 0, 0, 0.9, 0, 0, 0, 1);
  const cv::Matx33d centred =
      cv::Matx33d(1, 0, 15.5, 0, 1, 20.5, 0, 0, 1) * core * cv::Matx33d(1, 0, -15.5, 0, 1, -20.5, 0, 0, 1);
  EXPECT_LT(cv::norm(keras_transform_matrix(t, h, w) - centred), 1e-12);
  t.flip_horizontal = t.flip_vertical = true;
  const cv::Matx33d flips = cv::Matx33d(1, 0, 0, 0, -1, w - 1, 0, 0, 1) * cv::Matx33d(-1, 0, h - 1, 0, 1, 0, 0, 0, 1);
  EXPECT_LT(cv::norm(keras_transform_matrix(t, h, w) - centred * flips), 1e-12);
}

TEST(KerasAffine, GeometryAndFlipsAreOneWarp) {
  // Rotation + shift + zoom + both flips: the result is exactly ONE warpAffine with the composed
  // matrix (bit for bit), and equals warping then flipping (the flip moves whole pixels) up to
  // the warp's fixed-point rounding.
  const cv::Mat img = smooth(40, 50);
  KerasTransform t;
  t.theta = 10;
  t.ty = 3.3;
  t.tx = -2.1;
  t.zx = 1.2;
  t.flip_horizontal = t.flip_vertical = true;
  const cv::Mat out = apply_keras_transform(img, t, "reflect");
  cv::Mat one;
  cv::warpAffine(img, one, to_cv(keras_transform_matrix(t, 40, 50)), img.size(),
                 cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_REFLECT);
  EXPECT_TRUE(same(out, one));
  KerasTransform geometry = t;
  geometry.flip_horizontal = geometry.flip_vertical = false;
  cv::Mat two;
  cv::flip(apply_keras_transform(img, geometry, "reflect"), two, -1);
  EXPECT_LE(max_diff(out, two), 1);
}

TEST(KerasAffine, IdentitySkipsTheWarp) {
  const cv::Mat img = pattern(5, 6);
  const cv::Mat out = apply_keras_transform(img, KerasTransform{});
  EXPECT_EQ(out.data, img.data);  // nothing to do: the same pixels
}

TEST(KerasAffine, MatchesScipyAffineTransform) {
  // Keras's own computation (keras_preprocessing 1.1: scipy.ndimage.affine_transform, order 1,
  // float32) on a smooth image; ours is one OpenCV warp in uint8, so up to rounding (0.5) plus
  // OpenCV's 1/32-pixel grid. scipy's "constant" does not blend the edge pixel with cval in the
  // last half pixel as OpenCV does, so those samples are left out of that comparison; "wrap" is
  // compared with scipy's "grid-wrap" (period = the size; see docs/AUGMENTATION.md).
  const int h = 40, w = 48, c = 3;
  const cv::Mat img = smooth(h, w, c);
  test::TempDir dir;
  {
    std::ofstream f(dir.str("in.raw"), std::ios::binary);
    f.write(reinterpret_cast<const char*>(img.data), std::streamsize(img.total() * img.elemSize()));
  }
  KerasTransform t;
  t.theta = 17;
  t.tx = 3.2;
  t.ty = -5.7;
  t.shear = 8;
  t.zx = 0.9;
  t.zy = 1.15;
  const cv::Matx33d m = keras_transform_matrix(t, h, w);
  for (const std::string mode : {"nearest", "reflect", "constant", "wrap"}) {
    const std::string scipy_mode = mode == "wrap" ? "grid-wrap" : mode;
    const std::string cmd =
        str_cat("/usr/bin/python3 ", TLAB_SOURCE_DIR, "/tests/transforms/keras_reference.py ", dir.str("in.raw"), " ",
                h, " ", w, " ", c, " 17 3.2 -5.7 8 0.9 1.15 ", scipy_mode, " 30 ", dir.str("out.raw"));
    ASSERT_EQ(test::run_command(cmd), 0) << "the scipy reference failed: " << cmd << " (needs python3-scipy)";
    std::vector<float> ref(size_t(h) * w * c);
    std::ifstream f(dir.str("out.raw"), std::ios::binary);
    f.read(reinterpret_cast<char*>(ref.data()), std::streamsize(ref.size() * sizeof(float)));
    ASSERT_TRUE(f.good()) << "short reference output";
    const cv::Mat ours = apply_keras_transform(img, t, mode, 30);
    double worst = 0, total = 0;
    int counted = 0;
    for (int r = 0; r < h; ++r)
      for (int col = 0; col < w; ++col) {
        const double sr = m(0, 0) * r + m(0, 1) * col + m(0, 2), sc = m(1, 0) * r + m(1, 1) * col + m(1, 2);
        const bool inside = sr >= 0 && sr <= h - 1 && sc >= 0 && sc <= w - 1;
        const bool far = sr < -1 || sr > h || sc < -1 || sc > w;
        if (mode == "constant" && !inside && !far) continue;
        for (int k = 0; k < c; ++k) {
          const double d = std::abs(ours.ptr<uint8_t>(r)[col * c + k] - ref[(size_t(r) * w + col) * c + k]);
          worst = std::max(worst, d);
          total += d;
          ++counted;
        }
      }
    // Wrapping joins the last column to the first: a jump of up to ~200 levels, where OpenCV's
    // 1/32-pixel positions alone can cost 200 / 64 ~ 3 levels (a different wrap would cost tens).
    EXPECT_LE(worst, mode == "wrap" ? 3.0 : 1.0) << mode << ": largest |ours - scipy| over " << counted << " values";
    EXPECT_LE(total / counted, 0.3) << mode << ": mean |ours - scipy|";
  }
}

TEST(KerasAffine, ChannelShiftClipsToTheImageRange) {
  // apply_channel_shift: x + intensity clipped to the image's own [min, max] = [50, 150].
  cv::Mat img(1, 3, CV_8UC3);
  img.at<cv::Vec3b>(0, 0) = {50, 100, 150};
  img.at<cv::Vec3b>(0, 1) = {60, 120, 140};
  img.at<cv::Vec3b>(0, 2) = {70, 80, 90};
  KerasTransform t;
  t.channel_shift_intensity = 30;
  const cv::Mat out = apply_keras_transform(img, t);
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0), cv::Vec3b(80, 130, 150));
  EXPECT_EQ(out.at<cv::Vec3b>(0, 1), cv::Vec3b(90, 150, 150));
  EXPECT_EQ(out.at<cv::Vec3b>(0, 2), cv::Vec3b(100, 110, 120));
  t.channel_shift_intensity = -25;
  EXPECT_EQ(apply_keras_transform(img, t).at<cv::Vec3b>(0, 0), cv::Vec3b(50, 75, 125));
}

TEST(KerasAffine, BrightnessStretchesThenScalesAsKeras) {
  // apply_brightness_shift: array_to_img(scale=True) stretches [min, max] to [0, 255] and
  // truncates, then ImageEnhance.Brightness multiplies and truncates:
  // {50, 100, 150} -> {0, 127, 255} -> x 0.5 -> {0, 63, 127}; x 1.5 -> {0, 190, 255}.
  cv::Mat img(1, 3, CV_8UC1);
  img.at<uint8_t>(0, 0) = 50;
  img.at<uint8_t>(0, 1) = 100;
  img.at<uint8_t>(0, 2) = 150;
  KerasTransform t;
  t.brightness = 0.5;
  cv::Mat out = apply_keras_transform(img, t);
  EXPECT_EQ(out.at<uint8_t>(0, 0), 0);
  EXPECT_EQ(out.at<uint8_t>(0, 1), 63);
  EXPECT_EQ(out.at<uint8_t>(0, 2), 127);
  t.brightness = 1.5;
  out = apply_keras_transform(img, t);
  EXPECT_EQ(out.at<uint8_t>(0, 1), 190);
  EXPECT_EQ(out.at<uint8_t>(0, 2), 255);
  // A full-range image is not stretched: brightness is then a plain multiply.
  cv::Mat full(1, 3, CV_8UC1);
  full.at<uint8_t>(0, 0) = 0;
  full.at<uint8_t>(0, 1) = 100;
  full.at<uint8_t>(0, 2) = 255;
  t.brightness = 0.5;
  EXPECT_EQ(apply_keras_transform(full, t).at<uint8_t>(0, 1), 50);
}

TEST(KerasOp, SameSeedSameOutputDifferentSeedDifferent) {
  const auto a = Augmentation::preset("keras");
  const cv::Mat img = pattern(48, 64);
  const InputSpec spec = spec_of(48, 64);
  Rng r1(7), r2(7), r3(8);
  const cv::Mat x = a.apply_image(img, spec, r1), y = a.apply_image(img, spec, r2), z = a.apply_image(img, spec, r3);
  EXPECT_TRUE(same(x, y));
  EXPECT_FALSE(same(x, z));
  EXPECT_EQ(x.size(), cv::Size(64, 48));
}

TEST(KerasOp, FlipOnlyGivesTheImageOrItsMirror) {
  const auto a = aug({{{"op", "keras"}, {"horizontal_flip", true}}});
  const cv::Mat img = pattern(10, 12);
  cv::Mat mirrored;
  cv::flip(img, mirrored, 1);
  int flips = 0;
  for (int seed = 0; seed < 40; ++seed) {
    Rng rng(seed);
    const cv::Mat out = a.apply_image(img, spec_of(10, 12), rng);
    ASSERT_TRUE(same(out, img) || same(out, mirrored)) << "seed " << seed;
    flips += same(out, mirrored);
  }
  EXPECT_GT(flips, 5);
  EXPECT_LT(flips, 35);
}

// ---- torchvision-style ops ----

TEST(AugmentOps, RandomResizedCropGivesTheInputSize) {
  const auto a = aug({{{"op", "random_resized_crop"}}});
  const cv::Mat img = pattern(100, 120);
  for (int channels : {3, 1}) {
    for (int seed = 0; seed < 10; ++seed) {
      Rng rng(seed);
      const cv::Mat out = a.apply_image(img, spec_of(32, 40, channels), rng);
      EXPECT_EQ(out.size(), cv::Size(40, 32));
      EXPECT_EQ(out.channels(), channels);
    }
  }
}

TEST(AugmentOps, RandomResizedCropOfTheWholeSquareIsThePlainResize) {
  // scale (1, 1), ratio (1, 1) on a square: w = h = the side, offsets 0 -> resize of everything.
  const auto a = aug({{{"op", "random_resized_crop"}, {"scale", {1, 1}}, {"ratio", {1, 1}}}});
  const cv::Mat img = pattern(90, 90);
  const InputSpec spec = spec_of(32, 32);
  Rng rng(3);
  EXPECT_TRUE(same(a.apply_image(img, spec, rng), resize_and_crop(img, spec)));
  cv::Mat area;
  cv::resize(img, area, {32, 32}, 0, 0, cv::INTER_AREA);
  Rng rng2(3);
  EXPECT_TRUE(same(a.apply_image(img, spec, rng2), area));
}

TEST(AugmentOps, RandomCropWithPaddingKeepsTheSizeAndShowsAZeroBorder) {
  // A white 32 x 32 image, padding 4 (and 0.125 of the side = 4): the output is the white square
  // shifted by at most 4 pixels each way with zeros around it.
  const cv::Mat white(32, 32, CV_8UC3, cv::Scalar::all(255));
  for (const json padding : {json(4), json(0.125)}) {
    const auto a = aug({{{"op", "random_crop"}, {"padding", padding}}});
    int bordered = 0;
    for (int seed = 0; seed < 30; ++seed) {
      Rng rng(seed);
      const cv::Mat out = a.apply_image(white, spec_of(32, 32), rng);
      ASSERT_EQ(out.size(), cv::Size(32, 32));
      cv::Mat grey;
      cv::cvtColor(out, grey, cv::COLOR_RGB2GRAY);
      const cv::Rect box = cv::boundingRect(grey);
      EXPECT_EQ(cv::countNonZero(grey), box.area()) << "the white part is one rectangle";
      EXPECT_GE(box.width, 28);
      EXPECT_GE(box.height, 28);
      EXPECT_TRUE(box.x == 0 || box.x + box.width == 32);
      EXPECT_TRUE(box.y == 0 || box.y + box.height == 32);
      bordered += box.area() < 32 * 32;
    }
    EXPECT_GT(bordered, 20) << padding;
  }
}

TEST(AugmentOps, RandomCropReflectFill) {
  // padding 2, reflect: the padded row 0 1 2 3 4 5 6 7 is 1 0 | 0 1 ... 7 | 7 6.
  cv::Mat ramp(8, 8, CV_8UC1);
  for (int c = 0; c < 8; ++c) ramp.col(c).setTo(c);
  const auto a = aug({{{"op", "random_crop"}, {"padding", 2}, {"fill_mode", "reflect"}}});
  for (int seed = 0; seed < 20; ++seed) {
    Rng rng(seed);
    const cv::Mat out = a.apply_image(ramp, spec_of(8, 8, 1), rng);
    const int first = out.at<uint8_t>(0, 0);
    static const int padded[12] = {1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 7, 6};
    int offset = -1;
    for (int o = 0; o <= 4; ++o)
      if (std::equal(padded + o, padded + o + 8, out.ptr<uint8_t>(0), [](int a, uint8_t b) { return a == b; }))
        offset = o;
    EXPECT_GE(offset, 0) << "seed " << seed << " first " << first;
  }
}

TEST(AugmentOps, FlipProbabilities) {
  const cv::Mat img = pattern(6, 7);
  cv::Mat h, v;
  cv::flip(img, h, 1);
  cv::flip(img, v, 0);
  Rng rng(1);
  EXPECT_TRUE(same(aug({{{"op", "horizontal_flip"}, {"p", 1.0}}}).apply_image(img, spec_of(6, 7), rng), h));
  EXPECT_TRUE(same(aug({{{"op", "vertical_flip"}, {"p", 1.0}}}).apply_image(img, spec_of(6, 7), rng), v));
  EXPECT_TRUE(same(aug({{{"op", "horizontal_flip"}, {"p", 0.0}}}).apply_image(img, spec_of(6, 7), rng), img));
}

// ---- colour ----

TEST(AugmentColor, BrightnessFactorIsExactOnAFlatImage) {
  const cv::Mat flat(4, 5, CV_8UC3, cv::Scalar::all(100));
  EXPECT_EQ(cv::norm(adjust_brightness(flat, 1.5), cv::Mat(4, 5, CV_8UC3, cv::Scalar::all(150)), cv::NORM_INF), 0);
  EXPECT_EQ(adjust_brightness(flat, 0.5).at<cv::Vec3b>(2, 2), cv::Vec3b(50, 50, 50));
  EXPECT_EQ(adjust_brightness(flat, 3.0).at<cv::Vec3b>(2, 2), cv::Vec3b(255, 255, 255));  // clipped
  // Through color_jitter with a fixed factor ([lo, hi] = [1.25, 1.25]): 125 everywhere.
  const auto a = aug({{{"op", "color_jitter"}, {"brightness", {1.25, 1.25}}}});
  Rng rng(0);
  const cv::Mat out = a.apply_image(flat, spec_of(4, 5), rng);
  EXPECT_EQ(cv::norm(out, cv::Mat(4, 5, CV_8UC3, cv::Scalar::all(125)), cv::NORM_INF), 0);
  // A number v draws a factor in [1 - v, 1 + v]: the image stays flat, within that range.
  const auto b = aug({{{"op", "color_jitter"}, {"brightness", 0.4}}});
  for (int seed = 0; seed < 10; ++seed) {
    Rng r(seed);
    const cv::Mat o = b.apply_image(flat, spec_of(4, 5), r);
    double lo, hi;
    cv::minMaxLoc(o.reshape(1), &lo, &hi);
    EXPECT_EQ(lo, hi);
    EXPECT_GE(lo, 60);
    EXPECT_LE(hi, 140);
  }
}

TEST(AugmentColor, ContrastBlendsWithTheGreyMean) {
  // Half 0, half 200: grey mean 100. Factor 0.5: 100 + 0.5 (x - 100) -> 50 and 150.
  cv::Mat img(2, 2, CV_8UC1);
  img.at<uint8_t>(0, 0) = img.at<uint8_t>(0, 1) = 0;
  img.at<uint8_t>(1, 0) = img.at<uint8_t>(1, 1) = 200;
  const cv::Mat out = adjust_contrast(img, 0.5);
  EXPECT_EQ(out.at<uint8_t>(0, 0), 50);
  EXPECT_EQ(out.at<uint8_t>(1, 1), 150);
  EXPECT_EQ(adjust_contrast(img, 0.0).at<uint8_t>(1, 0), 100);
}

TEST(AugmentColor, SaturationZeroIsGreyscale) {
  const cv::Mat img = pattern(5, 5);
  const cv::Mat out = adjust_saturation(img, 0.0);
  cv::Mat grey;
  cv::cvtColor(img, grey, cv::COLOR_RGB2GRAY);
  for (int y = 0; y < 5; ++y)
    for (int x = 0; x < 5; ++x)
      EXPECT_EQ(out.at<cv::Vec3b>(y, x), cv::Vec3b::all(grey.at<uint8_t>(y, x))) << y << "," << x;
  EXPECT_TRUE(same(adjust_saturation(img, 1.0), img));
}

TEST(AugmentColor, HueHalfTurnMakesRedCyan) {
  // Red: hue 0. +0.5 turn: H = uint8(0.5 * 255) = 127 of 256 (178.6 degrees): (0, 255, ~249).
  const cv::Mat red(1, 1, CV_8UC3, cv::Scalar(255, 0, 0));
  const cv::Vec3b out = adjust_hue(red, 0.5).at<cv::Vec3b>(0, 0);
  EXPECT_EQ(out[0], 0);
  EXPECT_EQ(out[1], 255);
  EXPECT_GE(out[2], 245);
  const auto a = aug({{{"op", "color_jitter"}, {"hue", {0.5, 0.5}}}});
  Rng rng(0);
  EXPECT_EQ(a.apply_image(red, spec_of(1, 1), rng).at<cv::Vec3b>(0, 0), out);
  EXPECT_TRUE(same(adjust_hue(red, 0.0), red));
}

TEST(AugmentColor, GreyImagesIgnoreSaturationAndHue) {
  const cv::Mat grey = pattern(8, 8, 1);
  const auto a = aug({{{"op", "color_jitter"}, {"saturation", 0.9}, {"hue", 0.5}}});
  Rng rng(2);
  EXPECT_TRUE(same(a.apply_image(grey, spec_of(8, 8, 1), rng), grey));
  const auto b =
      aug({{{"op", "color_jitter"}, {"brightness", 0.5}, {"contrast", 0.5}, {"saturation", 0.5}, {"hue", 0.1}}});
  Rng rng2(2);
  const cv::Mat out = b.apply_image(grey, spec_of(8, 8, 1), rng2);
  EXPECT_EQ(out.type(), CV_8UC1);
  EXPECT_FALSE(same(out, grey));
}

TEST(AugmentColor, PosterizeSolarizeAutocontrastEqualize) {
  cv::Mat img(1, 4, CV_8UC1);
  img.at<uint8_t>(0, 0) = 10;
  img.at<uint8_t>(0, 1) = 100;
  img.at<uint8_t>(0, 2) = 130;
  img.at<uint8_t>(0, 3) = 210;
  const cv::Mat p = posterize(img, 2);  // keep the top 2 bits: 0, 64, 128, 192
  EXPECT_EQ(p.at<uint8_t>(0, 1), 64);
  EXPECT_EQ(p.at<uint8_t>(0, 3), 192);
  const cv::Mat s = solarize(img, 128);  // >= 128 inverted
  EXPECT_EQ(s.at<uint8_t>(0, 1), 100);
  EXPECT_EQ(s.at<uint8_t>(0, 2), 125);
  const cv::Mat a = autocontrast(img);  // [10, 210] -> [0, 255]: 100 -> int(90 * 1.275) = 114
  EXPECT_EQ(a.at<uint8_t>(0, 0), 0);
  EXPECT_EQ(a.at<uint8_t>(0, 1), 114);
  EXPECT_EQ(a.at<uint8_t>(0, 3), 255);
  // PIL equalize on 4 distinct values of 1 pixel each: step = (4 - 1) // 255 = 0 -> unchanged.
  EXPECT_TRUE(same(equalize(img), img));
  // 512 pixels, 256 at 10 and 256 at 20: step = 256 // 255 = 1, lut[10] = (0 + 0) // 1 = 0,
  // lut[20] = (0 + 256) // 1 -> 255 (clipped).
  cv::Mat two(2, 256, CV_8UC1);
  two.row(0).setTo(10);
  two.row(1).setTo(20);
  const cv::Mat e = equalize(two);
  EXPECT_EQ(e.at<uint8_t>(0, 0), 0);
  EXPECT_EQ(e.at<uint8_t>(1, 0), 255);
}

TEST(AugmentColor, MatchesTorchvisionOnPil) {
  // torchvision 0.14's functional ops on a PIL image (tests/transforms/torchvision_ops_reference.py)
  // against ours, on a smooth 40 x 48 RGB image. `max` bounds |ours - theirs| per value, `frac`
  // the fraction of values that differ at all. Everything is exact but: saturation (OpenCV's luma
  // weights round differently from PIL's, so the grey differs by 1 now and then), hue (OpenCV's
  // HSV conversion quantises and rounds hue differently from PIL's: a few levels on saturated
  // colours) and a rotation by a non-right angle (a sample landing within float error of a pixel
  // edge may take the other neighbour: any value, but rarely).
  const int h = 40, w = 48;
  const cv::Mat img = smooth(h, w, 3);
  test::TempDir dir;
  {
    std::ofstream f(dir.str("in.raw"), std::ios::binary);
    f.write(reinterpret_cast<const char*>(img.data), std::streamsize(img.total() * img.elemSize()));
  }
  const std::string cmd =
      str_cat("/usr/bin/python3 ", TLAB_SOURCE_DIR, "/tests/transforms/torchvision_ops_reference.py ",
              dir.str("in.raw"), " ", h, " ", w, " ", dir.str());
  ASSERT_EQ(test::run_command(cmd), 0) << "the torchvision reference failed: " << cmd
                                       << " (needs python3-torchvision from scripts/setup.sh)";
  const double deg = 180 / CV_PI;
  const cv::Point2d centre(w * 0.5, h * 0.5), zero(0, 0);
  struct Case {
    const char* name;
    std::function<cv::Mat()> ours;
    int max;
    double frac;
  };
  const std::vector<Case> cases = {
      {"brightness_1.3", [&] { return adjust_brightness(img, 1.3); }, 0, 0},
      {"brightness_0.6", [&] { return adjust_brightness(img, 0.6); }, 0, 0},
      {"contrast_1.4", [&] { return adjust_contrast(img, 1.4); }, 0, 0},
      {"contrast_0.5", [&] { return adjust_contrast(img, 0.5); }, 0, 0},
      {"saturation_1.5", [&] { return adjust_saturation(img, 1.5); }, 1, 0.01},
      {"saturation_0.3", [&] { return adjust_saturation(img, 0.3); }, 1, 0.01},
      {"hue_0.2", [&] { return adjust_hue(img, 0.2); }, 8, 0.5},
      {"hue_-0.3", [&] { return adjust_hue(img, -0.3); }, 8, 0.5},
      {"sharpness_1.8", [&] { return adjust_sharpness(img, 1.8); }, 0, 0},
      {"sharpness_0.2", [&] { return adjust_sharpness(img, 0.2); }, 0, 0},
      {"posterize_3", [&] { return posterize(img, 3); }, 0, 0},
      {"solarize_100", [&] { return solarize(img, 100); }, 0, 0},
      {"autocontrast", [&] { return autocontrast(img); }, 0, 0},
      {"equalize", [&] { return equalize(img); }, 0, 0},
      {"shear_x_0.3",
       [&] {
         return affine_nearest(img, 0, zero, 1, {std::atan(0.3) * deg, 0}, zero);
       },
       0, 0},
      {"shear_y_-0.2",
       [&] {
         return affine_nearest(img, 0, zero, 1, {0, std::atan(-0.2) * deg}, zero);
       },
       0, 0},
      {"translate_x_7.6",
       [&] {
         return affine_nearest(img, 0, {7, 0}, 1, zero, centre);
       },
       0, 0},
      {"translate_y_-5",
       [&] {
         return affine_nearest(img, 0, {0, -5}, 1, zero, centre);
       },
       0, 0},
      {"rotate_25", [&] { return affine_nearest(img, -25, zero, 1, zero, centre); }, 255, 0.003},
      {"rotate_-90", [&] { return affine_nearest(img, 90, zero, 1, zero, centre); }, 0, 0},
  };
  for (const auto& c : cases) {
    cv::Mat theirs(h, w, CV_8UC3);
    std::ifstream f(dir.str(std::string(c.name) + ".raw"), std::ios::binary);
    f.read(reinterpret_cast<char*>(theirs.data), std::streamsize(theirs.total() * theirs.elemSize()));
    ASSERT_TRUE(f.good()) << c.name << ": short reference output";
    const cv::Mat ours = c.ours();
    cv::Mat diff;
    cv::absdiff(ours, theirs, diff);
    const double worst = cv::norm(diff, cv::NORM_INF);
    const double frac = double(cv::countNonZero(diff.reshape(1))) / double(diff.total() * 3);
    EXPECT_LE(worst, c.max) << c.name << " (" << frac * 100 << "% of the values differ)";
    EXPECT_LE(frac, c.frac) << c.name << " (largest difference " << worst << ")";
  }
}

// ---- RandAugment / TrivialAugmentWide ----

TEST(AugmentAuto, RandAugmentAndTrivialAugmentKeepSizeAndType) {
  for (const char* name : {"rand_augment", "trivial_augment_wide"}) {
    const auto a = aug({{{"op", name}}});
    for (int channels : {3, 1}) {
      const cv::Mat img = smooth(36, 44, channels);
      int changed = 0;
      for (int seed = 0; seed < 60; ++seed) {
        Rng rng(seed);
        const cv::Mat out = a.apply_image(img, spec_of(36, 44, channels), rng);
        ASSERT_EQ(out.size(), img.size()) << name;
        ASSERT_EQ(out.type(), img.type()) << name;
        changed += !same(out, img);
        Rng again(seed);
        EXPECT_TRUE(same(out, a.apply_image(img, spec_of(36, 44, channels), again))) << name << " seed " << seed;
      }
      EXPECT_GT(changed, 30) << name << " with " << channels << " channels";
    }
  }
}

TEST(AugmentAuto, TranslateAndShearFollowTorchvision) {
  // TranslateX by +5 (F.affine translate [5, 0]): content moves right, fill 0 on the left.
  const cv::Mat img = pattern(10, 12, 1);
  const cv::Mat moved = affine_nearest(img, 0, {5, 0}, 1, {0, 0}, {6, 5});
  EXPECT_TRUE(same(moved(cv::Rect(5, 0, 7, 10)), img(cv::Rect(0, 0, 7, 10))));
  EXPECT_EQ(cv::countNonZero(moved(cv::Rect(0, 0, 5, 10))), 0);
  // ShearX magnitude 0.5 about the top-left corner (PIL's (1, 0.5, 0, 0, 1, 0)): output (x, y)
  // reads input x + 0.5 (y + 0.5) in PIL's pixel-centre coordinates; row 3 reads 2 columns on.
  const cv::Mat sheared = affine_nearest(img, 0, {0, 0}, 1, {std::atan(0.5) * 180 / CV_PI, 0}, {0, 0});
  EXPECT_TRUE(same(sheared(cv::Rect(0, 3, 10, 1)), img(cv::Rect(2, 3, 10, 1))));
  // Rotate +90 (counter-clockwise, F.rotate) of a square is cv::rotate counter-clockwise.
  const cv::Mat sq = pattern(9, 9, 1);
  cv::Mat ccw;
  cv::rotate(sq, ccw, cv::ROTATE_90_COUNTERCLOCKWISE);
  EXPECT_TRUE(same(affine_nearest(sq, -90, {0, 0}, 1, {0, 0}, {4.5, 4.5}), ccw));
}

// ---- sample ops ----

TEST(AugmentSample, RandomErasingErasesOneRectangleWithinTheScale) {
  const auto a = aug({{{"op", "random_erasing"}, {"p", 1.0}}});
  const InputSpec spec = spec_of(64, 64);
  const cv::Mat img(64, 64, CV_8UC3, cv::Scalar::all(255));  // normalised: 1.0 everywhere
  std::vector<float> out(3 * 64 * 64);
  int erased = 0;
  for (int seed = 0; seed < 30; ++seed) {
    Rng rng(seed);
    a.apply(img, spec, rng, out.data());
    for (int c = 0; c < 3; ++c) {
      cv::Mat plane(64, 64, CV_32F, out.data() + c * 64 * 64);
      cv::Mat zero = plane == 0.f;
      const int n = cv::countNonZero(zero);
      if (n == 0) continue;  // all ten tries failed: torchvision leaves the sample alone
      ++erased;
      const cv::Rect box = cv::boundingRect(zero);
      EXPECT_EQ(n, box.area()) << "seed " << seed << ": the erased pixels form a rectangle";
      // h = round(sqrt(area * ratio)), w = round(sqrt(area / ratio)) with area in
      // [0.02, 0.33] * 64 * 64: so (h - 0.5)(w - 0.5) <= area <= (h + 0.5)(w + 0.5).
      EXPECT_GE((box.height + 0.5) * (box.width + 0.5), 0.02 * 4096) << "seed " << seed;
      EXPECT_LE((box.height - 0.5) * (box.width - 0.5), 0.33 * 4096) << "seed " << seed;
      EXPECT_EQ(cv::countNonZero(plane != 0.f & plane != 1.f), 0);
    }
  }
  EXPECT_GT(erased, 60);
  // value "random": the box holds standard normal values instead.
  const auto r = aug({{{"op", "random_erasing"}, {"p", 1.0}, {"scale", {0.3, 0.33}}, {"value", "random"}}});
  Rng rng(1);
  r.apply(img, spec, rng, out.data());
  double sum = 0, sq = 0;
  int n = 0;
  for (float v : out)
    if (v != 1.f) {
      sum += v;
      sq += double(v) * v;
      ++n;
    }
  ASSERT_GT(n, 3000);
  EXPECT_NEAR(sum / n, 0, 0.1);
  EXPECT_NEAR(std::sqrt(sq / n), 1, 0.1);
}

TEST(AugmentSample, GaussianNoiseStatistics) {
  // std 0.05 in [0, 1] pixel units; the sample is divided by each channel's std, so channel c
  // gets N(0, 0.05 / std_c).
  InputSpec spec = spec_of(128, 128);
  spec.mean = {0.5f, 0.5f, 0.5f};
  spec.std = {0.5f, 0.25f, 0.2f};
  const cv::Mat grey(128, 128, CV_8UC3, cv::Scalar::all(0));  // (0 - 0.5) / std_c everywhere
  const auto a = aug({{{"op", "gaussian_noise"}, {"std", 0.05}}});
  std::vector<float> out(3 * 128 * 128);
  Rng rng(5);
  a.apply(grey, spec, rng, out.data());
  const double n = 128 * 128;
  for (int c = 0; c < 3; ++c) {
    const double base = -0.5 / spec.std[c], expected_std = 0.05 / spec.std[c];
    double sum = 0, sq = 0;
    for (int i = 0; i < 128 * 128; ++i) {
      const double d = out[c * 128 * 128 + i] - base;
      sum += d;
      sq += d * d;
    }
    const double mean = sum / n, sd = std::sqrt(sq / n - mean * mean);
    EXPECT_NEAR(mean, 0, 4 * expected_std / std::sqrt(n)) << "channel " << c;
    EXPECT_NEAR(sd, expected_std, 0.03 * expected_std) << "channel " << c;
  }
}

// ---- JSON form, presets, errors ----

json every_op() {
  return {{"ops",
           {{{"op", "random_resized_crop"}, {"scale", {0.5, 1.0}}},
            {{"op", "keras"},
             {"rotation_range", 10},
             {"zoom_range", {0.9, 1.2}},
             {"brightness_range", {0.8, 1.2}},
             {"channel_shift_range", 20},
             {"fill_mode", "reflect"},
             {"vertical_flip", true}},
            {{"op", "random_crop"}, {"padding", 3}, {"fill_mode", "wrap"}},
            {{"op", "horizontal_flip"}},
            {{"op", "vertical_flip"}, {"p", 0.2}},
            {{"op", "color_jitter"}, {"brightness", 0.3}, {"contrast", 0.3}, {"saturation", 0.3}, {"hue", 0.1}},
            {{"op", "rand_augment"}, {"num_ops", 3}, {"magnitude", 5}},
            {{"op", "trivial_augment_wide"}},
            {{"op", "random_erasing"}, {"value", "random"}},
            {{"op", "gaussian_noise"}, {"std", 0.02}, {"p", 0.5}}}},
          {"mixup_alpha", 0.4},
          {"switch_prob", 0.3}};
}

TEST(AugmentConfig, JsonRoundTrip) {
  const auto a = Augmentation::from_json(every_op());
  const json full = a.to_json();
  const auto b = Augmentation::from_json(full);
  EXPECT_EQ(b.to_json(), full);
  // Every key is resolved: defaults appear.
  EXPECT_EQ(full["ops"][1]["width_shift_range"], 0.0);
  EXPECT_EQ(full["ops"][1]["zoom_range"], json({0.9, 1.2}));
  EXPECT_EQ(full["ops"][3]["p"], 0.5);
  EXPECT_EQ(full["ops"][5]["brightness"], json({0.7, 1.3}));
  EXPECT_EQ(full["ops"][5]["hue"], json({-0.1, 0.1}));
  EXPECT_EQ(full["ops"][6]["num_magnitude_bins"], 31);
  EXPECT_EQ(full["mix_prob"], 1.0);
  EXPECT_EQ(full["cutmix_alpha"], 0.0);
  // Same pipeline: same samples for the same seed.
  const InputSpec spec = imagenet_spec(40, 32);
  const cv::Mat img = pattern(50, 60);
  std::vector<float> x(3 * 32 * 32), y(3 * 32 * 32);
  for (int seed = 0; seed < 5; ++seed) {
    Rng r1(seed), r2(seed);
    a.apply(img, spec, r1, x.data());
    b.apply(img, spec, r2, y.data());
    EXPECT_EQ(x, y) << "seed " << seed;
  }
}

TEST(AugmentConfig, PresetsExpandAsDocumented) {
  EXPECT_TRUE(Augmentation::preset("none").empty());
  EXPECT_EQ(Augmentation::preset("none").to_json()["ops"], json::array());

  const json light = Augmentation::preset("light").to_json();
  ASSERT_EQ(light["ops"].size(), 2u);
  EXPECT_EQ(light["ops"][0],
            json({{"op", "random_crop"}, {"padding", 0.125}, {"fill_mode", "constant"}, {"cval", 0.0}}));
  EXPECT_EQ(light["ops"][1], json({{"op", "horizontal_flip"}, {"p", 0.5}}));

  const json keras = Augmentation::preset("keras").to_json();
  ASSERT_EQ(keras["ops"].size(), 1u);
  const json k = keras["ops"][0];
  EXPECT_EQ(k["op"], "keras");
  EXPECT_EQ(k["rotation_range"], 20.0);
  EXPECT_EQ(k["width_shift_range"], 0.2);
  EXPECT_EQ(k["height_shift_range"], 0.2);
  EXPECT_EQ(k["shear_range"], 10.0);
  EXPECT_EQ(k["zoom_range"], json({0.8, 1.2}));
  EXPECT_EQ(k["horizontal_flip"], true);
  EXPECT_EQ(k["vertical_flip"], false);
  EXPECT_EQ(k["fill_mode"], "nearest");
  EXPECT_TRUE(k["brightness_range"].is_null());
  EXPECT_FALSE(Augmentation::preset("keras").mix().enabled());

  const auto strong = Augmentation::preset("strong");
  const json s = strong.to_json();
  ASSERT_EQ(s["ops"].size(), 4u);
  EXPECT_EQ(s["ops"][0]["op"], "random_resized_crop");
  EXPECT_EQ(s["ops"][0]["scale"], json({0.08, 1.0}));
  EXPECT_EQ(s["ops"][1], json({{"op", "horizontal_flip"}, {"p", 0.5}}));
  EXPECT_EQ(s["ops"][2]["op"], "trivial_augment_wide");
  EXPECT_EQ(s["ops"][3]["op"], "random_erasing");
  EXPECT_EQ(s["ops"][3]["p"], 0.25);
  EXPECT_EQ(strong.mix().mixup_alpha, 0.2);
  EXPECT_EQ(strong.mix().cutmix_alpha, 1.0);
  EXPECT_TRUE(strong.mix().enabled());

  expect_invalid([] { Augmentation::preset("heavy"); }, {"heavy", "none", "light", "keras", "strong"});
}

TEST(AugmentConfig, FromFlagReadsPresetsAndFiles) {
  EXPECT_EQ(Augmentation::from_flag("light").to_json(), Augmentation::preset("light").to_json());
  test::TempDir dir;
  test::write_bytes(dir.str("aug.json"), every_op().dump());
  EXPECT_EQ(Augmentation::from_flag(dir.str("aug.json")).to_json(), Augmentation::from_json(every_op()).to_json());
  expect_invalid([&] { Augmentation::from_flag(dir.str("missing.json")); },
                 {"missing.json", "none", "light", "strong"});
  test::write_bytes(dir.str("broken.json"), "{\"ops\": [");
  expect_invalid([&] { Augmentation::from_flag(dir.str("broken.json")); }, {"broken.json", "JSON"});
  test::write_bytes(dir.str("bad.json"), R"({"ops": [{"op": "blur"}]})");
  expect_invalid([&] { Augmentation::from_flag(dir.str("bad.json")); }, {"bad.json", "blur"});
}

TEST(AugmentConfig, BadConfigsNameTheProblem) {
  expect_bad_config({{"ops", {{{"op", "blur"}}}}}, {"unknown op", "blur", "keras"});
  expect_bad_config({{"ops", {{{"op", "keras"}, {"rotaton_range", 10}}}}},
                    {"keras", "rotaton_range", "rotation_range"});
  expect_bad_config({{"ops", {{{"op", "keras"}, {"fill_mode", "foo"}}}}}, {"keras", "fill_mode", "foo", "reflect"});
  expect_bad_config({{"ops", {{{"op", "random_crop"}, {"fill_mode", "foo"}}}}}, {"random_crop", "foo"});
  expect_bad_config({{"ops", {{{"op", "keras"}, {"rotation_range", -5}}}}}, {"rotation_range", "-5", ">= 0"});
  expect_bad_config({{"ops", {{{"op", "keras"}, {"width_shift_range", -0.1}}}}}, {"width_shift_range"});
  expect_bad_config({{"ops", {{{"op", "color_jitter"}, {"brightness", -0.5}}}}}, {"color_jitter", "brightness"});
  expect_bad_config({{"ops", {{{"op", "color_jitter"}, {"hue", 0.7}}}}}, {"hue", "0.5"});
  expect_bad_config({{"ops", {{{"op", "keras"}, {"zoom_range", {1.2, 0.8}}}}}}, {"zoom_range", "lo <= hi"});
  expect_bad_config({{"ops", {{{"op", "keras"}, {"zoom_range", "big"}}}}}, {"zoom_range", "big"});
  expect_bad_config({{"ops", {{{"op", "keras"}, {"horizontal_flip", 1}}}}}, {"horizontal_flip", "true or false"});
  expect_bad_config({{"ops", {{{"op", "horizontal_flip"}, {"p", 1.5}}}}}, {"horizontal_flip", "p", "1.5"});
  expect_bad_config({{"ops", {{{"op", "rand_augment"}, {"magnitude", 31}}}}}, {"rand_augment", "magnitude", "31"});
  expect_bad_config({{"ops", {{{"op", "random_erasing"}, {"value", "noise"}}}}}, {"random_erasing", "noise"});
  expect_bad_config({{"ops", {{{"op", "random_erasing"}}, {{"op", "horizontal_flip"}}}}},
                    {"horizontal_flip", "random_erasing", "after"});
  expect_bad_config({{"ops", {{{"rotation_range", 3}}}}}, {"ops[0]", "op"});
  expect_bad_config(json::parse(R"({"ops": [["op", "keras"]]})"), {"ops[0]", "object"});
  expect_bad_config(json::parse(R"({"ops": {"op": "keras"}})"), {"ops", "list"});
  expect_bad_config({{"opps", json::array()}}, {"opps", "ops"});
  expect_bad_config({{"mix_prob", 2}}, {"mix_prob", "2"});
  expect_bad_config({{"mixup_alpha", -1}}, {"mixup_alpha"});
  expect_bad_config(json::array(), {"JSON object"});
}

// ---- the pipeline ----

TEST(AugmentPipeline, NoneIsTheEvaluationPreprocessing) {
  const Augmentation none;
  EXPECT_TRUE(none.empty());
  const InputSpec spec = imagenet_spec(36, 32);
  const cv::Mat img = pattern(50, 70);
  std::vector<float> ours(3 * 32 * 32), eval(3 * 32 * 32);
  Rng rng(0);
  none.apply(img, spec, rng, ours.data());
  to_chw_float(img, spec, eval.data());
  EXPECT_EQ(ours, eval);
}

TEST(AugmentPipeline, DeterministicPerSeed) {
  const auto a = Augmentation::from_json(every_op());
  const InputSpec spec = imagenet_spec(40, 32);
  const cv::Mat img = pattern(50, 60);
  std::vector<float> x(3 * 32 * 32), y(3 * 32 * 32), z(3 * 32 * 32);
  Rng r1(11), r2(11), r3(12);
  a.apply(img, spec, r1, x.data());
  a.apply(img, spec, r2, y.data());
  a.apply(img, spec, r3, z.data());
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
}

TEST(AugmentPipeline, ThreadSafe) {
  // Loader workers share one const Augmentation; each has its own Rng.
  const auto a = Augmentation::preset("strong");
  const InputSpec spec = imagenet_spec(40, 32);
  const cv::Mat img = pattern(60, 50);
  const int kThreads = 4, kEach = 25;
  auto run = [&](int t, std::vector<std::vector<float>>& results) {
    for (int i = 0; i < kEach; ++i) {
      Rng rng(uint64_t(t * 1000 + i));
      a.apply(img, spec, rng, results[size_t(i)].data());
    }
  };
  std::vector<std::vector<std::vector<float>>> serial(kThreads), parallel(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    serial[t].assign(kEach, std::vector<float>(3 * 32 * 32));
    parallel[t].assign(kEach, std::vector<float>(3 * 32 * 32));
    run(t, serial[t]);
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(run, t, std::ref(parallel[t]));
  for (auto& th : threads) th.join();
  EXPECT_EQ(serial, parallel);
}

TEST(AugmentPipeline, GreyInputSpecWorksForEveryOp) {
  const auto a = Augmentation::from_json(every_op());
  InputSpec spec = spec_of(28, 28, 1);
  spec.mean = {0.5f};
  spec.std = {0.5f};
  for (const cv::Mat& img : {pattern(40, 30, 1), pattern(40, 30, 3), pattern(40, 30, 4)}) {
    for (int seed = 0; seed < 10; ++seed) {
      Rng rng(seed);
      const cv::Mat out = a.apply_image(img, spec, rng);
      EXPECT_EQ(out.type(), CV_8UC1);
      EXPECT_EQ(out.size(), cv::Size(28, 28));
      std::vector<float> sample(28 * 28);
      Rng rng2(seed);
      a.apply(img, spec, rng2, sample.data());
    }
  }
}

TEST(AugmentPipeline, TheInputImageIsNeverModified) {
  // At the input size resize_and_crop hands the caller's pixels straight to the ops, which must
  // then write elsewhere (a flip or warp "into" the same header would change the dataset).
  const InputSpec spec = spec_of(30, 40);
  const cv::Mat img = pattern(30, 40), copy = img.clone();
  for (const json& ops : {every_op()["ops"], Augmentation::preset("keras").to_json()["ops"],
                          Augmentation::preset("light").to_json()["ops"]}) {
    const auto a = aug(ops);
    for (int seed = 0; seed < 20; ++seed) {
      Rng rng(seed);
      a.apply_image(img, spec, rng);
      ASSERT_TRUE(same(img, copy)) << "seed " << seed << " ops " << ops.dump();
    }
  }
  KerasTransform t;
  t.flip_horizontal = true;
  apply_keras_transform(img, t);
  t.ty = 2;
  apply_keras_transform(img, t);
  EXPECT_TRUE(same(img, copy));
}

TEST(AugmentPipeline, ImageOpsWorkAtTheInputSize) {
  // Without random_resized_crop first, the image is resized to the input size before the ops.
  const auto a = aug({{{"op", "horizontal_flip"}, {"p", 1.0}}});
  const InputSpec spec = spec_of(20, 30);
  const cv::Mat img = pattern(40, 60);
  Rng rng(0);
  cv::Mat expected;
  cv::flip(resize_and_crop(img, spec), expected, 1);
  EXPECT_TRUE(same(a.apply_image(img, spec, rng), expected));
}

}  // namespace
}  // namespace tlab::transforms
