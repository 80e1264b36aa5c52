// tlab select: a grid of candidates, each cross-validated; the leaderboard; the best refit and
// tested (select::run_selection).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "cv_flags.h"
#include "run_summary.h"
#include "run_flags.h"
#include "tlab/select/grid_search.h"

namespace tlab::app {
namespace {

int run_select(select::SelectOptions o) {
  o.cv.on_fold = [&o](const select::FoldScore& s) {
    std::printf("  %s\n", fold_line(s, o.cv.folds).c_str());
    std::fflush(stdout);
  };
  const auto r = select::run_selection(
      o,
      [](size_t i, size_t n, const select::Candidate& c) {
        std::printf("\n== candidate %zu/%zu: %s ==\n", i + 1, n, c.name().c_str());
        std::fflush(stdout);
      },
      [](const select::CandidateResult& c) {
        std::printf("  accuracy %.4f +- %.4f   macro F1 %.4f +- %.4f   %.1f s\n", c.cv.accuracy.mean, c.cv.accuracy.std,
                    c.cv.macro_f1.mean, c.cv.macro_f1.std, c.cv.seconds);
        std::fflush(stdout);
      },
      progress_callbacks());
  std::printf("\n%s\nbest: %s\n", select::format_leaderboard(r).c_str(), r.candidates[r.best].candidate.name().c_str());
  if (r.refit) print_reports(*r.refit);
  std::printf("wrote %s/leaderboard.json\n", o.base.system.out.c_str());
  write_html_report(o.base.system.out);
  return 0;
}

}  // namespace

Command add_select(CLI::App& app) {
  auto o = std::make_shared<select::SelectOptions>();
  auto* c = app.add_subcommand("select", "choose the best candidate of a grid by cross-validation, refit it, test it");
  add_run_flags(c, o->base);
  add_cv_flags(c, o->cv);
  c->get_option("--out")->description("directory for leaderboard.json and the refit run (best/)")->required();
  c->add_option("--grid", o->grid,
                "candidates: \"KEY=V1,V2;KEY=...\", e.g. \"model=mobilenet_v2,squeezenet1_0;strategy=linear-probe,"
                "fine-tune;lr=1e-3,3e-3\" (keys: run options as config.json names them, lr, optimizer, ...)")
      ->required();
  c->add_option("--refit", o->refit, "train the best candidate on all the training data and test it")
      ->capture_default_str();
  return {c, [o] { return run_select(*o); }};
}

}  // namespace tlab::app
