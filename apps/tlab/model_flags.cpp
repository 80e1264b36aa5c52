#include "model_flags.h"

#include <chrono>
#include <cstdio>

#include "tlab/train/run_dir.h"

namespace tlab::app {
namespace {

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

}  // namespace

void add_model_source_flags(CLI::App* c, infer::ModelSource& source, const std::string& model_help) {
  c->add_option("--checkpoint", source.checkpoint, "a checkpoint file, or a run directory (its best checkpoint)");
  c->add_option("--model", source.model, model_help);
  c->add_option("--weights", source.weights, "imagenet (cached / downloaded) or a .pth / .safetensors file");
  c->add_option("--labels", source.labels, "class names, one per line, in label order");
  c->add_option("--preprocess", source.preprocess,
                "auto (the weights' own) | imagenet | caffe (BGR, 0-255, mean-subtracted)")
      ->capture_default_str();
}

infer::ModelSource resolved_source(infer::ModelSource source) {
  if (!source.checkpoint.empty()) source.checkpoint = train::RunDir::checkpoint_of(source.checkpoint, "--checkpoint");
  source.resolve.progress = download_progress();
  return source;
}

}  // namespace tlab::app
