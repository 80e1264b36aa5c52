#pragma once
// Checkpoints: model parameters and buffers, optimizer state, and a JSON "meta" record (model name
// and options, input spec, class names, epoch, best score, the run's config). Written atomically.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>

#include "tlab/models/model.h"

namespace tlab::train {

// Writes model (+ optimizer when given) + meta to `path` via a temporary file and rename.
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer* optimizer, const nlohmann::json& meta);

// Reads only the meta record. Throws std::runtime_error naming the file when it is not a checkpoint.
nlohmann::json read_checkpoint_meta(const std::string& path);

// Loads parameters/buffers into `model` (and the optimizer state when given), mapping tensors to
// `device`. Throws std::runtime_error naming the file on missing keys or shape mismatches.
void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const torch::Device& device);

// Rebuilds the model a checkpoint describes (meta "model", "model_options") and loads its weights,
// ready for inference (models::prepare_for_inference).
models::ModelPtr load_model_from_checkpoint(const std::string& path, const torch::Device& device,
                                            nlohmann::json* meta_out = nullptr);

}  // namespace tlab::train
