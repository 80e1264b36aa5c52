#include "tlab/report/gradcam.h"

#include <opencv2/imgproc.hpp>

#include <utility>
#include <vector>

#include "tlab/core/error.h"

namespace tlab::report {
namespace {

// Puts a model in eval mode and gives every module its own training flag back on destruction, also
// when forward throws. Per module, not model.train(was): a module may have been left in eval inside
// a training model (a frozen stage), and train(true) would not know.
class EvalGuard {
 public:
  explicit EvalGuard(models::Model& model) : model_(model), was_(model.is_training()) {
    for (const auto& m : model.modules(/*include_self=*/false)) modes_.emplace_back(m, m->is_training());
    model.eval();
  }
  ~EvalGuard() {
    model_.train(was_);
    // Pre-order: each train() call resets the descendants, which come after and are set in turn.
    for (const auto& [m, on] : modes_) m->train(on);
  }
  EvalGuard(const EvalGuard&) = delete;
  EvalGuard& operator=(const EvalGuard&) = delete;

 private:
  models::Model& model_;
  bool was_;
  std::vector<std::pair<std::shared_ptr<torch::nn::Module>, bool>> modes_;
};

}  // namespace

GradCam grad_cam(models::Model& model, const torch::Tensor& x, int64_t target, const std::string& stage) {
  TLAB_CHECK(x.dim() == 4 && x.size(0) == 1 && x.is_floating_point(),
             "grad_cam: expected one float image [1, C, H, W], got ", x.sizes(), " ", x.dtype());
  EvalGuard eval(model);
  torch::AutoGradMode grad_mode(true);
  // The graph runs through the input, so it exists even when no parameter requires grad (an
  // inference model); the parameters' flags are not touched.
  const auto input = x.detach().clone().requires_grad_(true);
  std::vector<std::string> maps;  // stages with a 4-D output, for the error
  torch::Tensor activation;
  std::string found, not_4d;
  const auto logits = model.forward_observed(input, [&](const std::string& name, const torch::nn::Module&,
                                                         const torch::Tensor& y) {
    if (y.dim() != 4) {
      if (name == stage) not_4d = str_cat(y.sizes());
      return;
    }
    maps.push_back(name);
    // Default: the last map larger than 1x1 (the last conv stage, not a pooled one).
    if (stage.empty() ? y.size(2) * y.size(3) > 1 : name == stage) activation = y, found = name;
  });
  std::string known;
  for (const auto& s : maps) known += (known.empty() ? "" : ", ") + s;
  if (known.empty()) known = "none";
  TLAB_CHECK(not_4d.empty(), "grad_cam: stage '", stage, "' outputs ", not_4d,
             ", expected a 4-D map [1, C, h, w]; 4-D stages: ", known);
  TLAB_CHECK(activation.defined(), "grad_cam: ",
             stage.empty() ? std::string("the model reports no 4-D stage larger than 1x1")
                           : "unknown stage '" + stage + "'",
             "; 4-D stages: ", known);
  TLAB_CHECK(logits.dim() == 2 && logits.size(0) == 1, "grad_cam: expected logits [1, K] from the model, got ",
             logits.sizes());
  GradCam cam;
  cam.stage = found;
  cam.target = target >= 0 ? target : logits.argmax(1).item<int64_t>();
  TLAB_CHECK(cam.target < logits.size(1), "grad_cam: target class ", cam.target, " is out of range: the model has ",
             logits.size(1), " classes (0..", logits.size(1) - 1, ")");
  const auto score = logits[0][cam.target];
  cam.score = score.item<double>();
  // autograd::grad, not backward(): nothing accumulates into the parameters' .grad.
  const auto grads = torch::autograd::grad({score}, {activation})[0];  // [1, C, h, w]
  torch::NoGradGuard no_grad;
  const auto alpha = grads.mean({2, 3}, /*keepdim=*/true);                              // [1, C, 1, 1]
  cam.coarse = torch::relu((alpha * activation).sum(1))[0].to(torch::kCPU, torch::kFloat);  // [h, w]
  namespace F = torch::nn::functional;
  const auto up = F::interpolate(cam.coarse.unsqueeze(0).unsqueeze(0),
                                 F::InterpolateFuncOptions()
                                     .size(std::vector<int64_t>{x.size(2), x.size(3)})
                                     .mode(torch::kBilinear)
                                     .align_corners(false))[0][0];  // [H, W]
  const double peak = up.max().item<double>();
  cam.heatmap = peak > 0 ? up / peak : up;
  return cam;
}

cv::Mat overlay(const cv::Mat& image_bgr, const torch::Tensor& heatmap, double alpha) {
  TLAB_CHECK(!image_bgr.empty() && (image_bgr.type() == CV_8UC3 || image_bgr.type() == CV_8UC1),
             "overlay: expected an 8-bit BGR or grey image, got type ", image_bgr.type(), " of ",
             image_bgr.cols, "x", image_bgr.rows);
  TLAB_CHECK(heatmap.dim() == 2 && heatmap.numel() > 0, "overlay: expected a heatmap [H, W], got ", heatmap.sizes());
  TLAB_CHECK(alpha >= 0 && alpha <= 1, "overlay: alpha must be in [0, 1], got ", alpha);
  cv::Mat image = image_bgr;
  if (image.type() == CV_8UC1) cv::cvtColor(image_bgr, image, cv::COLOR_GRAY2BGR);
  const auto h =
      (heatmap.detach().to(torch::kCPU, torch::kFloat).clamp(0, 1) * 255).round().to(torch::kUInt8).contiguous();
  const cv::Mat grey(int(h.size(0)), int(h.size(1)), CV_8UC1, h.data_ptr<uint8_t>());
  cv::Mat colour, out;
  cv::applyColorMap(grey, colour, cv::COLORMAP_JET);
  if (colour.size() != image.size()) cv::resize(colour, colour, image.size(), 0, 0, cv::INTER_LINEAR);
  cv::addWeighted(colour, alpha, image, 1 - alpha, 0, out);
  return out;
}

}  // namespace tlab::report
