#include "tlab/models/summary.h"

#include <iomanip>
#include <sstream>

namespace tlab::models {
namespace {

// "torch::nn::Conv2dImpl" -> "Conv2d"
std::string type_name(const torch::nn::Module& m) {
  std::string n = m.name();
  if (auto pos = n.rfind("::"); pos != std::string::npos) n = n.substr(pos + 2);
  if (n.size() > 4 && n.compare(n.size() - 4, 4, "Impl") == 0) n.resize(n.size() - 4);
  return n;
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "(None";
  for (int64_t d : shape) s += ", " + std::to_string(d);
  return s + ")";
}

std::string with_commas(int64_t v) {
  std::string s = std::to_string(v);
  for (int i = int(s.size()) - 3; i > 0; i -= 3) s.insert(size_t(i), ",");
  return s;
}

}  // namespace

ModelSummary summarize(Model& model, const std::string& name, int64_t channels, int64_t height, int64_t width) {
  ModelSummary summary{name, {channels, height, width}, {}, count_parameters(model)};
  const bool was_training = model.is_training();
  model.eval();
  torch::NoGradGuard no_grad;
  const auto device = model.parameters().empty() ? torch::Device(torch::kCPU) : model.parameters().front().device();
  auto x = torch::zeros({1, channels, height, width}, torch::TensorOptions().device(device));
  model.forward_observed(x, [&](const std::string& layer_name, const torch::nn::Module& layer, const torch::Tensor& out) {
    LayerSummary row{layer_name, type_name(layer), {}, 0};
    for (int64_t d = 1; d < out.dim(); ++d) row.output_shape.push_back(out.size(d));
    for (const auto& p : layer.parameters()) row.parameters += p.numel();
    summary.layers.push_back(std::move(row));
  });
  model.train(was_training);
  return summary;
}

std::string format_summary(const ModelSummary& s) {
  std::vector<std::string> left, mid, right;
  for (const auto& l : s.layers) {
    left.push_back(l.name + " (" + l.type + ")");
    mid.push_back(shape_text(l.output_shape));
    right.push_back(with_commas(l.parameters));
  }
  size_t w1 = 24, w2 = 26, w3 = 10;
  for (size_t i = 0; i < left.size(); ++i) {
    w1 = std::max(w1, left[i].size() + 2);
    w2 = std::max(w2, mid[i].size() + 2);
    w3 = std::max(w3, right[i].size());
  }
  const size_t total = w1 + w2 + w3;
  std::ostringstream os;
  os << "Model: \"" << s.model << "\"  input " << shape_text(s.input_shape) << "\n";
  os << std::string(total, '_') << "\n";
  os << std::left << std::setw(int(w1)) << " Layer (type)" << std::setw(int(w2)) << "Output Shape" << "Param #\n";
  os << std::string(total, '=') << "\n";
  for (size_t i = 0; i < left.size(); ++i) {
    os << std::left << std::setw(int(w1)) << (" " + left[i]) << std::setw(int(w2)) << mid[i] << right[i] << "\n";
    os << std::string(total, i + 1 == left.size() ? '=' : '_') << "\n";
  }
  os << "Total params: " << with_commas(s.parameters.total()) << "\n";
  os << "Trainable params: " << with_commas(s.parameters.trainable) << "\n";
  os << "Non-trainable params: " << with_commas(s.parameters.non_trainable) << "\n";
  os << std::string(total, '_') << "\n";
  return os.str();
}

}  // namespace tlab::models
