// Local binary patterns against scikit-image 0.19 (python3-skimage's
// skimage.feature.local_binary_pattern, run from the test) on a real photo: every method, P = 8
// and 16, integer and non-integer radii; the codes exactly, and the histograms with lbp.h's bins.
#include "tlab/features/lbp.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <fstream>
#include <iostream>
#include <numeric>

#include "../raw_file.h"
#include "../test_util.h"
#include "tlab/core/error.h"

namespace tlab::test {
namespace {

// argv: the directory, rows, cols. cases.txt: "P R method" a line; writes NAME.codes.f64 (of the
// uint8 grey as it is) and NAME.grey.hist.f64 / NAME.rgb.hist.f64 (lbp_histogram's bins over the
// codes of img_as_float(grey) and of the RGB image's grey), NAME = P_R_method.
constexpr const char* kReference = R"(import sys, numpy as np
from skimage import img_as_float
from skimage.color import rgb2gray
from skimage.feature import local_binary_pattern
d, rows, cols = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
grey = np.fromfile(d + "/grey.u8", np.uint8).reshape(rows, cols)
rgb = np.fromfile(d + "/rgb.u8", np.uint8).reshape(rows, cols, 3)
f = img_as_float(rgb)
rgb_grey = (f[..., 0] * 0.2125 + f[..., 1] * 0.7154) + f[..., 2] * 0.0721  # lbp.h's formula
reference = rgb2gray(rgb)
if np.any(np.abs(rgb_grey - reference) > 4 * np.spacing(reference)):  # BLAS's order of summation
    sys.exit("rgb2gray differs from (0.2125 R + 0.7154 G) + 0.0721 B by more than rounding")
def histogram(codes, method, P):
    if method == "var":
        std = np.clip(np.sqrt(np.clip(np.nan_to_num(codes), 0, None)), 0, 0.5)
        return np.histogram(std, 16, (0, 0.5))[0]
    n = {"uniform": P + 2, "nri_uniform": P * (P - 1) + 3}.get(method, 2 ** P)
    return np.histogram(codes, n, (0, n))[0]
for line in open(d + "/cases.txt"):
    P, R, method = line.split()
    name = f"{P}_{R}_{method}"
    P, R = int(P), float(R)
    local_binary_pattern(grey, P, R, method).tofile(f"{d}/{name}.codes.f64")
    for kind, image in (("grey", img_as_float(grey)), ("rgb", rgb_grey)):
        counts = histogram(local_binary_pattern(image, P, R, method), method, P)
        (counts / image.size).tofile(f"{d}/{name}.{kind}.hist.f64")
)";

constexpr int kRows = 96, kCols = 128;

struct Case {
  int points;
  double radius;
  std::string method;
  std::string name() const { return str_cat(points, "_", radius, "_", method); }
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (const auto& [points, radius] : std::vector<std::pair<int, double>>{{8, 1}, {16, 2}, {8, 1.5}})
    for (const std::string method : {"default", "ror", "uniform", "nri_uniform", "var"})
      out.push_back({points, radius, method});
  return out;
}

TEST(Lbp, EqualsScikitImageOnAPhoto) {
  const std::string photo = shared_dir() + "/images/grace_hopper.bmp";
  const cv::Mat bgr = cv::imread(photo, cv::IMREAD_COLOR);
  ASSERT_FALSE(bgr.empty()) << photo;
  cv::Mat rgb, grey;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::resize(rgb, rgb, cv::Size(kCols, kRows), 0, 0, cv::INTER_AREA);
  cv::cvtColor(rgb, grey, cv::COLOR_RGB2GRAY);

  TempDir dir;
  write_raw(dir.str("grey.u8"), grey);
  write_raw(dir.str("rgb.u8"), rgb);
  {
    std::ofstream list(dir.str("cases.txt"));
    for (const auto& c : cases()) list << c.points << " " << c.radius << " " << c.method << "\n";
  }
  std::ofstream(dir.str("ref.py")) << kReference;
  ASSERT_EQ(run_command(str_cat("/usr/bin/python3 ", dir.str("ref.py"), " ", dir.str(), " ", kRows, " ", kCols)), 0)
      << "the scikit-image reference failed; is python3-skimage installed (apt-get install python3-skimage)?";

  for (const auto& c : cases()) {
    SCOPED_TRACE(c.name());
    const cv::Mat codes = features::local_binary_pattern(grey, c.points, c.radius, c.method);
    const auto theirs = read_f64(dir.str(c.name() + ".codes.f64"));
    ASSERT_EQ(codes.type(), CV_64F);
    ASSERT_EQ(codes.total(), theirs.size());
    double codes_diff = 0;
    int nan_mismatches = 0;
    for (size_t i = 0; i < theirs.size(); ++i) {
      const double ours = codes.at<double>(int(i / kCols), int(i % kCols));
      if (std::isnan(ours) || std::isnan(theirs[i])) nan_mismatches += std::isnan(ours) != std::isnan(theirs[i]);
      else codes_diff = std::max(codes_diff, std::abs(ours - theirs[i]));
    }
    EXPECT_EQ(nan_mismatches, 0);
    if (c.method == "var") EXPECT_LE(codes_diff, 1e-9);
    else EXPECT_EQ(codes_diff, 0);

    features::LbpOptions o{c.points, c.radius, c.method};
    double hist_diff = 0;
    for (const auto& [kind, image] : {std::pair<std::string, cv::Mat>{"grey", grey}, {"rgb", rgb}}) {
      const auto ours = features::lbp_histogram(image, o);
      const auto hist = read_f64(dir.str(c.name() + "." + kind + ".hist.f64"));
      ASSERT_EQ(ours.size(), hist.size()) << kind;
      for (size_t k = 0; k < hist.size(); ++k)
        hist_diff = std::max(hist_diff, std::abs(double(ours[k]) - double(float(hist[k]))));
    }
    EXPECT_EQ(hist_diff, 0);
    std::cout << "lbp " << c.name() << ": codes max |diff| " << codes_diff << " (NaN mismatches " << nan_mismatches
              << "); histograms (grey, rgb) max |diff| " << hist_diff << "\n";
  }
}

TEST(Lbp, RejectsBadOptions) {
  const cv::Mat grey(16, 16, CV_8UC1, cv::Scalar(3));
  expect_invalid([&] { features::local_binary_pattern(grey, 8, 1, "uniformm"); }, "--lbp-method");
  expect_invalid([&] { features::local_binary_pattern(grey, 0, 1); }, "--lbp-points");
  expect_invalid([&] { features::local_binary_pattern(grey, 32, 1); }, "--lbp-points");
  expect_invalid([&] { features::local_binary_pattern(grey, 8, 0); }, "--lbp-radius");
  expect_invalid([&] { features::local_binary_pattern(cv::Mat(16, 16, CV_8UC3), 8, 1); }, "lbp:");
  expect_invalid([&] { features::lbp_histogram(grey, {17, 1, "default"}); }, "--lbp-points");
  EXPECT_THROW(features::lbp_histogram(grey, {8, 1, "nope"}), UsageError);
  const auto flat = features::lbp_histogram(grey, {8, 1, "uniform"});  // P + 2 bins summing to 1
  ASSERT_EQ(flat.size(), 10u);
  EXPECT_NEAR(std::accumulate(flat.begin(), flat.end(), 0.0), 1.0, 1e-6);
}

}  // namespace
}  // namespace tlab::test
