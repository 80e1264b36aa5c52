#include "tlab/transforms/mix.h"

#include <algorithm>
#include <cmath>

#include "tlab/core/error.h"

namespace tlab::transforms {

namespace {

// Beta(a, a) from two gamma draws.
double sample_beta(double alpha, std::mt19937_64& rng) {
  std::gamma_distribution<double> gamma(alpha, 1.0);
  const double x = gamma(rng), y = gamma(rng);
  return x + y > 0 ? x / (x + y) : 0.5;
}

torch::Tensor smooth_one_hot(const torch::Tensor& labels, int64_t num_classes, double smoothing) {
  const double off = smoothing / double(num_classes);
  auto t = torch::full({labels.size(0), num_classes}, off, torch::kFloat32);
  t.scatter_(1, labels.to(torch::kInt64).unsqueeze(1), 1.0 - smoothing + off);
  return t;
}

}  // namespace

MixResult mix_batch(torch::Tensor& images, const torch::Tensor& labels, int64_t num_classes, double label_smoothing,
                    const MixOptions& o, std::mt19937_64& rng) {
  TLAB_CHECK(images.dim() == 4 && labels.dim() == 1 && images.size(0) == labels.size(0),
             "mix_batch: expected images [B, C, H, W] and labels [B], got ", images.sizes(), " and ", labels.sizes());
  TLAB_CHECK(o.mixup_alpha >= 0 && o.cutmix_alpha >= 0, "mixup_alpha / cutmix_alpha must be >= 0, got ",
             o.mixup_alpha, " / ", o.cutmix_alpha);
  TLAB_CHECK(o.prob >= 0 && o.prob <= 1 && o.switch_prob >= 0 && o.switch_prob <= 1,
             "mix_prob and switch_prob must be in [0, 1], got ", o.prob, " and ", o.switch_prob);
  MixResult r;
  const auto own = smooth_one_hot(labels, num_classes, label_smoothing);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  if (!o.enabled() || u(rng) >= o.prob) {
    r.targets = own;
    return r;
  }
  r.cutmix = o.cutmix_alpha > 0 && (o.mixup_alpha <= 0 || u(rng) < o.switch_prob);
  double lam = sample_beta(r.cutmix ? o.cutmix_alpha : o.mixup_alpha, rng);
  const auto reversed = images.flip(0);
  if (r.cutmix) {
    // timm's rand_bbox: a box of side sqrt(1 - lam) of each dimension, centred uniformly, clipped.
    const int64_t h = images.size(2), w = images.size(3);
    const double cut = std::sqrt(1.0 - lam);
    const int64_t ch = int64_t(h * cut), cw = int64_t(w * cut);
    std::uniform_int_distribution<int64_t> cy_d(0, h - 1), cx_d(0, w - 1);
    const int64_t cy = cy_d(rng), cx = cx_d(rng);
    const int64_t y0 = std::clamp<int64_t>(cy - ch / 2, 0, h), y1 = std::clamp<int64_t>(cy + ch / 2, 0, h);
    const int64_t x0 = std::clamp<int64_t>(cx - cw / 2, 0, w), x1 = std::clamp<int64_t>(cx + cw / 2, 0, w);
    if (y1 > y0 && x1 > x0) {
      auto box = reversed.index({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(y0, y1),
                                 torch::indexing::Slice(x0, x1)})
                     .clone();
      images.index_put_({torch::indexing::Slice(), torch::indexing::Slice(), torch::indexing::Slice(y0, y1),
                         torch::indexing::Slice(x0, x1)},
                        box);
    }
    lam = 1.0 - double((y1 - y0) * (x1 - x0)) / double(h * w);
  } else {
    images.mul_(lam).add_(reversed, 1.0 - lam);
  }
  r.lambda = lam;
  r.targets = own * lam + own.flip(0) * (1.0 - lam);
  return r;
}

torch::Tensor soft_target_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets) {
  return -(targets * torch::log_softmax(logits, 1)).sum(1).mean();
}

nlohmann::json to_json(const MixOptions& o) {
  return {{"mixup_alpha", o.mixup_alpha}, {"cutmix_alpha", o.cutmix_alpha}, {"mix_prob", o.prob},
          {"switch_prob", o.switch_prob}};
}

}  // namespace tlab::transforms
