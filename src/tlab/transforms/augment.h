#pragma once
// Training-time augmentation: small seeded steps, composed in a pipeline built from JSON or a
// named preset (--augment none|light|keras|strong|FILE.json), recorded in the run's config.
// Every op and key is documented in docs/AUGMENTATION.md.
//
// A pipeline turns a decoded image (uint8 H x W x C, C = 1 or 3, RGB) into one normalised
// training sample, in three stages:
//   1. image ops, uint8, in the listed order. The first may be "random_resized_crop", which then
//      replaces the deterministic resize/centre-crop of the InputSpec; otherwise the image is first
//      brought to the model's size by transforms::resize_and_crop and the ops work at that size;
//   2. transforms::to_chw_float (scale, mean/std, channel order, as at evaluation);
//   3. sample ops on the normalised float [C, H, W] ("random_erasing", "gaussian_noise"); these
//      must come after every image op in the list.
// Batch-level MixUp / CutMix settings ride along (MixOptions) and are applied by the loader.
//
// JSON form (presets expand to it; unknown keys and ops are errors naming them):
//   {"ops": [{"op": "random_resized_crop", "scale": [0.08, 1], "ratio": [0.75, 1.3333]},
//            {"op": "horizontal_flip", "p": 0.5},
//            {"op": "trivial_augment_wide"},
//            {"op": "random_erasing", "p": 0.25}],
//    "mixup_alpha": 0.2, "cutmix_alpha": 1.0, "mix_prob": 1.0, "switch_prob": 0.5}
//
// Ops ("op" value: keys with their defaults):
//   keras                 Keras ImageDataGenerator parity, keys of the same names and meaning:
//                         rotation_range 0 (degrees), width_shift_range 0, height_shift_range 0
//                         (fraction of the side if < 1, else pixels), shear_range 0 (degrees),
//                         zoom_range 0 (number z -> [1-z, 1+z], or [lo, hi]), horizontal_flip false,
//                         vertical_flip false, fill_mode "nearest" (nearest|constant|reflect|wrap),
//                         cval 0, brightness_range null ([lo, hi]), channel_shift_range 0.
//                         All geometry, flips included, is ONE affine warp (bilinear), matrix and
//                         centre as Keras's apply_affine_transform; then channel shift, brightness.
//   random_resized_crop   scale [0.08, 1], ratio [0.75, 1.3333]: torchvision's sampling (10 tries,
//                         then the centre crop fallback), resized to the InputSpec size.
//   random_crop           padding 0 (pixels each side), fill_mode "constant", cval 0: pad, then a
//                         random crop back to the input size.
//   horizontal_flip       p 0.5
//   vertical_flip         p 0.5
//   color_jitter          brightness 0, contrast 0, saturation 0 (factor ranges [max(0, 1-v), 1+v]),
//                         hue 0 (shift in [-v, v] of a turn, v <= 0.5); applied in a random order,
//                         with torchvision's definitions of each adjustment.
//   rand_augment          num_ops 2, magnitude 9, num_magnitude_bins 31 (torchvision RandAugment).
//   trivial_augment_wide  num_magnitude_bins 31 (torchvision TrivialAugmentWide).
//   random_erasing        p 0.5, scale [0.02, 0.33], ratio [0.3, 3.3], value "zero" | "random"
//                         (sample stage; torchvision RandomErasing on the normalised tensor).
//   gaussian_noise        std 0.05, p 1.0: adds N(0, std) in pixel units of [0, 1] (i.e. divided
//                         by each channel's std in the normalised sample) (sample stage).
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "tlab/transforms/mix.h"
#include "tlab/transforms/preprocess.h"

namespace tlab::transforms {

using Rng = std::mt19937_64;

// One image op: uint8 H x W x C in, uint8 out (the size may change only for crops). The input is
// never modified; the result may share its pixels when the op changes nothing.
class ImageOp {
 public:
  virtual ~ImageOp() = default;
  // `spec` gives the model's input size (random_resized_crop's output size).
  virtual cv::Mat apply(const cv::Mat& image, const InputSpec& spec, Rng& rng) const = 0;
  virtual nlohmann::json to_json() const = 0;  // {"op": ..., every key with its value}
};

// One sample op on the normalised float sample [channels, height, width] in place.
class SampleOp {
 public:
  virtual ~SampleOp() = default;
  virtual void apply(float* chw, const InputSpec& spec, Rng& rng) const = 0;
  virtual nlohmann::json to_json() const = 0;
};

class Augmentation {
 public:
  Augmentation() = default;  // no augmentation ("none")
  // The JSON form above; throws UsageError naming the bad op, key or value.
  static Augmentation from_json(const nlohmann::json& config);
  // none | light | keras | strong (docs/AUGMENTATION.md lists what each expands to).
  static Augmentation preset(const std::string& name);
  // --augment's value: a preset name, or a path to a .json file holding the JSON form.
  static Augmentation from_flag(const std::string& value);

  nlohmann::json to_json() const;  // the full form, every key resolved (the run's config records it)
  bool empty() const { return image_ops_.empty() && sample_ops_.empty() && !mix_.enabled(); }
  const MixOptions& mix() const { return mix_; }

  // Stages 1 and 2 (and 3): decoded image -> normalised sample written to `out`
  // (spec.channels * spec.height * spec.width floats).
  void apply(const cv::Mat& image, const InputSpec& spec, Rng& rng, float* out) const;
  // Stage 1 only: the augmented uint8 image at the input size, in the InputSpec's channel count
  // (RGB order), as the model would see it before normalisation (augment-preview).
  cv::Mat apply_image(const cv::Mat& image, const InputSpec& spec, Rng& rng) const;

 private:
  std::vector<std::shared_ptr<const ImageOp>> image_ops_;
  std::vector<std::shared_ptr<const SampleOp>> sample_ops_;
  MixOptions mix_;
  bool crop_first_ = false;  // image_ops_[0] is random_resized_crop
};

// ---- Keras ImageDataGenerator's geometry, exposed for tests and tools ----

// One draw of ImageDataGenerator.get_random_transform (pixel units, as Keras's dict).
struct KerasTransform {
  double theta = 0;   // rotation, degrees (positive turns the content clockwise on screen)
  double tx = 0;      // shift along rows (height), pixels: output(r, c) = input(r + tx, c),
                      // so a positive tx moves the content up
  double ty = 0;      // shift along columns (width), pixels: a positive ty moves the content left
  double shear = 0;   // degrees: output(r, c) = input(r - sin(s) (c - oc), cos(s) (c - oc) + oc),
                      // oc = width / 2 + 0.5 (Keras's centre column)
  double zx = 1;      // zoom along rows (Keras's name): > 1 shows more of the image (content shrinks)
  double zy = 1;      // zoom along columns
  bool flip_horizontal = false;  // mirror left-right (after the warp, as Keras; folded into it)
  bool flip_vertical = false;    // mirror top-bottom
  std::optional<double> channel_shift_intensity;  // added to every channel, clipped to the image's
                                                   // own min/max (Keras apply_channel_shift)
  std::optional<double> brightness;  // Keras apply_brightness_shift: stretch to 0..255 (array_to_img),
                                     // then PIL ImageEnhance.Brightness (multiply, truncate, clip)
};

// The 3x3 matrix that maps an output position (row, col, 1) to the input position it samples
// (scipy.ndimage.affine_transform's convention), flips included: Keras's
// rotation * shift * shear * zoom offset to the centre (h/2 + 0.5, w/2 + 0.5) as its
// transform_matrix_offset_center, then times the flips (col -> w-1-col, row -> h-1-row).
cv::Matx33d keras_transform_matrix(const KerasTransform& t, int height, int width);

// Border handling of the keras op (and random_crop): "nearest" (a a a | a b c d | d d d),
// "constant" (cval), "reflect" (d c b a | a b c d | d c b a) and "wrap" (a b c d | a b c d).
// Returns the OpenCV border type; throws UsageError naming `where` for other names.
int keras_border_mode(const std::string& fill_mode, const std::string& where = "fill_mode");

// Applies `t` to a uint8 H x W x C image: one cv::warpAffine (bilinear, WARP_INVERSE_MAP) with
// keras_transform_matrix (none for the identity, cv::flip for a pure flip), then the channel
// shift and the brightness as one lookup table. `image` is not modified; when `t` changes nothing
// the result shares its pixels.
cv::Mat apply_keras_transform(const cv::Mat& image, const KerasTransform& t, const std::string& fill_mode = "nearest",
                              double cval = 0);

}  // namespace tlab::transforms
