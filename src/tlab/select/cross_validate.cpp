#include "tlab/select/cross_validate.h"

#include <chrono>
#include <cmath>

#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/eval/metrics.h"
#include "tlab/train/strategy.h"

namespace tlab::select {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// What the opened data depends on.
std::string data_key(const train::RunOptions& o) {
  return str_cat(o.data.spec, "|", o.data.test, "|", o.data.test_split, "|", o.data.strict, "|", o.model.name, "|",
                 o.model.weights, "|", o.model.image_size, "|", o.recipe.seed);
}

}  // namespace

MeanStd mean_std(const std::vector<double>& v) {
  MeanStd m;
  if (v.empty()) return m;
  for (double x : v) m.mean += x;
  m.mean /= double(v.size());
  double ss = 0;
  for (double x : v) ss += (x - m.mean) * (x - m.mean);
  m.std = std::sqrt(ss / double(v.size()));
  return m;
}

nlohmann::json to_json(const CvResult& r) {
  auto ms = [](const MeanStd& m) { return nlohmann::json{{"mean", m.mean}, {"std", m.std}}; };
  nlohmann::json folds = nlohmann::json::array();
  for (const auto& f : r.folds)
    folds.push_back({{"repeat", f.repeat},
                     {"fold", f.fold},
                     {"train_samples", f.train_samples},
                     {"test_samples", f.test_samples},
                     {"accuracy", f.accuracy},
                     {"macro_f1", f.macro_f1},
                     {"loss", f.loss},
                     {"seconds", f.seconds}});
  return {{"folds", folds},
          {"accuracy", ms(r.accuracy)},
          {"macro_f1", ms(r.macro_f1)},
          {"loss", ms(r.loss)},
          {"seconds", r.seconds},
          {"feature_seconds", r.feature_seconds},
          {"feature_passes", r.feature_passes},
          {"config", r.config}};
}

const train::RunData& CvData::data(const train::RunOptions& o, const train::Strategy& strategy) {
  auto& slot = data_[data_key(o)];
  if (!slot) {
    slot = std::make_unique<Opened>();
    slot->data = train::open_run_data(o, strategy, std::nullopt);
    if (slot->data.pretrained)
      for (const auto& t : models::parameters_and_buffers(*slot->data.pretrained->model))
        slot->pretrained.push_back(t.detach().clone());
  }
  return slot->data;
}

models::ModelPtr CvData::fresh_model(const train::RunOptions& o, const train::RunData& d) {
  // the folds' TransferModels share the one loaded backbone: put its pretrained weights back
  if (d.pretrained) {
    const auto& saved = data_.at(data_key(o))->pretrained;
    torch::NoGradGuard no_grad;
    auto now = models::parameters_and_buffers(*d.pretrained->model);
    for (size_t i = 0; i < now.size(); ++i) now[i].copy_(saved.at(i));
  }
  return train::build_model(o, d);
}

std::shared_ptr<const train::CachedFeatures> CvData::features(const train::RunOptions& o,
                                                               const train::Strategy& strategy,
                                                               const train::TrainCallbacks& callbacks,
                                                               bool* computed) {
  const int views = strategy.feature_views(o);
  const std::string key = str_cat(data_key(o), "|", o.model.head ? o.model.head->str() : "", "|", views, "|",
                                  views ? o.recipe.augmentation->to_json().dump() : "");
  *computed = false;
  if (auto it = features_.find(key); it != features_.end()) return it->second;
  const train::RunData& d = data(o, strategy);
  train::StrategyInput in;
  in.options = &o;
  in.train = d.train;
  if (views > 0) in.val = d.train;  // the unaugmented features of the same images, for scoring (select_rows)
  in.input = d.input;
  in.device = resolve_device(o.system.device);
  in.augmentation = std::make_shared<const transforms::Augmentation>(*o.recipe.augmentation);
  in.callbacks = callbacks;
  in.model = fresh_model(o, d);
  auto& transfer = dynamic_cast<models::TransferModel&>(*in.model);
  transfer.set_trainable_from(transfer.stages().size());
  in.model->to(in.device);
  auto f = std::make_shared<const train::CachedFeatures>(train::cache_features(in, transfer, views));
  *computed = true;
  features_[key] = f;
  return f;
}

train::RunOptions cv_options(train::RunOptions o) {
  TLAB_CHECK(o.data.val.empty(), "--val ", o.data.val, ": cross-validation scores on held-out folds of the training "
             "data; drop --val");
  TLAB_CHECK(o.recipe.early_stopping.patience == 0, "--early-stopping: cross-validation folds train all their epochs "
             "(stopping on the held-out fold would leak it); drop --early-stopping");
  o.data.val_split = 0;
  return train::resolve_options(std::move(o));
}

CvResult cross_validate(const train::RunOptions& options, const CvOptions& cv, CvData& shared,
                        const train::TrainCallbacks& callbacks) {
  const auto t0 = Clock::now();
  const train::RunOptions o = cv_options(options);
  const auto strategy = train::make_strategy(o.strategy.name);
  FoldOptions fo = cv.folds;
  fo.seed = o.recipe.seed;
  set_threads(o.system.threads);
  const train::RunData& d = shared.data(o, *strategy);
  std::vector<int64_t> labels(d.train->size());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = d.train->label(i);
  const auto folds = stratified_folds(labels, fo);

  CvResult result;
  result.config = train::to_json(o);
  const bool frozen = strategy->trains_on_backbone_features(o);
  std::shared_ptr<const train::CachedFeatures> features;
  auto compute_features = [&] {
    bool computed = false;
    const auto t = Clock::now();
    auto f = shared.features(o, *strategy, callbacks, &computed);
    if (computed) {
      result.feature_seconds += since(t);
      ++result.feature_passes;
    }
    return f;
  };
  if (frozen && cv.share_features) features = compute_features();

  const torch::Device device = resolve_device(o.system.device);
  std::vector<double> acc, f1, loss;
  for (const auto& f : folds) {
    const auto tf = Clock::now();
    const std::string name = str_cat("fold ", f.fold + 1, "/", fo.folds, fo.repeats > 1 ? str_cat(" of repeat ", f.repeat + 1) : "");
    train::StrategyInput in;
    in.options = &o;
    in.train = std::make_shared<data::Subset>(d.train, f.train, name + " train");
    in.test = std::make_shared<data::Subset>(d.train, f.test, name + " held out");
    in.input = d.input;
    in.device = device;
    in.augmentation = std::make_shared<const transforms::Augmentation>(*o.recipe.augmentation);
    in.callbacks = callbacks;
    if (frozen) {
      if (!cv.share_features) {  // a plain loop: the backbone again for this fold's images
        const auto t = Clock::now();
        in.model = shared.fresh_model(o, d);
        in.model->to(device);
        auto& transfer = dynamic_cast<models::TransferModel&>(*in.model);
        transfer.set_trainable_from(transfer.stages().size());
        train::StrategyInput all = in;
        all.test = nullptr;
        all.train = d.train;
        if (strategy->feature_views(o) > 0) all.val = d.train;
        features = std::make_shared<const train::CachedFeatures>(
            train::cache_features(all, transfer, strategy->feature_views(o)));
        result.feature_seconds += since(t);
        ++result.feature_passes;
      }
      in.features = std::make_shared<const train::CachedFeatures>(train::select_rows(*features, f.train, f.test));
    }
    in.model = shared.fresh_model(o, d);
    train::Trained t = strategy->train(in);
    const auto m = eval::evaluate(*t.model, t.forward, *t.eval_batches.at("test"), device,
                                  with_phase(callbacks.on_progress, "evaluate " + name));
    FoldScore s{f.repeat, f.fold, f.train.size(), f.test.size(), m.accuracy, m.macro_f1, m.loss.value_or(NAN),
                since(tf)};
    result.folds.push_back(s);
    acc.push_back(s.accuracy);
    f1.push_back(s.macro_f1);
    loss.push_back(s.loss);
    if (cv.on_fold) cv.on_fold(s);
  }
  result.accuracy = mean_std(acc);
  result.macro_f1 = mean_std(f1);
  result.loss = mean_std(loss);
  result.seconds = since(t0);
  return result;
}

}  // namespace tlab::select
