// Colour histograms against numpy + scikit-image 0.19 (np.histogram of skimage.color.rgb2hsv, run
// from the test) on random images, a photo and an image of every combination of chosen byte values
// (hues, saturations and values on the bin edges), at odd sizes, for several bin counts.
#include "tlab/features/color_hist.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <fstream>
#include <iostream>
#include <map>

#include "../raw_file.h"
#include "../test_util.h"
#include "tlab/core/error.h"

namespace tlab::test {
namespace {

// argv: the directory. cases.txt: one case a line, "name image rows cols channels bins space";
// writes name.f64.
constexpr const char* kReference = R"(import sys, numpy as np
from skimage.color import rgb2hsv
d = sys.argv[1]
for line in open(d + "/cases.txt"):
    name, image, rows, cols, channels, bins, space = line.split()
    rows, cols, channels, bins = int(rows), int(cols), int(channels), int(bins)
    pixels = np.fromfile(f"{d}/{image}.u8", np.uint8).reshape(rows, cols, channels)
    if channels == 1:
        planes, edges = [pixels[..., 0]], (0, 256)
    elif space == "hsv":
        hsv = rgb2hsv(pixels)
        planes, edges = [hsv[..., k] for k in range(3)], (0, 1)
    else:
        planes, edges = [pixels[..., k] for k in range(3)], (0, 256)
    out = [np.histogram(p, bins=bins, range=edges)[0] / p.size for p in planes]
    np.concatenate(out).astype(np.float64).tofile(f"{d}/{name}.f64")
)";

// Every (r, g, b) of these values: pure and mixed hues at multiples of 1/6, 1/8 and 1/12 (e.g.
// 240, 180, 0 has hue exactly 1/8), saturations and values on edges, greys (delta 0).
cv::Mat edge_image() {
  const std::vector<int> values{0,   15,  17,  32,  51,  60,  64,  85,  102, 120,
                                127, 128, 153, 170, 180, 191, 192, 204, 240, 255};
  cv::Mat image(int(values.size() * values.size()), int(values.size()), CV_8UC3);  // 400 x 20
  int i = 0;
  for (int r : values)
    for (int g : values)
      for (int b : values) {
        image.at<cv::Vec3b>(i / image.cols, i % image.cols) = cv::Vec3b(uchar(r), uchar(g), uchar(b));
        ++i;
      }
  return image;
}

TEST(ColorHist, EqualsNumpyAndScikitImage) {
  cv::RNG rng(7);
  cv::Mat random_rgb(37, 53, CV_8UC3), random_grey(41, 29, CV_8UC1);
  rng.fill(random_rgb, cv::RNG::UNIFORM, 0, 256);
  rng.fill(random_grey, cv::RNG::UNIFORM, 0, 256);
  const std::string path = shared_dir() + "/images/bird.bmp";  // 512 x 343
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty()) << path;
  cv::Mat photo, photo_grey;
  cv::cvtColor(bgr, photo, cv::COLOR_BGR2RGB);
  cv::cvtColor(photo, photo_grey, cv::COLOR_RGB2GRAY);
  const std::map<std::string, cv::Mat> images{{"random_rgb", random_rgb},
                                              {"random_grey", random_grey},
                                              {"photo", photo},
                                              {"photo_grey", photo_grey},
                                              {"edges", edge_image()}};

  TempDir dir;
  struct Case {
    std::string name, image;
    features::ColorHistOptions options;
  };
  std::vector<Case> cases;
  for (const auto& [name, image] : images) {
    write_raw(dir.str(name + ".u8"), image);
    for (const int bins : {1, 6, 7, 8, 12, 256})
      for (const std::string space : {"hsv", "rgb"}) {
        if (image.channels() == 1 && space == "rgb") continue;  // grey: the space does not apply
        cases.push_back({str_cat(name, "_", space, "_", bins), name, {bins, space}});
      }
  }
  {
    std::ofstream list(dir.str("cases.txt"));
    for (const auto& c : cases) {
      const cv::Mat& m = images.at(c.image);
      list << c.name << " " << c.image << " " << m.rows << " " << m.cols << " " << m.channels() << " "
           << c.options.bins << " " << c.options.space << "\n";
    }
  }
  std::ofstream(dir.str("ref.py")) << kReference;
  ASSERT_EQ(run_command(str_cat("/usr/bin/python3 ", dir.str("ref.py"), " ", dir.str())), 0)
      << "the numpy / scikit-image reference failed; is python3-skimage installed (apt-get install python3-skimage)?";

  for (const auto& c : cases) {
    const cv::Mat& image = images.at(c.image);
    SCOPED_TRACE(str_cat(c.name, ": ", image.rows, "x", image.cols, "x", image.channels(), ", bins ", c.options.bins,
                         ", space ", c.options.space));
    const auto ours = features::color_histogram(image, c.options);
    const auto theirs = read_f64(dir.str(c.name + ".f64"));
    ASSERT_EQ(ours.size(), theirs.size());
    EXPECT_EQ(int(ours.size()), features::color_hist_length(image.channels(), c.options));
    double most = 0;
    for (size_t i = 0; i < ours.size(); ++i) most = std::max(most, std::abs(double(ours[i]) - theirs[i]));
    EXPECT_LE(most, 1e-6);
    for (int k = 0; k < image.channels(); ++k) {  // each channel's fractions sum to 1
      double sum = 0;
      for (int i = 0; i < c.options.bins; ++i) sum += ours[size_t(k * c.options.bins + i)];
      EXPECT_NEAR(sum, 1.0, 1e-5) << "channel " << k;
    }
  }
  std::cout << "color_hist: " << cases.size() << " cases equal to numpy + skimage within 1e-6\n";
}

TEST(ColorHist, HuesOnBinEdgesGoToTheUpperBin) {
  // red, yellow, green, cyan, blue, magenta: hues 0, 1/6, ..., 5/6, each exactly on an edge of 6 bins.
  cv::Mat hues(1, 6, CV_8UC3);
  const cv::Vec3b colours[] = {{255, 0, 0}, {255, 255, 0}, {0, 255, 0}, {0, 255, 255}, {0, 0, 255}, {255, 0, 255}};
  for (int i = 0; i < 6; ++i) hues.at<cv::Vec3b>(0, i) = colours[i];
  auto h = features::color_histogram(hues, {6, "hsv"});
  ASSERT_EQ(h.size(), 18u);
  for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(h[size_t(i)], 1.f / 6) << "hue bin " << i;
  EXPECT_FLOAT_EQ(h[6 + 5], 1.f);   // saturation 1.0: the last bin is closed
  EXPECT_FLOAT_EQ(h[12 + 5], 1.f);  // value 1.0
  h = features::color_histogram(hues, {12, "hsv"});
  for (int i = 0; i < 12; ++i) EXPECT_FLOAT_EQ(h[size_t(i)], i % 2 == 0 ? 1.f / 6 : 0.f) << "hue bin " << i;
  // rgb: 255 is in the last of 8 bins over [0, 256), 0 in the first, 32 starts bin 1.
  const cv::Mat rgb(1, 2, CV_8UC3, cv::Scalar(0, 32, 255));
  h = features::color_histogram(rgb, {8, "rgb"});
  EXPECT_FLOAT_EQ(h[0], 1.f);
  EXPECT_FLOAT_EQ(h[8 + 1], 1.f);
  EXPECT_FLOAT_EQ(h[16 + 7], 1.f);
  // grey: one intensity histogram, whatever the space
  EXPECT_EQ(features::color_histogram(cv::Mat(3, 5, CV_8UC1, cv::Scalar(200)), {4, "hsv"}),
            (std::vector<float>{0, 0, 0, 1}));
}

TEST(ColorHist, RejectsBadOptionsAndImages) {
  const cv::Mat rgb(8, 8, CV_8UC3, cv::Scalar(1, 2, 3));
  expect_invalid([&] { features::color_histogram(rgb, {0, "hsv"}); }, "--color-bins");
  expect_invalid([&] { features::color_histogram(rgb, {257, "hsv"}); }, "--color-bins");
  expect_invalid([&] { features::color_histogram(rgb, {8, "lab"}); }, "--color-space");
  EXPECT_THROW(features::color_histogram(rgb, {8, "HSV"}), UsageError);
  expect_invalid([&] { features::color_histogram(cv::Mat(8, 8, CV_8UC4), {}); }, "color_hist:");
  expect_invalid([&] { features::color_histogram(cv::Mat(8, 8, CV_32FC3), {}); }, "color_hist:");
  expect_invalid([&] { features::color_histogram(cv::Mat(), {}); }, "color_hist:");
  expect_invalid([&] { features::color_hist_length(2, {}); }, "color_hist:");
  EXPECT_EQ(features::color_hist_length(3, {}), 24);
  EXPECT_EQ(features::color_hist_length(1, {16, "rgb"}), 16);
}

}  // namespace
}  // namespace tlab::test
