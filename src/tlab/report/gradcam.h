#pragma once
// Grad-CAM (Selvaraju et al. 2017): where in the image a classifier looks for one class. For the
// activation A [1, C, h, w] of a conv stage and the class logit y_c:
//   alpha_k = mean over (i, j) of d y_c / d A_k(i, j)
//   coarse  = ReLU(sum_k alpha_k A_k)                              [h, w]
//   heatmap = bilinear(coarse -> [H, W], align_corners=false) / max   [H, W] in [0, 1]
// The run report draws it over validation images with overlay().
#include <opencv2/core.hpp>
#include <torch/torch.h>

#include <string>

#include "tlab/models/model.h"

namespace tlab::report {

struct GradCam {
  torch::Tensor heatmap;  // [H, W] float in [0, 1], the input's size, on the CPU; all zero when coarse is
  torch::Tensor coarse;   // [h, w] float on the CPU: the ReLU'd weighted sum, before upsampling and normalising
  std::string stage;      // the stage it was taken at, as forward_observed names it ("layer4", "backbone.layer4")
  int64_t target = 0;     // the class it explains
  double score = 0;       // that class's logit
};

// `x`: one preprocessed image [1, C, H, W] float, on the model's device (as the model takes it).
// `target` < 0: the predicted class. `stage` empty: the last stage forward_observed reports whose
// output is 4-D with a spatial size > 1x1 (the last conv stage).
// Runs in eval mode with gradients enabled whatever the caller's guards, then restores every
// module's training flag; parameters' requires_grad flags and .grad are left as they were.
// Throws UsageError naming the stage and listing the 4-D stages when `stage` is unknown or not 4-D,
// and for an `x` or `target` the model cannot take.
GradCam grad_cam(models::Model& model, const torch::Tensor& x, int64_t target = -1, const std::string& stage = "");

// For people: `image` (HxWx3 BGR uint8, or HxW grey uint8) blended with the heatmap [h, w] in
// [0, 1] in the jet colour map (cv::COLORMAP_JET): alpha * colour + (1 - alpha) * image. A heatmap of
// another size is resized (bilinear) to the image's, so pass the image as the model saw it (after
// any crop). Returns HxWx3 BGR uint8.
cv::Mat overlay(const cv::Mat& image_bgr, const torch::Tensor& heatmap, double alpha = 0.45);

}  // namespace tlab::report
