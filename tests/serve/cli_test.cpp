// `tlab serve` as a process: the port it prints, SIGTERM while requests are in flight (they finish
// with 200, the process exits 0), and the usage errors of its flags.
#include <future>

#include "serve_util.h"
#include "tlab/core/io.h"
#include "tlab/models/checkpoint.h"

namespace tlab::test {
namespace {

using namespace std::chrono_literals;

// The small model as a checkpoint file, which `tlab serve --checkpoint` loads in well under a second.
std::string write_small_checkpoint(const TempDir& dir) {
  const auto m = small_model();
  models::ModelOptions mo{3, 3, 20, 20};
  models::save_checkpoint(dir.str("small.pt"), *models::create_model("simple_cnn", mo), nullptr,
                          {{"model", "simple_cnn"},
                           {"model_options", models::to_json(mo)},
                           {"input", transforms::to_json(m.input)},
                           {"classes", m.classes}});
  return dir.str("small.pt");
}

TEST(ServeCli, SigtermFinishesInFlightRequestsThenExitsZero) {
  TempDir dir;
  Child serve({TLAB_CLI_PATH, "serve", "--checkpoint", write_small_checkpoint(dir), "--port", "0", "--threads", "1",
               "--max-batch-size", "16", "--max-batch-delay-ms", "1500"});
  const int port = port_of(serve.wait_for_line("listening on http://127.0.0.1:", 60s));
  ASSERT_GT(port, 0) << serve.output();
  ASSERT_FALSE(serve.wait_for_line("serving simple_cnn on http://127.0.0.1:", 60s).empty()) << serve.output();
  httplib::Client c("127.0.0.1", port);
  ASSERT_EQ(c.Get("/v2/health/ready")->status, 200);

  // Three requests that wait in the queue for the 1.5 s batch window when SIGTERM comes.
  std::vector<std::future<int>> answers;
  for (int i = 0; i < 3; ++i)
    answers.push_back(std::async(std::launch::async, [port, i] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(30, 0);
      const auto r = client.Post("/v1/predict", encoded_image(24, 24, i), "image/png");
      return r ? r->status : -1;
    }));
  ASSERT_TRUE(eventually([&] { return prometheus_value(c.Get("/metrics")->body, "tlab_queue_depth") == 3; }))
      << serve.output();
  ASSERT_EQ(::kill(serve.pid(), SIGTERM), 0);
  ASSERT_FALSE(serve.wait_for_line("SIGTERM: draining", 10s).empty()) << serve.output();
  // The listening socket closes as the drain begins (the line above is printed just before).
  EXPECT_TRUE(eventually([port] {
    httplib::Client late("127.0.0.1", port);
    late.set_connection_timeout(1, 0);
    return !late.Get("/v2/health/live");
  }, 2s)) << "new connections are still accepted during the drain";
  for (auto& a : answers) EXPECT_EQ(a.get(), 200);
  EXPECT_EQ(serve.wait_exit(30s), 0) << serve.output();
  EXPECT_NE(serve.output().find("stopped"), std::string::npos) << serve.output();
}

TEST(ServeCli, FlagMistakesAreUsageErrors) {
  TempDir dir;
  const std::string ckpt = write_small_checkpoint(dir);
  Child zero({TLAB_CLI_PATH, "serve", "--checkpoint", ckpt, "--max-batch-size", "0"});
  EXPECT_EQ(zero.wait_exit(30s), 2) << zero.output();
  EXPECT_NE(zero.output().find("--max-batch-size: expected at least 1, got 0"), std::string::npos) << zero.output();

  Child none({TLAB_CLI_PATH, "serve", "--port", "0"});
  EXPECT_EQ(none.wait_exit(30s), 2) << none.output();
  EXPECT_NE(none.output().find("--checkpoint FILE, --model NAME --weights FILE, or --bundle DIR"), std::string::npos)
      << none.output();

  // An ONNX-only export bundle: serving needs the TorchScript one.
  write_file_atomic(dir.str("onnx/model.onnx"), "onnx");
  write_file_atomic(dir.str("onnx/classes.txt"), "a\nb\n");
  Child onnx({TLAB_CLI_PATH, "serve", "--bundle", dir.str("onnx"), "--port", "0"});
  EXPECT_EQ(onnx.wait_exit(30s), 2) << onnx.output();
  EXPECT_NE(onnx.output().find("holds model.onnx only; tlab serve runs TorchScript"), std::string::npos) << onnx.output();
}

TEST(ServeCli, APortInUseIsAnIoError) {
  TempDir dir;
  httplib::Server blocker;
  const int port = blocker.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  Child serve({TLAB_CLI_PATH, "serve", "--checkpoint", write_small_checkpoint(dir), "--port", std::to_string(port)});
  EXPECT_EQ(serve.wait_exit(30s), 1) << serve.output();
  EXPECT_NE(serve.output().find("cannot listen on 127.0.0.1:" + std::to_string(port)), std::string::npos) << serve.output();
}

}  // namespace
}  // namespace tlab::test
