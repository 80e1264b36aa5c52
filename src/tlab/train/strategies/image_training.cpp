#include "tlab/train/strategies/image_training.h"

namespace tlab::train {

data::LoaderOptions train_loader_options(const StrategyInput& in) {
  data::LoaderOptions o;
  o.batch_size = in.options->recipe.batch_size;
  o.shuffle = true;
  o.workers = in.options->system.workers;
  o.seed = in.options->recipe.seed;
  o.augment = in.augmentation;
  o.pin_memory = in.device.is_cuda();
  return o;
}

data::LoaderOptions eval_loader_options(const StrategyInput& in) {
  data::LoaderOptions o;
  o.batch_size = in.options->recipe.eval_batch_size;
  o.workers = in.options->system.workers;
  o.pin_memory = in.device.is_cuda();
  return o;
}

Trainer make_trainer(const StrategyInput& in, std::vector<ParamGroup> groups) {
  return Trainer(in.model, in.options->recipe, in.device, std::move(groups));
}

Trained fit_on_images(const StrategyInput& in, Trainer& trainer) {
  Trained out;
  out.model = in.model;
  out.forward = [model = in.model](torch::Tensor x) { return model->forward(x); };
  if (in.resume) trainer.resume(*in.store);
  data::DataLoader train(in.train, in.input, train_loader_options(in));
  if (in.val) out.eval_batches["val"] = std::make_unique<data::DataLoader>(in.val, in.input, eval_loader_options(in));
  out.epochs = trainer.fit(train, in.val ? out.eval_batches["val"].get() : nullptr, in.store, in.callbacks);
  if (in.test) out.eval_batches["test"] = std::make_unique<data::DataLoader>(in.test, in.input, eval_loader_options(in));
  out.state = trainer.state();
  return out;
}

}  // namespace tlab::train
