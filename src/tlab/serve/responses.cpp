#include "tlab/serve/responses.h"

#include <algorithm>

namespace tlab::serve {

infer::TopK top_classes(const torch::Tensor& probabilities, const std::vector<std::string>& classes, int k) {
  // As infer::predict: float32 softmax, ranked in float64.
  const auto p64 = probabilities.to(torch::kFloat64);
  const auto [p, idx] = p64.topk(std::min<int64_t>(k, p64.size(0)));
  infer::TopK top;
  const auto* pp = p.data_ptr<double>();
  const auto* ip = idx.data_ptr<int64_t>();
  for (int64_t j = 0; j < p.size(0); ++j) top.push_back({classes.at(size_t(ip[j])), ip[j], pp[j]});
  return top;
}

nlohmann::json predict_response(const std::string& model_name, const std::vector<std::string>& classes,
                                const std::vector<ItemResult>& results, int k, const PredictTiming& timing) {
  nlohmann::json predictions = nlohmann::json::array();
  nlohmann::json batch_sizes = nlohmann::json::array();
  double queue = 0, inference = 0;
  for (const auto& r : results) {
    nlohmann::json top = nlohmann::json::array();
    for (const auto& c : top_classes(r.probabilities, classes, k))
      top.push_back({{"label", c.name}, {"index", c.index}, {"probability", c.probability}});
    predictions.push_back(std::move(top));
    batch_sizes.push_back(r.batch_size);
    queue = std::max(queue, r.queue_seconds);
    inference = std::max(inference, r.compute_seconds);
  }
  return {{"model", model_name},
          {"predictions", std::move(predictions)},
          {"timing_ms",
           {{"decode", timing.decode_seconds * 1e3},
            {"queue", queue * 1e3},
            {"inference", inference * 1e3},
            {"total", timing.total_seconds * 1e3}}},
          {"batch_sizes", std::move(batch_sizes)}};
}

nlohmann::json model_metadata(const std::string& name, const infer::LoadedModel& model) {
  const auto& in = model.input;
  const auto classes = int64_t(model.classes.size());
  const auto tensor = [](const char* n, std::vector<int64_t> shape) {
    return nlohmann::json{{"name", n}, {"datatype", "FP32"}, {"shape", std::move(shape)}};
  };
  return {{"name", name},
          {"versions", nlohmann::json::array({"1"})},
          {"platform", "pytorch_libtorch"},
          {"architecture", model.architecture},
          {"inputs", nlohmann::json::array({tensor("input", {-1, in.channels, in.height, in.width})})},
          {"outputs", nlohmann::json::array({tensor("logits", {-1, classes}), tensor("probabilities", {-1, classes})})},
          {"classes", model.classes},
          {"preprocess", transforms::to_json(in)}};
}

nlohmann::json infer_response(const std::string& name, const std::string& id, const std::vector<std::string>& outputs,
                              const std::vector<ItemResult>& results) {
  const int64_t n = int64_t(results.size());
  const int64_t classes = n > 0 ? results[0].logits.size(0) : 0;
  nlohmann::json out = nlohmann::json::array();
  for (const auto& which : outputs) {
    std::vector<float> data;
    data.reserve(size_t(n * classes));
    for (const auto& r : results) {
      const auto& row = which == "logits" ? r.logits : r.probabilities;
      const float* p = row.data_ptr<float>();
      data.insert(data.end(), p, p + classes);
    }
    out.push_back({{"name", which}, {"datatype", "FP32"}, {"shape", nlohmann::json::array({n, classes})}, {"data", std::move(data)}});
  }
  nlohmann::json j = {{"model_name", name}, {"model_version", "1"}, {"outputs", std::move(out)}};
  if (!id.empty()) j["id"] = id;
  return j;
}

nlohmann::json error_json(const std::string& message) { return {{"error", message}}; }

}  // namespace tlab::serve
