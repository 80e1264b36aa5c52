#include "tlab/eval/evaluate.h"

#include "tlab/core/error.h"

namespace tlab::eval {

Metrics evaluate(const infer::LoadedModel& model, const data::DatasetPtr& data, const EvaluateOptions& o,
                 Metrics* plain) {
  TLAB_CHECK(o.batch_size > 0, "--batch-size: expected a positive count, got ", o.batch_size);
  TLAB_CHECK(o.workers >= 0, "--workers: expected a count >= 0, got ", o.workers);
  TLAB_CHECK(data->classes() == model.classes, data->description(), ": its classes differ from the model's (",
             model.classes.size(), " classes, ", model.source, ")");
  data::LoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.workers = o.workers;
  lo.pin_memory = model.device.is_cuda();
  TLAB_CHECK(o.tta >= 0, "--tta: expected a count of augmented passes >= 0, got ", o.tta);
  TLAB_CHECK(o.tta_beta >= 0 && o.tta_beta <= 1, "--tta-beta: expected a weight in [0, 1], got ", o.tta_beta);
  TLAB_CHECK(o.tta == 0 || (o.tta_augmentation && !o.tta_augmentation->empty()),
             "--tta ", o.tta, ": needs an augmentation to draw the passes from (--tta-augment)");
  const auto forward = [&](torch::Tensor x) { return infer::logits(model, x); };
  data::DataLoader loader(data, model.input, lo);
  const Outputs out = collect_outputs(*model.model, forward, loader, model.device, with_phase(o.progress, "evaluate"));
  const auto plain_p = torch::softmax(out.logits.to(torch::kFloat64), 1);
  const Metrics plain_m =
      metrics_from_log_probabilities(torch::log_softmax(out.logits.to(torch::kFloat64), 1), out.labels, data->classes());
  if (plain) *plain = plain_m;
  if (o.tta == 0) return plain_m;
  lo.augment = o.tta_augmentation;
  lo.seed = o.seed;
  data::DataLoader augmented(data, model.input, lo);
  torch::Tensor sum = torch::zeros_like(plain_p);
  for (int pass = 1; pass <= o.tta; ++pass) {
    const Outputs a = collect_outputs(*model.model, forward, augmented, model.device,
                                      with_phase(o.progress, str_cat("tta ", pass, "/", o.tta)), pass);
    sum += torch::softmax(a.logits.to(torch::kFloat64), 1);
  }
  const auto blend = torch::lerp(sum / double(o.tta), plain_p, o.tta_beta);
  return metrics_from_log_probabilities(blend.clamp_min(1e-300).log(), out.labels, data->classes());
}

}  // namespace tlab::eval
