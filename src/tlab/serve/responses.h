#pragma once
// The JSON the server answers with, one function per shape, so the routes only decide what to say.
//
// /v1/predict: {"model": NAME,
//               "predictions": [[{"label", "index", "probability"}, ...], ...],  one top-k list per
//                              image in request order, most probable first; always a list of lists,
//                              also for a single raw image
//               "timing_ms": {"decode", "queue", "inference", "total"}}
//   decode: decoding and preprocessing of all images; queue: the longest wait of one image for its
//   batch; inference: the longest forward pass among its batches; total: from the end of the upload
//   to the answer. "batch_sizes": the size of each image's batch.
// Errors, every route: {"error": "what was expected and what came"}.
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "tlab/infer/loaded_model.h"
#include "tlab/infer/predict.h"
#include "tlab/serve/batcher.h"

namespace tlab::serve {

// The top `k` classes of one probabilities row ([classes], float32), as infer::predict ranks them.
infer::TopK top_classes(const torch::Tensor& probabilities, const std::vector<std::string>& classes, int k);

struct PredictTiming {
  double decode_seconds = 0;
  double total_seconds = 0;
};

nlohmann::json predict_response(const std::string& model_name, const std::vector<std::string>& classes,
                                const std::vector<ItemResult>& results, int k, const PredictTiming& timing);

// GET /v2/models/{name}: name, platform, inputs [{"name": "input", "datatype": "FP32", "shape":
// [-1, C, H, W]}], outputs logits and probabilities [-1, classes], plus "classes" and "preprocess"
// (transforms::to_json of the input spec) and "architecture".
nlohmann::json model_metadata(const std::string& name, const infer::LoadedModel& model);

// POST /v2/models/{name}/infer: {"model_name", "id" (when asked with one), "outputs": [{"name",
// "datatype": "FP32", "shape": [N, classes], "data": [row-major]}, ...]} in the order asked.
nlohmann::json infer_response(const std::string& name, const std::string& id, const std::vector<std::string>& outputs,
                              const std::vector<ItemResult>& results);

nlohmann::json error_json(const std::string& message);

}  // namespace tlab::serve
