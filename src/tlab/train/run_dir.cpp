#include "tlab/train/run_dir.h"

#include <filesystem>
#include <sstream>

#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/models/checkpoint.h"

namespace fs = std::filesystem;

namespace tlab::train {
namespace {

constexpr const char* kConfig = "config.json";
constexpr const char* kRecords = "metrics.jsonl";
constexpr const char* kMetrics = "metrics.json";
constexpr const char* kClasses = "classes.txt";
constexpr const char* kBest = "checkpoints/best.pt";
constexpr const char* kLast = "checkpoints/last.pt";

// Checkpoints load onto the device the model is on.
torch::Device device_of(const torch::nn::Module& model) {
  const auto params = model.parameters();
  return params.empty() ? torch::Device(torch::kCPU) : params.front().device();
}

}  // namespace

RunDir::RunDir(std::string path, nlohmann::json config, nlohmann::json meta)
    : path_(std::move(path)), config_(std::move(config)), meta_(std::move(meta)) {}

std::string RunDir::file(const std::string& name) const { return (fs::path(path_) / name).string(); }
std::string RunDir::best_checkpoint() const { return file(kBest); }
std::string RunDir::scratch_file(const std::string& name) const { return file(name); }

void RunDir::check_new(const std::string& path) {
  TLAB_CHECK(!fs::exists(fs::path(path) / kLast), "--out ", path, ": already holds a run; continue it with --resume ",
             path, " or choose another directory");
}

RunDir RunDir::create(const std::string& path, const nlohmann::json& config, const std::vector<std::string>& classes,
                      nlohmann::json checkpoint_meta) {
  check_new(path);
  RunDir dir(path, config, std::move(checkpoint_meta));
  fs::create_directories(fs::path(dir.file(kLast)).parent_path());
  write_json_atomic(dir.file(kConfig), config);
  std::string names;
  for (const auto& c : classes) names += c + "\n";
  write_file_atomic(dir.file(kClasses), names);
  return dir;
}

RunDir RunDir::open(const std::string& path) {
  const std::string config = (fs::path(path) / kConfig).string(), last = (fs::path(path) / kLast).string();
  TLAB_CHECK(fs::is_regular_file(config), "--resume ", path, ": no ", kConfig, "; is this a run directory?");
  TLAB_CHECK(fs::is_regular_file(last), "--resume ", path, ": no ", kLast, " to resume from");
  return RunDir(path, read_json_file(config), models::read_checkpoint_meta(last));
}

std::string RunDir::checkpoint_of(const std::string& path, const std::string& flag) {
  if (fs::is_regular_file(path)) return path;
  const std::string best = (fs::path(path) / kBest).string();
  TLAB_CHECK(fs::is_directory(path), flag, " ", path, ": no such checkpoint file or run directory");
  TLAB_CHECK(fs::is_regular_file(best), flag, " ", path, ": no ", kBest, "; is this a run directory?");
  return best;
}

nlohmann::json RunDir::write_metrics(const nlohmann::json& splits, int best_epoch) const {
  nlohmann::json metrics = splits;
  metrics["checkpoint"] = {{"file", kBest}, {"epoch", best_epoch}};
  write_json_atomic(file(kMetrics), metrics);
  return metrics;
}

void RunDir::set_temperature(const torch::nn::Module& model, double temperature) const {
  nlohmann::json meta = models::read_checkpoint_meta(file(kBest));
  meta["temperature"] = temperature;
  models::save_checkpoint(file(kBest), model, nullptr, meta);
}

std::string RunDir::write_predictions(const std::string& split, const torch::Tensor& log_probabilities,
                                      const torch::Tensor& labels, const std::vector<std::string>& classes) const {
  const auto lp = log_probabilities.to(torch::kCPU, torch::kFloat64).contiguous();
  const auto y = labels.to(torch::kCPU, torch::kInt64).contiguous();
  std::ostringstream csv;
  csv << "index,label,predicted,loss";
  for (size_t c = 0; c < classes.size(); ++c) csv << ",p" << c;
  csv << "\n";
  csv.precision(6);
  const auto pred = lp.argmax(1);
  const auto p = lp.exp();
  for (int64_t i = 0; i < lp.size(0); ++i) {
    const int64_t label = y[i].item<int64_t>();
    csv << i << "," << label << "," << pred[i].item<int64_t>() << "," << -lp[i][label].item<double>();
    const double* row = p[i].data_ptr<double>();
    for (int64_t c = 0; c < lp.size(1); ++c) csv << "," << row[c];
    csv << "\n";
  }
  const std::string path = file("predictions_" + split + ".csv");
  write_file_atomic(path, csv.str());
  return path;
}

std::string RunDir::write_evaluation(const std::string& dir, const nlohmann::json& metrics) {
  const std::string path = (fs::path(dir) / kMetrics).string();
  write_json_atomic(path, metrics);
  return path;
}

void RunDir::save_epoch(const EpochRecord& record, const TrainerState& state, const torch::nn::Module& model,
                        const torch::optim::Optimizer* optimizer, bool best,
                        const std::vector<torch::Tensor>& training_weights) {
  meta_["epoch"] = state.epoch;
  meta_["best_epoch"] = state.best_epoch;
  meta_["best_val_accuracy"] = state.best_val_accuracy;
  meta_["monitor"] = {{"best", state.monitor.best}, {"best_epoch", state.monitor.best_epoch},
                      {"wait", state.monitor.wait}};
  meta_["stopped_early"] = state.stopped_early;
  append_line(file(kRecords), record.to_json().dump());
  if (best) models::save_checkpoint(file(kBest), model, optimizer, meta_);
  models::save_checkpoint(file(kLast), model, optimizer, meta_, training_weights);
}

TrainerState RunDir::load_last(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                               std::vector<torch::Tensor>* training_weights) {
  meta_ = models::read_checkpoint_meta(file(kLast));
  models::load_checkpoint(file(kLast), model, &optimizer, device_of(model));
  if (training_weights) *training_weights = models::load_training_weights(file(kLast), device_of(model));
  TrainerState state;
  state.epoch = meta_.at("epoch").get<int>();
  state.best_epoch = meta_.value("best_epoch", 0);
  state.best_val_accuracy = meta_.value("best_val_accuracy", -1.0);
  if (const auto m = meta_.find("monitor"); m != meta_.end() && m->is_object())
    state.monitor = {m->value("best", 0.0), m->value("best_epoch", 0), m->value("wait", 0)};
  else if (state.best_epoch > 0)  // a run of an older version monitored validation accuracy
    state.monitor = {state.best_val_accuracy, state.best_epoch, state.epoch - state.best_epoch};
  state.stopped_early = meta_.value("stopped_early", false);
  // Keep the records of the epochs the checkpoint covers; later lines came from the interrupted run.
  if (fs::is_regular_file(file(kRecords))) {
    std::istringstream in(read_file(file(kRecords)));
    std::string line, kept;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto rec = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!rec.is_discarded() && rec.value("epoch", 0) <= state.epoch) kept += line + "\n";
    }
    write_file_atomic(file(kRecords), kept);
  }
  return state;
}

void RunDir::load_best(torch::nn::Module& model) {
  models::load_checkpoint(file(kBest), model, nullptr, device_of(model));
}

}  // namespace tlab::train
