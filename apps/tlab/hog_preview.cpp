// tlab hog-preview: one PNG of an image and its HOG picture (skimage's hog_image) side by side, to
// see what the --hog-* flags make of a photo before training on them.
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "feature_flags.h"
#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/data/decode.h"
#include "tlab/features/hog.h"
#include "tlab/transforms/preprocess.h"

namespace tlab::app {
namespace {

constexpr int kGap = 4;  // grey pixels between the two halves; the HOG half's background is black

struct HogPreviewArgs {
  std::string image, out;
  int size = 0;
  bool grey = false;
  features::HogOptions hog;
};

// The picture's values scaled to 0..255 by its largest (an all-zero picture stays black).
cv::Mat to_bytes(const cv::Mat& picture) {
  double most = 0;
  cv::minMaxLoc(picture, nullptr, &most);
  cv::Mat bytes;
  picture.convertTo(bytes, CV_8U, most > 0 ? 255.0 / most : 0.0);
  return bytes;
}

int run_hog_preview(const HogPreviewArgs& a) {
  TLAB_CHECK(a.size >= 0, "--size: expected the longer side in pixels (0: the image as it is), found ", a.size);
  features::validate(a.hog);
  data::DecodeOptions decode;
  decode.channels = a.grey ? 1 : 3;
  cv::Mat image = data::decode_image(a.image, decode);
  if (a.size > 0 && std::max(image.rows, image.cols) != a.size) {
    const double scale = double(a.size) / std::max(image.rows, image.cols);
    const cv::Size size(std::max(1, int(std::lround(image.cols * scale))),
                        std::max(1, int(std::lround(image.rows * scale))));
    image = transforms::resample(image, size, transforms::ResampleFilter::kBilinear);
  }
  cv::Mat picture;
  const std::vector<float> values = features::hog(image, a.hog, &picture);

  cv::Mat hog_half = to_bytes(picture);
  cv::Mat image_half = image;
  if (image.channels() == 3) {
    cv::cvtColor(image, image_half, cv::COLOR_RGB2BGR);  // imencode takes BGR
    cv::cvtColor(hog_half, hog_half, cv::COLOR_GRAY2BGR);
  }
  cv::Mat sheet(image.rows, 2 * image.cols + kGap, image_half.type(), cv::Scalar::all(128));
  image_half.copyTo(sheet(cv::Rect(0, 0, image.cols, image.rows)));
  hog_half.copyTo(sheet(cv::Rect(image.cols + kGap, 0, image.cols, image.rows)));
  std::vector<uchar> png;
  TLAB_CHECK(cv::imencode(".png", sheet, png), "hog-preview: could not encode the picture as PNG");
  write_file_atomic(a.out, std::string(png.begin(), png.end()));

  const auto& o = a.hog;
  const int cell_cols = o.pixels_per_cell_cols > 0 ? o.pixels_per_cell_cols : o.pixels_per_cell;
  const int block_cols = o.cells_per_block_cols > 0 ? o.cells_per_block_cols : o.cells_per_block;
  std::printf("wrote %s: %dx%d %s image and its HOG picture; %zu features (%d orientations, %dx%d-pixel cells, "
              "%dx%d-cell blocks, %s%s)\n",
              a.out.c_str(), image.cols, image.rows, image.channels() == 3 ? "colour" : "grey", values.size(),
              o.orientations, o.pixels_per_cell, cell_cols, o.cells_per_block, block_cols, o.block_norm.c_str(),
              o.transform_sqrt ? ", sqrt" : "");
  return 0;
}

}  // namespace

Command add_hog_preview(CLI::App& app) {
  auto a = std::make_shared<HogPreviewArgs>();
  auto* c = app.add_subcommand("hog-preview", "write an image and its HOG picture side by side (PNG)");
  c->add_option("IMAGE", a->image, "image file (JPEG, PNG, BMP, ...)")->required();
  c->add_option("--out", a->out, "PNG file to write: the image, a 4-pixel gap, the HOG picture")->required();
  c->add_option("--size", a->size, "resize so that the longer side has N pixels first (0: as it is)")
      ->capture_default_str();
  c->add_flag("--grey", a->grey, "compute HOG on the grey image instead of the colour one");
  add_hog_flags(*c, a->hog);
  return {c, [a] { return run_hog_preview(*a); }};
}

}  // namespace tlab::app
