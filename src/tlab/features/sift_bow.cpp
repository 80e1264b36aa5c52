#include "tlab/features/sift_bow.h"

#include <opencv2/features2d.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <numeric>
#include <random>

#include "tlab/core/error.h"

namespace tlab::features {

void validate(const SiftBowOptions& o) {
  TLAB_CHECK(o.words > 0, "--sift-words: expected a positive vocabulary size, got ", o.words);
  TLAB_CHECK(o.dense_step >= 0, "--sift-dense: expected a grid step >= 0 pixels (0: the detector), got ", o.dense_step);
  TLAB_CHECK(o.max_keypoints >= 0, "SiftBowOptions::max_keypoints: expected >= 0, got ", o.max_keypoints);
  TLAB_CHECK(o.max_fit_descriptors > 0, "SiftBowOptions::max_fit_descriptors: expected > 0, got ",
             o.max_fit_descriptors);
  TLAB_CHECK(o.kmeans_attempts > 0, "SiftBowOptions::kmeans_attempts: expected > 0, got ", o.kmeans_attempts);
}

cv::Mat sift_descriptors(const cv::Mat& image, const SiftBowOptions& o) {
  TLAB_CHECK(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3),
             "sift: expected an 8-bit image with 1 or 3 channels");
  cv::Mat gray;
  if (image.channels() == 3) cv::cvtColor(image, gray, cv::COLOR_RGB2GRAY);
  else gray = image;
  auto sift = cv::SIFT::create(o.dense_step > 0 ? 0 : o.max_keypoints);
  std::vector<cv::KeyPoint> keypoints;
  cv::Mat descriptors;
  if (o.dense_step > 0) {
    const int s = o.dense_step;
    for (int y = s; y < gray.rows - s + 1; y += s)
      for (int x = s; x < gray.cols - s + 1; x += s) keypoints.emplace_back(float(x), float(y), float(2 * s));
    if (!keypoints.empty()) sift->compute(gray, keypoints, descriptors);
  } else {
    sift->detectAndCompute(gray, cv::noArray(), keypoints, descriptors);
  }
  return descriptors.empty() ? cv::Mat(0, 128, CV_32F) : descriptors;
}

SiftVocabulary SiftVocabulary::fit(const std::vector<cv::Mat>& descriptors, const SiftBowOptions& o) {
  validate(o);
  int total = 0;
  for (const auto& d : descriptors) total += d.rows;
  TLAB_CHECK_DATA(total >= o.words, "sift-bow: the training images give ", total, " descriptors, fewer than the ",
                  o.words, " words asked for (--sift-words); use fewer words or --sift-dense STEP");
  // rows [image, row] of every descriptor, a seeded sample of them when there are too many
  std::vector<std::pair<int, int>> rows;
  rows.reserve(size_t(total));
  for (int i = 0; i < int(descriptors.size()); ++i)
    for (int r = 0; r < descriptors[size_t(i)].rows; ++r) rows.emplace_back(i, r);
  std::mt19937_64 rng(o.seed);
  if (int(rows.size()) > o.max_fit_descriptors) {
    std::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(size_t(o.max_fit_descriptors));
    std::sort(rows.begin(), rows.end());
  }
  cv::Mat data(int(rows.size()), 128, CV_32F);
  for (int k = 0; k < data.rows; ++k) descriptors[size_t(rows[size_t(k)].first)].row(rows[size_t(k)].second).copyTo(data.row(k));
  cv::theRNG().state = o.seed ? o.seed : 0xffffffffULL;  // cv::kmeans draws from it: seeded, reproducible
  cv::Mat labels, centers;
  cv::kmeans(data, o.words, labels, cv::TermCriteria(cv::TermCriteria::EPS + cv::TermCriteria::COUNT, 100, 1e-4),
             o.kmeans_attempts, cv::KMEANS_PP_CENTERS, centers);
  return SiftVocabulary(centers);
}

std::vector<float> SiftVocabulary::histogram(const cv::Mat& descriptors) const {
  std::vector<float> h(size_t(centers_.rows), 0.f);
  if (descriptors.rows == 0) return h;
  TLAB_CHECK(descriptors.cols == centers_.cols && descriptors.type() == CV_32F, "sift-bow: descriptors of ",
             descriptors.cols, " columns for a vocabulary of ", centers_.cols);
  std::vector<cv::DMatch> nearest;
  cv::BFMatcher(cv::NORM_L2).match(descriptors, centers_, nearest);
  for (const auto& m : nearest) h[size_t(m.trainIdx)] += 1.f;
  for (float& v : h) v /= float(descriptors.rows);
  return h;
}

}  // namespace tlab::features
