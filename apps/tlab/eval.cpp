// tlab eval: a checkpoint (or a run's best) on a data set, through the library's inference path.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "progress.h"
#include "tlab/core/device.h"
#include "tlab/core/log.h"
#include "tlab/data/spec.h"
#include "tlab/core/error.h"
#include "tlab/eval/evaluate.h"
#include "tlab/models/checkpoint.h"
#include "tlab/train/run_data.h"
#include "tlab/train/run_dir.h"
#include "tlab/train/strategy.h"

namespace tlab::app {
namespace {

struct EvalArgs {
  std::string checkpoint, data, out, device = "auto";
  int batch_size = 256, workers = 2, threads = 0;
  std::string split = "test";  // without --data: the run's own split
  int tta = 0;
  double tta_beta = 0.25;
  std::string tta_augment;  // empty: the run's own augmentation, else light
  uint64_t seed = 0;
};

// --tta-augment, or the augmentation the checkpoint's run trained with, or the light preset.
std::shared_ptr<const transforms::Augmentation> tta_augmentation(const EvalArgs& a, const std::string& checkpoint) {
  if (!a.tta_augment.empty()) return std::make_shared<const transforms::Augmentation>(transforms::Augmentation::from_flag(a.tta_augment));
  const auto config = models::read_checkpoint_meta(checkpoint).value("config", nlohmann::json::object());
  if (const auto it = config.find("augmentation"); it != config.end() && it->is_object()) {
    auto own = transforms::Augmentation::from_json(*it);
    if (!own.empty()) return std::make_shared<const transforms::Augmentation>(std::move(own));
  }
  return std::make_shared<const transforms::Augmentation>(transforms::Augmentation::from_flag("light"));
}

int run_eval(const EvalArgs& a) {
  set_threads(a.threads);
  const std::string checkpoint = train::RunDir::checkpoint_of(a.checkpoint, "--checkpoint");
  const infer::LoadedModel model = infer::load_checkpoint(checkpoint, resolve_device(a.device));
  data::DatasetPtr ds;
  if (!a.data.empty()) {
    data::DataOptions dopt;
    dopt.decode_min_side = transforms::resize_side(model.input);
    const data::DataSource src = data::open_data(a.data, dopt);
    ds = src.test ? src.test : src.val ? src.val : src.train;
  } else {  // the run's own split, opened as the run opened it (same seed, same split)
    const auto meta = models::read_checkpoint_meta(checkpoint);
    const auto options = train::run_options_from_json(meta.at("config"));
    const auto d = train::open_run_data(options, *train::make_strategy(options.strategy.name), model.input);
    ds = a.split == "val" ? d.val : a.split == "test" ? d.test : nullptr;
    TLAB_CHECK(a.split == "val" || a.split == "test", "--split: expected test or val, got '", a.split, "'");
    TLAB_CHECK(ds != nullptr, "--split ", a.split, ": the run of ", checkpoint, " has no ", a.split,
               " split; give --data");
  }
  for (const auto& s : ds->skipped()) log_warning("skipped " + s);
  Progress progress;
  eval::EvaluateOptions options;
  options.batch_size = a.batch_size;
  options.workers = a.workers;
  options.progress = [&](const tlab::Progress& p) { progress.update(p); };
  options.tta = a.tta;
  options.tta_beta = a.tta_beta;
  options.seed = a.seed;
  if (a.tta > 0) options.tta_augmentation = tta_augmentation(a, checkpoint);
  eval::Metrics plain;
  const eval::Metrics m = eval::evaluate(model, ds, options, &plain);
  progress.done();
  std::printf("evaluated %s on %s (%zu samples)%s\n%s", model.source.c_str(), ds->description().c_str(), ds->size(),
              a.tta ? str_cat(", test-time augmentation: ", a.tta, " passes blended with beta ", a.tta_beta).c_str() : "",
              eval::format_report(m).c_str());
  if (a.tta)
    std::printf("without TTA: accuracy %.4f  loss %.4f  ece %.4f\nwith TTA:    accuracy %.4f  loss %.4f  ece %.4f\n",
                plain.accuracy, plain.loss.value_or(0), plain.calibration ? plain.calibration->ece : 0, m.accuracy,
                m.loss.value_or(0), m.calibration ? m.calibration->ece : 0);
  if (!a.out.empty()) {
    nlohmann::json j = {{"checkpoint", model.source},
                        {"data", a.data.empty() ? "the run's " + a.split + " split" : a.data},
                        {"test", eval::to_json(m)}};
    if (a.tta) j["tta"] = {{"passes", a.tta}, {"beta", a.tta_beta}, {"without_tta", eval::to_json(plain)}};
    std::printf("wrote %s\n", train::RunDir::write_evaluation(a.out, j).c_str());
  }
  return 0;
}

}  // namespace

Command add_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* c = app.add_subcommand("eval", "evaluate a checkpoint on a data set (its test split when it has one)");
  c->add_option("--checkpoint", a->checkpoint, "a checkpoint file, or a run directory (its best checkpoint)")
      ->required();
  c->add_option("--data", a->data, "data spec (its test split, else val, else all); default: the run's own --split");
  c->add_option("--split", a->split, "without --data: the run's own test | val split")->capture_default_str();
  c->add_option("--out", a->out, "directory for the metrics file");
  c->add_option("--batch-size", a->batch_size, "batch size")->capture_default_str();
  c->add_option("--device", a->device, "auto | cpu | cuda[:N]")->capture_default_str();
  c->add_option("--threads", a->threads, "LibTorch threads (0: one per core)")->check(CLI::NonNegativeNumber);
  c->add_option("--workers", a->workers, "data loader threads")->capture_default_str();
  c->add_option("--tta", a->tta, "test-time augmentation: N augmented passes blended with the plain one (fastai)")
      ->capture_default_str();
  c->add_option("--tta-beta", a->tta_beta, "TTA: the plain pass's weight in the blend")->capture_default_str();
  c->add_option("--tta-augment", a->tta_augment,
                "TTA: the augmentation (preset or FILE.json; default: the run's own, else light)");
  c->add_option("--seed", a->seed, "TTA: seed of the augmented passes")->capture_default_str();
  return {c, [a] { return run_eval(*a); }};
}

}  // namespace tlab::app
