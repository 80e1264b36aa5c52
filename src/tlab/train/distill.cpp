#include "tlab/train/distill.h"

#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/models/pretrained.h"
#include "tlab/train/checkpoint.h"

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

Teacher::Teacher(const std::string& spec, const torch::Device& device) : spec_(spec), device_(device) {
  const fs::path path(spec);
  const size_t colon = spec.find(':');
  if (fs::is_directory(path) || fs::is_regular_file(path)) {
    const std::string file = fs::is_directory(path) ? (path / "checkpoints" / "best.pt").string() : spec;
    TLAB_CHECK(fs::is_regular_file(file), "--teacher ", spec, ": no checkpoints/best.pt; is this a run directory?");
    nlohmann::json meta;
    model_ = load_model_from_checkpoint(file, device, &meta);
    input_ = transforms::input_spec_from_json(meta.at("input"));
    classes_ = meta.at("classes").get<std::vector<std::string>>();
  } else {
    TLAB_CHECK(colon != std::string::npos && colon > 0 && colon + 1 < spec.size(), "--teacher '", spec,
               "': expected a run directory, a checkpoint file or MODEL:WEIGHTS_FILE");
    auto pretrained = models::load_pretrained(spec.substr(0, colon), spec.substr(colon + 1));
    model_ = pretrained.model;
    input_ = pretrained.input;
    models::prepare_for_inference(*model_);
    model_->to(device);
  }
  model_->eval();
  torch::NoGradGuard no_grad;
  num_classes_ = model_->forward(torch::zeros({1, input_.channels, input_.height, input_.width}, device_)).size(1);
}

void Teacher::check_classes(const std::vector<std::string>& classes) const {
  if (!classes_.empty()) {
    TLAB_CHECK(classes_ == classes, "--teacher ", spec_, ": was trained on other classes (", classes_.size(),
               ") than the data's (", classes.size(), "), or in another order");
  } else {
    TLAB_CHECK(num_classes_ == int64_t(classes.size()), "--teacher ", spec_, ": predicts ", num_classes_,
               " classes; the data has ", classes.size(), ". Fine-tune a teacher on this data first (tlab train "
               "--strategy fine-tune) and pass its run directory");
  }
}

void Teacher::cache(const data::DatasetPtr& dataset, const data::LoaderOptions& options) {
  torch::NoGradGuard no_grad;
  data::LoaderOptions o = options;
  o.shuffle = false;
  o.augment = nullptr;
  data::DataLoader loader(dataset, input_, o);
  std::vector<torch::Tensor> logits, rows;
  loader.start_epoch(0);
  while (auto batch = loader.next()) {
    logits.push_back(model_->forward(batch->images.to(device_)).to(torch::kCPU, torch::kFloat32));
    rows.push_back(torch::tensor(std::vector<int64_t>(batch->indices.begin(), batch->indices.end()), torch::kInt64));
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
  return model_->forward(convert_batch(x, student_input, input_));
}

}  // namespace tlab::train
