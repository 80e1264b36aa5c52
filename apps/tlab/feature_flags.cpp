#include "feature_flags.h"

namespace tlab::app {

void add_hog_flags(CLI::App& c, features::HogOptions& o) {
  c.add_option("--hog-orientations", o.orientations, "HOG: orientation bins over [0, 180) degrees")
      ->capture_default_str();
  c.add_option("--hog-cell", o.pixels_per_cell, "HOG: cell side in pixels (square cells)")->capture_default_str();
  c.add_option("--hog-block", o.cells_per_block, "HOG: block side in cells (square blocks)")->capture_default_str();
  c.add_option("--hog-norm", o.block_norm, "HOG: block normalisation")
      ->check(CLI::IsMember({"L1", "L1-sqrt", "L2", "L2-Hys"}))
      ->capture_default_str();
  c.add_flag("--hog-sqrt", o.transform_sqrt, "HOG: square root of every pixel value before the gradients");
}

void add_lbp_flags(CLI::App& c, features::LbpOptions& o) {
  c.add_option("--lbp-points", o.points, "LBP: samples P on the circle")->capture_default_str();
  c.add_option("--lbp-radius", o.radius, "LBP: the circle's radius R in pixels")->capture_default_str();
  c.add_option("--lbp-method", o.method, "LBP: the codes (uniform: rotation-invariant uniform patterns)")
      ->check(CLI::IsMember({"default", "ror", "uniform", "nri_uniform", "var"}))
      ->capture_default_str();
}

void add_sift_flags(CLI::App& c, features::SiftBowOptions& o) {
  c.add_option("--sift-words", o.words, "SIFT: vocabulary size (k-means clusters)")->capture_default_str();
  c.add_option("--sift-dense", o.dense_step, "SIFT: keypoints on a grid every STEP pixels (0: SIFT's detector)")
      ->capture_default_str();
  c.add_option("--sift-max-keypoints", o.max_keypoints,
               "SIFT: with the detector, the N strongest keypoints per image (0: all)")
      ->capture_default_str();
}

void add_color_hist_flags(CLI::App& c, features::ColorHistOptions& o) {
  c.add_option("--color-bins", o.bins, "colour histogram: bins per channel")->capture_default_str();
  c.add_option("--color-space", o.space, "colour histogram: the channels of colour images (grey ones: intensity)")
      ->check(CLI::IsMember({"hsv", "rgb"}))
      ->capture_default_str();
}

}  // namespace tlab::app
