#include "tlab/train/distill.h"

#include <filesystem>
#include <optional>

#include "tlab/core/error.h"
#include "tlab/models/checkpoint.h"
#include "tlab/models/pretrained.h"
#include "tlab/train/run_dir.h"

namespace fs = std::filesystem;

namespace tlab::train {

torch::Tensor distillation_loss(const torch::Tensor& student_logits, const torch::Tensor& teacher_logits,
                                const torch::Tensor& hard_loss, double temperature, double alpha) {
  TLAB_CHECK(student_logits.sizes() == teacher_logits.sizes(), "distillation: student logits ",
             student_logits.sizes(), " vs teacher logits ", teacher_logits.sizes());
  const auto log_p_student = torch::log_softmax(student_logits / temperature, 1);
  const auto log_p_teacher = torch::log_softmax(teacher_logits.detach().to(student_logits.dtype()) / temperature, 1);
  const auto kl = (log_p_teacher.exp() * (log_p_teacher - log_p_student)).sum(1).mean();
  return alpha * temperature * temperature * kl + (1.0 - alpha) * hard_loss;
}

torch::Tensor convert_batch(const torch::Tensor& x, const transforms::InputSpec& from, const transforms::InputSpec& to) {
  TLAB_CHECK(x.dim() == 4 && x.size(1) == from.channels, "convert_batch: expected [N, ", from.channels,
             ", H, W], got ", x.sizes());
  const auto options = x.options();
  auto per_channel = [&](const std::vector<float>& v, int channels, float fallback) {
    std::vector<float> values(size_t(channels), fallback);
    for (int c = 0; c < channels && c < int(v.size()); ++c) values[size_t(c)] = v.size() == 1 ? v[0] : v[size_t(c)];
    return torch::tensor(values, options).view({1, channels, 1, 1});
  };
  // Back to pixels in 0-255, RGB (or grey).
  auto pixels = (x * per_channel(from.std, from.channels, 1.0f) + per_channel(from.mean, from.channels, 0.0f)) /
                double(from.scale);
  if (from.bgr && from.channels == 3) pixels = pixels.flip(1);
  if (from.channels == 1 && to.channels == 3) pixels = pixels.expand({-1, 3, -1, -1});
  if (from.channels == 3 && to.channels == 1)  // ITU-R BT.601, as OpenCV's RGB2GRAY
    pixels = (pixels * torch::tensor({0.299f, 0.587f, 0.114f}, options).view({1, 3, 1, 1})).sum(1, true);
  if (to.bgr && to.channels == 3) pixels = pixels.flip(1);
  auto y = (pixels * double(to.scale) - per_channel(to.mean, to.channels, 0.0f)) / per_channel(to.std, to.channels, 1.0f);
  if (y.size(2) != to.height || y.size(3) != to.width)
    y = torch::nn::functional::interpolate(
        y, torch::nn::functional::InterpolateFuncOptions()
               .size(std::vector<int64_t>{to.height, to.width})
               .mode(torch::kBilinear)
               .align_corners(false));
  return y.contiguous();
}

namespace {

// A run directory or checkpoint file; else MODEL:WEIGHTS split at its colon.
std::optional<std::pair<std::string, std::string>> zoo_teacher(const std::string& spec) {
  if (fs::exists(spec)) return std::nullopt;
  const size_t colon = spec.find(':');
  TLAB_CHECK(colon != std::string::npos && colon > 0 && colon + 1 < spec.size(), "--teacher '", spec,
             "': expected a run directory, a checkpoint file or MODEL:WEIGHTS_FILE");
  return std::make_pair(spec.substr(0, colon), spec.substr(colon + 1));
}

}  // namespace

transforms::InputSpec Teacher::input_of(const std::string& spec) {
  if (const auto zoo = zoo_teacher(spec)) return models::pretrained_input(zoo->first);
  const std::string file = RunDir::checkpoint_of(spec, "--teacher");
  return transforms::input_spec_from_json(models::read_checkpoint_meta(file).at("input"));
}

Teacher::Teacher(const std::string& spec, const torch::Device& device) : spec_(spec) {
  if (const auto zoo = zoo_teacher(spec)) {
    infer::ModelSource source;
    source.model = zoo->first;
    source.weights = zoo->second;
    model_ = infer::load(source, device);
  } else {
    model_ = infer::load_checkpoint(RunDir::checkpoint_of(spec, "--teacher"), device);
    named_classes_ = true;
  }
}

void Teacher::check_classes(const std::vector<std::string>& classes) const {
  if (named_classes_) {
    TLAB_CHECK(model_.classes == classes, "--teacher ", spec_, ": was trained on other classes (",
               model_.classes.size(), ") than the data's (", classes.size(), "), or in another order");
  } else {
    TLAB_CHECK(model_.classes.size() == classes.size(), "--teacher ", spec_, ": predicts ", model_.classes.size(),
               " classes; the data has ", classes.size(), ". Fine-tune a teacher on this data first (tlab train "
               "--strategy fine-tune) and pass its run directory");
  }
}

void Teacher::cache(const data::DatasetPtr& dataset, const data::LoaderOptions& options, const ProgressCallback& progress) {
  data::LoaderOptions o = options;
  o.shuffle = false;
  o.augment = nullptr;
  data::DataLoader loader(dataset, model_.input, o);
  PhaseProgress report(progress, "teacher outputs", int64_t(loader.num_batches()));
  std::vector<torch::Tensor> logits, rows;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    logits.push_back(infer::logits(model_, batch->images).to(torch::kCPU, torch::kFloat32));
    rows.push_back(torch::tensor(std::vector<int64_t>(batch->indices.begin(), batch->indices.end()), torch::kInt64));
    report.step(int64_t(batch->indices.size()));
  }
  TLAB_CHECK(!logits.empty(), "--teacher: the training data is empty");
  const auto all = torch::cat(logits);
  cache_ = torch::zeros_like(all).index_copy_(0, torch::cat(rows), all);
}

torch::Tensor Teacher::logits(const data::Batch& batch, const torch::Tensor& x, const transforms::InputSpec& student_input) {
  torch::NoGradGuard no_grad;
  if (cached()) {
    const auto rows = torch::tensor(std::vector<int64_t>(batch.indices.begin(), batch.indices.end()), torch::kInt64);
    return cache_.index_select(0, rows).to(x.device(), /*non_blocking=*/true);
  }
  return infer::logits(model_, convert_batch(x, student_input, model_.input));
}

}  // namespace tlab::train
