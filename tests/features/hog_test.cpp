// HOG against scikit-image 0.19 (python3-skimage's skimage.feature.hog, run from the test) on a
// real photo: grey and colour, every block norm, transform_sqrt on and off, a non-default grid,
// float32 input; the features and the visualize=True picture.
#include "tlab/features/hog.h"

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

// argv: the directory, rows, cols. cases.txt: one case a line, "name image orientations
// cell_rows cell_cols block_rows block_cols norm sqrt"; writes name.f64 and name.pic.f64.
constexpr const char* kReference = R"(import sys, numpy as np
from skimage.feature import hog
d, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
images = {"grey": np.fromfile(d + "/grey.u8", np.uint8).reshape(rows, cols),
          "rgb": np.fromfile(d + "/rgb.u8", np.uint8).reshape(rows, cols, 3),
          "rgb_f32": np.fromfile(d + "/rgb.f32", np.float32).reshape(rows, cols, 3)}
for line in open(d + "/cases.txt"):
    name, image, n, cr, cc, br, bc, norm, sqrt = line.split()
    image = images[image]
    features, picture = hog(image, orientations=int(n), pixels_per_cell=(int(cr), int(cc)),
                            cells_per_block=(int(br), int(bc)), block_norm=norm, visualize=True,
                            transform_sqrt=sqrt == "1", feature_vector=True,
                            channel_axis=-1 if image.ndim == 3 else None)
    features.astype(np.float64).tofile(f"{d}/{name}.f64")
    picture.astype(np.float64).tofile(f"{d}/{name}.pic.f64")
)";

constexpr int kRows = 96, kCols = 128;  // not square, and not a whole number of 5-pixel cells

struct Case {
  std::string image;  // grey | rgb | rgb_f32
  features::HogOptions options;
  std::string name() const {
    const auto& o = options;
    return str_cat(image, "_", o.block_norm, "_sqrt", o.transform_sqrt, "_o", o.orientations, "_c", o.pixels_per_cell,
                   "x", o.pixels_per_cell_cols, "_b", o.cells_per_block, "x", o.cells_per_block_cols);
  }
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const std::string image : {"grey", "rgb"})
    for (const std::string norm : {"L1", "L1-sqrt", "L2", "L2-Hys"})
      for (const bool sqrt : {false, true}) {
        Case c{image, {}};
        c.options.block_norm = norm;
        c.options.transform_sqrt = sqrt;
        c.options.pixels_per_cell_cols = 8;
        c.options.cells_per_block_cols = 3;
        out.push_back(c);
      }
  for (const std::string image : {"grey", "rgb"}) {  // 8 bins (45-degree bin edges), 6x5 cells, 2x3 blocks
    Case c{image, {}};
    c.options.orientations = 8;
    c.options.pixels_per_cell = 6;
    c.options.pixels_per_cell_cols = 5;
    c.options.cells_per_block = 2;
    c.options.cells_per_block_cols = 3;
    c.options.block_norm = "L1";
    out.push_back(c);
  }
  for (const bool sqrt : {false, true}) {  // float32 in [0, 1]: skimage computes in float32, we in double
    Case c{"rgb_f32", {}};
    c.options.transform_sqrt = sqrt;
    c.options.pixels_per_cell_cols = 8;
    c.options.cells_per_block_cols = 3;
    out.push_back(c);
  }
  return out;
}

double max_difference(const std::vector<double>& a, const std::vector<double>& b) {
  double most = 0;
  for (size_t i = 0; i < a.size(); ++i) most = std::max(most, std::abs(a[i] - b[i]));
  return most;
}

TEST(Hog, EqualsScikitImageOnAPhoto) {
  const std::string photo = shared_dir() + "/images/parrot.jpg";
  const cv::Mat bgr = cv::imread(photo, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty()) << photo;
  cv::Mat rgb, grey, rgb_f32;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::resize(rgb, rgb, cv::Size(kCols, kRows), 0, 0, cv::INTER_AREA);
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);
  rgb.convertTo(rgb_f32, CV_32F, 1. / 255);
  const std::map<std::string, cv::Mat> images{{"grey", grey}, {"rgb", rgb}, {"rgb_f32", rgb_f32}};

  TempDir dir;
  write_raw(dir.str("grey.u8"), grey);
  write_raw(dir.str("rgb.u8"), rgb);
  write_raw(dir.str("rgb.f32"), rgb_f32);
  {
    std::ofstream list(dir.str("cases.txt"));
    for (const auto& c : cases()) {
      const auto& o = c.options;
      list << c.name() << " " << c.image << " " << o.orientations << " " << o.pixels_per_cell << " "
           << o.pixels_per_cell_cols << " " << o.cells_per_block << " " << o.cells_per_block_cols << " "
           << o.block_norm << " " << o.transform_sqrt << "\n";
    }
  }
  std::ofstream(dir.str("ref.py")) << kReference;
  ASSERT_EQ(run_command(str_cat("/usr/bin/python3 ", dir.str("ref.py"), " ", dir.str(), " ", kRows, " ", kCols)), 0)
      << "the scikit-image reference failed; is python3-skimage installed (apt-get install python3-skimage)?";

  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name());
    cv::Mat picture;
    const auto ours = features::hog(images.at(c.image), c.options, &picture);
    const auto theirs = read_f64(dir.str(c.name() + ".f64"));
    ASSERT_EQ(ours.size(), theirs.size());
    EXPECT_EQ(int(ours.size()), features::hog_length(images.at(c.image).size(), c.options));
    const double features_diff = max_difference(std::vector<double>(ours.begin(), ours.end()), theirs);
    ASSERT_EQ(picture.type(), CV_64F);
    ASSERT_EQ(picture.size(), cv::Size(kCols, kRows));
    const std::vector<double> picture_ours(picture.begin<double>(), picture.end<double>());
    const double picture_diff = max_difference(picture_ours, read_f64(dir.str(c.name() + ".pic.f64")));
    EXPECT_LE(features_diff, 1e-6);
    EXPECT_LE(picture_diff, 1e-6);
    std::cout << "hog " << c.name() << ": " << ours.size() << " features, max |diff| " << features_diff
              << "; picture max |diff| " << picture_diff << "\n";
  }
}

TEST(Hog, RejectsBadOptionsAndImagesSmallerThanABlock) {
  const cv::Mat small(20, 40, CV_8UC1, cv::Scalar(7));  // 2x5 cells of 8 px: less than a 3x3 block
  features::HogOptions o;
  expect_invalid([&] { features::hog(small, o); }, "--hog-block");
  EXPECT_THROW(features::hog(small, o), UsageError);
  EXPECT_EQ(features::hog(cv::Mat(24, 24, CV_8UC1, cv::Scalar(7)), o).size(), 81u);  // exactly one block
  o.orientations = 0;
  expect_invalid([&] { features::hog(small, o); }, "--hog-orientations");
  o = {};
  o.block_norm = "L3";
  expect_invalid([&] { features::hog(small, o); }, "--hog-norm");
  o = {};
  o.pixels_per_cell = 0;
  expect_invalid([&] { features::hog(small, o); }, "--hog-cell");
  expect_invalid([&] { features::hog(cv::Mat(32, 32, CV_8UC4), {}); }, "hog:");
  o = {};
  o.pixels_per_cell = 1;  // the features work; skimage's picture indexes outside the image
  cv::Mat picture;
  EXPECT_EQ(features::hog(small, o).size(), size_t(18 * 38 * 81));
  expect_invalid([&] { features::hog(small, o, &picture); }, "--hog-cell");
}

}  // namespace
}  // namespace tlab::test
