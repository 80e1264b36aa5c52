#pragma once
// The flags of the classical features (HOG, LBP, SIFT bag of words, colour histograms), one
// function per feature, shared by tlab hog-preview, tlab features and tlab train --strategy
// classical. Each maps its flags one-to-one onto the option struct's fields and shows the
// struct's defaults in --help; ranges are checked by the library's validate(), which names the flag.
#include <CLI/CLI.hpp>

#include "tlab/features/color_hist.h"
#include "tlab/features/hog.h"
#include "tlab/features/lbp.h"
#include "tlab/features/sift_bow.h"

namespace tlab::app {

// --hog-orientations, --hog-cell, --hog-block, --hog-norm, --hog-sqrt
void add_hog_flags(CLI::App& command, features::HogOptions& options);
// --lbp-points, --lbp-radius, --lbp-method
void add_lbp_flags(CLI::App& command, features::LbpOptions& options);
// --sift-words, --sift-dense, --sift-max-keypoints
void add_sift_flags(CLI::App& command, features::SiftBowOptions& options);
// --color-bins, --color-space
void add_color_hist_flags(CLI::App& command, features::ColorHistOptions& options);

}  // namespace tlab::app
