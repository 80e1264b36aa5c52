#include "tlab/transforms/preview.h"

#include <opencv2/imgproc.hpp>

#include "tlab/core/error.h"

namespace tlab::transforms {

cv::Mat preview_grid(const std::vector<cv::Mat>& images, const Augmentation& augmentation, const InputSpec& spec,
                     int views, uint64_t seed, int min_cell) {
  TLAB_CHECK(!images.empty(), "augment preview: no images to show");
  TLAB_CHECK(views > 0, "augment preview: views must be positive, got ", views);
  const int zoom = std::max(1, (min_cell + std::max(spec.height, spec.width) - 1) / std::max(spec.height, spec.width));
  const int cell_h = spec.height * zoom, cell_w = spec.width * zoom, gutter = 2;
  const int type = spec.channels == 1 ? CV_8UC1 : CV_8UC3;
  cv::Mat grid(int(images.size()) * (cell_h + gutter) + gutter, (views + 1) * (cell_w + gutter) + gutter, type,
               cv::Scalar::all(255));
  auto place = [&](const cv::Mat& cell, size_t row, int col) {
    cv::Mat big;
    cv::resize(cell, big, cv::Size(cell_w, cell_h), 0, 0, cv::INTER_NEAREST);
    big.copyTo(grid(cv::Rect(gutter + col * (cell_w + gutter), gutter + int(row) * (cell_h + gutter), cell_w, cell_h)));
  };
  for (size_t i = 0; i < images.size(); ++i) {
    place(resize_and_crop(images[i], spec), i, 0);
    for (int j = 0; j < views; ++j) {
      Rng rng(seed * 0x9E3779B97F4A7C15ULL + i * 1000003ULL + uint64_t(j));
      place(augmentation.apply_image(images[i], spec, rng), i, j + 1);
    }
  }
  return grid;
}

}  // namespace tlab::transforms
