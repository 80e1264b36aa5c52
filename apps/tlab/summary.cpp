// tlab summary: a Keras-style layer table of an architecture.
#include <cstdio>
#include <memory>

#include "commands.h"
#include "tlab/models/summary.h"

namespace tlab::app {
namespace {

struct SummaryArgs {
  std::string model = "simple_cnn";
  int64_t num_classes = 10, image_size = 0, channels = 3;
};

int run_summary(const SummaryArgs& a) {
  const auto& info = models::model_info(a.model);
  const int64_t side = a.image_size > 0 ? a.image_size : info.default_image_size;
  auto model = models::create_model(a.model, {a.num_classes, a.channels, side, side});
  std::printf("%s", models::format_summary(models::summarize(*model, a.model, a.channels, side, side)).c_str());
  return 0;
}

}  // namespace

Command add_summary(CLI::App& app) {
  auto a = std::make_shared<SummaryArgs>();
  auto* c = app.add_subcommand("summary", "print a Keras-style layer table");
  c->add_option("--model", a->model, "architecture")->capture_default_str();
  c->add_option("--num-classes", a->num_classes, "classifier outputs")->capture_default_str();
  c->add_option("--image-size", a->image_size, "input side (0: the model's default)")->capture_default_str();
  c->add_option("--channels", a->channels, "input channels")->capture_default_str();
  return {c, [a] { return run_summary(*a); }};
}

}  // namespace tlab::app
