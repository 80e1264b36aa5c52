#pragma once
// The checkpoint file: model parameters and buffers, optimizer state (when training wrote it), and a
// JSON "meta" record (model name and options, input spec, class names, epoch, best score, the run's
// config). Written atomically. The run directory (train/run_dir.h) says where checkpoints go.
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <string>

#include "tlab/models/model.h"

namespace tlab::models {

// Writes model (+ optimizer when given) + meta to `path` via a temporary file and rename.
// `training_weights`: with a weight average (--ema) the model's tensors are the average, and these
// are the weights the optimizer steps (parameters then buffers, in named order), for a resume.
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const torch::optim::Optimizer* optimizer, const nlohmann::json& meta,
                     const std::vector<torch::Tensor>& training_weights = {});
// The training weights a checkpoint holds (empty: none), on `device`.
std::vector<torch::Tensor> load_training_weights(const std::string& path, const torch::Device& device);

// Reads only the meta record. Throws WeightsError naming the file when it is not a checkpoint.
nlohmann::json read_checkpoint_meta(const std::string& path);

// One top-level tensor of the model's state (a parameter or buffer without a '.'), on the CPU;
// undefined when the checkpoint has none of that name. For models whose state describes its own
// shapes (features/classical_model.h), read before the model can be built.
torch::Tensor read_checkpoint_tensor(const std::string& path, const std::string& name);

// Loads parameters/buffers into `model` (and the optimizer state when given), mapping tensors to
// `device`. Throws WeightsError naming the file on missing keys or shape mismatches.
void load_checkpoint(const std::string& path, torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                     const torch::Device& device);

// The meta record's form of the options a model was built with ("model_options"), and back.
nlohmann::json to_json(const ModelOptions& options);
// Throws WeightsError naming `file` when a key is missing or of the wrong type.
ModelOptions model_options_from_json(const nlohmann::json& json, const std::string& file);

// Rebuilds the model a checkpoint describes (meta "model", "model_options") and loads its weights,
// ready for inference (prepare_for_inference). infer::load_checkpoint adds its preprocessing and classes.
ModelPtr load_model_from_checkpoint(const std::string& path, const torch::Device& device,
                                    nlohmann::json* meta_out = nullptr);

}  // namespace tlab::models
