// Bad input never hurts the server: each bad request gets its status and a JSON error saying what
// was expected, and the server answers /v2/health/live right after. Oversized bodies are refused
// however they are framed (Content-Length, chunked, gzip), without the server's memory growing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "serve_util.h"

namespace tlab::test {
namespace {

serve::ServeOptions limit_options() {
  auto o = test_options();
  o.max_body_mb = 1;
  o.max_pixels = 1000000;
  o.max_queue = 4;
  return o;
}

void expect_refused(const httplib::Result& r, int status, const std::string& needle) {
  ASSERT_TRUE(r) << "no answer (" << httplib::to_string(r.error()) << "), expected " << status;
  EXPECT_EQ(r->status, status) << r->body;
  const auto j = json_body(r);
  ASSERT_TRUE(j.is_object() && j.contains("error")) << "not a JSON error: " << r->body.substr(0, 200);
  EXPECT_NE(j["error"].get<std::string>().find(needle), std::string::npos) << j["error"];
}

// A fresh connection each time: the refused request's own connection may have been closed.
void expect_alive(const TestServer& t) {
  const auto r = t.client()->Get("/v2/health/live");
  ASSERT_TRUE(r) << "the server stopped answering";
  EXPECT_EQ(r->status, 200);
}

// gzip of `repeat` copies of `data` (streamed, so a large bomb never exists uncompressed here).
std::string gzip(const std::string& data, size_t repeat = 1) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string out;
  char buf[65536];
  for (size_t i = 0; i < repeat; ++i) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = uInt(data.size());
    const int flush = i + 1 == repeat ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      deflate(&z, flush);
      out.append(buf, sizeof buf - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

TEST(ServeLimits, BadBodiesAre400SayingWhatWasExpected) {
  TestServer t(limit_options(), [] { return small_model(); });
  auto c = t.client();
  expect_refused(c->Post("/v1/predict", "", "image/png"), 400, "empty body: expected a raw image body");
  expect_alive(t);
  expect_refused(c->Post("/v1/predict", "certainly not a picture", "image/jpeg"), 400, "not an image this server reads");
  expect_alive(t);
  const std::string broken = encoded_image(30, 24, 2).substr(0, 40) + std::string(100, '\x7f');
  expect_refused(c->Post("/v1/predict", broken, "image/png"), 400, "cannot decode image 'body'");
  expect_alive(t);
  expect_refused(c->Post("/v1/predict", "{\"images\": []}", "application/json"), 400, "\"instances\"");
  expect_alive(t);
  expect_refused(c->Post("/v1/predict", "{\"instances\": [{\"b64\": \"%%%\"}]}", "application/json"), 400,
                 "instances[0]: not base64");
  expect_alive(t);
  expect_refused(c->Post("/v1/predict", "{\"instances\": [", "application/json"), 400, "does not parse");
  expect_alive(t);
  const httplib::MultipartFormDataItems form = {{"photo", encoded_image(20, 20, 1), "p.png", "image/png"}};
  expect_refused(c->Post("/v1/predict", form), 400, "without a field 'image'");
  expect_alive(t);
  expect_refused(c->Post("/v1/predict?topk=-3", encoded_image(20, 20, 1), "image/png"), 400, "?topk");
  expect_alive(t);
  expect_refused(c->Get("/v1/predict"), 404, "no route GET /v1/predict");
  expect_alive(t);
}

TEST(ServeLimits, BadTensorsAre400SayingWhatWasExpected) {
  TestServer t(limit_options(), [] { return small_model(); });
  auto c = t.client();
  nlohmann::json in = {{"name", "input"}, {"shape", {1, 3, 20, 20}}, {"datatype", "FP32"}};
  in["data"] = std::vector<float>(1200, 0.25f);
  auto post = [&](const nlohmann::json& tensor, const std::string& model = "simple_cnn") {
    return c->Post("/v2/models/" + model + "/infer", nlohmann::json({{"inputs", {tensor}}}).dump(), "application/json");
  };
  ASSERT_EQ(post(in)->status, 200);
  auto wrong = in;
  wrong["shape"] = {1, 3, 224, 224};
  expect_refused(post(wrong), 400, "expected [N, 3, 20, 20] with N >= 1, got [1, 3, 224, 224]");
  expect_alive(t);
  wrong = in;
  wrong["datatype"] = "FP16";
  expect_refused(post(wrong), 400, "expected \"FP32\", got \"FP16\"");
  expect_alive(t);
  wrong = in;
  wrong["data"] = std::vector<float>(1199, 0.25f);
  expect_refused(post(wrong), 400, "expected a flat list of 1200 numbers");
  expect_alive(t);
  wrong = in;
  wrong["shape"] = {5, 3, 20, 20};
  wrong["data"] = std::vector<float>(6000, 0.25f);
  expect_refused(post(wrong), 413, "5 images in one request; the server queues at most 4");
  expect_alive(t);
  expect_refused(post(in, "mobilenet_v2"), 404, "no model named 'mobilenet_v2'");
  expect_alive(t);
  expect_refused(c->Post("/v2/models/simple_cnn/infer", "[]", "application/json"), 400, "expected a JSON object");
  expect_alive(t);
}

TEST(ServeLimits, OversizedBodiesAre413HoweverTheyAreSent) {
  TestServer t(limit_options(), [] { return small_model(); });
  auto c = t.client();
  const std::string big(2 * 1024 * 1024, 'x');
  expect_refused(c->Post("/v1/predict", big, "image/png"), 413, "(Content-Length 2097152) is over the server's limit");
  expect_alive(t);

  // Chunked: no Content-Length for httplib to check; 3 MB in 64 KB chunks.
  size_t sent = 0;
  auto chunks = [&](size_t, httplib::DataSink& sink) {
    if (sent >= 3 * 1024 * 1024) {
      sink.done();
      return true;
    }
    sent += 65536;
    return sink.write(big.data(), 65536);
  };
  expect_refused(c->Post("/v1/predict", chunks, "image/png"), 413, "over the server's limit of 1048576 bytes");
  expect_alive(t);

  // A gzip bomb: 256 MB of zeros in ~250 KB. Inflated without a limit, it would cost 256 MB here.
  const std::string bomb = gzip(std::string(1 << 20, '\0'), 256);
  ASSERT_LT(bomb.size(), size_t(1 << 20));
  const long before = peak_rss_kb();
  httplib::Headers gz = {{"Content-Encoding", "gzip"}};
  expect_refused(c->Post("/v1/predict", gz, bomb, "image/png"), 413, "the body, inflated, is over the server's limit");
  EXPECT_LT(peak_rss_kb() - before, 64 * 1024) << "the bomb inflated in memory";
  expect_alive(t);

  // A small file whose header claims 30000 x 30000 pixels: refused before any pixel is decoded.
  std::string huge = encoded_image(16, 16, 1);
  for (const int at : {16, 20}) {  // IHDR width and height, big-endian
    const uint32_t v = htonl(30000);
    std::memcpy(&huge[size_t(at)], &v, 4);
  }
  expect_refused(c->Post("/v1/predict", huge, "image/png"), 413, "30000 x 30000 pixels, over the server's limit of 1000000");
  expect_alive(t);

  const httplib::MultipartFormDataItems five(5, {"image", encoded_image(20, 20, 1), "", "image/png"});
  expect_refused(c->Post("/v1/predict", five), 413, "5 images in one request");
  expect_alive(t);
}

TEST(ServeLimits, CompressedBodiesWorkWhereReadAndAre415Elsewhere) {
  TestServer t(limit_options(), [] { return small_model(); });
  auto c = t.client();
  const std::string png = encoded_image(30, 30, 5);
  auto r = c->Post("/v1/predict", {{"Content-Encoding", "gzip"}}, gzip(png), "image/png");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  const auto plain = c->Post("/v1/predict", png, "image/png");
  EXPECT_EQ(json_body(r)["predictions"], json_body(plain)["predictions"]);

  expect_refused(c->Post("/v1/predict", {{"Content-Encoding", "zstd"}}, png, "image/png"), 415,
                 "Content-Encoding 'zstd': expected gzip, deflate, br or none");
  expect_alive(t);
  expect_refused(c->Post("/somewhere/else", {{"Content-Encoding", "gzip"}}, gzip(std::string(1 << 20, '\0'), 64), "text/plain"),
                 415, "only POST /v1/predict and /v2/models/{name}/infer take compressed bodies");
  expect_alive(t);
  expect_refused(c->Post("/v1/predict", {{"Content-Encoding", "gzip"}}, "not gzip at all", "image/png"), 400,
                 "the body could not be read");
  expect_alive(t);
}

TEST(ServeLimits, ARequestLineWithoutAnEndIsCutOffAtTheBudget) {
  TestServer t(limit_options(), [] { return small_model(); });
  const long before = peak_rss_kb();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(uint16_t(t.server.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const std::string junk(1 << 20, 'a');  // 'a' forever: no newline ends the request line
  size_t sent = 0;
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += size_t(n);
  }
  ::close(fd);
  EXPECT_LT(sent, size_t(64) << 20) << "the server kept reading a request line without end";
  EXPECT_LT(peak_rss_kb() - before, 64 * 1024);
  expect_alive(t);
}

}  // namespace
}  // namespace tlab::test
