#include "tlab/train/run.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <iomanip>
#include <numeric>
#include <random>
#include <sstream>

#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/core/log.h"
#include "tlab/data/cache.h"
#include "tlab/data/spec.h"
#include "tlab/features/deep.h"
#include "tlab/features/logistic.h"
#include "tlab/models/pretrained.h"
#include "tlab/models/transfer.h"
#include "tlab/train/checkpoint.h"
#include "tlab/train/distill.h"

namespace fs = std::filesystem;

namespace tlab::train {

TrainOptions default_recipe() {
  TrainOptions t;
  t.epochs = 10;
  t.optimizer.name = "adamw";
  t.optimizer.lr = 2e-3;
  t.schedule.name = "cosine";
  t.schedule.warmup_epochs = 1;
  t.label_smoothing = 0.1;
  return t;
}

nlohmann::json to_json(const RunOptions& o) {
  const auto& t = o.train;
  return {{"data", o.data},
          {"val", o.val},
          {"val_split", o.val_split},
          {"test", o.test},
          {"test_split", o.test_split},
          {"model", o.model},
          {"weights", o.weights},
          {"strategy", o.strategy},
          {"head", o.head},
          {"feature_cache", o.feature_cache},
          {"probe_c", o.probe_c},
          {"feature_views", o.feature_views},
          {"unfreeze", o.unfreeze},
          {"unfreeze_from", o.unfreeze_from},
          {"head_epochs", o.head_epochs},
          {"backbone_lr_scale", o.backbone_lr_scale},
          {"layer_decay", o.layer_decay},
          {"bn", o.bn},
          {"teacher", o.teacher},
          {"temperature", o.temperature},
          {"alpha", o.alpha},
          {"image_size", o.image_size},
          {"batch_size", o.batch_size},
          {"eval_batch_size", o.eval_batch_size},
          {"epochs", t.epochs},
          {"optimizer",
           {{"name", t.optimizer.name},
            {"lr", t.optimizer.lr},
            {"momentum", t.optimizer.momentum},
            {"nesterov", t.optimizer.nesterov},
            {"weight_decay", t.optimizer.weight_decay},
            {"beta1", t.optimizer.beta1},
            {"beta2", t.optimizer.beta2}}},
          {"schedule",
           {{"name", t.schedule.name},
            {"warmup_epochs", t.schedule.warmup_epochs},
            {"step_size", t.schedule.step_size},
            {"gamma", t.schedule.gamma},
            {"min_lr_fraction", t.schedule.min_lr_fraction}}},
          {"label_smoothing", t.label_smoothing},
          {"seed", t.seed},
          {"device", o.device},
          {"threads", o.threads},
          {"workers", o.workers},
          {"strict_data", o.strict_data},
          {"augment", o.augment},
          {"augmentation", o.augmentation},
          {"cache_mb", o.cache_mb},
          {"out", o.out}};
}

RunOptions run_options_from_json(const nlohmann::json& j) {
  RunOptions o;
  o.data = j.at("data");
  o.val = j.at("val");
  o.val_split = j.at("val_split");
  o.test = j.at("test");
  o.test_split = j.value("test_split", 0.0);
  o.model = j.at("model");
  o.weights = j.value("weights", std::string());
  o.strategy = j.value("strategy", std::string("scratch"));
  o.head = j.value("head", std::string());
  o.feature_cache = j.value("feature_cache", true);
  o.probe_c = j.value("probe_c", 1.0);
  o.feature_views = j.value("feature_views", 0);
  o.unfreeze = j.value("unfreeze", std::string("all"));
  o.unfreeze_from = j.value("unfreeze_from", std::string());
  o.head_epochs = j.value("head_epochs", -1);
  o.backbone_lr_scale = j.value("backbone_lr_scale", 0.01);
  o.layer_decay = j.value("layer_decay", 1.0);
  o.bn = j.value("bn", std::string("frozen"));
  o.teacher = j.value("teacher", std::string());
  o.temperature = j.value("temperature", 4.0);
  o.alpha = j.value("alpha", 0.9);
  o.image_size = j.at("image_size");
  o.batch_size = j.at("batch_size");
  o.eval_batch_size = j.at("eval_batch_size");
  o.train.epochs = j.at("epochs");
  const auto& opt = j.at("optimizer");
  o.train.optimizer = {opt.at("name"), opt.at("lr"), opt.at("momentum"), opt.at("nesterov"), opt.at("weight_decay"),
                       opt.at("beta1"), opt.at("beta2")};
  const auto& s = j.at("schedule");
  o.train.schedule = {s.at("name"), s.at("warmup_epochs"), s.at("step_size"), s.at("gamma"), s.at("min_lr_fraction")};
  o.train.label_smoothing = j.at("label_smoothing");
  o.train.seed = j.at("seed");
  o.device = j.at("device");
  o.threads = j.at("threads");
  o.workers = j.at("workers");
  o.strict_data = j.at("strict_data");
  o.augment = j.value("augment", std::string("none"));
  o.augmentation = j.value("augmentation", nlohmann::json::object());
  o.cache_mb = j.value("cache_mb", 0);
  o.out = j.at("out");
  return o;
}

std::pair<std::vector<float>, std::vector<float>> estimate_mean_std(const data::Dataset& dataset, int channels,
                                                                    size_t max_samples, uint64_t seed) {
  std::vector<size_t> idx(dataset.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  if (idx.size() > max_samples) {
    std::mt19937_64 rng(seed);
    std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(max_samples);
  }
  std::vector<double> sum(channels, 0), sq(channels, 0);
  double count = 0;
  for (size_t i : idx) {
    cv::Mat img = dataset.get(i).image;
    if (img.channels() != channels)
      cv::cvtColor(img, img, channels == 1 ? cv::COLOR_RGB2GRAY : cv::COLOR_GRAY2RGB);
    cv::Scalar mean, stddev;
    cv::meanStdDev(img, mean, stddev);
    const double n = double(img.total());
    for (int c = 0; c < channels; ++c) {
      sum[c] += mean[c] * n;
      sq[c] += (stddev[c] * stddev[c] + mean[c] * mean[c]) * n;
    }
    count += n;
  }
  std::vector<float> m(channels), s(channels);
  for (int c = 0; c < channels; ++c) {
    const double mu = sum[c] / count;
    m[c] = float(mu / 255.0);
    s[c] = float(std::max(1e-3, std::sqrt(std::max(0.0, sq[c] / count - mu * mu)) / 255.0));
  }
  return {m, s};
}

namespace {

std::string timestamp() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  std::ostringstream os;
  os << std::put_time(&tm, "%Y%m%d-%H%M%S");
  return os.str();
}

struct Prepared {
  std::optional<models::Pretrained> pretrained;  // the backbone with its weights (not when resuming)
  std::shared_ptr<Teacher> teacher;              // --strategy distill
  data::DatasetPtr train, val, test;
  transforms::InputSpec input;
  models::ModelOptions model_options;
  std::vector<std::string> skipped;
};

// Feature extraction without augmentation trains the head on backbone features computed once.
// With augmentation, only when --feature-views K caches K augmented views of each training image.
bool uses_feature_cache(const RunOptions& o) {
  return o.strategy == "linear-probe" ||
         (o.strategy == "feature-extract" && o.feature_cache &&
          (o.feature_views > 0 || transforms::Augmentation::from_json(o.augmentation).empty()));
}

// Opens and splits the data and resolves the input spec; `input` comes from a checkpoint when resuming.
Prepared prepare(const RunOptions& o, const std::optional<transforms::InputSpec>& input) {
  Prepared p;
  if (!o.weights.empty() && !input) {
    models::PretrainedOptions po;
    po.include_top = false;
    p.pretrained = models::load_pretrained(o.model, o.weights, po);
  }
  if (o.strategy == "distill") p.teacher = std::make_shared<Teacher>(o.teacher, resolve_device(o.device));
  data::DataOptions dopt{o.strict_data};
  // Image folders may decode large JPEGs at reduced scale, down to no less than the side that
  // preprocessing (the student's and the teacher's) resizes to.
  dopt.decode_min_side = input ? transforms::resize_side(*input)
                         : p.pretrained && o.image_size == 0 ? transforms::resize_side(p.pretrained->input)
                               : o.image_size > 0 ? o.image_size : int(models::model_info(o.model).default_image_size);
  if (p.teacher) dopt.decode_min_side = std::max(dopt.decode_min_side, transforms::resize_side(p.teacher->input()));
  data::Splits splits = data::open_splits(o.data, o.val, o.val_split, o.test, o.test_split, o.train.seed, dopt);
  p.train = splits.train;
  p.val = splits.val;
  p.test = splits.test;
  p.skipped = std::move(splits.skipped);
  const data::DatasetPtr& train = p.train;

  if (input) {
    p.input = *input;
  } else if (p.pretrained) {
    p.input = p.pretrained->input;  // the weights' own preprocessing
    if (o.image_size > 0) {  // another input size: a straight resize to it (Keras's target_size), same normalisation
      p.input.height = p.input.width = o.image_size;
      p.input.resize = 0;
    }
  } else {
    const auto& info = models::model_info(o.model);
    TLAB_CHECK(o.image_size >= 0, "--image-size: expected a positive side, got ", o.image_size);
    const auto fixed = train->image_size();
    p.input.channels = train->channels();
    p.input.height = o.image_size > 0 ? o.image_size : fixed ? fixed->height : int(info.default_image_size);
    p.input.width = o.image_size > 0 ? o.image_size : fixed ? fixed->width : int(info.default_image_size);
    std::tie(p.input.mean, p.input.std) = estimate_mean_std(*train, p.input.channels, 2000, o.train.seed);
  }
  p.model_options = {int64_t(train->classes().size()), p.input.channels, p.input.height, p.input.width, true, o.head};

  // Image folders decode files at every access: keep decoded images (shrunk to what preprocessing
  // and cropping need) in memory. IDX / CIFAR data are in memory already (fixed image size).
  // Not with denoising: it must see the full-resolution image, as without the cache.
  // Not with the feature cache either: one pass reads each image once.
  if (o.cache_mb > 0 && !train->image_size() && p.input.denoise == "none" && !uses_feature_cache(o)) {
    auto budget = std::make_shared<data::CacheBudget>(size_t(o.cache_mb) << 20);
    const int side = std::max(transforms::resize_side(p.input), p.teacher ? transforms::resize_side(p.teacher->input()) : 0);
    auto shrink = [side, interpolation = p.input.interpolation](const cv::Mat& img) {
      return std::min(img.rows, img.cols) > side ? transforms::resize_shorter_side(img, side, interpolation) : img;
    };
    for (data::DatasetPtr* d : {&p.train, &p.val, &p.test})
      if (*d) *d = std::make_shared<data::CachedDataset>(*d, budget, shrink);
  }
  return p;
}

nlohmann::json data_json(const Prepared& p) {
  auto d = [](const data::DatasetPtr& ds) {
    return ds ? nlohmann::json{{"source", ds->description()}, {"samples", ds->size()}} : nlohmann::json();
  };
  return {{"train", d(p.train)},
          {"val", d(p.val)},
          {"test", d(p.test)},
          {"classes", p.train->classes()},
          {"skipped_files", p.skipped.size()},
          {"skipped", p.skipped}};
}

// --unfreeze: 0 for all, else the number of last stages.
size_t unfreeze_count(const std::string& unfreeze) {
  if (unfreeze == "all") return 0;
  try {
    size_t used = 0;
    const long n = std::stol(unfreeze, &used);
    if (used == unfreeze.size() && n > 0) return size_t(n);
  } catch (const std::exception&) {
  }
  throw std::invalid_argument(str_cat("--unfreeze: expected all or a positive number of stages, got '", unfreeze, "'"));
}

// The first backbone stage that trains under --unfreeze / --unfreeze-from.
size_t first_trainable_stage(const RunOptions& o, const models::TransferModel& model) {
  const auto& stages = model.stages();
  std::string known;
  for (const auto& s : stages) known += (known.empty() ? "" : ", ") + s;
  if (!o.unfreeze_from.empty()) {
    const auto it = std::find(stages.begin(), stages.end(), o.unfreeze_from);
    TLAB_CHECK(it != stages.end(), "--unfreeze-from '", o.unfreeze_from, "': not a stage of ", o.model,
               "; its stages: ", known);
    return size_t(it - stages.begin());
  }
  const size_t n = unfreeze_count(o.unfreeze);
  return n == 0 ? 0 : stages.size() - std::min(n, stages.size());
}

// Fine-tuning: the head trains from the first epoch at the scheduled LR; the unfrozen backbone
// stages join after --head-epochs at backbone_lr_scale of it, earlier stages lower by layer_decay
// each. Frozen stages are not in any group.
std::vector<ParamGroup> fine_tuning_groups(const RunOptions& o, models::TransferModel& model) {
  model.freeze_batchnorm(o.bn == "frozen");
  const size_t first = first_trainable_stage(o, model), n = model.stages().size();
  model.set_trainable_from(first);
  std::vector<ParamGroup> groups;
  for (size_t i = first; i < n; ++i)
    groups.push_back({model.stage_parameters(i), o.backbone_lr_scale * std::pow(o.layer_decay, double(n - 1 - i)),
                      o.head_epochs});
  groups.push_back({model.head_parameters(), 1.0, 0});
  return groups;
}

// The linear probe: multinomial logistic regression (L-BFGS) on the cached features, folded into
// the model's linear head, so the run's checkpoint predicts like any other.
void fit_linear_probe(const RunOptions& o, models::TransferModel& model, const features::FeatureSet& train,
                      double extract_seconds, RunFiles& files, const torch::Device& device) {
  const auto t0 = std::chrono::steady_clock::now();
  features::LogisticOptions lo;
  lo.c = o.probe_c;
  const auto probe = features::LogisticRegression::fit(train.features, train.labels,
                                                       int64_t(files.meta.at("classes").size()), lo);
  const double fit_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  {
    torch::NoGradGuard no_grad;
    auto params = model.head_parameters();  // Linear(feature_dim, K): weight, bias
    // logits = W (x - mean) / scale + b, folded into W' x + b' (identity statistics when not standardised)
    const auto b = probe.logits(torch::zeros({1, train.features.size(1)}))[0];
    const auto w = probe.logits(torch::eye(train.features.size(1))) - b;  // row d: the logits of unit vector e_d
    params[0].copy_(w.t().to(device, torch::kFloat32));
    params[1].copy_(b.to(device, torch::kFloat32));
  }
  const auto train_logits = probe.logits(train.features);
  const fs::path dir(files.dir);
  fs::create_directories(dir / "checkpoints");
  files.meta["epoch"] = 1;
  files.meta["best_epoch"] = 1;
  files.meta["best_val_accuracy"] = -1;
  save_checkpoint((dir / "checkpoints" / "last.pt").string(), model, nullptr, files.meta);
  save_checkpoint((dir / "checkpoints" / "best.pt").string(), model, nullptr, files.meta);
  append_line((dir / "metrics.jsonl").string(),
              nlohmann::json{{"epoch", 1},
                             {"train_loss", train_logits.to(torch::kFloat64).log_softmax(1).gather(1, train.labels.unsqueeze(1)).mean().neg().item<double>()},
                             {"train_accuracy", train_logits.argmax(1).eq(train.labels).to(torch::kFloat64).mean().item<double>()},
                             {"val_loss", nullptr},
                             {"val_accuracy", nullptr},
                             {"lr", nullptr},
                             {"seconds", extract_seconds + fit_seconds},
                             {"images_per_second", double(train.features.size(0)) / (extract_seconds + fit_seconds)},
                             {"extract_seconds", extract_seconds},
                             {"fit_seconds", fit_seconds},
                             {"lbfgs_evaluations", probe.evaluations()},
                             {"feature_dim", train.features.size(1)},
                             {"train_samples", train.features.size(0)}}
                  .dump());
  log_info(str_cat("linear probe: fitted on ", train.features.size(0), " x ", train.features.size(1), " features in ",
                   fit_seconds, " s (", probe.evaluations(), " L-BFGS evaluations)"));
}

RunResult train_and_evaluate(const RunOptions& o, Prepared& p, const std::string& dir, nlohmann::json meta,
                             bool resuming, const TrainCallbacks& callbacks) {
  const torch::Device device = resolve_device(o.device);
  set_threads(o.threads);
  const auto augment = std::make_shared<const transforms::Augmentation>(transforms::Augmentation::from_json(o.augmentation));
  data::LoaderOptions train_loader{o.batch_size, /*shuffle=*/true, /*drop_last=*/false, o.workers, 4, o.train.seed,
                                   augment, /*pin_memory=*/device.is_cuda()};
  data::LoaderOptions eval_loader{o.eval_batch_size, false, false, o.workers, 4, 0, nullptr, device.is_cuda()};
  torch::manual_seed(o.train.seed);  // model initialisation
  const models::ModelPtr model = p.pretrained  // the pretrained backbone with a new head
                                     ? std::make_shared<models::TransferModel>(p.pretrained->model, p.model_options)
                                     : models::create_model(o.model, p.model_options);
  auto* transfer = dynamic_cast<models::TransferModel*>(model.get());
  std::vector<ParamGroup> groups;
  if (o.strategy == "feature-extract" || o.strategy == "linear-probe")
    transfer->set_trainable_from(transfer->stages().size());
  if (o.strategy == "fine-tune") groups = fine_tuning_groups(o, *transfer);
  Trainer trainer(model, o.train, device, groups);
  if (p.teacher) {
    p.teacher->check_classes(p.train->classes());
    if (augment->empty()) {  // the teacher sees each image as it always will: its outputs once, per sample
      const auto t0 = std::chrono::steady_clock::now();
      p.teacher->cache(p.train, eval_loader);
      log_info(str_cat("teacher outputs for ", p.train->size(), " images computed once in ",
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), " s"));
    }
    trainer.set_teacher([&](const data::Batch& b, const torch::Tensor& x) { return p.teacher->logits(b, x, p.input); },
                        o.temperature, o.alpha);
  }
  if (resuming) {
    trainer.resume(dir);
    log_info(str_cat("resuming ", dir, " after epoch ", trainer.completed_epochs(), " of ", o.train.epochs));
  }
  RunFiles files{dir, std::move(meta)};

  // Frozen backbone, no augmentation: its features are the same every epoch, so compute them once
  // per split and train the head on them (or fit the linear probe).
  std::map<std::string, std::unique_ptr<data::BatchSource>> sources;  // "val", "test" for the final evaluation
  std::function<torch::Tensor(torch::Tensor)> forward = [&](torch::Tensor x) { return model->forward(x); };
  if (uses_feature_cache(o)) {
    // In memory up to --cache-mb (all splits together), on disk beyond (mapped, paged in on demand).
    size_t memory_left = size_t(o.cache_mb) << 20;
    // pass > 0: an augmented view of the training data (the augmentation's draws of epoch `pass`).
    auto features_of = [&](const data::DatasetPtr& ds, const std::string& split, int64_t pass = 0) {
      data::LoaderOptions lo = eval_loader;
      if (pass > 0) lo.augment = augment;
      data::DataLoader loader(ds, p.input, lo);
      const size_t bytes = ds->size() * size_t(transfer->feature_dim()) * sizeof(float);
      std::string spill;
      if (bytes > memory_left) {
        spill = (fs::path(dir) / ("features-" + split + (pass ? "-" + std::to_string(pass) : "") + ".f32")).string();
        log_info(str_cat("feature cache: ", split, " features (", bytes >> 20, " MiB) exceed --cache-mb; kept on disk"));
      } else {
        memory_left -= bytes;
      }
      return features::extract_deep_features(
          *model, [&](torch::Tensor x) { return transfer->backbone_features(x); }, loader, device, spill, pass);
    };
    auto batches = [&](const features::FeatureSet& f, bool shuffle, int batch) {
      return std::make_unique<data::TensorBatches>(f.features, f.labels, p.train->classes(), batch, shuffle, o.train.seed);
    };
    const auto t0 = std::chrono::steady_clock::now();
    fs::create_directories(dir);
    // Without augmentation one view; with --feature-views K, K augmented ones (epoch e trains on
    // view (e - 1) mod K).
    features::FeatureSet train_features;
    std::vector<torch::Tensor> train_views;
    for (int v = 0; v < (augment->empty() ? 1 : o.feature_views); ++v) {
      auto f = features_of(p.train, "train", augment->empty() ? 0 : v + 1);
      train_views.push_back(f.features);
      if (v == 0) train_features = std::move(f);
    }
    if (p.val) sources["val"] = batches(features_of(p.val, "val"), false, o.eval_batch_size);
    if (p.test) sources["test"] = batches(features_of(p.test, "test"), false, o.eval_batch_size);
    const double extract_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    log_info(str_cat("feature cache: backbone features of ", p.train->size(),
                     train_views.size() > 1 ? " (+ " + std::to_string(train_views.size()) + " augmented views)" : std::string(),
                     (p.val ? " + " + std::to_string(p.val->size()) : std::string()),
                     (p.test ? " + " + std::to_string(p.test->size()) : std::string()), " images computed once in ",
                     extract_seconds, " s"));
    forward = [&](torch::Tensor x) { return transfer->head_forward(x); };
    if (o.strategy == "linear-probe") {
      fit_linear_probe(o, *transfer, train_features, extract_seconds, files, device);
    } else {
      trainer.set_forward(forward);
      auto train_batches = std::make_unique<data::TensorBatches>(train_views, train_features.labels, p.train->classes(),
                                                                 o.batch_size, true, o.train.seed);
      trainer.fit(*train_batches, sources.count("val") ? sources["val"].get() : nullptr, files, callbacks);
    }
  } else {
    data::DataLoader train(p.train, p.input, train_loader);
    if (p.val) sources["val"] = std::make_unique<data::DataLoader>(p.val, p.input, eval_loader);
    trainer.fit(train, sources.count("val") ? sources["val"].get() : nullptr, files, callbacks);
    if (p.test) sources["test"] = std::make_unique<data::DataLoader>(p.test, p.input, eval_loader);
  }

  // Evaluate the best checkpoint (highest validation accuracy; the last one without validation data).
  load_checkpoint((fs::path(dir) / "checkpoints" / "best.pt").string(), *model, nullptr, device);
  RunResult result{dir, nlohmann::json::object(), {}};
  for (auto& [name, source] : sources) result.splits[name] = eval::evaluate(*model, forward, *source, device);
  for (const auto& [name, m] : result.splits) result.metrics[name] = eval::to_json(m);
  const nlohmann::json best = read_checkpoint_meta((fs::path(dir) / "checkpoints" / "best.pt").string());
  result.metrics["checkpoint"] = {{"file", "checkpoints/best.pt"}, {"epoch", best.at("epoch")}};
  write_json_atomic((fs::path(dir) / "metrics.json").string(), result.metrics);
  return result;
}

}  // namespace

RunResult run_training(const RunOptions& options, const TrainCallbacks& callbacks) {
  RunOptions o = options;
  validate(o.train.optimizer);
  validate(o.train.schedule);
  TLAB_CHECK(o.batch_size > 0 && o.eval_batch_size > 0, "--batch-size: expected a positive count, got ", o.batch_size);
  if (o.weights == "none") o.weights.clear();  // DESIGN.md's spelling of "from random initialisation"
  models::model_info(o.model);  // unknown names fail before any data is read
  TLAB_CHECK(o.strategy == "scratch" || o.strategy == "linear-probe" || o.strategy == "feature-extract" ||
                 o.strategy == "fine-tune" || o.strategy == "distill",
             "--strategy: expected scratch, linear-probe, feature-extract, fine-tune or distill, got '", o.strategy,
             "'");
  TLAB_CHECK(o.val_split >= 0 && o.val_split < 1, "--val-split: expected a fraction in [0, 1), got ", o.val_split);
  TLAB_CHECK(o.cache_mb >= 0, "--cache-mb: expected a size >= 0 in MiB, got ", o.cache_mb);
  TLAB_CHECK(o.feature_views >= 0, "--feature-views: expected a count >= 0, got ", o.feature_views);
  TLAB_CHECK(o.feature_views == 0 || !transforms::Augmentation::from_flag(o.augment).mix().enabled(),
             "--feature-views: MixUp/CutMix mix whole batches, which cached per-image views cannot; use an "
             "augmentation without mixup_alpha/cutmix_alpha, or --feature-views 0");
  TLAB_CHECK(o.test_split >= 0 && o.test_split < 1, "--test-split: expected a fraction in [0, 1), got ", o.test_split);
  if (o.strategy == "linear-probe") {
    TLAB_CHECK(o.head.empty() || o.head == "gap", "--strategy linear-probe fits a linear head on pooled features; "
               "--head must be gap, got '", o.head, "'");
    TLAB_CHECK(o.augment == "none", "--strategy linear-probe fits on features computed once; drop --augment ",
               o.augment);
    TLAB_CHECK(o.probe_c > 0, "--probe-c: expected a positive inverse regularisation strength, got ", o.probe_c);
  }
  TLAB_CHECK((o.strategy == "distill") == !o.teacher.empty(), o.teacher.empty()
                 ? "--strategy distill needs --teacher RUN_DIR|CHECKPOINT|MODEL:WEIGHTS"
                 : "--teacher is for --strategy distill");
  if (o.strategy == "distill") {
    TLAB_CHECK(o.temperature > 0, "--temperature: expected a positive value, got ", o.temperature);
    TLAB_CHECK(o.alpha >= 0 && o.alpha <= 1, "--alpha: expected a weight in [0, 1], got ", o.alpha);
  }
  if (o.strategy == "fine-tune") {
    if (o.head_epochs < 0) o.head_epochs = std::max(1, o.train.epochs / 4);
    TLAB_CHECK(o.head_epochs < o.train.epochs, "--head-epochs ", o.head_epochs, " leaves no epoch of --epochs ",
               o.train.epochs, " to fine-tune the backbone in");
    TLAB_CHECK(o.backbone_lr_scale > 0 && o.backbone_lr_scale <= 1,
               "--backbone-lr-scale: expected a value in (0, 1], got ", o.backbone_lr_scale);
    TLAB_CHECK(o.layer_decay > 0 && o.layer_decay <= 1, "--layer-decay: expected a value in (0, 1], got ",
               o.layer_decay);
    TLAB_CHECK(o.bn == "frozen" || o.bn == "train", "--bn: expected frozen or train, got '", o.bn, "'");
    unfreeze_count(o.unfreeze);
  }
  TLAB_CHECK(o.strategy == "scratch" || o.strategy == "distill" || !o.weights.empty(), "--strategy ", o.strategy,
             " starts from pretrained weights: add --weights imagenet|FILE");
  if (!o.weights.empty() && o.head.empty()) o.head = "gap";
  if (!o.head.empty()) models::HeadOptions::parse(o.head);  // a bad --head fails before any data is read
  resolve_device(o.device);
  set_threads(o.threads);
  o.augmentation = transforms::Augmentation::from_flag(o.augment).to_json();
  if (o.out.empty()) o.out = (fs::path("runs") / (o.model + "-" + timestamp())).string();
  TLAB_CHECK(!fs::exists(fs::path(o.out) / "checkpoints" / "last.pt"), "--out ", o.out,
             ": already holds a run; continue it with --resume ", o.out, " or choose another directory");

  Prepared p = prepare(o, std::nullopt);
  for (const auto& s : p.skipped) log_warning("skipped " + s);
  fs::create_directories(o.out);

  nlohmann::json config = to_json(o);
  config["version"] = TLAB_VERSION;
  config["torch_version"] = TORCH_VERSION;
  config["resolved_device"] = resolve_device(o.device).str();
  config["resolved_threads"] = torch::get_num_threads();
  config["input"] = transforms::to_json(p.input);
  config["data_info"] = data_json(p);
  write_json_atomic((fs::path(o.out) / "config.json").string(), config);
  std::string classes;
  for (const auto& c : p.train->classes()) classes += c + "\n";
  write_file_atomic((fs::path(o.out) / "classes.txt").string(), classes);

  nlohmann::json meta = {{"model", o.model},
                         {"model_options",
                          {{"num_classes", p.model_options.num_classes},
                           {"in_channels", p.model_options.in_channels},
                           {"height", p.model_options.height},
                           {"width", p.model_options.width},
                           {"head", p.model_options.head}}},
                         {"input", transforms::to_json(p.input)},
                         {"classes", p.train->classes()},
                         {"config", config}};
  return train_and_evaluate(o, p, o.out, std::move(meta), false, callbacks);
}

RunResult resume_training(const std::string& run_dir, const std::string& device, int threads,
                          const TrainCallbacks& callbacks) {
  const fs::path config_path = fs::path(run_dir) / "config.json";
  TLAB_CHECK(fs::is_regular_file(config_path), "--resume ", run_dir, ": no config.json; is this a run directory?");
  const nlohmann::json config = nlohmann::json::parse(read_file(config_path.string()));
  RunOptions o = run_options_from_json(config);
  TLAB_CHECK(o.strategy != "linear-probe", "--resume ", run_dir, ": a linear probe is fitted in one go; run it again");
  o.out = run_dir;
  if (!device.empty()) o.device = device;
  if (threads > 0) o.threads = threads;
  const nlohmann::json meta = read_checkpoint_meta((fs::path(run_dir) / "checkpoints" / "last.pt").string());
  Prepared p = prepare(o, transforms::input_spec_from_json(meta.at("input")));
  return train_and_evaluate(o, p, run_dir, meta, true, callbacks);
}

}  // namespace tlab::train
