// tlab models: the zoo, with parameters, multiply-accumulates, input size and known weights.
#include <cstdio>

#include "commands.h"
#include "tlab/models/flops.h"
#include "tlab/models/model.h"
#include "tlab/weights/registry.h"

namespace tlab::app {
namespace {

int run_models() {
  torch::NoGradGuard no_grad;
  std::printf("%-22s %12s %9s %7s  %s\n", "model", "parameters", "GMACs", "input", "known weights");
  for (const auto& info : models::model_registry()) {
    const int64_t s = info.default_image_size;
    auto model = info.create({1000, 3, s, s});
    const auto macs = models::count_macs(*model, 3, s, s);
    std::string known = "-";
    for (const auto& w : weights::known_weights())
      if (w.arch == info.name) known = w.tag + " (" + w.file + ")";
    std::printf("%-22s %12lld %9.3f %7s  %s\n", info.name.c_str(), (long long)models::count_parameters(*model).total(),
                double(macs.total()) / 1e9, (std::to_string(s) + "px").c_str(), known.c_str());
  }
  std::printf("(1000 classes, 3 input channels, default input size; GMACs: multiply-accumulates of one image, "
              "the figure torchvision lists as GFLOPS)\n");
  return 0;
}

}  // namespace

Command add_models(CLI::App& app) {
  return {app.add_subcommand("models", "list the architectures"), run_models};
}

}  // namespace tlab::app
