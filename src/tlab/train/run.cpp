#include "tlab/train/run.h"

#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/core/log.h"
#include "tlab/eval/temperature.h"
#include "tlab/models/checkpoint.h"
#include "tlab/train/run_data.h"
#include "tlab/train/run_dir.h"
#include "tlab/train/strategy.h"

namespace tlab::train {
namespace {

nlohmann::json run_config(const RunOptions& o, const RunData& d) {
  nlohmann::json config = to_json(o);
  config["version"] = TLAB_VERSION;
  config["torch_version"] = TORCH_VERSION;
  config["resolved_device"] = resolve_device(o.system.device).str();
  config["resolved_threads"] = torch::get_num_threads();
  config["input"] = transforms::to_json(d.input);
  config["data_info"] = data_info(d);
  return config;
}

// What every checkpoint of the run carries besides the weights: enough to rebuild and use the model.
nlohmann::json checkpoint_meta(const RunOptions& o, const Strategy& strategy, const RunData& d,
                               const nlohmann::json& config) {
  return {{"model", strategy.checkpoint_model(o)},
          {"model_options", models::to_json(d.model_options)},
          {"input", transforms::to_json(d.input)},
          {"classes", d.train->classes()},
          {"config", config}};
}

// The strategy on the open splits, then the best weights evaluated on validation and test data.
RunResult train_and_evaluate(const RunOptions& o, const Strategy& strategy, const RunData& d, RunDir& dir, bool resume,
                             const TrainCallbacks& callbacks) {
  StrategyInput in;
  in.options = &o;
  in.train = d.train;
  in.val = d.val;
  in.test = d.test;
  in.input = d.input;
  in.device = resolve_device(o.system.device);
  in.augmentation = std::make_shared<const transforms::Augmentation>(*o.recipe.augmentation);
  in.store = &dir;
  in.resume = resume;
  in.scratch_dir = dir.path();
  in.callbacks = callbacks;
  in.model = build_model(o, d);
  Trained trained = strategy.train(in);

  RunResult result{dir.path(), nlohmann::json::object(), {}, trained.state.best_epoch, dir.config(), trained.epochs};
  std::map<std::string, eval::Outputs> outputs;
  for (auto& [split, batches] : trained.eval_batches)
    outputs[split] = eval::collect_outputs(*trained.model, trained.forward, *batches, in.device,
                                           with_phase(callbacks.on_progress, "evaluate " + split));
  // temperature scaling on the validation split; the metrics and predictions are the calibrated ones
  std::optional<eval::TemperatureFit> fit;
  if (o.recipe.calibrate && outputs.count("val")) {
    fit = eval::fit_temperature(outputs["val"].logits, outputs["val"].labels);
    dir.set_temperature(*trained.model, fit->temperature);
  }
  for (auto& [split, out] : outputs) {
    const auto log_p = torch::log_softmax(out.logits.to(torch::kFloat64) / (fit ? fit->temperature : 1.0), 1);
    result.splits[split] = eval::metrics_from_log_probabilities(log_p, out.labels, d.train->classes());
    result.metrics[split] = eval::to_json(result.splits[split]);
    dir.write_predictions(split, log_p, out.labels, d.train->classes());
  }
  if (fit) {
    result.metrics["val"]["temperature_scaling"] = {{"temperature", fit->temperature},
                                                     {"nll_before", fit->nll_before},
                                                     {"nll_after", fit->nll_after},
                                                     {"ece_before", fit->ece_before},
                                                     {"ece_after", fit->ece_after}};
  }
  result.metrics = dir.write_metrics(result.metrics, result.best_epoch);
  return result;
}

}  // namespace

RunResult run_training(const RunOptions& options, const TrainCallbacks& callbacks) {
  const RunOptions o = resolve_options(options);
  const auto strategy = make_strategy(o.strategy.name);
  RunDir::check_new(o.system.out);
  set_threads(o.system.threads);
  const RunData d = open_run_data(o, *strategy, std::nullopt);
  for (const auto& s : d.skipped) log_warning("skipped " + s);
  const nlohmann::json config = run_config(o, d);
  RunDir dir = RunDir::create(o.system.out, config, d.train->classes(), checkpoint_meta(o, *strategy, d, config));
  return train_and_evaluate(o, *strategy, d, dir, /*resume=*/false, callbacks);
}

RunResult resume_training(const std::string& run_dir, const std::string& device, int threads,
                          const TrainCallbacks& callbacks) {
  RunDir dir = RunDir::open(run_dir);
  RunOptions o = run_options_from_json(dir.config());  // as recorded: the augmentation too
  const auto strategy = make_strategy(o.strategy.name);
  TLAB_CHECK(strategy->resumable(), "--resume ", run_dir, ": --strategy ", o.strategy.name,
             " is fitted in one go; run it again");
  o.system.out = run_dir;
  if (!device.empty()) o.system.device = device;
  if (threads > 0) o.system.threads = threads;
  o = resolve_options(o);  // validates; fills only what a config of an older version lacks
  set_threads(o.system.threads);
  const RunData d = open_run_data(o, *strategy, transforms::input_spec_from_json(dir.checkpoint_meta().at("input")));
  log_info(str_cat("resuming ", run_dir, " after epoch ", dir.checkpoint_meta().at("epoch").get<int>(), " of ",
                   o.recipe.epochs));
  return train_and_evaluate(o, *strategy, d, dir, /*resume=*/true, callbacks);
}

}  // namespace tlab::train
