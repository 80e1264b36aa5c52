#pragma once
// The single-image building blocks of the augmentation ops, with torchvision 0.14's definitions
// for PIL images (functional_pil.py, i.e. PIL's ImageEnhance / ImageOps). Each takes a uint8
// H x W x C image (C = 1 or 3, RGB) and returns a new one of the same size and type; the input is
// never modified. Blends follow PIL's Image.blend: out = a + f (b - a) in float, truncated, clipped
// to 0..255. Colour-only adjustments (saturation, hue) return a copy of a grey image unchanged.
#include <opencv2/core.hpp>

namespace tlab::transforms {

// ImageEnhance.Brightness: blend with black, out = trunc(f x). factor >= 0.
cv::Mat adjust_brightness(const cv::Mat& image, double factor);
// ImageEnhance.Contrast: blend with a flat image of the grey mean, rounded to an integer.
cv::Mat adjust_contrast(const cv::Mat& image, double factor);
// ImageEnhance.Color: blend with the image's greyscale (ITU-R 601 luma). Grey images: unchanged.
cv::Mat adjust_saturation(const cv::Mat& image, double factor);
// torchvision adjust_hue: hue (HSV, 0..255 per turn as PIL) shifted by uint8(hue * 255), wrapping;
// hue in [-0.5, 0.5]. Grey images: unchanged.
cv::Mat adjust_hue(const cv::Mat& image, double hue);
// ImageEnhance.Sharpness: blend with the 3x3 SMOOTH filter ([1 1 1; 1 5 1; 1 1 1] / 13; the
// one-pixel border keeps its values).
cv::Mat adjust_sharpness(const cv::Mat& image, double factor);
// ImageOps.posterize: keep the top `bits` bits (0..8) of every value.
cv::Mat posterize(const cv::Mat& image, int bits);
// ImageOps.solarize: values >= threshold become 255 - value.
cv::Mat solarize(const cv::Mat& image, double threshold);
// ImageOps.autocontrast (cutoff 0): each channel stretched so its min -> 0 and max -> 255.
cv::Mat autocontrast(const cv::Mat& image);
// ImageOps.equalize: each channel's histogram equalised with PIL's lookup table.
cv::Mat equalize(const cv::Mat& image);

// torchvision F.affine / F.rotate on a PIL image with nearest-neighbour sampling and fill 0:
// angle in degrees (clockwise, as F.affine), translate (x, y) in pixels, scale, shear (x, y) in
// degrees, about `center` (x, y) in PIL's continuous coordinates (pixel i covers [i, i + 1]).
// The inverse matrix is torchvision's _get_inverse_affine_matrix.
cv::Mat affine_nearest(const cv::Mat& image, double angle, cv::Point2d translate, double scale, cv::Point2d shear,
                       cv::Point2d center, double fill = 0);

}  // namespace tlab::transforms
