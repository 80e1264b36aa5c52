// A classical pipeline's checkpoint served like any model: tlab serve loads it (descriptors, PCA,
// LIBSVM scores rebuilt from its own record) and answers /v1/predict with its classes.
#include "../train/fixtures.h"
#include "serve_util.h"
#include "tlab/train/run.h"

namespace tlab::test {
namespace {

using namespace std::chrono_literals;

TEST(ServeCli, ServesAClassicalPipelineCheckpoint) {
  TempDir dir;
  write_bar_dataset(dir.str());
  train::RunOptions o = bar_run(dir.str(), dir.str("run"));
  o.strategy.name = "classical";
  o.strategy.classical.features = "hog+lbp";
  o.strategy.classical.hog.pixels_per_cell = 4;
  o.strategy.classical.hog.cells_per_block = 2;
  o.strategy.classical.reduce = "pca:6";
  o.strategy.classical.classifier = "svm-rbf";
  train::run_training(o);
  Child serve({TLAB_CLI_PATH, "serve", "--checkpoint", dir.str("run"), "--port", "0", "--threads", "1"});
  const int port = port_of(serve.wait_for_line("listening on http://127.0.0.1:", 60s));
  ASSERT_GT(port, 0) << serve.output();
  httplib::Client c("127.0.0.1", port);
  ASSERT_TRUE(eventually([&] {
    auto r = c.Get("/v2/health/ready");
    return r && r->status == 200;
  })) << serve.output();
  const auto r = c.Post("/v1/predict?topk=3", encoded_image(24, 24, 1), "image/png");
  ASSERT_TRUE(r) << serve.output();
  ASSERT_EQ(r->status, 200) << r->body;
  const auto j = json_body(r);
  EXPECT_EQ(j.at("model"), "classical");
  const auto& top = j.at("predictions").at(0);
  ASSERT_EQ(top.size(), 3u);
  double sum = 0;
  for (const auto& p : top) sum += p.at("probability").get<double>();
  EXPECT_NEAR(sum, 1.0, 1e-5);
  ASSERT_EQ(::kill(serve.pid(), SIGTERM), 0);
  EXPECT_EQ(serve.wait_exit(30s), 0) << serve.output();
}

}  // namespace
}  // namespace tlab::test
