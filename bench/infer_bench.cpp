// Inference throughput of zoo models (random weights: speed does not depend on their values).
// Prints one JSON line per (model, batch): images/s over `iters` timed batches after warm-up.
// Usage: tlab_bench_infer [--threads N] [--models resnet18,resnet50,mobilenet_v2] [--batches 1,32]
#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "tlab/core/device.h"
#include "tlab/models/model.h"

namespace {
std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) out.push_back(item);
  return out;
}
}  // namespace

int main(int argc, char** argv) {
  int threads = 0;
  std::string model_list = "resnet18,resnet50,mobilenet_v2", batch_list = "1,32";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--threads") threads = std::stoi(argv[i + 1]);
    else if (flag == "--models") model_list = argv[i + 1];
    else if (flag == "--batches") batch_list = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: %s [--threads N] [--models a,b] [--batches 1,32]\n", argv[0]);
      return 2;
    }
  }
  tlab::set_threads(threads);
  for (const auto& name : split(model_list)) {
    auto model = tlab::models::create_model(name, {1000, 3, 224, 224});
    tlab::models::prepare_for_inference(*model);
    for (const auto& b : split(batch_list)) {
      c10::InferenceMode inference;
      const int64_t batch = std::stoll(b);
      auto x = torch::randn({batch, 3, 224, 224});
      for (int w = 0; w < 1; ++w) model->forward(x);
      // Time at least 3 batches and at least 2 seconds.
      int iters = 0;
      const auto t0 = std::chrono::steady_clock::now();
      double seconds = 0;
      while (iters < 3 || seconds < 2.0) {
        model->forward(x);
        ++iters;
        seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      }
      std::printf("{\"impl\": \"tlab\", \"model\": \"%s\", \"batch\": %lld, \"threads\": %d, \"images_per_second\": %.3f}\n",
                  name.c_str(), (long long)batch, torch::get_num_threads(), double(iters * batch) / seconds);
      std::fflush(stdout);
    }
  }
  return 0;
}
