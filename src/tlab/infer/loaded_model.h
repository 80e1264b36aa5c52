#pragma once
// A model loaded for inference with the preprocessing it expects and its class names: the one
// inference path. tlab eval and tlab predict, a distillation teacher, and the exporters and the
// server after them take a LoadedModel, so nothing can preprocess differently from training.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "tlab/models/model.h"
#include "tlab/transforms/preprocess.h"
#include "tlab/weights/registry.h"

namespace tlab::infer {

struct LoadedModel {
  models::ModelPtr model;            // eval mode, ready for inference (models::prepare_for_inference), on `device`
  std::string architecture;          // registry name ("mobilenet_v2"), or "torchscript:FILE"
  transforms::InputSpec input;       // the preprocessing it expects (transforms::to_chw_float)
  std::vector<std::string> classes;  // names in label order; "0", "1", ... when unknown
  torch::Device device = torch::kCPU;
  std::string source;                // what it was loaded from (a file), for messages
  double temperature = 1.0;          // logits() divides by it: temperature scaling fitted by the run
                                     // (eval/temperature.h), from the checkpoint or preprocess.json
};

// Where a model comes from, as `tlab predict` names it: a checkpoint, or a zoo architecture with
// weights, or a TorchScript file.
struct ModelSource {
  std::string checkpoint;           // a TransferLab checkpoint file
  std::string model;                // a zoo architecture (with `weights`), or torchscript:FILE
  std::string weights;              // imagenet | FILE (.pth, .safetensors)
  std::string labels;               // zoo and TorchScript models: class names, one per line, in label order
  std::string preprocess = "auto";  // auto: the weights' (or the file's) own | imagenet | caffe
  weights::ResolveOptions resolve;  // --weights imagenet: cache, download, progress
};

// Loads what `source` names onto `device`. Throws UsageError when it names none or two sources,
// WeightsError for a bad model file.
LoadedModel load(const ModelSource& source, const torch::Device& device);

// A TransferLab checkpoint: its architecture, weights, preprocessing and classes.
LoadedModel load_checkpoint(const std::string& path, const torch::Device& device);

// A TorchScript file (torch.jit.save / trace output). Its preprocessing and class names come from
// "preprocess.json" and "classes.txt" saved inside it (torch.jit.save's _extra_files), else beside it
// in its directory (an export bundle), else ImageNet's preprocessing (256 -> 224) and `classes`
// (numbers when empty).
LoadedModel load_torchscript(const std::string& path, const torch::Device& device,
                             const std::vector<std::string>& classes = {});

// Logits [N, classes] of a preprocessed batch [N, C, H, W] (on any device; moved to the model's),
// divided by the model's temperature, without gradients: the one forward of inference, so every
// probability a user sees (eval, predict, serve) is the calibrated one.
torch::Tensor logits(const LoadedModel& model, const torch::Tensor& batch);

}  // namespace tlab::infer
