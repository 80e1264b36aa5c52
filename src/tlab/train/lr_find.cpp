#include "tlab/train/lr_find.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/models/transfer.h"
#include "tlab/train/run_data.h"
#include "tlab/train/strategies/image_training.h"
#include "tlab/train/strategy.h"

namespace tlab::train {

void validate(const LrFindOptions& o) {
  TLAB_CHECK(o.start_lr > 0 && o.end_lr > o.start_lr, "--start-lr/--end-lr: expected 0 < start < end, got ",
             o.start_lr, " and ", o.end_lr);
  TLAB_CHECK(o.iterations > 0, "--iterations: expected a positive count, got ", o.iterations);
  TLAB_CHECK(o.beta >= 0 && o.beta < 1, "lr-find smoothing: expected beta in [0, 1), got ", o.beta);
}

std::vector<LrSuggestion> suggest_lrs(const std::vector<double>& all_lrs, const std::vector<double>& all_losses,
                                      int iterations) {
  TLAB_CHECK(all_lrs.size() == all_losses.size(), "suggest_lrs: ", all_lrs.size(), " LRs for ", all_losses.size(),
             " losses");
  // lrs[num_it // 10 : -5]
  const size_t first = size_t(iterations / 10);
  if (all_lrs.size() < first + 5 + 2) return {};
  const std::vector<double> lrs(all_lrs.begin() + long(first), all_lrs.end() - 5);
  const std::vector<double> losses(all_losses.begin() + long(first), all_losses.end() - 5);
  const size_t n = losses.size();
  std::vector<LrSuggestion> out;

  // valley: the longest run of decreasing losses (a longest decreasing subsequence ending at each point)
  std::vector<int> lds(n, 1);
  size_t max_start = 0, max_end = 0;
  for (size_t i = 1; i < n; ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (losses[i] < losses[j] && lds[i] < lds[j] + 1) lds[i] = lds[j] + 1;
      if (lds[max_end] < lds[i]) {
        max_end = i;
        max_start = max_end - size_t(lds[max_end]);
      }
    }
  }
  const double sections = double(max_end - max_start) / 3.0;
  const size_t valley = max_start + size_t(int(sections)) + size_t(int(sections / 2));
  out.push_back({"valley", lrs[valley], lrs[valley], losses[valley]});

  // steep: the most negative d(loss) / d(log lr)
  size_t steep = 0;
  double best_grad = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i + 1 < n; ++i) {
    const double g = (losses[i + 1] - losses[i]) / (std::log(lrs[i + 1]) - std::log(lrs[i]));
    if (g < best_grad) best_grad = g, steep = i;
  }
  out.push_back({"steep", lrs[steep], lrs[steep], losses[steep]});

  // minimum: the LR of the lowest loss, divided by 10
  const size_t lowest = size_t(std::min_element(losses.begin(), losses.end()) - losses.begin());
  out.push_back({"minimum", lrs[lowest] / 10, lrs[lowest], losses[lowest]});
  return out;
}

LrFindResult lr_sweep(Trainer& trainer, data::BatchSource& train, const LrFindOptions& o,
                      const ProgressCallback& progress) {
  validate(o);
  // what to put back: the weights and buffers, and the optimizer's state
  std::vector<torch::Tensor> saved;
  for (const auto& t : models::parameters_and_buffers(trainer.model())) saved.push_back(t.detach().clone());
  std::stringstream optimizer_state;
  {
    torch::serialize::OutputArchive archive;
    trainer.optimizer().save(archive);
    archive.save_to(optimizer_state);
  }

  PhaseProgress report(progress, "lr-find", o.iterations);
  LrFindResult r;
  double avg = 0, best = std::numeric_limits<double>::infinity();
  const bool was_training = trainer.model().is_training();
  trainer.model().train();
  int i = 0;
  for (int64_t epoch = 1; i < o.iterations; ++epoch) {
    train.start_epoch(epoch);
    bool any = false;
    while (i < o.iterations) {
      auto batch = train.next();
      if (!batch) break;
      any = true;
      const double lr = o.start_lr * std::pow(o.end_lr / o.start_lr, double(i) / double(o.iterations));
      set_learning_rate(trainer.optimizer(), lr, trainer.lr_scales());
      const double loss = trainer.train_step(*batch).item<double>();
      ++i;
      avg = o.beta * avg + (1 - o.beta) * loss;  // torch.lerp(loss, avg, beta)
      const double smooth = avg / (1 - std::pow(o.beta, double(i)));
      r.lrs.push_back(lr);
      r.losses.push_back(smooth);
      report.step(batch->labels.size(0));
      if (smooth < best) best = smooth;
      if (o.stop_div && (smooth > 4 * best || !std::isfinite(smooth))) {
        r.diverged = true;
        break;
      }
    }
    if (r.diverged) break;
    TLAB_CHECK(any, "lr-find: the training data gives no batches");
  }
  trainer.model().train(was_training);
  {
    torch::NoGradGuard no_grad;
    auto now = models::parameters_and_buffers(trainer.model());
    for (size_t k = 0; k < now.size(); ++k) now[k].copy_(saved[k]);
    torch::serialize::InputArchive archive;
    archive.load_from(optimizer_state);
    trainer.optimizer().load(archive);
  }
  r.suggestions = suggest_lrs(r.lrs, r.losses, o.iterations);
  return r;
}

LrFindResult find_lr(const RunOptions& options, const LrFindOptions& lf, const TrainCallbacks& callbacks) {
  validate(lf);
  RunOptions o = resolve_options(options);
  o.recipe.ema_decay = 0;  // a sweep, not a run
  const auto strategy = make_strategy(o.strategy.name);
  TLAB_CHECK(strategy->resumable(), "lr-find: --strategy ", o.strategy.name,
             " is fitted in one go (L-BFGS), without a learning rate to find");
  set_threads(o.system.threads);
  const RunData d = open_run_data(o, *strategy, std::nullopt);
  StrategyInput in;
  in.options = &o;
  in.train = d.train;
  in.input = d.input;
  in.device = resolve_device(o.system.device);
  in.augmentation = std::make_shared<const transforms::Augmentation>(*o.recipe.augmentation);
  in.model = build_model(o, d);
  if (auto* transfer = dynamic_cast<models::TransferModel*>(in.model.get()); transfer && strategy->needs_weights())
    transfer->set_trainable_from(transfer->stages().size());  // the head alone, as these strategies start
  Trainer trainer(in.model, o.recipe, in.device);
  data::DataLoader loader(in.train, in.input, train_loader_options(in));
  return lr_sweep(trainer, loader, lf, callbacks.on_progress);
}

}  // namespace tlab::train
