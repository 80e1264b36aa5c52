#include "tlab/transforms/augment.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "tlab/core/error.h"
#include "tlab/transforms/augment_internal.h"
#include "tlab/transforms/image_ops.h"

namespace tlab::transforms {

using nlohmann::json;

namespace detail {

namespace {

std::string where(const std::string& op) { return str_cat("augment op '", op, "'"); }

std::string join(std::initializer_list<const char*> names, size_t skip = 0) {
  std::string s;
  for (const char* n : names) {
    if (skip > 0) {
      --skip;
      continue;
    }
    s += s.empty() ? "" : ", ";
    s += n;
  }
  return s;
}

}  // namespace

void check_keys(const json& j, const std::string& op, std::initializer_list<const char*> allowed) {
  for (const auto& item : j.items()) {
    const bool known = std::any_of(allowed.begin(), allowed.end(), [&](const char* a) { return item.key() == a; });
    // "op" is always first in `allowed` and not worth listing.
    TLAB_CHECK(known, where(op), ": unknown key '", item.key(), "' (expected one of: ", join(allowed, 1), ")");
  }
}

double get_number(const json& j, const std::string& op, const char* key, double def) {
  if (!j.contains(key)) return def;
  const json& v = j.at(key);
  TLAB_CHECK(v.is_number(), where(op), ": ", key, " must be a number, got ", v.dump());
  const double d = v.get<double>();
  TLAB_CHECK(std::isfinite(d), where(op), ": ", key, " must be finite, got ", v.dump());
  return d;
}

int get_int(const json& j, const std::string& op, const char* key, int def) {
  if (!j.contains(key)) return def;
  const json& v = j.at(key);
  const bool integral =
      v.is_number_integer() || (v.is_number_float() && std::floor(v.get<double>()) == v.get<double>());
  TLAB_CHECK(integral && std::abs(v.get<double>()) < 1e9, where(op), ": ", key, " must be an integer, got ", v.dump());
  return int(v.get<double>());
}

bool get_bool(const json& j, const std::string& op, const char* key, bool def) {
  if (!j.contains(key)) return def;
  const json& v = j.at(key);
  TLAB_CHECK(v.is_boolean(), where(op), ": ", key, " must be true or false, got ", v.dump());
  return v.get<bool>();
}

std::string get_string(const json& j, const std::string& op, const char* key, const std::string& def) {
  if (!j.contains(key)) return def;
  const json& v = j.at(key);
  TLAB_CHECK(v.is_string(), where(op), ": ", key, " must be a string, got ", v.dump());
  return v.get<std::string>();
}

Range get_range(const json& j, const std::string& op, const char* key, Range def, Range (*from_number)(double)) {
  if (!j.contains(key)) return def;
  const json& v = j.at(key);
  Range r;
  if (from_number && v.is_number()) {
    r = from_number(get_number(j, op, key, 0));
  } else {
    const bool pair = v.is_array() && v.size() == 2 && v[0].is_number() && v[1].is_number();
    TLAB_CHECK(pair, where(op), ": ", key, " must be ", from_number ? "a number or " : "", "[lo, hi], got ", v.dump());
    r = {v[0].get<double>(), v[1].get<double>()};
    TLAB_CHECK(std::isfinite(r.first) && std::isfinite(r.second), where(op), ": ", key, " must be finite, got ",
               v.dump());
  }
  TLAB_CHECK(r.first <= r.second, where(op), ": ", key, " must have lo <= hi, got ", v.dump());
  return r;
}

double get_probability(const json& j, const std::string& op, const char* key, double def) {
  const double p = get_number(j, op, key, def);
  TLAB_CHECK(p >= 0 && p <= 1, where(op), ": ", key, " must be a probability in [0, 1], got ", p);
  return p;
}

void check_non_negative(double v, const std::string& op, const char* key) {
  TLAB_CHECK(v >= 0, where(op), ": ", key, " must be >= 0, got ", v);
}

cv::Mat convert_channels(const cv::Mat& image, int channels) {
  if (image.channels() == channels) return image;
  cv::Mat out;
  if (channels == 1)
    cv::cvtColor(image, out, image.channels() == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
  else
    cv::cvtColor(image, out, image.channels() == 4 ? cv::COLOR_RGBA2RGB : cv::COLOR_GRAY2RGB);
  return out;
}

namespace {

// ---- Image ops ----

class FlipOp : public ImageOp {
 public:
  FlipOp(const json& j, bool horizontal) : horizontal_(horizontal) {
    const std::string op = name();
    check_keys(j, op, {"op", "p"});
    p_ = get_probability(j, op, "p", 0.5);
  }
  cv::Mat apply(const cv::Mat& image, const InputSpec&, Rng& rng) const override {
    if (!(uniform01(rng) < p_)) return image;  // torchvision: if torch.rand(1) < p: flip
    cv::Mat out;
    cv::flip(image, out, horizontal_ ? 1 : 0);
    return out;
  }
  json to_json() const override { return {{"op", name()}, {"p", p_}}; }

 private:
  std::string name() const { return horizontal_ ? "horizontal_flip" : "vertical_flip"; }
  bool horizontal_;
  double p_ = 0.5;
};

// torchvision RandomResizedCrop.get_params: the crop (top, left, height, width) as a cv::Rect.
cv::Rect resized_crop_box(int height, int width, Range scale, Range ratio, Rng& rng) {
  const double area = double(height) * width;
  const double log_lo = std::log(ratio.first), log_hi = std::log(ratio.second);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target_area = area * uniform(rng, scale.first, scale.second);
    const double aspect = std::exp(uniform(rng, log_lo, log_hi));
    const int w = int(round_half_even(std::sqrt(target_area * aspect)));
    const int h = int(round_half_even(std::sqrt(target_area / aspect)));
    if (0 < w && w <= width && 0 < h && h <= height) {
      const int top = int(randint(rng, height - h + 1));
      const int left = int(randint(rng, width - w + 1));
      return {left, top, w, h};
    }
  }
  // Fallback: the central crop with the ratio clamped to the allowed range.
  const double in_ratio = double(width) / height;
  int w = width, h = height;
  if (in_ratio < ratio.first) {
    h = int(round_half_even(w / ratio.first));
  } else if (in_ratio > ratio.second) {
    w = int(round_half_even(h * ratio.second));
  }
  return {(width - w) / 2, (height - h) / 2, w, h};
}

class RandomResizedCropOp : public ImageOp {
 public:
  explicit RandomResizedCropOp(const json& j) {
    const std::string op = "random_resized_crop";
    check_keys(j, op, {"op", "scale", "ratio"});
    scale_ = get_range(j, op, "scale", {0.08, 1.0});
    ratio_ = get_range(j, op, "ratio", {0.75, 4.0 / 3.0});
    TLAB_CHECK(scale_.first >= 0 && scale_.second > 0, where(op),
               ": scale must be [lo, hi] with 0 <= lo <= hi and hi > 0, got [", scale_.first, ", ", scale_.second, "]");
    TLAB_CHECK(ratio_.first > 0, where(op), ": ratio must be [lo, hi] with 0 < lo <= hi, got [", ratio_.first, ", ",
               ratio_.second, "]");
  }
  cv::Mat apply(const cv::Mat& image, const InputSpec& spec, Rng& rng) const override {
    const cv::Rect box = resized_crop_box(image.rows, image.cols, scale_, ratio_, rng);
    cv::Mat crop = image(box), out;
    if (box.height == spec.height && box.width == spec.width) {
      out = crop;
    } else {
      const bool shrink = box.height > spec.height && box.width > spec.width;
      cv::resize(crop, out, cv::Size(spec.width, spec.height), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    return convert_channels(out, spec.channels);
  }
  json to_json() const override {
    return {{"op", "random_resized_crop"},
            {"scale", {scale_.first, scale_.second}},
            {"ratio", {ratio_.first, ratio_.second}}};
  }

 private:
  Range scale_, ratio_;
};

class RandomCropOp : public ImageOp {
 public:
  explicit RandomCropOp(const json& j) {
    const std::string op = "random_crop";
    check_keys(j, op, {"op", "padding", "fill_mode", "cval"});
    padding_ = get_number(j, op, "padding", 0);
    check_non_negative(padding_, op, "padding");
    fill_mode_ = get_string(j, op, "fill_mode", "constant");
    border_ = keras_border_mode(fill_mode_, where(op) + ": fill_mode");
    cval_ = get_number(j, op, "cval", 0);
  }
  cv::Mat apply(const cv::Mat& image, const InputSpec& spec, Rng& rng) const override {
    // padding < 1: a fraction of the shorter side; otherwise pixels (rounded).
    const double px = padding_ < 1 ? padding_ * std::min(image.rows, image.cols) : padding_;
    const int pad = int(std::lround(px));
    const int th = spec.height, tw = spec.width;
    const int ph = image.rows + 2 * pad, pw = image.cols + 2 * pad;
    TLAB_CHECK(ph >= th && pw >= tw, where("random_crop"), ": the padded image ", ph, "x", pw,
               " is smaller than the input size ", th, "x", tw);
    // torchvision RandomCrop.get_params: no draw when the sizes already match.
    int top = 0, left = 0;
    if (ph != th || pw != tw) {
      top = int(randint(rng, ph - th + 1));
      left = int(randint(rng, pw - tw + 1));
    }
    if (pad == 0) return image(cv::Rect(left, top, tw, th));
    if (border_ == cv::BORDER_CONSTANT) {
      // Only the window is built: cval everywhere, then the part of the image it covers.
      cv::Mat out(th, tw, image.type(), cv::Scalar::all(cval_));
      const cv::Rect window(left - pad, top - pad, tw, th);
      const cv::Rect inside = window & cv::Rect(0, 0, image.cols, image.rows);
      if (inside.area() > 0) image(inside).copyTo(out(inside - window.tl()));
      return out;
    }
    cv::Mat padded;
    cv::copyMakeBorder(image, padded, pad, pad, pad, pad, border_ | cv::BORDER_ISOLATED, cv::Scalar::all(cval_));
    return padded(cv::Rect(left, top, tw, th));
  }
  json to_json() const override {
    return {{"op", "random_crop"}, {"padding", padding_}, {"fill_mode", fill_mode_}, {"cval", cval_}};
  }

 private:
  double padding_ = 0, cval_ = 0;
  std::string fill_mode_ = "constant";
  int border_ = cv::BORDER_CONSTANT;
};

Range factor_from_number(double v) { return {std::max(0.0, 1 - v), 1 + v}; }
Range hue_from_number(double v) { return {-v, v}; }

class ColorJitterOp : public ImageOp {
 public:
  explicit ColorJitterOp(const json& j) {
    const std::string op = "color_jitter";
    check_keys(j, op, {"op", "brightness", "contrast", "saturation", "hue"});
    const char* names[3] = {"brightness", "contrast", "saturation"};
    for (int i = 0; i < 3; ++i) {
      if (j.contains(names[i]) && j.at(names[i]).is_number())
        check_non_negative(j.at(names[i]).get<double>(), op, names[i]);
      factors_[i] = get_range(j, op, names[i], {1, 1}, factor_from_number);
      check_non_negative(factors_[i].first, op, names[i]);
    }
    if (j.contains("hue") && j.at("hue").is_number()) check_non_negative(j.at("hue").get<double>(), op, "hue");
    hue_ = get_range(j, op, "hue", {0, 0}, hue_from_number);
    TLAB_CHECK(hue_.first >= -0.5 && hue_.second <= 0.5, where(op),
               ": hue must be a number in [0, 0.5] or [lo, hi] within [-0.5, 0.5], got [", hue_.first, ", ",
               hue_.second, "]");
  }
  cv::Mat apply(const cv::Mat& image, const InputSpec&, Rng& rng) const override {
    // torchvision ColorJitter.get_params: a random order (randperm(4)), then the four factors.
    int order[4] = {0, 1, 2, 3};
    for (int i = 3; i > 0; --i) std::swap(order[i], order[randint(rng, i + 1)]);
    double f[4];
    for (int i = 0; i < 3; ++i) f[i] = uniform(rng, factors_[i].first, factors_[i].second);
    f[3] = uniform(rng, hue_.first, hue_.second);
    cv::Mat img = image;
    for (int k : order) {
      const bool identity = k < 3 ? factors_[k] == Range{1, 1} : hue_ == Range{0, 0};
      if (identity) continue;  // torchvision leaves unset adjustments out
      switch (k) {
        case 0:
          img = adjust_brightness(img, f[0]);
          break;
        case 1:
          img = adjust_contrast(img, f[1]);
          break;
        case 2:
          if (img.channels() == 3) img = adjust_saturation(img, f[2]);
          break;
        case 3:
          if (img.channels() == 3) img = adjust_hue(img, f[3]);
          break;
      }
    }
    return img;
  }
  json to_json() const override {
    auto pair = [](const Range& r) { return json{r.first, r.second}; };
    return {{"op", "color_jitter"},
            {"brightness", pair(factors_[0])},
            {"contrast", pair(factors_[1])},
            {"saturation", pair(factors_[2])},
            {"hue", pair(hue_)}};
  }

 private:
  Range factors_[3] = {{1, 1}, {1, 1}, {1, 1}};  // brightness, contrast, saturation
  Range hue_{0, 0};
};

// ---- Sample ops, on the normalised float [C, H, W] ----

class RandomErasingOp : public SampleOp {
 public:
  explicit RandomErasingOp(const json& j) {
    const std::string op = "random_erasing";
    check_keys(j, op, {"op", "p", "scale", "ratio", "value"});
    p_ = get_probability(j, op, "p", 0.5);
    scale_ = get_range(j, op, "scale", {0.02, 0.33});
    ratio_ = get_range(j, op, "ratio", {0.3, 3.3});
    value_ = get_string(j, op, "value", "zero");
    TLAB_CHECK(scale_.first >= 0 && scale_.second <= 1, where(op), ": scale must be within [0, 1], got [", scale_.first,
               ", ", scale_.second, "]");
    TLAB_CHECK(ratio_.first > 0, where(op), ": ratio must be [lo, hi] with 0 < lo <= hi, got [", ratio_.first, ", ",
               ratio_.second, "]");
    TLAB_CHECK(value_ == "zero" || value_ == "random", where(op), ": value must be \"zero\" or \"random\", got '",
               value_, "'");
  }
  void apply(float* chw, const InputSpec& spec, Rng& rng) const override {
    if (!(uniform01(rng) < p_)) return;
    const int c_count = spec.channels, H = spec.height, W = spec.width;
    const double area = double(H) * W;
    const double log_lo = std::log(ratio_.first), log_hi = std::log(ratio_.second);
    for (int attempt = 0; attempt < 10; ++attempt) {
      const double erase_area = area * uniform(rng, scale_.first, scale_.second);
      const double aspect = std::exp(uniform(rng, log_lo, log_hi));
      const int h = int(round_half_even(std::sqrt(erase_area * aspect)));
      const int w = int(round_half_even(std::sqrt(erase_area / aspect)));
      if (!(h < H && w < W)) continue;
      std::vector<float> values;
      if (value_ == "random") {
        values.resize(size_t(c_count) * h * w);
        fill_normal(rng, values.data(), values.size());
      }
      const int top = int(randint(rng, H - h + 1)), left = int(randint(rng, W - w + 1));
      size_t k = 0;
      for (int c = 0; c < c_count; ++c)
        for (int y = top; y < top + h; ++y) {
          float* row = chw + (size_t(c) * H + y) * W + left;
          for (int x = 0; x < w; ++x) row[x] = values.empty() ? 0.f : values[k++];
        }
      return;
    }
  }
  json to_json() const override {
    return {{"op", "random_erasing"},
            {"p", p_},
            {"scale", {scale_.first, scale_.second}},
            {"ratio", {ratio_.first, ratio_.second}},
            {"value", value_}};
  }

 private:
  double p_ = 0.5;
  Range scale_, ratio_;
  std::string value_ = "zero";
};

class GaussianNoiseOp : public SampleOp {
 public:
  explicit GaussianNoiseOp(const json& j) {
    const std::string op = "gaussian_noise";
    check_keys(j, op, {"op", "std", "p"});
    std_ = get_number(j, op, "std", 0.05);
    check_non_negative(std_, op, "std");
    p_ = get_probability(j, op, "p", 1.0);
  }
  void apply(float* chw, const InputSpec& spec, Rng& rng) const override {
    if (!(uniform01(rng) < p_)) return;
    const size_t plane = size_t(spec.height) * spec.width;
    for (int c = 0; c < spec.channels; ++c) {
      // std is in units of [0, 1] pixels, i.e. of 255 raw levels; the sample holds
      // raw * scale / channel_std, hence the factor.
      const double channel_std = spec.std.empty() ? 1.0 : spec.std[c];
      const float k = float(std_ * 255.0 * spec.scale / channel_std);
      float* p = chw + c * plane;
      for (size_t i = 0; i < plane; i += 2) {
        const auto [a, b] = normal_pair(rng);
        p[i] += k * float(a);
        if (i + 1 < plane) p[i + 1] += k * float(b);
      }
    }
  }
  json to_json() const override { return {{"op", "gaussian_noise"}, {"std", std_}, {"p", p_}}; }

 private:
  double std_ = 0.05, p_ = 1.0;
};

// ---- The op table ----

struct OpEntry {
  std::shared_ptr<const ImageOp> (*image)(const json&);
  std::shared_ptr<const SampleOp> (*sample)(const json&);
};

const std::vector<std::pair<std::string, OpEntry>>& op_table() {
  static const std::vector<std::pair<std::string, OpEntry>> table = {
      {"keras", {make_keras, nullptr}},
      {"random_resized_crop",
       {[](const json& j) -> std::shared_ptr<const ImageOp> { return std::make_shared<RandomResizedCropOp>(j); },
        nullptr}},
      {"random_crop",
       {[](const json& j) -> std::shared_ptr<const ImageOp> { return std::make_shared<RandomCropOp>(j); }, nullptr}},
      {"horizontal_flip",
       {[](const json& j) -> std::shared_ptr<const ImageOp> { return std::make_shared<FlipOp>(j, true); }, nullptr}},
      {"vertical_flip",
       {[](const json& j) -> std::shared_ptr<const ImageOp> { return std::make_shared<FlipOp>(j, false); }, nullptr}},
      {"color_jitter",
       {[](const json& j) -> std::shared_ptr<const ImageOp> { return std::make_shared<ColorJitterOp>(j); }, nullptr}},
      {"rand_augment", {make_rand_augment, nullptr}},
      {"trivial_augment_wide", {make_trivial_augment_wide, nullptr}},
      {"random_erasing",
       {nullptr,
        [](const json& j) -> std::shared_ptr<const SampleOp> { return std::make_shared<RandomErasingOp>(j); }}},
      {"gaussian_noise",
       {nullptr,
        [](const json& j) -> std::shared_ptr<const SampleOp> { return std::make_shared<GaussianNoiseOp>(j); }}},
  };
  return table;
}

std::string op_names() {
  std::string s;
  for (const auto& [name, entry] : op_table()) s += (s.empty() ? "" : ", ") + name;
  return s;
}

}  // namespace

}  // namespace detail

namespace {

constexpr const char* kPresetNames = "none, light, keras, strong";

json preset_config(const std::string& name) {
  if (name == "none") return json::object();
  if (name == "light")
    return {{"ops",
             {{{"op", "random_crop"}, {"padding", 0.125}, {"fill_mode", "constant"}, {"cval", 0}},
              {{"op", "horizontal_flip"}, {"p", 0.5}}}}};
  if (name == "keras")
    return {{"ops",
             {{{"op", "keras"},
               {"rotation_range", 20},
               {"width_shift_range", 0.2},
               {"height_shift_range", 0.2},
               {"shear_range", 10},
               {"zoom_range", 0.2},
               {"horizontal_flip", true},
               {"fill_mode", "nearest"}}}}};
  if (name == "strong")
    return {{"ops",
             {{{"op", "random_resized_crop"}, {"scale", {0.08, 1.0}}},
              {{"op", "horizontal_flip"}},
              {{"op", "trivial_augment_wide"}},
              {{"op", "random_erasing"}, {"p", 0.25}}}},
            {"mixup_alpha", 0.2},
            {"cutmix_alpha", 1.0}};
  return nullptr;
}

}  // namespace

Augmentation Augmentation::from_json(const json& config) {
  TLAB_CHECK(config.is_object(), "augmentation config: expected a JSON object {\"ops\": [...], ...}, got ",
             config.dump());
  for (const auto& item : config.items()) {
    const std::string& k = item.key();
    TLAB_CHECK(k == "ops" || k == "mixup_alpha" || k == "cutmix_alpha" || k == "mix_prob" || k == "switch_prob",
               "augmentation config: unknown key '", k,
               "' (expected one of: ops, mixup_alpha, cutmix_alpha, mix_prob, switch_prob)");
  }
  Augmentation a;
  if (config.contains("ops")) {
    const json& ops = config.at("ops");
    TLAB_CHECK(ops.is_array(), "augmentation config: ops must be a list of {\"op\": NAME, ...}, got ", ops.dump());
    std::string first_sample_op;
    for (size_t i = 0; i < ops.size(); ++i) {
      const json& o = ops[i];
      TLAB_CHECK(o.is_object() && o.contains("op") && o.at("op").is_string(), "augmentation config: ops[", i,
                 "] must be an object with a string \"op\", got ", o.dump());
      const std::string name = o.at("op").get<std::string>();
      const auto& table = detail::op_table();
      const auto it = std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.first == name; });
      TLAB_CHECK(it != table.end(), "augmentation config: unknown op '", name, "' in ops[", i,
                 "] (expected one of: ", detail::op_names(), ")");
      if (it->second.image) {
        TLAB_CHECK(first_sample_op.empty(), "augmentation config: the image op '", name, "' (ops[", i,
                   "]) comes after the sample op '", first_sample_op,
                   "'; sample ops (random_erasing, gaussian_noise) work on the normalised tensor and must come after "
                   "every image op");
        a.image_ops_.push_back(it->second.image(o));
      } else {
        if (first_sample_op.empty()) first_sample_op = name;
        a.sample_ops_.push_back(it->second.sample(o));
      }
    }
    a.crop_first_ = !ops.empty() && ops[0].at("op") == "random_resized_crop";
  }
  const std::string top = "augmentation config";
  auto number = [&](const char* key, double def) {
    if (!config.contains(key)) return def;
    TLAB_CHECK(config.at(key).is_number(), top, ": ", key, " must be a number, got ", config.at(key).dump());
    return config.at(key).get<double>();
  };
  a.mix_.mixup_alpha = number("mixup_alpha", 0);
  a.mix_.cutmix_alpha = number("cutmix_alpha", 0);
  a.mix_.prob = number("mix_prob", 1.0);
  a.mix_.switch_prob = number("switch_prob", 0.5);
  TLAB_CHECK(a.mix_.mixup_alpha >= 0, top, ": mixup_alpha must be >= 0, got ", a.mix_.mixup_alpha);
  TLAB_CHECK(a.mix_.cutmix_alpha >= 0, top, ": cutmix_alpha must be >= 0, got ", a.mix_.cutmix_alpha);
  TLAB_CHECK(a.mix_.prob >= 0 && a.mix_.prob <= 1, top, ": mix_prob must be in [0, 1], got ", a.mix_.prob);
  TLAB_CHECK(a.mix_.switch_prob >= 0 && a.mix_.switch_prob <= 1, top, ": switch_prob must be in [0, 1], got ",
             a.mix_.switch_prob);
  return a;
}

Augmentation Augmentation::preset(const std::string& name) {
  const json config = preset_config(name);
  TLAB_CHECK(!config.is_null(), "augmentation preset '", name, "': unknown (expected one of: ", kPresetNames, ")");
  return from_json(config);
}

Augmentation Augmentation::from_flag(const std::string& value) {
  if (!preset_config(value).is_null()) return preset(value);
  namespace fs = std::filesystem;
  std::error_code ec;
  TLAB_CHECK(fs::is_regular_file(value, ec), "--augment '", value, "': neither a preset (", kPresetNames,
             ") nor a readable JSON file");
  std::ifstream in(value);
  TLAB_CHECK(in.good(), "augmentation file '", value, "': cannot be read (the presets are ", kPresetNames, ")");
  json config;
  try {
    config = json::parse(in);
  } catch (const json::exception& e) {
    throw UsageError(str_cat("augmentation file '", value, "': not valid JSON (", e.what(),
                                        "); expected the JSON form of docs/AUGMENTATION.md or a preset (", kPresetNames,
                                        ")"));
  }
  try {
    return from_json(config);
  } catch (const std::invalid_argument& e) {
    throw UsageError(str_cat("augmentation file '", value, "': ", e.what()));
  }
}

json Augmentation::to_json() const {
  json ops = json::array();
  for (const auto& op : image_ops_) ops.push_back(op->to_json());
  for (const auto& op : sample_ops_) ops.push_back(op->to_json());
  json j = transforms::to_json(mix_);
  j["ops"] = std::move(ops);
  return j;
}

cv::Mat Augmentation::apply_image(const cv::Mat& image, const InputSpec& spec, Rng& rng) const {
  TLAB_CHECK(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3 || image.channels() == 4),
             "augmentation: expected a uint8 image with 1, 3 or 4 channels, got type ", image.type());
  TLAB_CHECK(spec.channels == 1 || spec.channels == 3, "augmentation: input spec channels must be 1 or 3, got ",
             spec.channels);
  TLAB_CHECK(spec.height > 0 && spec.width > 0, "augmentation: input size must be positive, got ", spec.height, "x",
             spec.width);
  size_t k = 0;
  cv::Mat img;
  if (crop_first_) {
    img = image_ops_[0]->apply(image, spec, rng);  // crops, resizes and converts the channels
    k = 1;
  } else {
    img = resize_and_crop(image, spec);
  }
  for (; k < image_ops_.size(); ++k) img = image_ops_[k]->apply(img, spec, rng);
  return img;
}

void Augmentation::apply(const cv::Mat& image, const InputSpec& spec, Rng& rng, float* out) const {
  const cv::Mat img = apply_image(image, spec, rng);
  if (spec.resize == 0) {
    to_chw_float(img, spec, out);
  } else {
    // The image is at the input size already: to_chw_float must not resize or crop it again.
    InputSpec at_size = spec;
    at_size.resize = 0;
    to_chw_float(img, at_size, out);
  }
  for (const auto& op : sample_ops_) op->apply(out, spec, rng);
}

}  // namespace tlab::transforms
