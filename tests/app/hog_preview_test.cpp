// tlab hog-preview, run as a user would: the PNG's layout (the image, a 4-pixel gap, the HOG
// picture, one height), what it prints, and images too small for one block as usage errors.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/features/hog.h"

namespace tlab::test {
namespace {

constexpr int kGap = 4;

struct CliResult {
  int code;
  std::string output;  // stdout and stderr together
};

CliResult hog_preview(const std::string& args, const TempDir& dir) {
  const std::string log = dir.str("cli.log");
  const int code = run_command(std::string(TLAB_CLI_PATH) + " hog-preview " + args + " > " + log + " 2>&1");
  return {code, read_text(log)};
}

TEST(HogPreview, WritesTheImageAndItsHogPictureSideBySide) {
  TempDir dir;
  const std::string photo = shared_dir() + "/images/bird.bmp";  // 512 x 343, lossless
  const cv::Mat bgr = cv::imread(photo, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty()) << photo;
  const std::string out = dir.str("hog.png");
  const auto r = hog_preview(photo + " --out " + out, dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const int length = features::hog_length(bgr.size(), {});
  EXPECT_NE(r.output.find(out), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(str_cat(length, " features")), std::string::npos) << r.output;

  const cv::Mat png = cv::imread(out, cv::IMREAD_UNCHANGED);
  ASSERT_FALSE(png.empty());
  EXPECT_EQ(png.type(), CV_8UC3);
  ASSERT_EQ(png.cols, 2 * bgr.cols + kGap);
  ASSERT_EQ(png.rows, bgr.rows);
  EXPECT_EQ(cv::norm(png(cv::Rect(0, 0, bgr.cols, bgr.rows)), bgr, cv::NORM_INF), 0) << "the left half is the image";
  cv::Mat hog_half;
  cv::extractChannel(png(cv::Rect(bgr.cols + kGap, 0, bgr.cols, bgr.rows)), hog_half, 0);
  double most = 0;
  cv::minMaxLoc(hog_half, nullptr, &most);
  EXPECT_EQ(most, 255) << "the picture is scaled to its maximum";
  const double lit = double(cv::countNonZero(hog_half)) / double(hog_half.total());
  EXPECT_GT(lit, 0.05) << "the HOG half is nearly empty";
  EXPECT_LT(lit, 0.9) << "the HOG half should be lines on black";

  // --size: the longer side; --grey: one channel
  const auto small = hog_preview(photo + " --out " + dir.str("small.png") + " --size 96 --grey --hog-cell 6", dir);
  ASSERT_EQ(small.code, 0) << small.output;
  const cv::Mat grey = cv::imread(dir.str("small.png"), cv::IMREAD_UNCHANGED);
  EXPECT_EQ(grey.type(), CV_8UC1);
  EXPECT_EQ(grey.cols, 2 * 96 + kGap);
  EXPECT_EQ(grey.rows, 64);  // 343 * 96 / 512 = 64.3
}

TEST(HogPreview, HelpShowsTheHogFlagsWithTheirDefaults) {
  TempDir dir;
  const auto r = hog_preview("--help", dir);
  EXPECT_EQ(r.code, 0) << r.output;
  for (const char* flag : {"--hog-orientations INT=9", "--hog-cell INT=8", "--hog-block INT=3", "=L2-Hys", "--hog-sqrt",
                           "--size INT=0"})
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag << " in\n" << r.output;
}

TEST(HogPreview, AnImageSmallerThanOneBlockIsAUsageError) {
  TempDir dir;
  const cv::Mat tiny(20, 30, CV_8UC3, cv::Scalar(10, 200, 30));  // 2x3 cells of 8 px: less than a 3x3 block
  ASSERT_TRUE(cv::imwrite(dir.str("tiny.png"), tiny));
  auto r = hog_preview(dir.str("tiny.png") + " --out " + dir.str("x.png"), dir);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--hog-block"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.str("x.png")));
  r = hog_preview(shared_dir() + "/images/bird.bmp --out " + dir.str("x.png") + " --size 16", dir);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--hog-block"), std::string::npos) << r.output;
  EXPECT_EQ(hog_preview(dir.str("tiny.png") + " --out " + dir.str("x.png") + " --hog-block 2", dir).code, 0);
  r = hog_preview(dir.str("tiny.png") + " --out " + dir.str("y.png") + " --hog-norm L3", dir);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--hog-norm"), std::string::npos) << r.output;
  EXPECT_EQ(hog_preview(dir.str("missing.png") + " --out " + dir.str("y.png"), dir).code, 1);  // a data error
}

}  // namespace
}  // namespace tlab::test
