// The SIFT bag of words: OpenCV's descriptors on the detector's keypoints and on a dense grid, a
// seeded (reproducible) vocabulary, and normalised word histograms.
#include "tlab/features/sift_bow.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <filesystem>
#include <numeric>

#include "../test_util.h"
#include "tlab/core/error.h"

namespace tlab::test {
namespace {

std::vector<cv::Mat> photos() {
  std::vector<cv::Mat> out;
  for (const auto& e : fs::directory_iterator(shared_dir() + "/images")) {
    cv::Mat bgr = cv::imread(e.path().string(), cv::IMREAD_COLOR), rgb, small;
    if (bgr.empty()) continue;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    cv::resize(rgb, small, cv::Size(160, 120), 0, 0, cv::INTER_AREA);
    out.push_back(small);
  }
  EXPECT_GE(out.size(), 2u) << "photos in ../shared/images";
  return out;
}

TEST(SiftBow, DescriptorsOnTheDetectorAndOnADenseGrid) {
  const auto images = photos();
  features::SiftBowOptions o;
  o.max_keypoints = 50;
  const cv::Mat d = features::sift_descriptors(images[0], o);
  EXPECT_EQ(d.cols, 128);
  EXPECT_EQ(d.type(), CV_32F);
  EXPECT_GT(d.rows, 10);
  EXPECT_LE(d.rows, 60);  // SIFT keeps ties at the cut, so a few more than asked
  o.dense_step = 16;
  // centres every 16 px whose 16-px radius stays inside 160 x 120: x 16..144 (9), y 16..96 (6)
  EXPECT_EQ(features::sift_descriptors(images[0], o).rows, 9 * 6);
  o.dense_step = 0;
  EXPECT_EQ(features::sift_descriptors(cv::Mat(64, 64, CV_8UC1, cv::Scalar(128)), o).rows, 0);  // flat: none
}

TEST(SiftBow, ASeededVocabularyAndNormalisedHistograms) {
  const auto images = photos();
  features::SiftBowOptions o;
  o.words = 16;
  o.dense_step = 12;
  o.seed = 7;
  std::vector<cv::Mat> descriptors;
  for (const auto& im : images) descriptors.push_back(features::sift_descriptors(im, o));
  const auto a = features::SiftVocabulary::fit(descriptors, o), b = features::SiftVocabulary::fit(descriptors, o);
  ASSERT_EQ(a.words(), 16);
  EXPECT_EQ(cv::norm(a.centers(), b.centers(), cv::NORM_INF), 0.0) << "the same seed, the same vocabulary";
  const auto h = a.histogram(descriptors[0]);
  EXPECT_NEAR(std::accumulate(h.begin(), h.end(), 0.0), 1.0, 1e-5);
  const auto own = a.histogram(a.centers().row(3).clone());  // a centre is its own nearest word
  EXPECT_FLOAT_EQ(own[3], 1.f);
  EXPECT_EQ(a.histogram(cv::Mat(0, 128, CV_32F)), std::vector<float>(16, 0.f));
  o.words = 100000;
  EXPECT_THROW(features::SiftVocabulary::fit(descriptors, o), DataError);
  o.words = 0;
  EXPECT_THROW(features::validate(o), UsageError);
}

}  // namespace
}  // namespace tlab::test
