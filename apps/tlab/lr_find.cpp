// tlab lr-find: fastai's learning-rate finder for a run's options (train::find_lr); writes
// DIR/lr_find.json and the plot (lr_find.svg, lr_find.png) with the suggestions marked.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "commands.h"
#include "run_flags.h"
#include "tlab/core/io.h"
#include "tlab/report/plot.h"
#include "tlab/train/lr_find.h"

namespace tlab::app {
namespace {

int run_lr_find(const train::RunOptions& o, const train::LrFindOptions& lf, const std::string& out) {
  const auto r = train::find_lr(o, lf, progress_callbacks());
  std::filesystem::create_directories(out);
  nlohmann::json suggestions = nlohmann::json::object();
  report::LineChart chart;
  chart.title = "Learning-rate finder";
  chart.x_label = "learning rate (log scale)";
  chart.y_label = "smoothed loss";
  chart.log_x = true;
  chart.series.push_back(report::series("loss", r.lrs, r.losses));
  for (const auto& s : r.suggestions) {
    suggestions[s.name] = {{"lr", s.lr}, {"at_lr", s.at_lr}, {"loss", s.loss}};
    char label[64];
    std::snprintf(label, sizeof label, "%s %.2g", s.name.c_str(), s.lr);
    chart.markers.push_back({s.at_lr, s.loss, label});
  }
  write_json_atomic(out + "/lr_find.json", {{"lrs", r.lrs},
                                            {"losses", r.losses},
                                            {"diverged", r.diverged},
                                            {"suggestions", suggestions},
                                            {"start_lr", lf.start_lr},
                                            {"end_lr", lf.end_lr},
                                            {"iterations", lf.iterations}});
  const auto figure = report::render(chart, 720, 440);
  write_file_atomic(out + "/lr_find.svg", figure.svg);
  write_file_atomic(out + "/lr_find.png", std::string(figure.png.begin(), figure.png.end()));
  std::printf("%zu iterations%s\n", r.lrs.size(), r.diverged ? " (stopped: the loss passed 4x its best)" : "");
  for (const auto& s : r.suggestions) std::printf("  %-8s lr %.3g\n", s.name.c_str(), s.lr);
  if (r.suggestions.empty()) std::printf("  too few iterations for suggestions; raise --iterations\n");
  std::printf("wrote %s/lr_find.json, lr_find.svg, lr_find.png\n", out.c_str());
  return 0;
}

}  // namespace

Command add_lr_find(CLI::App& app) {
  auto o = std::make_shared<train::RunOptions>();
  auto lf = std::make_shared<train::LrFindOptions>();
  auto* c = app.add_subcommand("lr-find", "sweep the learning rate exponentially (fastai's lr_find); plot and suggest");
  add_run_flags(c, *o);
  c->get_option("--out")->description("directory for lr_find.json and the plot")->default_str("lr-find");
  c->add_option("--start-lr", lf->start_lr, "first learning rate")->capture_default_str();
  c->add_option("--end-lr", lf->end_lr, "last learning rate")->capture_default_str();
  c->add_option("--iterations", lf->iterations, "batches of the sweep")->capture_default_str();
  c->add_option("--stop-div", lf->stop_div, "stop once the smoothed loss passes 4x its best")->capture_default_str();
  return {c, [o, lf] { return run_lr_find(*o, *lf, o->system.out.empty() ? "lr-find" : o->system.out); }};
}

}  // namespace tlab::app
