// tlab eval: a checkpoint (or a run's best) on a data set, through the library's inference path.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "progress.h"
#include "tlab/core/device.h"
#include "tlab/core/log.h"
#include "tlab/data/spec.h"
#include "tlab/eval/evaluate.h"
#include "tlab/train/run_dir.h"

namespace tlab::app {
namespace {

struct EvalArgs {
  std::string checkpoint, data, out, device = "auto";
  int batch_size = 256, workers = 2, threads = 0;
};

int run_eval(const EvalArgs& a) {
  set_threads(a.threads);
  const infer::LoadedModel model =
      infer::load_checkpoint(train::RunDir::checkpoint_of(a.checkpoint, "--checkpoint"), resolve_device(a.device));
  data::DataOptions dopt;
  dopt.decode_min_side = transforms::resize_side(model.input);
  const data::DataSource src = data::open_data(a.data, dopt);
  const data::DatasetPtr ds = src.test ? src.test : src.val ? src.val : src.train;
  for (const auto& s : ds->skipped()) log_warning("skipped " + s);
  Progress progress;
  eval::EvaluateOptions options;
  options.batch_size = a.batch_size;
  options.workers = a.workers;
  options.progress = [&](const tlab::Progress& p) { progress.update(p); };
  const eval::Metrics m = eval::evaluate(model, ds, options);
  progress.done();
  std::printf("evaluated %s on %s (%zu samples)\n%s", model.source.c_str(), ds->description().c_str(), ds->size(),
              eval::format_report(m).c_str());
  if (!a.out.empty()) {
    const nlohmann::json j = {{"checkpoint", model.source}, {"data", a.data}, {"test", eval::to_json(m)}};
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
  c->add_option("--data", a->data, "data spec")->required();
  c->add_option("--out", a->out, "directory for the metrics file");
  c->add_option("--batch-size", a->batch_size, "batch size")->capture_default_str();
  c->add_option("--device", a->device, "auto | cpu | cuda[:N]")->capture_default_str();
  c->add_option("--threads", a->threads, "LibTorch threads (0: one per core)")->check(CLI::NonNegativeNumber);
  c->add_option("--workers", a->workers, "data loader threads")->capture_default_str();
  return {c, [a] { return run_eval(*a); }};
}

}  // namespace tlab::app
