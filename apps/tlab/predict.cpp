// tlab predict: classify images with a checkpoint, a zoo model and weights, or a TorchScript file,
// through the library's inference path (infer/).
#include <cstdio>
#include <memory>

#include "commands.h"
#include "model_flags.h"
#include "tlab/core/device.h"
#include "tlab/infer/predict.h"

namespace tlab::app {
namespace {

struct PredictArgs {
  infer::ModelSource source;
  std::string device = "auto";
  std::vector<std::string> images;
  int topk = 5;
  bool json = false;
};

int run_predict(PredictArgs a) {
  const infer::LoadedModel model = infer::load(resolved_source(a.source), resolve_device(a.device));
  const auto results = infer::predict_files(model, a.images, a.topk);
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& c : results[i]) top.push_back({{"class", c.name}, {"index", c.index}, {"probability", c.probability}});
    if (a.json) {
      out.push_back({{"image", a.images[i]}, {"top", top}});
    } else {
      std::printf("%s\n", a.images[i].c_str());
      for (const auto& c : results[i]) std::printf("  %-24s %.4f\n", c.name.c_str(), c.probability);
    }
  }
  if (a.json) std::printf("%s\n", out.dump(2).c_str());
  return 0;
}

}  // namespace

Command add_predict(CLI::App& app) {
  auto a = std::make_shared<PredictArgs>();
  auto* c = app.add_subcommand("predict", "classify images with a checkpoint, or a zoo model and weights");
  add_model_source_flags(c, a->source, "zoo architecture (with --weights), or torchscript:FILE");
  c->add_option("images", a->images, "image files")->required();
  c->add_option("--topk", a->topk, "classes to show per image")->capture_default_str();
  c->add_flag("--json", a->json, "print JSON");
  c->add_option("--device", a->device, "auto | cpu | cuda[:N]")->capture_default_str();
  return {c, [a] { return run_predict(*a); }};
}

}  // namespace tlab::app
