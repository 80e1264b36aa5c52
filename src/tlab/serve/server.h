#pragma once
// The HTTP server of `tlab serve`: a model behind /v1/predict (images in, top-k out), the KServe v2
// (Open Inference Protocol) health, metadata and infer routes, Prometheus /metrics and a web page
// at /. Routes are in routes.h, the connection limits in http_transport.h, batching in batcher.h.
//
// Lifecycle: start() binds and answers at once (live; not ready), while the inference worker loads
// the model and runs one warm-up forward pass; then it is ready. drain() is the graceful end (what
// SIGTERM does in the app): not ready, no new connections, queued and in-flight requests answered,
// then it returns. stop() ends at once: queued requests are answered 503. The library never prints;
// the app says what happened.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "tlab/infer/loaded_model.h"
#include "tlab/serve/metrics.h"
#include "tlab/serve/options.h"

namespace tlab::serve {

class Server {
 public:
  // Loads the model; called once, on the inference worker thread (so that its LibTorch thread
  // settings are the worker's).
  using ModelLoader = std::function<infer::LoadedModel()>;

  // Throws UsageError for bad options (validate).
  Server(ServeOptions options, ModelLoader load);
  ~Server();  // stop() unless drained or stopped
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds options.host:options.port and starts answering; returns once connections are accepted.
  // Throws IoError when it cannot bind.
  void start();
  // The port it listens on (the one picked for port 0); valid after start().
  int port() const;

  // Blocks until the model is loaded and warmed up (true), or `timeout` passed (false); rethrows what
  // the loader threw (the server keeps answering, not ready, until stop()).
  bool wait_ready(std::chrono::milliseconds timeout = std::chrono::hours(24 * 365));
  bool ready() const;
  // The name the model is served under (ServeOptions::name or default_model_name); empty before ready.
  std::string model_name() const;

  // Graceful end: not ready, stops accepting connections, answers what is queued and in flight,
  // returns when every thread is done. Idempotent.
  void drain();
  // Immediate end: stops accepting, queued requests are answered 503, returns when threads are done.
  void stop();

  const MetricsRegistry& metrics() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace tlab::serve
