#include "tlab/models/checkpoint.h"

#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/core/io.h"

namespace tlab::models {

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer* optimizer, const nlohmann::json& meta,
                     const std::vector<torch::Tensor>& training_weights) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optim_archive;
    optimizer->save(optim_archive);
    archive.write("optimizer", optim_archive);
  }
  if (!training_weights.empty()) {
    torch::serialize::OutputArchive weights;
    for (size_t i = 0; i < training_weights.size(); ++i) weights.write("w" + std::to_string(i), training_weights[i]);
    archive.write("training_weights", weights);
  }
  archive.write("meta", c10::IValue(meta.dump()));
  write_atomic_with(path, [&](const std::string& tmp) { archive.save_to(tmp); });
}

namespace {

torch::serialize::InputArchive open_archive(const std::string& path, const torch::Device& device) {
  TLAB_CHECK(std::filesystem::is_regular_file(path), "checkpoint '", path, "' does not exist");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, device);
  } catch (const c10::Error& e) {
    throw WeightsError(str_cat("checkpoint '", path, "' is not a TransferLab checkpoint (", e.what_without_backtrace(), ")"));
  }
  return archive;
}

nlohmann::json meta_of(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue value;
  if (!archive.try_read("meta", value) || !value.isString())
    throw WeightsError(str_cat("checkpoint '", path, "' has no TransferLab meta record"));
  auto meta = nlohmann::json::parse(value.toStringRef(), nullptr, /*allow_exceptions=*/false);
  TLAB_CHECK_WEIGHTS(meta.is_object(), "checkpoint '", path, "': its meta record is not a JSON object");
  return meta;
}

}  // namespace

nlohmann::json read_checkpoint_meta(const std::string& path) {
  auto archive = open_archive(path, torch::kCPU);
  return meta_of(archive, path);
}

torch::Tensor read_checkpoint_tensor(const std::string& path, const std::string& name) {
  auto archive = open_archive(path, torch::kCPU);
  torch::serialize::InputArchive model_archive;
  if (!archive.try_read("model", model_archive))
    throw WeightsError(str_cat("checkpoint '", path, "' has no model record"));
  torch::Tensor t;
  if (!model_archive.try_read(name, t, /*is_buffer=*/true)) model_archive.try_read(name, t, /*is_buffer=*/false);
  return t;
}

std::vector<torch::Tensor> load_training_weights(const std::string& path, const torch::Device& device) {
  auto archive = open_archive(path, device);
  torch::serialize::InputArchive weights;
  std::vector<torch::Tensor> out;
  if (!archive.try_read("training_weights", weights)) return out;
  while (true) {
    torch::Tensor t;  // a fresh one each time: try_read into a defined tensor set_()s it in place
    if (!weights.try_read("w" + std::to_string(out.size()), t)) return out;
    out.push_back(t);
  }
  return out;
}

namespace {

// Mirrors torch::nn::Module::load, but checks every shape: LibTorch's own load silently replaces a
// parameter of another shape (Tensor::set_), which would turn a wrong file into a broken model.
void read_module(torch::serialize::InputArchive& archive, torch::nn::Module& module, const std::string& prefix,
                 const std::string& path) {
  torch::NoGradGuard no_grad;
  auto read_tensor = [&](const std::string& name, torch::Tensor& target, bool is_buffer) {
    torch::Tensor stored;
    if (!archive.try_read(name, stored, is_buffer))
      throw WeightsError(str_cat("checkpoint '", path, "' lacks '", prefix, name, "'"));
    if (stored.sizes() != target.sizes())
      throw WeightsError(str_cat("checkpoint '", path, "': tensor '", prefix, name, "' has shape ",
                                       stored.sizes(), ", the model expects ", target.sizes()));
    target.copy_(stored);
  };
  for (auto& p : module.named_parameters(/*recurse=*/false)) read_tensor(p.key(), p.value(), false);
  for (auto& b : module.named_buffers(/*recurse=*/false)) read_tensor(b.key(), b.value(), true);
  for (auto& child : module.named_children()) {
    torch::serialize::InputArchive sub;
    if (!archive.try_read(child.key(), sub))
      throw WeightsError(str_cat("checkpoint '", path, "' lacks module '", prefix, child.key(), "'"));
    read_module(sub, *child.value(), prefix + child.key() + ".", path);
  }
}

}  // namespace

void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const torch::Device& device) {
  auto archive = open_archive(path, device);
  torch::serialize::InputArchive model_archive;
  if (!archive.try_read("model", model_archive))
    throw WeightsError(str_cat("checkpoint '", path, "' has no model record"));
  model.to(device);
  try {
    read_module(model_archive, model, "", path);
    if (optimizer) {
      torch::serialize::InputArchive optim_archive;
      if (!archive.try_read("optimizer", optim_archive))
        throw WeightsError(str_cat("checkpoint '", path, "' has no optimizer state to resume from"));
      optimizer->load(optim_archive);
    }
  } catch (const c10::Error& e) {
    throw WeightsError(str_cat("checkpoint '", path, "' does not match the model: ", e.what_without_backtrace()));
  }
}

nlohmann::json to_json(const ModelOptions& o) {
  return {{"num_classes", o.num_classes},
          {"in_channels", o.in_channels},
          {"height", o.height},
          {"width", o.width},
          {"head", o.head ? o.head->str() : std::string()}};
}

ModelOptions model_options_from_json(const nlohmann::json& j, const std::string& file) {
  ModelOptions o;
  try {
    o.num_classes = j.at("num_classes");
    o.in_channels = j.at("in_channels");
    o.height = j.at("height");
    o.width = j.at("width");
    const std::string head = j.value("head", std::string());
    if (!head.empty()) o.head = HeadOptions::parse(head);
  } catch (const nlohmann::json::exception& e) {
    throw WeightsError(str_cat("checkpoint '", file, "': bad model_options in its meta record (", e.what(), ")"));
  }
  return o;
}

ModelPtr load_model_from_checkpoint(const std::string& path, const torch::Device& device, nlohmann::json* meta_out) {
  const nlohmann::json meta = read_checkpoint_meta(path);
  TLAB_CHECK_WEIGHTS(meta.contains("model") && meta.contains("model_options") && meta.at("model").is_string(),
                     "checkpoint '", path, "' meta lacks the model name/options");
  auto model = create_model(meta.at("model").get<std::string>(), model_options_from_json(meta.at("model_options"), path));
  load_checkpoint(path, *model, nullptr, device);
  prepare_for_inference(*model);
  if (meta_out) *meta_out = meta;
  return model;
}

}  // namespace tlab::models
