#pragma once
// Batch-level MixUp and CutMix (as timm's Mixup): each batch is mixed with itself reversed, and
// the targets become the matching soft labels, trained with soft_target_cross_entropy.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <random>

namespace tlab::transforms {

struct MixOptions {
  double mixup_alpha = 0;    // > 0: MixUp with lambda ~ Beta(alpha, alpha)
  double cutmix_alpha = 0;   // > 0: CutMix with lambda ~ Beta(alpha, alpha)
  double prob = 1.0;         // chance that a batch is mixed at all
  double switch_prob = 0.5;  // both enabled: chance of CutMix rather than MixUp for a batch
  bool enabled() const { return (mixup_alpha > 0 || cutmix_alpha > 0) && prob > 0; }
};

// What mix_batch did (for tests and logs).
struct MixResult {
  torch::Tensor targets;   // [B, num_classes] soft targets, rows sum to 1
  double lambda = 1;       // weight of each sample's own label (CutMix: the kept area fraction)
  bool cutmix = false;     // CutMix (true) or MixUp (false); lambda == 1 when the batch was not mixed
};

// Mixes `images` [B, C, H, W] (float, modified in place) with the batch in reverse order;
// `labels` [B] int64. MixUp: x = lam x + (1 - lam) x_rev. CutMix: a box of area (1 - lam) H W
// (clipped at the border, lambda then recomputed from the clipped area) is pasted from x_rev.
// Targets: lam * smooth(y) + (1 - lam) * smooth(y_rev), where smooth spreads `label_smoothing`
// over all classes as torch's cross_entropy does.
MixResult mix_batch(torch::Tensor& images, const torch::Tensor& labels, int64_t num_classes, double label_smoothing,
                    const MixOptions& options, std::mt19937_64& rng);

// Cross-entropy against soft targets: mean over the batch of -sum_k t_k log softmax(logits)_k.
torch::Tensor soft_target_cross_entropy(const torch::Tensor& logits, const torch::Tensor& targets);

nlohmann::json to_json(const MixOptions& options);

}  // namespace tlab::transforms
