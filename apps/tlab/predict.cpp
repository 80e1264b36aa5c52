// tlab predict: classify images with a checkpoint, a zoo model and weights, or a TorchScript file,
// through the library's inference path (infer/).
#include <chrono>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "tlab/core/device.h"
#include "tlab/infer/predict.h"
#include "tlab/train/run_dir.h"

namespace tlab::app {
namespace {

struct PredictArgs {
  infer::ModelSource source;
  std::string device = "auto";
  std::vector<std::string> images;
  int topk = 5;
  bool json = false;
};

// A terminal progress line for downloads (stderr, so --json output stays clean).
weights::DownloadProgress download_progress() {
  return [last = std::chrono::steady_clock::time_point()](uint64_t got, uint64_t total) mutable {
    const auto now = std::chrono::steady_clock::now();
    if (now - last < std::chrono::milliseconds(200) && got != total) return;
    last = now;
    if (total > 0)
      std::fprintf(stderr, "\rdownloading %.1f / %.1f MB (%.0f%%)", got / 1e6, total / 1e6, 100.0 * got / total);
    else
      std::fprintf(stderr, "\rdownloading %.1f MB", got / 1e6);
    if (total > 0 && got == total) std::fprintf(stderr, "\n");
  };
}

int run_predict(PredictArgs a) {
  if (!a.source.checkpoint.empty()) a.source.checkpoint = train::RunDir::checkpoint_of(a.source.checkpoint, "--checkpoint");
  a.source.resolve.progress = download_progress();
  const infer::LoadedModel model = infer::load(a.source, resolve_device(a.device));
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
  c->add_option("--checkpoint", a->source.checkpoint, "a checkpoint file, or a run directory (its best checkpoint)");
  c->add_option("--model", a->source.model, "zoo architecture (with --weights), or torchscript:FILE");
  c->add_option("--weights", a->source.weights, "imagenet (cached / downloaded) or a .pth / .safetensors file");
  c->add_option("--labels", a->source.labels, "class names, one per line, in label order");
  c->add_option("--preprocess", a->source.preprocess,
                "auto (the weights' own) | imagenet | caffe (BGR, 0-255, mean-subtracted)")
      ->capture_default_str();
  c->add_option("images", a->images, "image files")->required();
  c->add_option("--topk", a->topk, "classes to show per image")->capture_default_str();
  c->add_flag("--json", a->json, "print JSON");
  c->add_option("--device", a->device, "auto | cpu | cuda[:N]")->capture_default_str();
  return {c, [a] { return run_predict(*a); }};
}

}  // namespace tlab::app
