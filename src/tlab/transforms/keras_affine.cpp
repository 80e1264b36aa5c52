// The "keras" op: Keras ImageDataGenerator parity (keras_preprocessing 1.1's get_random_transform,
// apply_transform and apply_affine_transform with scipy.ndimage), as one OpenCV warp.
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "tlab/core/error.h"
#include "tlab/transforms/augment.h"
#include "tlab/transforms/augment_internal.h"

namespace tlab::transforms {

cv::Matx33d keras_transform_matrix(const KerasTransform& t, int height, int width) {
  TLAB_CHECK(height > 0 && width > 0, "keras_transform_matrix: size must be positive, got ", height, "x", width);
  TLAB_CHECK(t.zx != 0 && t.zy != 0, "keras_transform_matrix: zoom must be non-zero, got zx ", t.zx, ", zy ", t.zy);
  // Keras's matrices act on (row, col, 1); output(o) = input(M o) as scipy's affine_transform.
  const double th = t.theta * CV_PI / 180, sh = t.shear * CV_PI / 180;
  const cv::Matx33d rotation(std::cos(th), -std::sin(th), 0, std::sin(th), std::cos(th), 0, 0, 0, 1);
  const cv::Matx33d shift(1, 0, t.tx, 0, 1, t.ty, 0, 0, 1);
  const cv::Matx33d shear(1, -std::sin(sh), 0, 0, std::cos(sh), 0, 0, 0, 1);
  const cv::Matx33d zoom(t.zx, 0, 0, 0, t.zy, 0, 0, 0, 1);
  // transform_matrix_offset_center(matrix, h, w): o = (h / 2 + 0.5, w / 2 + 0.5), as Keras has it.
  const double o_r = height / 2.0 + 0.5, o_c = width / 2.0 + 0.5;
  const cv::Matx33d offset(1, 0, o_r, 0, 1, o_c, 0, 0, 1), reset(1, 0, -o_r, 0, 1, -o_c, 0, 0, 1);
  cv::Matx33d m = offset * (rotation * shift * shear * zoom) * reset;
  // Keras flips the warped array afterwards: flipped(r, c) = warped(r, w - 1 - c), i.e. the
  // output position goes through the flip before M. Exact, so folding it in changes nothing.
  if (t.flip_horizontal) m = m * cv::Matx33d(1, 0, 0, 0, -1, width - 1, 0, 0, 1);
  if (t.flip_vertical) m = m * cv::Matx33d(-1, 0, height - 1, 0, 1, 0, 0, 0, 1);
  return m;
}

int keras_border_mode(const std::string& fill_mode, const std::string& where) {
  if (fill_mode == "nearest") return cv::BORDER_REPLICATE;
  if (fill_mode == "constant") return cv::BORDER_CONSTANT;
  if (fill_mode == "reflect") return cv::BORDER_REFLECT;  // scipy's reflect: d c b a | a b c d | d c b a
  if (fill_mode == "wrap") return cv::BORDER_WRAP;
  throw UsageError(str_cat(where, ": expected nearest, constant, reflect or wrap, got '", fill_mode, "'"));
}

namespace {

bool near(double a, double b) { return std::abs(a - b) < 1e-9; }

// The lookup table of apply_channel_shift followed by apply_brightness_shift, for an image whose
// values span [lo, hi]. Float arithmetic as numpy's float32 arrays in Keras.
cv::Mat keras_colour_lut(const KerasTransform& t, float lo, float hi) {
  const bool shift = t.channel_shift_intensity.has_value(), bright = t.brightness.has_value();
  const float intensity = shift ? float(*t.channel_shift_intensity) : 0.f;
  // After the shift the extremes are the shifted extremes, clipped to [lo, hi] (it is monotonic).
  const float new_lo = shift ? std::clamp(lo + intensity, lo, hi) : lo;
  const float new_hi = shift ? std::clamp(hi + intensity, lo, hi) : hi;
  cv::Mat lut(1, 256, CV_8U);
  for (int x = 0; x < 256; ++x) {
    float v = float(x);
    if (shift) v = std::clamp(v + intensity, lo, hi);  // np.clip(x_channel + intensity, min_x, max_x)
    uint8_t out;
    if (bright) {
      // array_to_img(x, scale=True): x -= min; x /= max (when non-zero); x *= 255; astype(uint8)
      float s = v - new_lo;
      const float range = new_hi - new_lo;
      if (range != 0) s /= range;
      s *= 255.f;
      const float u = float(static_cast<uint8_t>(std::clamp(s, 0.f, 255.f)));
      // ImageEnhance.Brightness(img).enhance(b): blend with black, truncated and clipped.
      const float b = float(*t.brightness) * u;
      out = b <= 0.f ? 0 : b >= 255.f ? 255 : static_cast<uint8_t>(b);
    } else {
      out = static_cast<uint8_t>(std::clamp(v, 0.f, 255.f) + 0.5f);
    }
    lut.ptr<uint8_t>(0)[x] = out;
  }
  return lut;
}

}  // namespace

cv::Mat apply_keras_transform(const cv::Mat& image, const KerasTransform& t, const std::string& fill_mode,
                              double cval) {
  TLAB_CHECK(image.depth() == CV_8U && image.channels() >= 1 && image.channels() <= 4,
             "apply_keras_transform: expected a uint8 image with 1 to 4 channels, got type ", image.type());
  const int border = keras_border_mode(fill_mode, "apply_keras_transform: fill_mode");
  const int h = image.rows, w = image.cols;
  const cv::Matx33d m = keras_transform_matrix(t, h, w);
  cv::Mat out;  // never a header of `image`: OpenCV would then write into the caller's pixels
  const bool diagonal = near(m(0, 1), 0) && near(m(1, 0), 0);
  const bool unit = near(std::abs(m(0, 0)), 1) && near(std::abs(m(1, 1)), 1);
  const bool row_ok = m(0, 0) > 0 ? near(m(0, 2), 0) : near(m(0, 2), h - 1);
  const bool col_ok = m(1, 1) > 0 ? near(m(1, 2), 0) : near(m(1, 2), w - 1);
  if (diagonal && unit && row_ok && col_ok) {
    // The identity or a pure flip: the warp would copy pixels exactly; cv::flip does it faster.
    const bool flip_rows = m(0, 0) < 0, flip_cols = m(1, 1) < 0;
    if (flip_rows || flip_cols)
      cv::flip(image, out, flip_rows && flip_cols ? -1 : flip_rows ? 0 : 1);
    else
      out = image;
  } else {
    // One warp. OpenCV's inverse map reads src(x', y') at (x', y') = A (x, y) + b with x the
    // column: Keras's (row, col) matrix with its rows and columns swapped.
    const cv::Matx23d a(m(1, 1), m(1, 0), m(1, 2),  //
                        m(0, 1), m(0, 0), m(0, 2));
    cv::warpAffine(image, out, a, image.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, border, cv::Scalar::all(cval));
  }
  if (t.channel_shift_intensity || t.brightness) {
    double lo = 0, hi = 0;
    cv::minMaxLoc(out.reshape(1), &lo, &hi);
    cv::Mat shifted;
    cv::LUT(out, keras_colour_lut(t, float(lo), float(hi)), shifted);
    out = shifted;
  }
  return out;
}

namespace detail {

namespace {

Range zoom_from_number(double z) { return {1 - z, 1 + z}; }

class KerasOp : public ImageOp {
 public:
  explicit KerasOp(const nlohmann::json& j) {
    const std::string op = "keras";
    check_keys(j, op,
               {"op", "rotation_range", "width_shift_range", "height_shift_range", "shear_range", "zoom_range",
                "horizontal_flip", "vertical_flip", "fill_mode", "cval", "brightness_range", "channel_shift_range"});
    rotation_ = get_number(j, op, "rotation_range", 0);
    width_shift_ = get_number(j, op, "width_shift_range", 0);
    height_shift_ = get_number(j, op, "height_shift_range", 0);
    shear_ = get_number(j, op, "shear_range", 0);
    channel_shift_ = get_number(j, op, "channel_shift_range", 0);
    for (const auto& [key, v] :
         std::initializer_list<std::pair<const char*, double>>{{"rotation_range", rotation_},
                                                               {"width_shift_range", width_shift_},
                                                               {"height_shift_range", height_shift_},
                                                               {"shear_range", shear_},
                                                               {"channel_shift_range", channel_shift_}})
      check_non_negative(v, op, key);
    zoom_ = get_range(j, op, "zoom_range", {1, 1}, zoom_from_number);
    TLAB_CHECK(zoom_.first > 0,
               "augment op 'keras': zoom_range must stay above 0 (a number z < 1 or [lo, hi] with "
               "lo > 0), got [",
               zoom_.first, ", ", zoom_.second, "]");
    horizontal_flip_ = get_bool(j, op, "horizontal_flip", false);
    vertical_flip_ = get_bool(j, op, "vertical_flip", false);
    fill_mode_ = get_string(j, op, "fill_mode", "nearest");
    keras_border_mode(fill_mode_, "augment op 'keras': fill_mode");
    cval_ = get_number(j, op, "cval", 0);
    if (j.contains("brightness_range") && !j.at("brightness_range").is_null()) {
      brightness_ = get_range(j, op, "brightness_range", {1, 1});
      check_non_negative(brightness_->first, op, "brightness_range");
    }
  }

  cv::Mat apply(const cv::Mat& image, const InputSpec&, Rng& rng) const override {
    // get_random_transform's draws, always all of them and in its order (so one op's parameters
    // do not change the others' draws).
    KerasTransform t;
    t.theta = uniform(rng, -rotation_, rotation_);
    t.tx = uniform(rng, -height_shift_, height_shift_) * (height_shift_ < 1 ? image.rows : 1);
    t.ty = uniform(rng, -width_shift_, width_shift_) * (width_shift_ < 1 ? image.cols : 1);
    t.shear = uniform(rng, -shear_, shear_);
    t.zx = uniform(rng, zoom_.first, zoom_.second);
    t.zy = uniform(rng, zoom_.first, zoom_.second);
    t.flip_horizontal = uniform01(rng) < 0.5 && horizontal_flip_;
    t.flip_vertical = uniform01(rng) < 0.5 && vertical_flip_;
    const double intensity = uniform(rng, -channel_shift_, channel_shift_);
    if (channel_shift_ != 0) t.channel_shift_intensity = intensity;
    const double brightness = brightness_ ? uniform(rng, brightness_->first, brightness_->second) : uniform01(rng);
    if (brightness_) t.brightness = brightness;
    return apply_keras_transform(image, t, fill_mode_, cval_);
  }

  nlohmann::json to_json() const override {
    return {
        {"op", "keras"},
        {"rotation_range", rotation_},
        {"width_shift_range", width_shift_},
        {"height_shift_range", height_shift_},
        {"shear_range", shear_},
        {"zoom_range", {zoom_.first, zoom_.second}},
        {"horizontal_flip", horizontal_flip_},
        {"vertical_flip", vertical_flip_},
        {"fill_mode", fill_mode_},
        {"cval", cval_},
        {"brightness_range", brightness_ ? nlohmann::json{brightness_->first, brightness_->second} : nlohmann::json()},
        {"channel_shift_range", channel_shift_}};
  }

 private:
  double rotation_ = 0, width_shift_ = 0, height_shift_ = 0, shear_ = 0, channel_shift_ = 0, cval_ = 0;
  Range zoom_{1, 1};
  bool horizontal_flip_ = false, vertical_flip_ = false;
  std::string fill_mode_ = "nearest";
  std::optional<Range> brightness_;
};

}  // namespace

std::shared_ptr<const ImageOp> make_keras(const nlohmann::json& j) { return std::make_shared<KerasOp>(j); }

}  // namespace detail

}  // namespace tlab::transforms
