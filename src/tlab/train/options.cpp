#include "tlab/train/options.h"

#include <ctime>
#include <filesystem>
#include <iomanip>
#include <sstream>

#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/features/classical.h"
#include "tlab/models/model.h"
#include "tlab/train/strategy.h"

namespace fs = std::filesystem;

namespace tlab::train {

Recipe::Recipe() {
  epochs = 10;
  optimizer.name = "adamw";
  optimizer.lr = 2e-3;
  schedule.name = "cosine";
  schedule.warmup_epochs = 1;
  label_smoothing = 0.1;
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

// Every field with its key in the run's config, in one list that both directions of the JSON form walk,
// so a key and its field can never disagree. `Options` is RunOptions or const RunOptions.
template <typename Options, typename Visit>
void visit_fields(Options& o, Visit&& field) {
  field("data", o.data.spec);
  field("val", o.data.val);
  field("val_split", o.data.val_split);
  field("test", o.data.test);
  field("test_split", o.data.test_split);
  field("strict_data", o.data.strict);
  field("model", o.model.name);
  field("weights", o.model.weights);
  field("head", o.model.head);
  field("image_size", o.model.image_size);
  field("strategy", o.strategy.name);
  field("feature_cache", o.strategy.feature_extract.cache);
  field("feature_views", o.strategy.feature_extract.views);
  field("probe_c", o.strategy.linear_probe.c);
  field("unfreeze", o.strategy.fine_tune.unfreeze);
  field("unfreeze_from", o.strategy.fine_tune.unfreeze_from);
  field("head_epochs", o.strategy.fine_tune.head_epochs);
  field("backbone_lr_scale", o.strategy.fine_tune.backbone_lr_scale);
  field("layer_decay", o.strategy.fine_tune.layer_decay);
  field("bn", o.strategy.fine_tune.bn);
  field("teacher", o.strategy.distill.teacher);
  field("temperature", o.strategy.distill.temperature);
  field("alpha", o.strategy.distill.alpha);
  // classical: the pipeline's recipe; its logistic C and SIFT seed are the run's --probe-c and --seed
  features::visit_classical_fields(o.strategy.classical, [&](const char* key, auto& value) {
    if (std::string(key) != "logistic_c" && std::string(key) != "sift_seed") field(key, value);
  });
  field("epochs", o.recipe.epochs);
  field("optimizer", o.recipe.optimizer);
  field("schedule", o.recipe.schedule);
  field("label_smoothing", o.recipe.label_smoothing);
  field("seed", o.recipe.seed);
  field("monitor", o.recipe.early_stopping.monitor);
  field("early_stopping", o.recipe.early_stopping.patience);
  field("min_delta", o.recipe.early_stopping.min_delta);
  field("ema", o.recipe.ema_decay);
  field("batch_size", o.recipe.batch_size);
  field("eval_batch_size", o.recipe.eval_batch_size);
  field("augment", o.recipe.augment);
  field("augmentation", o.recipe.augmentation);
  field("calibrate", o.recipe.calibrate);
  field("device", o.system.device);
  field("threads", o.system.threads);
  field("workers", o.system.workers);
  field("cache_mb", o.system.cache_mb);
  field("out", o.system.out);
}

template <typename Options, typename Visit>
void visit_fields_of_optimizer(Options& o, Visit&& field) {
  field("name", o.name);
  field("lr", o.lr);
  field("momentum", o.momentum);
  field("nesterov", o.nesterov);
  field("weight_decay", o.weight_decay);
  field("beta1", o.beta1);
  field("beta2", o.beta2);
}

template <typename Options, typename Visit>
void visit_fields_of_schedule(Options& o, Visit&& field) {
  field("name", o.name);
  field("warmup_epochs", o.warmup_epochs);
  field("step_size", o.step_size);
  field("gamma", o.gamma);
  field("min_lr_fraction", o.min_lr_fraction);
  field("pct_start", o.pct_start);
  field("div_factor", o.div_factor);
  field("final_div_factor", o.final_div_factor);
  field("base_momentum", o.base_momentum);
  field("max_momentum", o.max_momentum);
}

// Field -> JSON value.
template <typename T>
nlohmann::json json_of(const T& v) {
  return v;
}
nlohmann::json json_of(const std::optional<models::HeadOptions>& head) { return head ? head->str() : std::string(); }
nlohmann::json json_of(const std::optional<transforms::Augmentation>& a) { return a ? a->to_json() : nlohmann::json(); }
nlohmann::json json_of(const OptimizerOptions& o);
nlohmann::json json_of(const ScheduleOptions& s);

template <typename Options, typename VisitFields>
nlohmann::json object_of(const Options& o, VisitFields visit) {
  nlohmann::json j = nlohmann::json::object();
  visit(o, [&](const char* key, const auto& value) { j[key] = json_of(value); });
  return j;
}
nlohmann::json json_of(const OptimizerOptions& o) {
  return object_of(o, [](const auto& x, auto&& f) { visit_fields_of_optimizer(x, f); });
}
nlohmann::json json_of(const ScheduleOptions& s) {
  return object_of(s, [](const auto& x, auto&& f) { visit_fields_of_schedule(x, f); });
}

// JSON value -> field; `key` names it in errors.
template <typename T>
void read_json(const nlohmann::json& j, const std::string& key, T& v) {
  try {
    v = j.get<T>();
  } catch (const nlohmann::json::exception&) {
    throw UsageError(str_cat("run options: '", key, "' should be a ", nlohmann::json(T{}).type_name(), ", got ",
                             j.dump()));
  }
}
void read_json(const nlohmann::json& j, const std::string& key, std::optional<models::HeadOptions>& head) {
  std::string spec;
  read_json(j, key, spec);
  if (spec.empty()) head.reset();
  else head = models::HeadOptions::parse(spec);
}
void read_json(const nlohmann::json& j, const std::string& key, std::optional<transforms::Augmentation>& a) {
  if (j.is_null()) return a.reset();
  TLAB_CHECK(j.is_object(), "run options: '", key, "' should be an augmentation object, got ", j.dump());
  a = transforms::Augmentation::from_json(j);
}
template <typename Options, typename VisitFields>
void fields_from(const nlohmann::json& j, const std::string& where, Options& o, VisitFields visit);
void read_json(const nlohmann::json& j, const std::string& key, OptimizerOptions& o) {
  fields_from(j, key + ".", o, [](auto& x, auto&& f) { visit_fields_of_optimizer(x, f); });
}
void read_json(const nlohmann::json& j, const std::string& key, ScheduleOptions& s) {
  fields_from(j, key + ".", s, [](auto& x, auto&& f) { visit_fields_of_schedule(x, f); });
}

// Reads the keys that are present; the others keep the struct's defaults.
template <typename Options, typename VisitFields>
void fields_from(const nlohmann::json& j, const std::string& where, Options& o, VisitFields visit) {
  TLAB_CHECK(j.is_object(), "run options", where.empty() ? "" : " '" + where + "'", ": expected a JSON object, got ",
             j.type_name());
  visit(o, [&](const char* key, auto& value) {
    if (const auto it = j.find(key); it != j.end()) read_json(*it, where + key, value);
  });
}

}  // namespace

nlohmann::json to_json(const RunOptions& o) {
  return object_of(o, [](const auto& x, auto&& f) { visit_fields(x, f); });
}

RunOptions run_options_from_json(const nlohmann::json& j) {
  RunOptions o;
  fields_from(j, "", o, [](auto& x, auto&& f) { visit_fields(x, f); });
  return o;
}

RunOptions resolve_options(RunOptions o) {
  if (o.model.weights == "none") o.model.weights.clear();  // DESIGN.md's spelling of "from random initialisation"
  if (!o.model.weights.empty() && !o.model.head) o.model.head = models::HeadOptions{};  // "gap"
  if (!o.recipe.augmentation) o.recipe.augmentation = transforms::Augmentation::from_flag(o.recipe.augment);
  make_strategy(o.strategy.name)->resolve(o);
  if (o.system.out.empty()) o.system.out = (fs::path("runs") / (o.model.name + "-" + timestamp())).string();
  validate(o);
  return o;
}

void validate(const RunOptions& o) {
  const auto strategy = make_strategy(o.strategy.name);  // an unknown name lists the known ones
  if (o.model.name != features::kClassicalModelName) models::model_info(o.model.name);  // so does an unknown model
  TLAB_CHECK(o.data.val_split >= 0 && o.data.val_split < 1, "--val-split: expected a fraction in [0, 1), got ",
             o.data.val_split);
  TLAB_CHECK(o.data.test_split >= 0 && o.data.test_split < 1, "--test-split: expected a fraction in [0, 1), got ",
             o.data.test_split);
  TLAB_CHECK(o.model.image_size >= 0, "--image-size: expected a positive side (0: the default), got ",
             o.model.image_size);
  TLAB_CHECK(!strategy->needs_weights() || !o.model.weights.empty(), "--strategy ", o.strategy.name,
             " starts from pretrained weights: add --weights imagenet|FILE");
  TLAB_CHECK(o.strategy.distill.teacher.empty() || o.strategy.name == "distill", "--teacher is for --strategy distill");
  validate(static_cast<const TrainOptions&>(o.recipe));
  TLAB_CHECK(o.recipe.batch_size > 0, "--batch-size: expected a positive count, got ", o.recipe.batch_size);
  TLAB_CHECK(o.recipe.eval_batch_size > 0, "--eval-batch-size: expected a positive count, got ",
             o.recipe.eval_batch_size);
  TLAB_CHECK(o.recipe.augmentation.has_value(), "run options: the augmentation is not resolved (resolve_options)");
  resolve_device(o.system.device);
  TLAB_CHECK(o.system.threads >= 0, "--threads: expected a count >= 0 (0: one per core), got ", o.system.threads);
  TLAB_CHECK(o.system.workers >= 0, "--workers: expected a count >= 0 (0: load on the training thread), got ",
             o.system.workers);
  TLAB_CHECK(o.system.cache_mb >= 0, "--cache-mb: expected a size >= 0 in MiB, got ", o.system.cache_mb);
  strategy->check(o);
}

}  // namespace tlab::train
