#pragma once
// Colour histograms: per-channel (marginal) histograms of HSV or RGB, as fractions of the pixels,
// the classical colour feature beside HOG (shape) and LBP (texture). HSV is scikit-image 0.19's
// rgb2hsv; the bins are numpy's np.histogram bins, so the same image gives the same numbers as
// np.histogram(rgb2hsv(image)[..., k], bins, range=(0, 1)) / pixels.
// tests/features/color_hist_test.cpp checks against numpy + python3-skimage.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace tlab::features {

struct ColorHistOptions {
  int bins = 8;               // --color-bins: equal bins per channel, 1..256
  std::string space = "hsv";  // --color-space: hsv | rgb (3-channel images; grey ones use intensity)
};

// Throws UsageError naming the flag.
void validate(const ColorHistOptions& options);

// The length of color_histogram()'s vector for an image of `channels` (1 or 3): bins per channel.
int color_hist_length(int channels, const ColorHistOptions& options);

// `image`: H x W CV_8U, 1 channel, or 3 in RGB order as tlab's data sets give them (a cv::imread
// result is BGR: convert it first). 3 channels: the histograms of H, S and V, concatenated
// (space hsv: rgb2hsv of img_as_float, i.e. pixel / 255 in double; each channel in [0, 1] with
// `bins` equal bins over [0, 1]), or of R, G and B (space rgb: `bins` equal bins over [0, 256)).
// 1 channel: the intensity histogram alone, bins over [0, 256), whatever the space. A value v is
// in bin i when e_i <= v < e_{i+1}, the last bin closed (1.0 belongs to it), with the edges
// e_i = i * (range / bins) as np.linspace gives them. Each channel's histogram is the fraction of
// pixels per bin and sums to 1. Returns color_hist_length() values. Throws UsageError for other
// depths, channel counts or an empty image.
std::vector<float> color_histogram(const cv::Mat& image, const ColorHistOptions& options);

}  // namespace tlab::features
