#include "tlab/weights/registry.h"

#include <httplib.h>

#include <thread>

#include "../test_util.h"
#include "tlab/models/model.h"

namespace tlab::test {
namespace {

TEST(WeightsRegistry, EveryArchitectureWithWeightsIsInTheZoo) {
  for (const auto& w : weights::known_weights()) {
    SCOPED_TRACE(w.arch);
    EXPECT_NO_THROW(models::model_info(w.arch));
    EXPECT_EQ(w.url, "https://download.pytorch.org/models/" + w.file);
    EXPECT_GE(w.sha256_prefix.size(), 8u);
    EXPECT_EQ(w.sha256_prefix.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(w.input.channels, 3);
    EXPECT_GE(w.input.resize, w.input.height);
  }
  const auto* r50 = weights::find_known_weights("resnet50");
  ASSERT_NE(r50, nullptr);
  EXPECT_EQ(r50->sha256_prefix, "0676ba61");
  EXPECT_EQ(weights::find_known_weights("inception_v3")->input.height, 299);
  EXPECT_EQ(weights::find_known_weights("efficientnet_b3")->input.interpolation, "bicubic");
}

TEST(WeightsRegistry, Sha256OfKnownContent) {
  TempDir dir;
  write_bytes(dir.str("abc"), "abc");
  EXPECT_EQ(weights::sha256_file(dir.str("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(WeightsRegistry, MissingFileWithoutNetworkSaysWhatToDownloadAndWhere) {
  TempDir cache;
  weights::ResolveOptions o;
  o.cache_dir = cache.str();
  o.url_override = "http://127.0.0.1:1/resnet18.pth";  // nothing listens on port 1
  try {
    weights::resolve_weights("resnet18", "imagenet", o);
    FAIL();
  } catch (const std::runtime_error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("https://download.pytorch.org/models/resnet18-f37072fd.pth"), std::string::npos) << msg;
    EXPECT_NE(msg.find(cache.str("resnet18-f37072fd.pth")), std::string::npos) << msg;
    EXPECT_NE(msg.find("TLAB_HOME"), std::string::npos) << msg;
  }
  EXPECT_FALSE(fs::exists(cache.path() / "resnet18-f37072fd.pth"));
  EXPECT_THROW(weights::resolve_weights("resnet18", "instagram", o), std::invalid_argument);
  EXPECT_THROW(weights::resolve_weights("resnet18", cache.str("nope.pth"), o), std::runtime_error);
}

TEST(WeightsRegistry, CachedFileWithWrongHashIsRejected) {
  TempDir cache;
  write_bytes(cache.str("resnet18-f37072fd.pth"), "not the real weights");
  weights::ResolveOptions o;
  o.cache_dir = cache.str();
  o.allow_download = false;
  try {
    weights::resolve_weights("resnet18", "imagenet", o);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("expected one starting with f37072fd"), std::string::npos) << e.what();
  }
}

TEST(WeightsRegistry, DownloadsFromAServerChecksTheHashAndCaches) {
  // A local HTTP server plays the weights host.
  const std::string payload(300000, 'w');
  httplib::Server server;
  server.Get("/w.pth", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(payload, "application/octet-stream");
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  TempDir cache, other;
  write_bytes(other.str("payload"), payload);
  weights::KnownWeights known{"resnet18", "test", "http://127.0.0.1:" + std::to_string(port) + "/w.pth", "w-test.pth",
                              weights::sha256_file(other.str("payload")).substr(0, 10), {}, 1000};
  weights::ResolveOptions o;
  o.cache_dir = cache.str();
  uint64_t last = 0;
  o.progress = [&](uint64_t got, uint64_t) { last = got; };
  const std::string path = weights::resolve_known(known, o);
  EXPECT_EQ(path, cache.str("w-test.pth"));
  EXPECT_EQ(read_text(path), payload);
  EXPECT_EQ(last, payload.size());
  EXPECT_FALSE(fs::exists(path + ".part"));

  // A wrong hash: the downloaded file is removed and the error says so.
  known.file = "w-bad.pth";
  known.sha256_prefix = "00000000";
  EXPECT_THROW(weights::resolve_known(known, o), std::runtime_error);
  EXPECT_FALSE(fs::exists(cache.path() / "w-bad.pth"));
  // A missing file on the server (HTTP 404).
  known.url += ".missing";
  try {
    weights::resolve_known(known, o);
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("404"), std::string::npos) << e.what();
  }
  server.stop();
  serving.join();
}

}  // namespace
}  // namespace tlab::test
