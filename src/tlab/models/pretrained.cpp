#include "tlab/models/pretrained.h"

#include "tlab/core/error.h"
#include "tlab/core/log.h"

namespace tlab::models {

int64_t head_classes(const weights::StateDict& state, const std::vector<std::string>& head_prefixes) {
  for (const auto& prefix : head_prefixes)
    for (const auto& [name, tensor] : state)
      if (name == prefix + "weight" && tensor.dim() >= 1) return tensor.size(0);
  return 0;
}

transforms::InputSpec pretrained_input(const std::string& arch, int64_t in_channels) {
  const ModelInfo& info = model_info(arch);
  const weights::KnownWeights* known = weights::find_known_weights(arch, "imagenet");
  transforms::InputSpec input = known ? known->input
                                      : transforms::imagenet_spec(int(info.default_image_size * 256 / 224),
                                                                  int(info.default_image_size));
  input.channels = int(in_channels);
  return input;
}

Pretrained load_pretrained(const std::string& arch, const std::string& weights_spec, const PretrainedOptions& o) {
  const ModelInfo& info = model_info(arch);
  Pretrained out;
  out.weights_path = weights::resolve_weights(arch, weights_spec, o.resolve);
  weights::StateDict state = weights::upgrade_legacy_keys(arch, weights::read_weights(out.weights_path));
  out.input = pretrained_input(arch, o.in_channels);

  // Build once to learn the head's names, then with the right class count.
  ModelOptions build;
  build.num_classes = 1;
  build.in_channels = o.in_channels;
  build.height = out.input.height;
  build.width = out.input.width;
  build.include_top = o.include_top;
  auto probe = info.create(build);
  const int64_t file_classes = head_classes(state, probe->head_prefixes());
  const int64_t classes = o.num_classes > 0 ? o.num_classes : file_classes;
  TLAB_CHECK(classes > 0 || !o.include_top, "weights file '", out.weights_path, "' has no ", arch,
             " classifier head to count classes from; pass the number of classes");
  build.num_classes = classes > 0 ? classes : 1;
  out.model = info.create(build);
  out.report = weights::load_state_dict(*out.model, state, out.weights_path, out.model->head_prefixes());
  out.model->eval();
  log_info(str_cat(arch, ": ", out.report.summary(), " from ", out.weights_path));
  return out;
}

}  // namespace tlab::models
