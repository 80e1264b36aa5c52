#pragma once
// Histograms of oriented gradients with scikit-image 0.19's exact definitions
// (skimage.feature.hog, _hoghistogram.pyx): the same numbers, in the same order, for the same
// array, so a model trained on skimage's features can be fed ours.
// tests/features/hog_test.cpp checks against the installed python3-skimage.
#include <opencv2/core.hpp>

#include <string>
#include <vector>

namespace tlab::features {

struct HogOptions {
  int orientations = 9;              // --hog-orientations: bins over [0, 180) degrees, >= 1
  int pixels_per_cell = 8;           // --hog-cell: cell height in pixels (skimage's pixels_per_cell[0]), >= 1
  int pixels_per_cell_cols = 0;      // the cell width (pixels_per_cell[1]); 0: square cells
  int cells_per_block = 3;           // --hog-block: block height in cells (cells_per_block[0]), >= 1
  int cells_per_block_cols = 0;      // the block width (cells_per_block[1]); 0: square blocks
  std::string block_norm = "L2-Hys";  // --hog-norm: L1 | L1-sqrt | L2 | L2-Hys (eps 1e-5, clip 0.2)
  bool transform_sqrt = false;       // --hog-sqrt: square root of every value before the gradients
};

// Throws UsageError naming the flag.
void validate(const HogOptions& options);

// The length of hog()'s vector for an image of `size`: blocks_row * blocks_col * block cells *
// orientations. Throws UsageError (naming --hog-block) when the image holds less than one block.
int hog_length(cv::Size size, const HogOptions& options);

// `image`: H x W, CV_8U, CV_32F or CV_64F, 1 or 3 channels in any order (RGB as tlab's data sets
// give). Values are used as they are, as skimage 0.19's hog does (image.astype(float): a uint8
// image stays 0..255, it is not scaled to [0, 1]); float32 input keeps float32 up to the
// gradients, as skimage's float_dtype does. With 3 channels each pixel takes the gradient of the
// channel with the largest magnitude (the first one on ties), as hog(channel_axis=-1).
// Returns hog(feature_vector=True): [blocks_row, blocks_col, block_rows, block_cols, orientations]
// flattened in that (C) order, hog_length() values. `picture` (optional out): the visualize=True
// hog_image, H x W CV_64F (a line per cell and orientation, weighted by the cell's histogram
// value); it needs cells of at least 2x2 pixels. Its line ends come from int(radius * sin) of the
// bin mid-angles, with the C library's sin; where that lands within an ulp of an integer (e.g. 9
// orientations with cells of 6-7, 10-11 or 14-15 px; 11 or 13 orientations) numpy's SIMD sin may
// round the other way and move an end pixel. The features do not depend on it.
std::vector<float> hog(const cv::Mat& image, const HogOptions& options, cv::Mat* picture = nullptr);

}  // namespace tlab::features
