// tlab features: a data set's descriptor vectors (HOG, LBP, SIFT bag of words, colour histograms, a
// pretrained network's stage) written to .safetensors, .npy or .csv for other tools.
#include <chrono>
#include <cstdio>
#include <memory>

#include "commands.h"
#include "feature_flags.h"
#include "progress.h"
#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/features/classical_model.h"
#include "tlab/features/feature_file.h"
#include "tlab/models/transfer.h"
#include "tlab/train/run_data.h"
#include "tlab/train/strategies/image_training.h"

namespace tlab::app {
namespace {

struct FeaturesArgs {
  train::RunOptions run;      // data, model, weights, image size, descriptors, system
  std::string split = "train";
  std::string out;
};

int run_features(FeaturesArgs a) {
  features::feature_file_paths(a.out);  // a bad extension fails before any work
  TLAB_CHECK(a.split == "train" || a.split == "test", "--split: expected train or test, got '", a.split, "'");
  train::RunOptions o = a.run;
  o.strategy.name = "classical";
  o.data.val_split = 0;  // the whole training data; the vocabulary is fitted on it
  o.system.out = "-";    // no run directory
  o = train::resolve_options(o);
  const auto strategy = train::make_strategy(o.strategy.name);
  set_threads(o.system.threads);
  const auto t0 = std::chrono::steady_clock::now();
  const train::RunData d = train::open_run_data(o, *strategy, std::nullopt);
  for (const auto& s : d.skipped) std::fprintf(stderr, "skipped %s\n", s.c_str());
  TLAB_CHECK(a.split == "train" || d.test, "--split test: ", o.data.spec, " has no test split (give --test SPEC)");

  models::ModelPtr backbone;
  if (auto model = train::build_model(o, d))
    backbone = dynamic_cast<models::TransferModel&>(*model).shared_backbone();
  models::ModelOptions mo;
  mo.num_classes = int64_t(d.train->classes().size());
  mo.in_channels = d.input.channels;
  mo.height = d.input.height;
  mo.width = d.input.width;
  features::ClassicalModel model(o.strategy.classical, mo, d.input, backbone, backbone ? o.model.name : "");
  const torch::Device device = resolve_device(o.system.device);
  model.to(device);
  model.eval();
  model.part_lengths();  // a descriptor that does not fit the image size fails before the pass

  Progress bar;
  train::StrategyInput in;
  in.options = &o;
  in.device = device;
  auto describe = [&](const data::DatasetPtr& ds, const std::string& split) {
    data::DataLoader loader(ds, d.input, train::eval_loader_options(in));
    auto set = features::describe_all(model, loader, device, [&](const tlab::Progress& p) {
      auto q = p;
      q.phase = "features " + split;
      bar.update(q);
    });
    bar.done();
    return set;
  };
  features::DescribedSet set = describe(d.train, "train");
  if (model.needs_vocabulary()) {
    model.fit_vocabulary(set.parts.sift);  // on the training images only, whichever split is written
    if (a.split == "train") set.features = model.join(set.parts);
  }
  if (a.split == "test") set = describe(d.test, "test");
  const auto files = features::write_feature_file(a.out, set.features, set.labels, d.train->classes(),
                                                  o.strategy.classical.features);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%s: %lld images x %lld features (%s) in %s\n", a.split.c_str(), (long long)set.features.size(0),
              (long long)set.features.size(1), model.describe_descriptors().c_str(), format_seconds(seconds).c_str());
  for (const auto& f : files) std::printf("wrote %s\n", f.c_str());
  return 0;
}

}  // namespace

Command add_features(CLI::App& app) {
  auto a = std::make_shared<FeaturesArgs>();
  auto* sub = app.add_subcommand("features", "write a data set's descriptor vectors (+ labels, classes) to a file");
  train::RunOptions& o = a->run;
  sub->add_option("--data", o.data.spec, "the data (a folder, CSV, fashion-mnist, cifar10, ...)")->required();
  sub->add_option("--test", o.data.test, "test data spec (default: the data's own test split)");
  sub->add_option("--split", a->split, "train | test: the split whose images are written")->capture_default_str();
  sub->add_option("--features", o.strategy.classical.features,
                  "descriptors joined by '+': hog | lbp | sift-bow | color-hist | deep:MODEL[:STAGE] (a stage as "
                  "tlab summary names it, pooled; needs --weights)")
      ->capture_default_str();
  add_hog_flags(*sub, o.strategy.classical.hog);
  add_lbp_flags(*sub, o.strategy.classical.lbp);
  add_sift_flags(*sub, o.strategy.classical.sift);
  add_color_hist_flags(*sub, o.strategy.classical.color);
  sub->add_option("--weights", o.model.weights, "deep features: imagenet | FILE (.pth, .safetensors)");
  sub->add_option("--image-size", o.model.image_size,
                  "the side images are resized to (needed for folders of mixed sizes; 0: the data's own or the weights')")
      ->capture_default_str();
  sub->add_option("--seed", o.recipe.seed, "seeds the SIFT vocabulary's sample and k-means")->capture_default_str();
  sub->add_option("--batch-size", o.recipe.eval_batch_size, "images per batch")->capture_default_str();
  sub->add_option("--device", o.system.device, "auto | cpu | cuda[:N] (deep features)")->capture_default_str();
  sub->add_option("--threads", o.system.threads, "threads (0: one per core)")->capture_default_str();
  sub->add_option("--workers", o.system.workers, "data loader threads")->capture_default_str();
  sub->add_option("--out", a->out, "FILE.safetensors | FILE.npy (+ FILE.labels.npy, FILE.classes.txt) | FILE.csv")
      ->required();
  return {sub, [a] { return run_features(*a); }};
}

}  // namespace tlab::app
