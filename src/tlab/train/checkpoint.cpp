#include "tlab/train/checkpoint.h"

#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/core/io.h"

namespace tlab::train {

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer* optimizer, const nlohmann::json& meta) {
  torch::serialize::OutputArchive archive;
  torch::serialize::OutputArchive model_archive;
  model.save(model_archive);
  archive.write("model", model_archive);
  if (optimizer) {
    torch::serialize::OutputArchive optim_archive;
    optimizer->save(optim_archive);
    archive.write("optimizer", optim_archive);
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
    throw std::runtime_error(str_cat("checkpoint '", path, "' is not a TransferLab checkpoint (", e.what_without_backtrace(), ")"));
  }
  return archive;
}

nlohmann::json meta_of(torch::serialize::InputArchive& archive, const std::string& path) {
  c10::IValue value;
  if (!archive.try_read("meta", value) || !value.isString())
    throw std::runtime_error(str_cat("checkpoint '", path, "' has no TransferLab meta record"));
  return nlohmann::json::parse(value.toStringRef());
}

}  // namespace

nlohmann::json read_checkpoint_meta(const std::string& path) {
  auto archive = open_archive(path, torch::kCPU);
  return meta_of(archive, path);
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
      throw std::runtime_error(str_cat("checkpoint '", path, "' lacks '", prefix, name, "'"));
    if (stored.sizes() != target.sizes())
      throw std::runtime_error(str_cat("checkpoint '", path, "': tensor '", prefix, name, "' has shape ",
                                       stored.sizes(), ", the model expects ", target.sizes()));
    target.copy_(stored);
  };
  for (auto& p : module.named_parameters(/*recurse=*/false)) read_tensor(p.key(), p.value(), false);
  for (auto& b : module.named_buffers(/*recurse=*/false)) read_tensor(b.key(), b.value(), true);
  for (auto& child : module.named_children()) {
    torch::serialize::InputArchive sub;
    if (!archive.try_read(child.key(), sub))
      throw std::runtime_error(str_cat("checkpoint '", path, "' lacks module '", prefix, child.key(), "'"));
    read_module(sub, *child.value(), prefix + child.key() + ".", path);
  }
}

}  // namespace

void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const torch::Device& device) {
  auto archive = open_archive(path, device);
  torch::serialize::InputArchive model_archive;
  if (!archive.try_read("model", model_archive))
    throw std::runtime_error(str_cat("checkpoint '", path, "' has no model record"));
  model.to(device);
  try {
    read_module(model_archive, model, "", path);
    if (optimizer) {
      torch::serialize::InputArchive optim_archive;
      if (!archive.try_read("optimizer", optim_archive))
        throw std::runtime_error(str_cat("checkpoint '", path, "' has no optimizer state to resume from"));
      optimizer->load(optim_archive);
    }
  } catch (const c10::Error& e) {
    throw std::runtime_error(str_cat("checkpoint '", path, "' does not match the model: ", e.what_without_backtrace()));
  }
}

models::ModelPtr load_model_from_checkpoint(const std::string& path, const torch::Device& device,
                                            nlohmann::json* meta_out) {
  const nlohmann::json meta = read_checkpoint_meta(path);
  TLAB_CHECK(meta.contains("model") && meta.contains("model_options"), "checkpoint '", path,
             "' meta lacks the model name/options");
  const auto& mo = meta.at("model_options");
  models::ModelOptions options;
  options.num_classes = mo.at("num_classes");
  options.in_channels = mo.at("in_channels");
  options.height = mo.at("height");
  options.width = mo.at("width");
  options.head = mo.value("head", std::string());
  auto model = models::create_model(meta.at("model").get<std::string>(), options);
  load_checkpoint(path, *model, nullptr, device);
  models::prepare_for_inference(*model);
  if (meta_out) *meta_out = meta;
  return model;
}

}  // namespace tlab::train
