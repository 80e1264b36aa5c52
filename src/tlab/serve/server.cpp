#include "tlab/serve/server.h"

#include <sys/socket.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include "tlab/core/device.h"
#include "tlab/core/error.h"
#include "tlab/serve/bundle.h"
#include "tlab/serve/routes.h"

namespace tlab::serve {

namespace {
// Request line, headers and chunk framing on top of the body limit: what one request may read.
uint64_t request_budget(const ServeOptions& o) {
  const auto body = uint64_t(max_body_bytes(o));
  return body + body / 8 + 256 * 1024;
}
}  // namespace

struct Server::Impl {
  Impl(ServeOptions o, ModelLoader l)
      : load(std::move(l)),
        state(o),
        http(size_t(o.http_threads), request_budget(o), size_t(o.keep_alive_requests)) {}

  void work();
  bool load_model();
  void finish(Phase end, bool graceful);

  ModelLoader load;
  ServerState state;
  BoundedHttpServer http;
  int port = -1;
  std::thread listener, worker;
  std::mutex mutex;  // guards load_error and the end; `changed` tells wait_ready
  std::condition_variable changed;
  std::exception_ptr load_error;
  bool ended = false;
};

// The inference worker: loads the model, warms it up, then runs the batcher until the end. Its
// LibTorch thread count (--threads) is set here because LibTorch's OpenMP thread count belongs to
// the calling thread; the HTTP threads (--http-threads) stay single-threaded in their own work
// (decoding, preprocessing), so the two pools add up to the cores given instead of multiplying.
void Server::Impl::work() {
  if (!load_model()) return;
  c10::InferenceMode inference;
  const infer::LoadedModel& model = state.model;
  state.batcher.run([&model](const torch::Tensor& batch) { return infer::logits(model, batch); });
}

bool Server::Impl::load_model() {
  try {
    set_threads(state.options.threads);
    const auto start = Clock::now();
    state.model = load();
    TLAB_CHECK(!state.model.classes.empty(), "the loaded model has no classes");
    state.name = state.options.name.empty() ? default_model_name(state.model) : state.options.name;
    if (state.options.warmup) {
      c10::InferenceMode inference;
      const auto& in = state.model.input;
      infer::logits(state.model, torch::zeros({1, in.channels, in.height, in.width}));
    }
    state.metrics.set("tlab_model_load_seconds", std::chrono::duration<double>(Clock::now() - start).count());
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex);
    load_error = std::current_exception();
    Phase loading = Phase::kLoading;
    state.phase.compare_exchange_strong(loading, Phase::kFailed);
    changed.notify_all();
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex);
  state.loaded = true;
  Phase loading = Phase::kLoading;  // a drain or stop that came during loading wins
  state.phase.compare_exchange_strong(loading, Phase::kReady);
  changed.notify_all();
  return true;
}

Server::Server(ServeOptions options, ModelLoader load) {
  validate(options);
  TLAB_CHECK(load != nullptr, "serve: no model loader given");
  impl_ = std::make_unique<Impl>(std::move(options), std::move(load));
}

Server::~Server() { stop(); }

void Server::start() {
  Impl& m = *impl_;
  TLAB_CHECK(m.port < 0, "serve: start() was called twice");
  const ServeOptions& o = m.state.options;
  m.http.set_payload_max_length(size_t(max_body_bytes(o)));
  m.http.set_read_timeout(5);
  m.http.set_write_timeout(5);
  m.http.set_keep_alive_timeout(5);
  // httplib's default sets SO_REUSEPORT too, which lets a second server bind the same port and
  // silently share its connections; SO_REUSEADDR alone still allows a restart over TIME_WAIT.
  m.http.set_socket_options([](socket_t sock) {
    const int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  add_routes(m.http, m.state);
  errno = 0;
  m.port = o.port == 0 ? m.http.bind_to_any_port(o.host) : (m.http.bind_to_port(o.host, o.port) ? o.port : -1);
  if (m.port <= 0)
    throw IoError(str_cat("cannot listen on ", o.host, ":", o.port, errno ? str_cat(": ", std::strerror(errno)) : "",
                          " (--host, --port)"));
  m.listener = std::thread([&m] { m.http.listen_after_bind(); });
  // httplib's stop() only acts on a running server: wait until the accept loop runs, so a drain
  // right after start() cannot be missed.
  for (int i = 0; i < 10000 && !m.http.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (!m.http.is_running()) {
    m.listener.join();
    throw IoError(str_cat("serve: the server on ", o.host, ":", m.port, " did not start accepting connections"));
  }
  m.worker = std::thread([&m] { m.work(); });
}

int Server::port() const { return impl_->port; }

bool Server::wait_ready(std::chrono::milliseconds timeout) {
  Impl& m = *impl_;
  std::unique_lock<std::mutex> lock(m.mutex);
  m.changed.wait_for(lock, timeout, [&] { return m.state.phase != Phase::kLoading; });
  if (m.load_error) std::rethrow_exception(m.load_error);
  return m.state.phase == Phase::kReady;
}

bool Server::ready() const { return impl_->state.phase == Phase::kReady; }

std::string Server::model_name() const { return impl_->state.loaded ? impl_->state.name : std::string(); }

const MetricsRegistry& Server::metrics() const { return impl_->state.metrics; }

// Graceful: the HTTP side first (no new connections; httplib's listen returns once every open
// connection's handler finished, and those handlers need the batcher), then the batcher, which
// computes what is still queued and returns.
void Server::Impl::finish(Phase end, bool graceful) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (ended) return;
    ended = true;
    state.phase = end == Phase::kStopped && !graceful ? Phase::kStopped : Phase::kDraining;
    changed.notify_all();
  }
  if (!graceful) state.batcher.stop();  // queued requests are answered 503 at once
  if (listener.joinable()) {
    http.stop();
    listener.join();
  }
  state.batcher.drain();
  if (worker.joinable()) worker.join();
  state.phase = Phase::kStopped;
}

void Server::drain() { impl_->finish(Phase::kDraining, true); }

void Server::stop() { impl_->finish(Phase::kStopped, false); }

}  // namespace tlab::serve
