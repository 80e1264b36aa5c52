#pragma once
// A SIFT bag of visual words: OpenCV's SIFT descriptors (128-d, features2d's cv::SIFT) on the
// detector's keypoints or on a dense grid, a k-means vocabulary fitted on the training split's
// descriptors only, and per image the L1-normalised histogram of the nearest words.
#include <opencv2/core.hpp>

#include <cstdint>
#include <vector>

namespace tlab::features {

struct SiftBowOptions {
  int words = 100;              // --sift-words K: vocabulary size (k-means clusters), > 0
  int dense_step = 0;           // --sift-dense STEP: keypoints every STEP pixels, diameter 2 * STEP; 0: SIFT's detector
  int max_keypoints = 500;      // with the detector: its N strongest keypoints per image (0: all)
  int max_fit_descriptors = 50000;  // descriptors sampled (seeded) for the k-means fit, > 0
  int kmeans_attempts = 3;      // k-means++ restarts; the most compact wins
  uint64_t seed = 0;            // the sample and k-means
};

// Throws UsageError naming the flag.
void validate(const SiftBowOptions& options);

// SIFT descriptors [n, 128] CV_32F of an 8-bit image (1 channel, or 3 as RGB, converted to grey);
// n may be 0 (a flat image has no keypoints).
cv::Mat sift_descriptors(const cv::Mat& image, const SiftBowOptions& options);

class SiftVocabulary {
 public:
  // k-means on the descriptors of the training images (at most max_fit_descriptors, sampled with
  // the seed). Throws DataError when there are fewer descriptors than words.
  static SiftVocabulary fit(const std::vector<cv::Mat>& descriptors, const SiftBowOptions& options);
  // Rebuilt from stored centres [K, 128] (a fitted pipeline in a checkpoint).
  explicit SiftVocabulary(cv::Mat centers) : centers_(std::move(centers)) {}

  // The L1-normalised counts of each word as the nearest centre of `descriptors`; all zeros when
  // there are none.
  std::vector<float> histogram(const cv::Mat& descriptors) const;
  const cv::Mat& centers() const { return centers_; }
  int words() const { return centers_.rows; }

 private:
  cv::Mat centers_;  // [K, 128] CV_32F
};

}  // namespace tlab::features
