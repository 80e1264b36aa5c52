// classical: descriptors of each image computed once (HOG, LBP, SIFT bag of words, colour
// histograms, a pretrained network's stage), then selection, standardisation, PCA and a classical
// classifier (liblinear, libsvm, kNN, logistic regression), fitted on the training split only.
// The fitted pipeline is a model (features/classical_model.h), so its checkpoint evaluates,
// predicts and serves like any other. One "epoch": the fit.
#include <chrono>

#include "tlab/core/error.h"
#include "tlab/core/log.h"
#include "tlab/eval/evaluate.h"
#include "tlab/features/classical_model.h"
#include "tlab/models/transfer.h"
#include "tlab/train/strategies/image_training.h"
#include "tlab/train/strategies/strategies.h"

namespace tlab::train {
namespace {

const features::Descriptor* deep_descriptor(const std::vector<features::Descriptor>& descriptors) {
  for (const auto& d : descriptors)
    if (d.kind == "deep") return &d;
  return nullptr;
}

features::DescribedSet describe_split(const StrategyInput& in, features::ClassicalModel& model,
                                      const data::DatasetPtr& ds, const std::string& split) {
  data::DataLoader loader(ds, in.input, eval_loader_options(in));
  return features::describe_all(model, loader, in.device, with_phase(in.callbacks.on_progress, "features " + split));
}

class Classical : public Strategy {
 public:
  std::string name() const override { return "classical"; }
  bool needs_weights() const override { return false; }  // only deep features do: check() says so
  bool reads_images_once(const RunOptions&) const override { return true; }
  bool resumable() const override { return false; }
  bool trains_on_backbone_features(const RunOptions&) const override { return false; }
  std::string checkpoint_model(const RunOptions&) const override { return features::kClassicalModelName; }

  std::string describe(const RunOptions& o) const override {
    const auto& s = o.strategy.classical;
    return str_cat("classical pipeline on ", o.data.spec, ": ", s.features, s.select != "none" ? " -> " + s.select : "",
                   s.standardize ? " -> standardize" : "", s.reduce != "none" ? " -> " + s.reduce : "", " -> ",
                   s.classifier, ", seed ", o.recipe.seed);
  }

  void resolve(RunOptions& o) const override {
    auto& s = o.strategy.classical;
    s.logistic_c = o.strategy.linear_probe.c;
    s.sift.seed = o.recipe.seed;
    const auto descriptors = features::parse_descriptors(s.features);
    const auto* deep = deep_descriptor(descriptors);
    if (!deep) {
      o.model.name = features::kClassicalModelName;
    } else if (!deep->model.empty()) {
      o.model.name = deep->model;
    }
  }

  void check(const RunOptions& o) const override {
    const auto& s = o.strategy.classical;
    features::validate(s);
    const auto* deep = deep_descriptor(features::parse_descriptors(s.features));
    if (deep) {
      TLAB_CHECK(o.model.name != features::kClassicalModelName, "--features ", s.features,
                 ": name the network, deep:MODEL[:STAGE] (or --model MODEL)");
      TLAB_CHECK(!o.model.weights.empty(), "--features ", s.features,
                 ": deep features come from a pretrained network: add --weights imagenet|FILE");
    } else {
      TLAB_CHECK(o.model.weights.empty(), "--weights: --features ", s.features,
                 " has no deep descriptor to use them (add deep[:MODEL[:STAGE]])");
    }
    TLAB_CHECK(!o.model.head || *o.model.head == models::HeadOptions{},
               "--strategy classical has its own classifier (--classifier); drop --head ", o.model.head->str());
    TLAB_CHECK(o.recipe.augment == "none", "--strategy classical describes each image once; drop --augment ",
               o.recipe.augment);
    TLAB_CHECK(o.recipe.early_stopping.patience == 0 && o.recipe.ema_decay == 0,
               "--strategy classical is one fit, not epochs of steps: drop --early-stopping and --ema");
  }

  Trained train(const StrategyInput& in) const override {
    const RunOptions& o = *in.options;
    const auto& spec = o.strategy.classical;
    models::ModelPtr backbone;
    std::string backbone_name;
    if (deep_descriptor(features::parse_descriptors(spec.features))) {
      auto* transfer = dynamic_cast<models::TransferModel*>(in.model.get());
      TLAB_CHECK(transfer, "--strategy classical: deep features need the pretrained backbone (--weights)");
      backbone = transfer->shared_backbone();
      backbone_name = o.model.name;
    }
    models::ModelOptions mo;
    mo.num_classes = int64_t(in.train->classes().size());
    mo.in_channels = in.input.channels;
    mo.height = in.input.height;
    mo.width = in.input.width;
    auto model = std::make_shared<features::ClassicalModel>(spec, mo, in.input, backbone, backbone_name);
    model->to(in.device);
    model->eval();
    model->part_lengths();  // a descriptor that does not fit the input size fails now, before any pass

    const auto t0 = std::chrono::steady_clock::now();
    features::DescribedSet train = describe_split(in, *model, in.train, "train");
    if (model->needs_vocabulary()) {
      model->fit_vocabulary(train.parts.sift);
      train.features = model->join(train.parts);
    }
    train.parts = {};
    std::optional<features::DescribedSet> val, test;
    if (in.val) val = describe_split(in, *model, in.val, "val");
    if (in.test) test = describe_split(in, *model, in.test, "test");
    const double extract_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    const auto t1 = std::chrono::steady_clock::now();
    model->fit(train.features, train.labels, with_phase(in.callbacks.on_progress, "fit"));
    model->to(in.device);
    const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
    log_info(str_cat("classical pipeline: ", model->describe_pipeline(), "; descriptors of ", train.features.size(0),
                     (val ? " + " + std::to_string(val->features.size(0)) : std::string()),
                     (test ? " + " + std::to_string(test->features.size(0)) : std::string()), " images in ",
                     extract_seconds, " s, fitted on ", train.features.size(0), " x ", train.features.size(1), " in ",
                     fit_seconds, " s"));

    Trained out;
    out.model = model;
    out.forward = [model](torch::Tensor f) { return model->classify(f); };
    auto batches = [&](const features::DescribedSet& s) {
      return std::make_unique<data::TensorBatches>(s.features, s.labels, in.train->classes(), o.recipe.eval_batch_size,
                                                   false, o.recipe.seed);
    };
    if (val) out.eval_batches["val"] = batches(*val);
    if (test) out.eval_batches["test"] = batches(*test);

    EpochRecord rec;
    rec.epoch = 1;
    {
      torch::NoGradGuard no_grad;
      const auto scores = model->classify(train.features).to(torch::kCPU, torch::kFloat64);
      rec.train_loss = scores.log_softmax(1).gather(1, train.labels.unsqueeze(1)).mean().neg().item<double>();
      rec.train_accuracy = scores.argmax(1).eq(train.labels).to(torch::kFloat64).mean().item<double>();
    }
    if (out.eval_batches.count("val")) {
      const auto m = eval::evaluate(*model, out.forward, *out.eval_batches["val"], in.device);
      rec.val_loss = m.loss;
      rec.val_accuracy = m.accuracy;
    }
    rec.seconds = extract_seconds + fit_seconds;
    rec.images_per_second = double(train.features.size(0)) / std::max(rec.seconds, 1e-9);
    rec.details = {{"pipeline", model->describe_pipeline()},
                   {"extract_seconds", extract_seconds},
                   {"fit_seconds", fit_seconds},
                   {"descriptor_dim", train.features.size(1)},
                   {"classifier_input_dim", model->feature_dim()},
                   {"train_samples", train.features.size(0)}};
    out.state.epoch = out.state.best_epoch = 1;
    out.state.best_val_accuracy = rec.val_accuracy.value_or(-1.0);
    if (in.store) in.store->save_epoch(rec, out.state, *model, nullptr, true, {});
    out.epochs.push_back(rec);
    if (in.callbacks.on_epoch) in.callbacks.on_epoch(rec);
    return out;
  }
};

}  // namespace

std::unique_ptr<Strategy> classical_strategy() { return std::make_unique<Classical>(); }

}  // namespace tlab::train
