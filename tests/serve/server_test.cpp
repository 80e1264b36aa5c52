// The server in-process with a small model and a real HTTP client: every endpoint, readiness while
// loading, batching of concurrent requests, the bounded queue (503) and the deadline (504).
#include "tlab/serve/server.h"

#include <future>

#include "serve_util.h"
#include "tlab/core/error.h"
#include "tlab/data/decode.h"
#include "tlab/infer/predict.h"

namespace tlab::test {
namespace {

using namespace std::chrono_literals;

std::string base64(const std::string& bytes) {
  static const char* a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < bytes.size(); i += 3) {
    uint32_t v = uint32_t(uint8_t(bytes[i])) << 16;
    if (i + 1 < bytes.size()) v |= uint32_t(uint8_t(bytes[i + 1])) << 8;
    if (i + 2 < bytes.size()) v |= uint8_t(bytes[i + 2]);
    out += a[(v >> 18) & 63];
    out += a[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? a[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? a[v & 63] : '=';
  }
  return out;
}

// The top-k infer::predict gives for an encoded image, as the JSON /v1/predict answers.
nlohmann::json reference_top(const infer::LoadedModel& m, const std::string& bytes, int k) {
  const auto img = data::decode_image(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "ref");
  nlohmann::json top = nlohmann::json::array();
  const auto tops = infer::predict(m, {img}, k);
  for (const auto& c : tops[0])
    top.push_back({{"label", c.name}, {"index", c.index}, {"probability", c.probability}});
  return top;
}

void expect_same_top(const nlohmann::json& got, const nlohmann::json& want) {
  ASSERT_EQ(got.size(), want.size()) << got.dump();
  for (size_t j = 0; j < want.size(); ++j) {
    EXPECT_EQ(got[j]["label"], want[j]["label"]) << j;
    EXPECT_EQ(got[j]["index"], want[j]["index"]) << j;
    EXPECT_NEAR(got[j]["probability"].get<double>(), want[j]["probability"].get<double>(), 1e-5) << j;
  }
}

TEST(ServeServer, HealthMetadataAndTheWebPage) {
  TestServer t(test_options(), [] { return small_model(); });
  auto c = t.client();
  auto r = c->Get("/v2/health/live");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c->Get("/v2/health/ready");
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(json_body(r)["ready"], true);
  r = c->Get("/v2");
  EXPECT_EQ(json_body(r)["name"], "tlab");
  EXPECT_EQ(json_body(r)["models"], nlohmann::json::array({"simple_cnn"}));
  EXPECT_EQ(t.server.model_name(), "simple_cnn");

  r = c->Get("/v2/models/simple_cnn");
  ASSERT_EQ(r->status, 200) << r->body;
  const auto meta = json_body(r);
  EXPECT_EQ(meta["name"], "simple_cnn");
  EXPECT_EQ(meta["inputs"][0], nlohmann::json({{"name", "input"}, {"datatype", "FP32"}, {"shape", {-1, 3, 20, 20}}}));
  EXPECT_EQ(meta["outputs"][0]["name"], "logits");
  EXPECT_EQ(meta["outputs"][1], nlohmann::json({{"name", "probabilities"}, {"datatype", "FP32"}, {"shape", {-1, 3}}}));
  EXPECT_EQ(meta["classes"], nlohmann::json({"ant", "bee", "wasp"}));
  EXPECT_EQ(meta["preprocess"], transforms::to_json(small_model().input));
  EXPECT_EQ(c->Get("/v2/models/simple_cnn/ready")->status, 200);
  r = c->Get("/v2/models/resnet50");
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(json_body(r)["error"].get<std::string>().find("this server serves 'simple_cnn'"), std::string::npos);

  r = c->Get("/");
  ASSERT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(r->body.find("id=\"file\""), std::string::npos);
  EXPECT_EQ(r->body.find("http://"), std::string::npos) << "the page must not load external assets";
  EXPECT_EQ(r->body.find("https://"), std::string::npos) << "the page must not load external assets";

  r = c->Get("/no/such/route");
  EXPECT_EQ(r->status, 404);
  EXPECT_NE(json_body(r)["error"].get<std::string>().find("no route GET /no/such/route"), std::string::npos) << r->body;
}

TEST(ServeServer, PredictTakesRawMultipartAndJsonBodies) {
  TestServer t(test_options(), [] { return small_model(); });
  const auto reference = small_model();
  auto c = t.client();
  const std::string a = encoded_image(40, 30, 3), b = encoded_image(25, 50, 4, ".jpg");

  auto r = c->Post("/v1/predict?topk=2", a, "image/png");
  ASSERT_EQ(r->status, 200) << r->body;
  auto j = json_body(r);
  EXPECT_EQ(j["model"], "simple_cnn");
  ASSERT_EQ(j["predictions"].size(), 1u);
  expect_same_top(j["predictions"][0], reference_top(reference, a, 2));
  for (const char* key : {"decode", "queue", "inference", "total"}) EXPECT_GE(j["timing_ms"][key].get<double>(), 0) << key;

  const httplib::MultipartFormDataItems form = {{"image", a, "a.png", "image/png"}, {"image", b, "b.jpg", "image/jpeg"}};
  r = c->Post("/v1/predict", form);
  ASSERT_EQ(r->status, 200) << r->body;
  j = json_body(r);
  ASSERT_EQ(j["predictions"].size(), 2u);
  expect_same_top(j["predictions"][0], reference_top(reference, a, 3));  // default 5, capped at 3 classes
  expect_same_top(j["predictions"][1], reference_top(reference, b, 3));

  const nlohmann::json instances = {{"instances", {{{"b64", base64(b)}}, {{"b64", base64(a)}}}}};
  r = c->Post("/v1/predict?topk=1", instances.dump(), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  j = json_body(r);
  ASSERT_EQ(j["predictions"].size(), 2u);
  expect_same_top(j["predictions"][0], reference_top(reference, b, 1));
  expect_same_top(j["predictions"][1], reference_top(reference, a, 1));
}

TEST(ServeServer, V2InferTakesAPreprocessedTensor) {
  TestServer t(test_options(), [] { return small_model(); });
  const auto reference = small_model();
  torch::manual_seed(3);
  const auto x = torch::randn({2, 3, 20, 20});
  const auto want = infer::logits(reference, x);
  const auto flat = x.flatten();
  nlohmann::json body = {{"id", "req-7"},
                         {"inputs", {{{"name", "input"}, {"shape", {2, 3, 20, 20}}, {"datatype", "FP32"},
                                      {"data", std::vector<float>(flat.data_ptr<float>(), flat.data_ptr<float>() + flat.numel())}}}}};
  auto c = t.client();
  auto r = c->Post("/v2/models/simple_cnn/infer", body.dump(), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  const auto j = json_body(r);
  EXPECT_EQ(j["model_name"], "simple_cnn");
  EXPECT_EQ(j["id"], "req-7");
  ASSERT_EQ(j["outputs"].size(), 2u);
  EXPECT_EQ(j["outputs"][0]["name"], "logits");
  EXPECT_EQ(j["outputs"][0]["shape"], nlohmann::json({2, 3}));
  EXPECT_EQ(j["outputs"][0]["datatype"], "FP32");
  const auto logits = j["outputs"][0]["data"].get<std::vector<float>>();
  const auto probs = j["outputs"][1]["data"].get<std::vector<float>>();
  ASSERT_EQ(logits.size(), 6u);
  const auto p = torch::softmax(want, 1);
  for (int64_t i = 0; i < 6; ++i) {
    EXPECT_NEAR(logits[size_t(i)], want.flatten()[i].item<float>(), 1e-5) << i;
    EXPECT_NEAR(probs[size_t(i)], p.flatten()[i].item<float>(), 1e-6) << i;
  }
  body["outputs"] = {{{"name", "probabilities"}}};
  r = c->Post("/v2/models/simple_cnn/infer", body.dump(), "application/json");
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(json_body(r)["outputs"].size(), 1u);
  r = c->Post("/v2/models/other/infer", body.dump(), "application/json");
  EXPECT_EQ(r->status, 404) << r->body;
}

TEST(ServeServer, MetricsCountRoutesBatchesAndTheModelLoad) {
  TestServer t(test_options(), [] { return small_model(); });
  auto c = t.client();
  for (int i = 0; i < 3; ++i) ASSERT_EQ(c->Post("/v1/predict", encoded_image(30, 30, i), "image/png")->status, 200);
  ASSERT_EQ(c->Get("/v2/models/none")->status, 404);
  ASSERT_EQ(c->Get("/whatever")->status, 404);
  // httplib counts a request (its logger) after the response is written, so the client can ask for
  // /metrics before the last requests are counted (each on its own connection): wait until they are.
  std::string m, content_type;
  EXPECT_TRUE(eventually([&] {
    const auto r = c->Get("/metrics");
    if (!r || r->status != 200) return false;
    m = r->body;
    content_type = r->get_header_value("Content-Type");
    return prometheus_value(m, "tlab_requests_total{route=\"other\",code=\"404\"}") == 1 &&
           prometheus_value(m, "tlab_requests_total{route=\"/v2/models/{name}\",code=\"404\"}") == 1 &&
           prometheus_value(m, "tlab_request_duration_seconds_count{route=\"/v1/predict\"}") == 3;
  })) << m;
  EXPECT_EQ(content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(prometheus_value(m, "tlab_requests_total{route=\"/v1/predict\",code=\"200\"}"), 3) << m;
  EXPECT_EQ(prometheus_value(m, "tlab_requests_total{route=\"/v2/models/{name}\",code=\"404\"}"), 1) << m;
  EXPECT_EQ(prometheus_value(m, "tlab_requests_total{route=\"other\",code=\"404\"}"), 1) << m;
  EXPECT_EQ(prometheus_value(m, "tlab_request_duration_seconds_count{route=\"/v1/predict\"}"), 3) << m;
  EXPECT_EQ(prometheus_value(m, "tlab_batch_size_count"), 3) << m;
  EXPECT_EQ(prometheus_value(m, "tlab_batch_size_bucket{le=\"1\"}"), 3) << m;
  EXPECT_EQ(prometheus_value(m, "tlab_queue_wait_seconds_count"), 3) << m;
  EXPECT_EQ(prometheus_value(m, "tlab_queue_depth"), 0) << m;
  EXPECT_EQ(prometheus_value(m, "tlab_model_ready"), 1) << m;
  EXPECT_GT(prometheus_value(m, "tlab_model_load_seconds"), 0) << m;
  EXPECT_NE(m.find("# TYPE tlab_request_duration_seconds histogram"), std::string::npos);
}

TEST(ServeServer, LiveAtOnceReadyOnlyOnceTheModelIsWarm) {
  serve::Server server(test_options(), [] {
    std::this_thread::sleep_for(800ms);
    return small_model();
  });
  server.start();
  httplib::Client c("127.0.0.1", server.port());
  EXPECT_EQ(c.Get("/v2/health/live")->status, 200);
  auto r = c.Get("/v2/health/ready");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(json_body(r)["state"], "loading");
  r = c.Post("/v1/predict", encoded_image(20, 20, 1), "image/png");
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  EXPECT_EQ(c.Get("/v2/models/simple_cnn")->status, 503);
  EXPECT_FALSE(server.ready());
  ASSERT_TRUE(server.wait_ready(30s));
  EXPECT_EQ(c.Get("/v2/health/ready")->status, 200);
  EXPECT_EQ(c.Post("/v1/predict", encoded_image(20, 20, 1), "image/png")->status, 200);
  server.drain();
  EXPECT_FALSE(server.ready());
}

TEST(ServeServer, ALoadFailureIsRethrownAndTheServerStaysUnready) {
  serve::Server server(test_options(), []() -> infer::LoadedModel { throw WeightsError("weights file 'x.pth' is broken"); });
  server.start();
  EXPECT_THROW(server.wait_ready(30s), WeightsError);
  httplib::Client c("127.0.0.1", server.port());
  EXPECT_EQ(c.Get("/v2/health/live")->status, 200);
  EXPECT_EQ(c.Get("/v2/health/ready")->status, 503);
  server.stop();
}

TEST(ServeServer, ConcurrentRequestsShareBatches) {
  auto o = test_options();
  o.max_batch_size = 8;
  o.max_batch_delay_ms = 300;
  TestServer t(o, [] { return small_model(); });
  std::vector<std::future<nlohmann::json>> answers;
  for (int i = 0; i < 6; ++i)
    answers.push_back(std::async(std::launch::async, [&t, i] {
      auto c = t.client();
      return json_body(c->Post("/v1/predict", encoded_image(20, 20, i), "image/png"));
    }));
  int largest = 0;
  for (auto& a : answers) {
    const auto j = a.get();
    ASSERT_TRUE(j.contains("batch_sizes")) << j.dump();
    largest = std::max(largest, j["batch_sizes"][0].get<int>());
  }
  EXPECT_GT(largest, 1) << "six concurrent requests within a 300 ms window never shared a batch";
  EXPECT_LT(t.server.metrics().value("tlab_batch_size"), 6);
}

TEST(ServeServer, AFullQueueAnswers503WithRetryAfter) {
  auto o = test_options();
  o.max_queue = 1;
  o.max_batch_size = 8;
  o.max_batch_delay_ms = 1500;  // the first image holds the queue's only place for 1.5 s
  TestServer t(o, [] { return small_model(); });
  auto first = std::async(std::launch::async, [&t] {
    return t.client()->Post("/v1/predict", encoded_image(20, 20, 1), "image/png")->status;
  });
  auto c = t.client();
  ASSERT_TRUE(eventually([&] { return prometheus_value(c->Get("/metrics")->body, "tlab_queue_depth") == 1; }));
  auto r = c->Post("/v1/predict", encoded_image(20, 20, 2), "image/png");
  EXPECT_EQ(r->status, 503) << r->body;
  EXPECT_EQ(r->get_header_value("Retry-After"), "1");
  EXPECT_NE(json_body(r)["error"].get<std::string>().find("the queue is full"), std::string::npos) << r->body;
  const httplib::MultipartFormDataItems two = {{"image", encoded_image(20, 20, 3), "", ""},
                                               {"image", encoded_image(20, 20, 4), "", ""}};
  r = c->Post("/v1/predict", two);
  EXPECT_EQ(r->status, 413) << r->body;  // more images than the queue holds at all
  EXPECT_EQ(first.get(), 200);
  EXPECT_EQ(c->Get("/v2/health/live")->status, 200);
}

TEST(ServeServer, ADeadlinePassedInTheQueueAnswers504AndIsNotComputed) {
  auto o = test_options();
  o.timeout_ms = 200;
  o.max_batch_size = 8;
  o.max_batch_delay_ms = 1000;
  TestServer t(o, [] { return small_model(); });
  auto c = t.client();
  const auto start = std::chrono::steady_clock::now();
  auto r = c->Post("/v1/predict", encoded_image(20, 20, 1), "image/png");
  EXPECT_EQ(r->status, 504) << r->body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 900ms) << "answered at the batch window, not at the deadline";
  EXPECT_NE(json_body(r)["error"].get<std::string>().find("--timeout-ms"), std::string::npos) << r->body;
  // When the window closes, the worker drops the image instead of computing it.
  ASSERT_TRUE(eventually([&] { return t.server.metrics().value("tlab_images_expired_total") == 1; }));
  EXPECT_EQ(t.server.metrics().value("tlab_batch_size"), 0);
}

TEST(ServeServer, ADeadlinePassedDuringTheForwardPassAnswers504) {
  auto o = test_options();
  o.timeout_ms = 300;
  o.max_batch_delay_ms = 0;
  TestServer t(o, [] { return slow_small_model(1200ms); });
  const auto start = std::chrono::steady_clock::now();
  auto r = t.client()->Post("/v1/predict", encoded_image(20, 20, 1), "image/png");
  EXPECT_EQ(r->status, 504) << r->body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1000ms);
  EXPECT_EQ(t.client()->Get("/v2/health/live")->status, 200);
}

TEST(ServeServer, DrainAnswersWhatIsInFlight) {
  auto o = test_options();
  o.max_batch_size = 8;
  o.max_batch_delay_ms = 800;
  TestServer t(o, [] { return small_model(); });
  std::vector<std::future<int>> answers;
  for (int i = 0; i < 3; ++i)
    answers.push_back(std::async(std::launch::async, [&t, i] {
      const auto r = t.client()->Post("/v1/predict", encoded_image(20, 20, i), "image/png");
      return r ? r->status : -1;
    }));
  auto c = t.client();
  ASSERT_TRUE(eventually([&] { return prometheus_value(c->Get("/metrics")->body, "tlab_queue_depth") == 3; }));
  t.server.drain();
  for (auto& a : answers) EXPECT_EQ(a.get(), 200);
  EXPECT_FALSE(t.server.ready());
  httplib::Client after("127.0.0.1", t.server.port());
  after.set_connection_timeout(1, 0);
  EXPECT_FALSE(after.Get("/v2/health/live")) << "still accepting connections after the drain";
}

}  // namespace
}  // namespace tlab::test
