#pragma once
// Local binary patterns with scikit-image 0.19's exact definitions
// (skimage.feature.local_binary_pattern, feature/_texture.pyx), and a normalised histogram of the
// codes as an image's texture feature. tests/features/lbp_test.cpp checks against python3-skimage.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace tlab::features {

struct LbpOptions {
  int points = 8;                  // --lbp-points P: samples on the circle, 1..31 (default/ror: 1..16)
  double radius = 1;               // --lbp-radius R: the circle's radius in pixels, > 0
  std::string method = "uniform";  // --lbp-method: default | ror | uniform | nri_uniform | var
};

// Throws UsageError naming the flag (the 2^P-bin histograms of default/ror need P <= 16).
void validate(const LbpOptions& options);

// skimage.feature.local_binary_pattern(gray, P, R, method): H x W CV_64F codes of a 1-channel
// image of any depth, its values used as they are (np.ascontiguousarray(image, dtype=double)).
// Codes: default 0..2^P-1, ror the smallest rotation of it, uniform 0..P+1 (P+1: not uniform),
// nri_uniform 0..P*(P-1)+2, var the neighbours' (biased) variance, NaN where it is 0.
// Samples outside the image read 0 (mode 'C').
cv::Mat local_binary_pattern(const cv::Mat& gray, int P, double R, const std::string& method = "default");

// The fraction of pixels per code bin, on the image as skimage's img_as_float gives it (uint8 *
// (1 / 255); float as it is, taken to be in [0, 1]). `image`: H x W, CV_8U, CV_32F or CV_64F;
// 1 channel, or 3 in RGB order as tlab's data sets give them (a cv::imread result is BGR: convert
// it first), made grey by rgb2gray's weights (0.2125 R + 0.7154 G) + 0.0721 B.
// Bins (sum 1): uniform P + 2, nri_uniform P * (P - 1) + 3, default and ror 2^P, one per code;
// var 16 bins of the local standard deviation sqrt(var) over [0, 0.5] (bin k: [k / 32, (k + 1) / 32),
// 0.5 and above in the last, NaN (a flat neighbourhood) in the first). The standard deviation
// rather than the variance spreads natural images over the bins (variance bins put ~90% of the
// pixels in the first); the fixed range, 0.5 being the largest deviation of values in [0, 1],
// keeps the bins the same for every image, unlike [0, max].
std::vector<float> lbp_histogram(const cv::Mat& image, const LbpOptions& options);

}  // namespace tlab::features
