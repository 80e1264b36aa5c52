#include "tlab/infer/loaded_model.h"

#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/core/log.h"
#include "tlab/features/classical_model.h"
#include "tlab/models/checkpoint.h"
#include "tlab/models/pretrained.h"
#include "tlab/models/torchscript.h"

namespace fs = std::filesystem;

namespace tlab::infer {
namespace {

// "0", "1", ... for a model whose class names are unknown.
std::vector<std::string> numbered(int64_t n) {
  std::vector<std::string> names;
  for (int64_t c = 0; c < n; ++c) names.push_back(std::to_string(c));
  return names;
}

int64_t output_classes(LoadedModel& m) {
  torch::NoGradGuard no_grad;
  const auto probe = torch::zeros({1, m.input.channels, m.input.height, m.input.width}, torch::TensorOptions().device(m.device));
  return m.model->forward(probe).size(1);
}

std::vector<std::string> labels_from(const std::string& path) {
  auto labels = read_lines(path);
  TLAB_CHECK(!labels.empty(), "--labels ", path, ": no labels in the file");
  return labels;
}

// --preprocess: the model's own, or one of the two standard ones at the same sizes.
transforms::InputSpec preprocessing(const transforms::InputSpec& own, const std::string& choice) {
  if (choice == "caffe") return transforms::caffe_spec(own.resize, own.height);
  if (choice == "imagenet") return transforms::imagenet_spec(own.resize, own.height);
  TLAB_CHECK(choice == "auto", "--preprocess: expected auto, imagenet or caffe, got '", choice, "'");
  return own;
}

LoadedModel load_zoo(const ModelSource& s, const torch::Device& device) {
  TLAB_CHECK(!s.weights.empty(), "predict --model ", s.model, ": also give --weights imagenet|FILE");
  models::PretrainedOptions options;
  options.resolve = s.resolve;
  LoadedModel m;
  if (!s.labels.empty()) {
    m.classes = labels_from(s.labels);
    options.num_classes = int64_t(m.classes.size());
  }
  auto pretrained = models::load_pretrained(s.model, s.weights, options);
  m.model = pretrained.model;
  m.model->to(device);
  models::prepare_for_inference(*m.model);
  m.architecture = s.model;
  m.input = pretrained.input;
  m.device = device;
  m.source = pretrained.weights_path;
  return m;
}

}  // namespace

LoadedModel load_checkpoint(const std::string& path, const torch::Device& device) {
  nlohmann::json meta;
  LoadedModel m;
  meta = models::read_checkpoint_meta(path);
  // A classical pipeline's checkpoint rebuilds itself from its own record (features/classical_model.h).
  if (meta.value("model", std::string()) == features::kClassicalModelName)
    m.model = features::ClassicalModel::load(path, device);
  else
    m.model = models::load_model_from_checkpoint(path, device, &meta);
  try {
    m.architecture = meta.at("model").get<std::string>();
    m.input = transforms::input_spec_from_json(meta.at("input"));
    m.classes = meta.at("classes").get<std::vector<std::string>>();
    m.temperature = meta.value("temperature", 1.0);
  } catch (const nlohmann::json::exception& e) {
    throw WeightsError(str_cat("checkpoint '", path, "': its meta record lacks the input spec or classes (", e.what(), ")"));
  }
  TLAB_CHECK_WEIGHTS(m.temperature > 0, "checkpoint '", path, "': temperature ", m.temperature, " is not positive");
  m.device = device;
  m.source = path;
  return m;
}

LoadedModel load_torchscript(const std::string& path, const torch::Device& device,
                             const std::vector<std::string>& classes) {
  LoadedModel m;
  m.architecture = "torchscript:" + path;
  m.device = device;
  m.source = path;
  // Built for its own outputs (num_classes 0); the probe size matters only to files traced at another size.
  auto script_of_size = [&](int channels, int height, int width) {
    models::ModelOptions o;
    o.num_classes = 0;
    o.in_channels = channels;
    o.height = height;
    o.width = width;
    return std::make_shared<models::TorchScriptBackbone>(path, o);
  };
  // The preprocessing and classes saved with the model: inside the file, else beside it. Read first:
  // the model is probed at the size they say (a 1-channel 28 x 28 model cannot run a 3 x 224 x 224 probe).
  const auto inside = models::TorchScriptBackbone::read_extra_files(path);
  auto saved = [&](const std::string& name) -> std::string {
    if (auto it = inside.find(name); it != inside.end()) return it->second;
    const fs::path beside = fs::path(path).parent_path() / name;
    return fs::is_regular_file(beside) ? read_file(beside.string()) : std::string();
  };
  if (const std::string spec = saved("preprocess.json"); !spec.empty()) {
    const auto j = nlohmann::json::parse(spec, nullptr, /*allow_exceptions=*/false);
    TLAB_CHECK_WEIGHTS(j.is_object(), "TorchScript file '", path, "': its preprocess.json is not a JSON object");
    auto spec_json = j;
    m.temperature = j.value("temperature", 1.0);  // written by tlab export beside the input spec
    spec_json.erase("temperature");
    TLAB_CHECK_WEIGHTS(m.temperature > 0, "TorchScript file '", path, "': temperature ", m.temperature,
                       " in preprocess.json is not positive");
    m.input = transforms::input_spec_from_json(spec_json);
  } else {
    m.input = transforms::imagenet_spec(256, 224);
    log_info(str_cat("TorchScript file '", path, "' carries no preprocess.json: using ImageNet's (resize 256, crop 224)"));
  }
  m.classes = classes.empty() ? split_lines(saved("classes.txt")) : classes;
  m.model = script_of_size(m.input.channels, m.input.height, m.input.width);
  m.model->to(device);
  models::prepare_for_inference(*m.model);
  return m;
}

LoadedModel load(const ModelSource& s, const torch::Device& device) {
  TLAB_CHECK(s.checkpoint.empty() != s.model.empty(),
             "give either --checkpoint FILE or --model NAME --weights FILE (or --model torchscript:FILE)");
  LoadedModel m;
  if (!s.checkpoint.empty()) {
    m = load_checkpoint(s.checkpoint, device);
  } else if (s.model.rfind("torchscript:", 0) == 0) {
    m = load_torchscript(s.model.substr(12), device, s.labels.empty() ? std::vector<std::string>{} : labels_from(s.labels));
    m.input = preprocessing(m.input, s.preprocess);
  } else {
    m = load_zoo(s, device);
    m.input = preprocessing(m.input, s.preprocess);
  }
  const int64_t outputs = output_classes(m);
  if (m.classes.empty()) m.classes = numbered(outputs);
  TLAB_CHECK(outputs == int64_t(m.classes.size()), m.source, ": the model predicts ", outputs, " classes, but ",
             m.classes.size(), " class names were given", s.labels.empty() ? "" : " in --labels " + s.labels);
  return m;
}

torch::Tensor logits(const LoadedModel& m, const torch::Tensor& batch) {
  torch::NoGradGuard no_grad;
  auto z = m.model->forward(batch.to(m.device));
  return m.temperature == 1.0 ? z : z / m.temperature;
}

}  // namespace tlab::infer
