#pragma once
// The routes of the server and the state they share with its lifecycle (server.cpp):
//   GET  /                          the web page (page.h)
//   POST /v1/predict                images -> top-k (request_parsing.h, responses.h), ?topk=K
//   GET  /v2                        server metadata
//   GET  /v2/health/live            200 while the process answers
//   GET  /v2/health/ready           200 when the model is loaded and warm, 503 while loading or draining
//   GET  /v2/models/{name}          model metadata; /v2/models/{name}/ready; 404 for another name
//   POST /v2/models/{name}/infer    a preprocessed FP32 [N, C, H, W] tensor -> logits, probabilities
//   GET  /metrics                   Prometheus text
// Anything else is 404 with a JSON error.
#include <atomic>
#include <memory>
#include <string>

#include "tlab/infer/loaded_model.h"
#include "tlab/serve/batcher.h"
#include "tlab/serve/http_transport.h"
#include "tlab/serve/metrics.h"
#include "tlab/serve/options.h"

namespace tlab::serve {

enum class Phase { kLoading, kReady, kDraining, kStopped, kFailed };

struct ServerState {
  explicit ServerState(const ServeOptions& o);

  const ServeOptions options;
  MetricsRegistry metrics;  // the families are declared by the constructor
  DynamicBatcher batcher;
  // Written once by the worker before `loaded` becomes true; read-only from then on.
  infer::LoadedModel model;
  std::string name;
  std::atomic<bool> loaded{false};
  std::atomic<Phase> phase{Phase::kLoading};  // ready to take requests (kReady) or why not
};

// Registers every route, the JSON error handler, the request logger (metrics) and the guard that
// refuses compressed bodies where they are not read through read_body.
void add_routes(BoundedHttpServer& http, ServerState& state);

}  // namespace tlab::serve
