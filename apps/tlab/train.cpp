// tlab train: one training run (train::run_training), or the continuation of one (--resume).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "run_summary.h"
#include "run_flags.h"
#include "tlab/train/run.h"
#include "tlab/train/strategy.h"

namespace tlab::app {
namespace {

int run_train(const CLI::App& command, const train::RunOptions& o, const std::string& resume) {
  const auto callbacks = progress_callbacks();
  train::RunResult r;
  if (!resume.empty()) {
    const bool device_set = command.count("--device") > 0, threads_set = command.count("--threads") > 0;
    r = train::resume_training(resume, device_set ? o.system.device : "", threads_set ? o.system.threads : 0, callbacks);
  } else {
    std::printf("%s\n", train::make_strategy(o.strategy.name)->describe(o).c_str());
    std::fflush(stdout);
    r = train::run_training(o, callbacks);
  }
  print_reports(r);
  write_html_report(r.dir);
  return 0;
}

}  // namespace

Command add_train(CLI::App& app) {
  auto options = std::make_shared<train::RunOptions>();
  auto resume = std::make_shared<std::string>();
  auto* c = app.add_subcommand("train", "train a classifier (default: simple_cnn on Fashion-MNIST)");
  add_run_flags(c, *options);
  c->add_option("--resume", *resume, "continue the interrupted run in RUN_DIR from its last checkpoint");
  return {c, [c, options, resume] { return run_train(*c, *options, *resume); }};
}

}  // namespace tlab::app
