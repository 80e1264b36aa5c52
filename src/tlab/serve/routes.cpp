#include "tlab/serve/routes.h"

#include <nlohmann/json.hpp>

#include "tlab/serve/body_reader.h"
#include "tlab/serve/memory.h"
#include "tlab/serve/page.h"
#include "tlab/serve/request_parsing.h"
#include "tlab/serve/responses.h"

namespace tlab::serve {
namespace {

using httplib::ContentReader;
using httplib::Request;
using httplib::Response;

constexpr const char* kRoutes =
    "GET /, POST /v1/predict, GET /v2, GET /v2/health/live, GET /v2/health/ready, GET /v2/models/{name}, "
    "GET /v2/models/{name}/ready, POST /v2/models/{name}/infer, GET /metrics";

double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

void send_json(Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(Response& res, int status, const std::string& message) {
  if (status == 503) res.set_header("Retry-After", "1");
  if (current_connection().close_after_response) res.set_header("Connection", "close");
  send_json(res, status, error_json(message));
}

// "/v2/models/NAME/infer" -> ("NAME", "/infer"); false for other paths.
bool split_model_path(const std::string& path, std::string& name, std::string& rest) {
  const std::string prefix = "/v2/models/";
  if (path.rfind(prefix, 0) != 0) return false;
  const size_t slash = path.find('/', prefix.size());
  name = path.substr(prefix.size(), slash == std::string::npos ? std::string::npos : slash - prefix.size());
  rest = slash == std::string::npos ? "" : path.substr(slash);
  return !name.empty();
}

// The route label of the metrics: the route's pattern, so model names and stray paths add no series.
std::string route_label(const Request& req) {
  const std::string& p = req.path;
  if (p == "/" || p == "/metrics" || p == "/v1/predict" || p == "/v2" || p == "/v2/health/live" || p == "/v2/health/ready")
    return p;
  std::string name, rest;
  if (split_model_path(p, name, rest) && (rest.empty() || rest == "/ready" || rest == "/infer"))
    return "/v2/models/{name}" + rest;
  return "other";
}

// Routes that use the model answer once it is loaded, also during a drain (in-flight requests finish).
void require_model(const ServerState& s) {
  if (s.phase == Phase::kStopped) throw RequestError(503, "the server is shutting down");
  if (s.phase == Phase::kFailed) throw RequestError(503, "the model failed to load");
  if (!s.loaded) throw RequestError(503, "the model is loading; GET /v2/health/ready answers 200 once it is ready");
}

void require_name(const ServerState& s, const std::string& name) {
  if (name != s.name) throw RequestError(404, "no model named '" + name + "'; this server serves '" + s.name + "'");
}

std::vector<ItemResult> run_job(ServerState& s, std::vector<torch::Tensor> inputs, Clock::time_point deadline) {
  std::shared_ptr<Job> job;
  const size_t n = inputs.size();
  const std::string queue_limit = std::to_string(s.options.max_queue) + " images (--max-queue)";
  switch (s.batcher.submit(std::move(inputs), deadline, &job)) {
    case SubmitStatus::kQueued: break;
    case SubmitStatus::kQueueFull: throw RequestError(503, "the queue is full: it holds at most " + queue_limit + "; retry shortly");
    case SubmitStatus::kTooLarge:
      throw RequestError(413, std::to_string(n) + " images in one request; the server queues at most " + queue_limit);
    case SubmitStatus::kStopped: throw RequestError(503, "the server is shutting down");
  }
  const std::string late = "no answer within " + std::to_string(s.options.timeout_ms) + " ms (--timeout-ms)";
  if (!job->wait_until(deadline)) throw RequestError(504, late + ": the server is overloaded");
  switch (job->error()) {
    case JobError::kNone: return job->results();
    case JobError::kExpired: throw RequestError(504, late + ": " + job->error_message());
    case JobError::kStopped: throw RequestError(503, job->error_message());
    case JobError::kFailed: break;
  }
  throw RequestError(500, job->error_message());
}

void predict(ServerState& s, const Request& req, Response& res, const ContentReader& reader) {
  RequestBody body = read_body(req, reader, max_body_bytes(s.options));
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(s.options.timeout_ms);
  require_model(s);
  const int k = parse_topk(req.get_param_value("topk"), req.has_param("topk"), s.options.default_topk,
                           int(s.model.classes.size()));
  std::vector<EncodedImage> images = predict_images(std::move(body));
  if (images.size() > size_t(s.options.max_queue))
    throw RequestError(413, std::to_string(images.size()) + " images in one request; the server queues at most " +
                                std::to_string(s.options.max_queue) + " (--max-queue)");
  std::vector<torch::Tensor> inputs;
  for (auto& image : images) {
    inputs.push_back(decode_and_preprocess(image, s.model.input, s.options.max_pixels));
    std::string().swap(image.bytes);  // the encoded bytes are not needed any more
  }
  const double decode_seconds = since(start);
  const auto results = run_job(s, std::move(inputs), deadline);
  s.metrics.add("tlab_images_total", double(results.size()));
  send_json(res, 200, predict_response(s.name, s.model.classes, results, k, {decode_seconds, since(start)}));
}

void infer(ServerState& s, const Request& req, Response& res, const ContentReader& reader) {
  const RequestBody body = read_body(req, reader, max_body_bytes(s.options));  // first: no unread body on 404
  const auto deadline = Clock::now() + std::chrono::milliseconds(s.options.timeout_ms);
  require_model(s);
  require_name(s, req.matches[1]);
  if (body.multipart) throw RequestError(400, "expected a JSON body {\"inputs\": [...]}, got multipart/form-data");
  const InferRequest r = parse_infer_request(body.bytes, s.model.input);
  std::vector<torch::Tensor> inputs;
  for (int64_t i = 0; i < r.input.size(0); ++i) inputs.push_back(r.input[i]);
  const auto results = run_job(s, std::move(inputs), deadline);
  s.metrics.add("tlab_images_total", double(results.size()));
  send_json(res, 200, infer_response(s.name, r.id, r.outputs, results));
}

// A handler that answers a RequestError with its status and anything else with 500, as JSON.
template <typename Body>
httplib::Server::Handler guarded(Body body) {
  return [body](const Request& req, Response& res) {
    try {
      body(req, res);
    } catch (const RequestError& e) {
      send_error(res, e.status(), e.what());
    } catch (const std::exception& e) {
      send_error(res, 500, std::string("internal error: ") + e.what());
    }
  };
}

template <typename Body>
httplib::Server::HandlerWithContentReader guarded_reader(Body body) {
  return [body](const Request& req, Response& res, const ContentReader& reader) {
    guarded([&](const Request& q, Response& r) { body(q, r, reader); })(req, res);
  };
}

std::string phase_name(Phase p) {
  switch (p) {
    case Phase::kLoading: return "loading";
    case Phase::kReady: return "ready";
    case Phase::kDraining: return "draining";
    case Phase::kFailed: return "failed";
    case Phase::kStopped: break;
  }
  return "stopped";
}

void add_v2_routes(BoundedHttpServer& http, ServerState& s) {
  http.Get("/v2", guarded([&s](const Request&, Response& res) {
    nlohmann::json models = nlohmann::json::array();
    if (s.loaded) models.push_back(s.name);
    send_json(res, 200, {{"name", "tlab"}, {"version", TLAB_VERSION}, {"extensions", nlohmann::json::array()},
                         {"models", models}});
  }));
  http.Get("/v2/health/live", guarded([](const Request&, Response& res) { send_json(res, 200, {{"live", true}}); }));
  http.Get("/v2/health/ready", guarded([&s](const Request&, Response& res) {
    const Phase p = s.phase;
    send_json(res, p == Phase::kReady ? 200 : 503, {{"ready", p == Phase::kReady}, {"state", phase_name(p)}});
  }));
  http.Get("/v2/models/([^/]+)", guarded([&s](const Request& req, Response& res) {
    require_model(s);
    require_name(s, req.matches[1]);
    send_json(res, 200, model_metadata(s.name, s.model));
  }));
  http.Get("/v2/models/([^/]+)/ready", guarded([&s](const Request& req, Response& res) {
    require_model(s);
    require_name(s, req.matches[1]);
    const bool ready = s.phase == Phase::kReady;
    send_json(res, ready ? 200 : 503, {{"name", s.name}, {"ready", ready}});
  }));
  http.Post("/v2/models/([^/]+)/infer", guarded_reader([&s](const Request& req, Response& res, const ContentReader& r) {
    infer(s, req, res, r);
  }));
}

// httplib's own refusals (unknown route, malformed request, ...) carry no body: give them a JSON one.
httplib::Server::HandlerResponse json_error(const Request& req, Response& res) {
  if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
  std::string message = "HTTP status " + std::to_string(res.status);
  if (res.status == 404) message = "no route " + req.method + " " + req.path + "; routes: " + kRoutes;
  if (res.status == 413) message = "the body is over the server's limit (--max-body-mb)";
  if (res.status == 414) message = "the request line is too long";
  if (res.status == 400) message = "malformed HTTP request";
  res.set_content(error_json(message).dump(), "application/json");
  return httplib::Server::HandlerResponse::Handled;
}

void add_guards(BoundedHttpServer& http, ServerState& s) {
  http.set_error_handler(httplib::Server::HandlerWithResponse(json_error));
  // httplib would inflate a compressed body without a limit on every route that does not read it
  // through read_body: refuse it there, before reading.
  http.set_pre_routing_handler([](const Request& req, Response& res) {
    std::string name, rest;
    const bool reads_body = req.method == "POST" && (req.path == "/v1/predict" ||
                                                     (split_model_path(req.path, name, rest) && rest == "/infer"));
    if (reads_body || !has_content_encoding(req)) return httplib::Server::HandlerResponse::Unhandled;
    current_connection().close_after_response = true;
    send_error(res, 415, "Content-Encoding '" + req.get_header_value("Content-Encoding") + "' on " + req.method + " " +
                             req.path + ": only POST /v1/predict and /v2/models/{name}/infer take compressed bodies");
    return httplib::Server::HandlerResponse::Handled;
  });
  http.set_logger([&s](const Request& req, const Response& res) {
    const std::string route = route_label(req);
    s.metrics.add("tlab_requests_total", 1, {{"route", route}, {"code", std::to_string(res.status)}});
    s.metrics.observe("tlab_request_duration_seconds", since(current_connection().request_start), {{"route", route}});
  });
}

}  // namespace

ServerState::ServerState(const ServeOptions& o)
    : options(o),
      batcher(BatcherOptions{o.max_batch_size, std::chrono::milliseconds(o.max_batch_delay_ms), o.max_queue},
              BatcherHooks{
                  [this](int n, double seconds) {
                    metrics.observe("tlab_batch_size", n);
                    metrics.observe("tlab_inference_seconds", seconds);
                  },
                  [this](double seconds) { metrics.observe("tlab_queue_wait_seconds", seconds); },
                  [this](int images) { metrics.add("tlab_images_expired_total", images); },
                  release_free_memory}) {
  const std::vector<double> latency = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  std::vector<double> sizes;
  for (int b = 1; b <= o.max_batch_size; b = b < 8 ? b + 1 : b * 2) sizes.push_back(b);
  if (sizes.back() != o.max_batch_size) sizes.push_back(o.max_batch_size);
  metrics.counter("tlab_requests_total", "HTTP requests answered, by route and status code");
  metrics.histogram("tlab_request_duration_seconds", "From the first byte of a request to its answer, by route", latency);
  metrics.histogram("tlab_queue_wait_seconds", "Time an image waited in the queue for its batch", latency);
  metrics.histogram("tlab_batch_size", "Images per forward pass", sizes);
  metrics.histogram("tlab_inference_seconds", "Duration of one forward pass (one batch)", latency);
  metrics.gauge("tlab_queue_depth", "Images waiting in the queue now");
  metrics.gauge("tlab_model_load_seconds", "Time to load the model and run the warm-up forward pass");
  metrics.gauge("tlab_model_ready", "1 when the model is loaded and the server is not draining");
  metrics.counter("tlab_images_total", "Images answered (predict and infer)");
  metrics.counter("tlab_images_expired_total", "Images dropped from the queue because their deadline had passed");
}

void add_routes(BoundedHttpServer& http, ServerState& s) {
  http.Get("/", guarded([](const Request&, Response& res) { res.set_content(page_html(), "text/html; charset=utf-8"); }));
  http.Get("/metrics", guarded([&s](const Request&, Response& res) {
    s.metrics.set("tlab_queue_depth", s.batcher.depth());
    s.metrics.set("tlab_model_ready", s.phase == Phase::kReady ? 1 : 0);
    res.set_content(s.metrics.text(), "text/plain; version=0.0.4; charset=utf-8");
  }));
  http.Post("/v1/predict", guarded_reader([&s](const Request& req, Response& res, const ContentReader& r) {
    predict(s, req, res, r);
  }));
  add_v2_routes(http, s);
  add_guards(http, s);
}

}  // namespace tlab::serve
