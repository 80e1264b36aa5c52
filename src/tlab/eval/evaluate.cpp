#include "tlab/eval/evaluate.h"

#include "tlab/core/error.h"

namespace tlab::eval {

Metrics evaluate(const infer::LoadedModel& model, const data::DatasetPtr& data, const EvaluateOptions& o) {
  TLAB_CHECK(o.batch_size > 0, "--batch-size: expected a positive count, got ", o.batch_size);
  TLAB_CHECK(o.workers >= 0, "--workers: expected a count >= 0, got ", o.workers);
  TLAB_CHECK(data->classes() == model.classes, data->description(), ": its classes differ from the model's (",
             model.classes.size(), " classes, ", model.source, ")");
  data::LoaderOptions lo;
  lo.batch_size = o.batch_size;
  lo.workers = o.workers;
  lo.pin_memory = model.device.is_cuda();
  data::DataLoader loader(data, model.input, lo);
  return evaluate(*model.model, [&](torch::Tensor x) { return infer::logits(model, x); }, loader, model.device,
                  o.progress);
}

}  // namespace tlab::eval
