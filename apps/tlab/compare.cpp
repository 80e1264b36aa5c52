// tlab compare: transfer strategies side by side on the same data and split (train::run_comparison).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "run_flags.h"
#include "run_summary.h"
#include "tlab/train/compare.h"
#include "tlab/train/strategy.h"

namespace tlab::app {
namespace {

int run_compare(const train::CompareOptions& c) {
  const auto rows = train::run_comparison(
      c,
      [](const std::string& row, const train::RunOptions& o) {
        // the strategy's own line: epochs and LR for a network, the pipeline for a classical row
        const std::string what = train::make_strategy(o.strategy.name)->describe(o);
        std::printf("\n== %s: %s%s%s -> %s ==\n", row.c_str(), what.c_str(), o.model.weights.empty() ? "" : ", weights ",
                    o.model.weights.c_str(), o.system.out.c_str());
        std::fflush(stdout);
      },
      progress_callbacks());
  std::printf("\n%s\nwrote %s/compare.json\n", train::format_table(rows).c_str(), c.base.system.out.c_str());
  write_html_report(c.base.system.out);
  return 0;
}

}  // namespace

Command add_compare(CLI::App& app) {
  auto c = std::make_shared<train::CompareOptions>();
  auto* sub = app.add_subcommand("compare", "run transfer strategies on the same data and split; one table");
  add_run_flags(sub, c->base);
  sub->get_option("--out")->description("directory for a run per strategy and compare.json")->required();
  sub->add_option("--strategies", c->strategies,
                  "comma-separated, in order: linear-probe, feature-extract, fine-tune, scratch, student, distill, "
                  "classical:FEATURES (e.g. classical:hog+color-hist)")
      ->delimiter(',')
      ->capture_default_str();
  sub->add_option("--scratch-model", c->scratch_model, "scratch: the architecture (default: --model)");
  sub->add_option("--student", c->student, "student and distill: the student architecture")->capture_default_str();
  sub->add_option("--student-image-size", c->student_image_size, "student and distill: the student's input side")
      ->capture_default_str();
  return {sub, [c] { return run_compare(*c); }};
}

}  // namespace tlab::app
