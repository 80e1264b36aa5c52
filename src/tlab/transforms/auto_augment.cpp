// RandAugment and TrivialAugmentWide with torchvision 0.14's op tables (autoaugment.py): the same
// 14 ops in the same order, magnitude bins and signs, applied as torchvision does to PIL images
// (nearest-neighbour geometry, fill 0).
#include <array>
#include <cmath>

#include "tlab/core/error.h"
#include "tlab/transforms/augment_internal.h"
#include "tlab/transforms/image_ops.h"

namespace tlab::transforms::detail {

namespace {

enum class AugOp {
  kIdentity,
  kShearX,
  kShearY,
  kTranslateX,
  kTranslateY,
  kRotate,
  kBrightness,
  kColor,
  kContrast,
  kSharpness,
  kPosterize,
  kSolarize,
  kAutoContrast,
  kEqualize,
};
constexpr int kNumOps = 14;  // _augmentation_space's entries, in its order

bool has_magnitude(AugOp op) { return op != AugOp::kIdentity && op != AugOp::kAutoContrast && op != AugOp::kEqualize; }

bool is_signed(AugOp op) { return op >= AugOp::kShearX && op <= AugOp::kSharpness; }

// linspace(start, end, bins)[i]
double linspace(double start, double end, int bins, int i) { return start + (end - start) * i / (bins - 1); }

// _augmentation_space(num_bins, image_size)[op][bin], unsigned. `wide`: TrivialAugmentWide's table.
double magnitude_of(AugOp op, int bin, int bins, bool wide, int height, int width) {
  switch (op) {
    case AugOp::kShearX:
    case AugOp::kShearY:
      return linspace(0, wide ? 0.99 : 0.3, bins, bin);
    case AugOp::kTranslateX:
      return linspace(0, wide ? 32.0 : 150.0 / 331.0 * width, bins, bin);
    case AugOp::kTranslateY:
      return linspace(0, wide ? 32.0 : 150.0 / 331.0 * height, bins, bin);
    case AugOp::kRotate:
      return linspace(0, wide ? 135.0 : 30.0, bins, bin);
    case AugOp::kBrightness:
    case AugOp::kColor:
    case AugOp::kContrast:
    case AugOp::kSharpness:
      return linspace(0, wide ? 0.99 : 0.9, bins, bin);
    case AugOp::kPosterize:  // 8 - (arange(bins) / ((bins - 1) / 4)).round(); TrivialAugmentWide: / 6
      return 8 - round_half_even(bin / ((bins - 1) / (wide ? 6.0 : 4.0)));
    case AugOp::kSolarize:
      return linspace(255.0, 0.0, bins, bin);
    default:
      return 0;
  }
}

// autoaugment.py's _apply_op for a PIL image.
cv::Mat apply_op(const cv::Mat& img, AugOp op, double magnitude) {
  const cv::Point2d centre(img.cols * 0.5, img.rows * 0.5), corner(0, 0), none(0, 0);
  const double deg = 180.0 / CV_PI;
  switch (op) {
    case AugOp::kIdentity:
      return img;
    case AugOp::kShearX:  // shear = degrees(atan(magnitude)), centre at the top-left corner
      return affine_nearest(img, 0, none, 1, {std::atan(magnitude) * deg, 0}, corner);
    case AugOp::kShearY:
      return affine_nearest(img, 0, none, 1, {0, std::atan(magnitude) * deg}, corner);
    case AugOp::kTranslateX:  // translate = [int(magnitude), 0]
      return affine_nearest(img, 0, {std::trunc(magnitude), 0}, 1, none, centre);
    case AugOp::kTranslateY:
      return affine_nearest(img, 0, {0, std::trunc(magnitude)}, 1, none, centre);
    case AugOp::kRotate:  // F.rotate(angle) = affine(-angle): counter-clockwise
      return affine_nearest(img, -magnitude, none, 1, none, centre);
    case AugOp::kBrightness:
      return adjust_brightness(img, 1.0 + magnitude);
    case AugOp::kColor:
      return adjust_saturation(img, 1.0 + magnitude);
    case AugOp::kContrast:
      return adjust_contrast(img, 1.0 + magnitude);
    case AugOp::kSharpness:
      return adjust_sharpness(img, 1.0 + magnitude);
    case AugOp::kPosterize:
      return posterize(img, int(magnitude));
    case AugOp::kSolarize:
      return solarize(img, magnitude);
    case AugOp::kAutoContrast:
      return autocontrast(img);
    case AugOp::kEqualize:
      return equalize(img);
  }
  return img;
}

// The sign draw (torchvision: `if signed and torch.randint(2, (1,))`: drawn only for signed ops).
double signed_magnitude(AugOp op, double magnitude, Rng& rng) {
  if (is_signed(op) && randint(rng, 2) == 1) return -magnitude;
  return magnitude;
}

int get_bins(const nlohmann::json& j, const std::string& op) {
  const int bins = get_int(j, op, "num_magnitude_bins", 31);
  TLAB_CHECK(bins >= 2, "augment op '", op, "': num_magnitude_bins must be >= 2, got ", bins);
  return bins;
}

class RandAugmentOp : public ImageOp {
 public:
  explicit RandAugmentOp(const nlohmann::json& j) {
    const std::string op = "rand_augment";
    check_keys(j, op, {"op", "num_ops", "magnitude", "num_magnitude_bins"});
    num_ops_ = get_int(j, op, "num_ops", 2);
    magnitude_ = get_int(j, op, "magnitude", 9);
    bins_ = get_bins(j, op);
    TLAB_CHECK(num_ops_ >= 0, "augment op 'rand_augment': num_ops must be >= 0, got ", num_ops_);
    TLAB_CHECK(magnitude_ >= 0 && magnitude_ < bins_, "augment op 'rand_augment': magnitude must be in [0, ", bins_ - 1,
               "] (num_magnitude_bins - 1), got ", magnitude_);
  }

  cv::Mat apply(const cv::Mat& image, const InputSpec&, Rng& rng) const override {
    cv::Mat img = image;
    for (int i = 0; i < num_ops_; ++i) {
      const auto op = static_cast<AugOp>(randint(rng, kNumOps));
      double m = has_magnitude(op) ? magnitude_of(op, magnitude_, bins_, false, img.rows, img.cols) : 0.0;
      m = signed_magnitude(op, m, rng);
      img = apply_op(img, op, m);
    }
    return img;
  }

  nlohmann::json to_json() const override {
    return {{"op", "rand_augment"}, {"num_ops", num_ops_}, {"magnitude", magnitude_}, {"num_magnitude_bins", bins_}};
  }

 private:
  int num_ops_ = 2, magnitude_ = 9, bins_ = 31;
};

class TrivialAugmentWideOp : public ImageOp {
 public:
  explicit TrivialAugmentWideOp(const nlohmann::json& j) {
    const std::string op = "trivial_augment_wide";
    check_keys(j, op, {"op", "num_magnitude_bins"});
    bins_ = get_bins(j, op);
  }

  cv::Mat apply(const cv::Mat& image, const InputSpec&, Rng& rng) const override {
    const auto op = static_cast<AugOp>(randint(rng, kNumOps));
    double m = 0;
    if (has_magnitude(op)) m = magnitude_of(op, int(randint(rng, bins_)), bins_, true, image.rows, image.cols);
    m = signed_magnitude(op, m, rng);
    return apply_op(image, op, m);
  }

  nlohmann::json to_json() const override { return {{"op", "trivial_augment_wide"}, {"num_magnitude_bins", bins_}}; }

 private:
  int bins_ = 31;
};

}  // namespace

std::shared_ptr<const ImageOp> make_rand_augment(const nlohmann::json& j) { return std::make_shared<RandAugmentOp>(j); }

std::shared_ptr<const ImageOp> make_trivial_augment_wide(const nlohmann::json& j) {
  return std::make_shared<TrivialAugmentWideOp>(j);
}

}  // namespace tlab::transforms::detail
