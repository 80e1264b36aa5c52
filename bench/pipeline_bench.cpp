// Image-pipeline throughput: tlab's loader (decode + augment + normalise + batch) on an image
// folder. Prints one JSON line per run. The peer is bench/peer_pipeline.py.
// Usage: tlab_bench_pipeline --data DIR --pipeline train|eval [--workers N] [--size 224]
//                            [--epochs 3] [--batch-size 32]
//   train: decode, RandomResizedCrop(size), horizontal flip, ColorJitter(0.4, 0.4, 0.4, 0.1), normalise
//   eval:  decode, Resize(size * 8 / 7) + CenterCrop(size) (size <= 64: straight resize), normalise
// One warm-up pass over the data, then `epochs` timed passes.
#include <chrono>
#include <cstdio>
#include <string>

#include "tlab/data/loader.h"
#include "tlab/data/spec.h"

int main(int argc, char** argv) {
  std::string data, pipeline = "train";
  int workers = 2, size = 224, epochs = 3, batch = 32;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--data") data = value;
    else if (flag == "--pipeline") pipeline = value;
    else if (flag == "--workers") workers = std::stoi(value);
    else if (flag == "--size") size = std::stoi(value);
    else if (flag == "--epochs") epochs = std::stoi(value);
    else if (flag == "--batch-size") batch = std::stoi(value);
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  if (data.empty() || (pipeline != "train" && pipeline != "eval")) {
    std::fprintf(stderr, "usage: %s --data DIR --pipeline train|eval [--workers N] [--size S] [--epochs E]\n", argv[0]);
    return 2;
  }
  using namespace tlab;
  data::DataOptions dopt;
  dopt.decode_min_side = pipeline == "train" ? size : (size > 64 ? size * 8 / 7 : size);
  auto ds = data::open_data("folder:" + data, dopt).train;
  transforms::InputSpec spec = transforms::imagenet_spec(size > 64 ? size * 8 / 7 : 0, size);
  data::LoaderOptions options{batch, /*shuffle=*/true, false, workers, 2 * std::max(workers, 1), 0};
  if (pipeline == "train")
    options.augment = std::make_shared<const transforms::Augmentation>(transforms::Augmentation::from_json(
        {{"ops",
          {{{"op", "random_resized_crop"}},
           {{"op", "horizontal_flip"}},
           {{"op", "color_jitter"}, {"brightness", 0.4}, {"contrast", 0.4}, {"saturation", 0.4}, {"hue", 0.1}}}}}));
  data::DataLoader loader(ds, spec, options);
  auto pass = [&](int64_t epoch) {
    loader.start_epoch(epoch);
    size_t n = 0;
    while (auto b = loader.next()) n += size_t(b->images.size(0));
    return n;
  };
  pass(0);
  const auto t0 = std::chrono::steady_clock::now();
  size_t images = 0;
  for (int e = 1; e <= epochs; ++e) images += pass(e);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"impl\": \"tlab\", \"data\": \"%s\", \"pipeline\": \"%s\", \"workers\": %d, \"images\": %zu, "
              "\"seconds\": %.3f, \"images_per_second\": %.1f}\n",
              data.c_str(), pipeline.c_str(), workers, images, seconds, double(images) / seconds);
  return 0;
}
