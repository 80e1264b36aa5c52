// `tlab probe` on real data and real weights: a linear probe of the shared ImageNet MobileNetV2's
// pooled features on hymenoptera. ../shared/weights/README.md: PyTorch's probe reaches 0.954.
#include <nlohmann/json.hpp>

#include "../test_util.h"

namespace tlab::test {
namespace {

TEST(Probe, HymenopteraWithPretrainedMobileNetV2) {
  TempDir dir;
  const std::string shared = shared_dir();
  const int rc = run_command(std::string(TLAB_CLI_PATH) + " probe --model mobilenet_v2 --weights " + shared +
                             "/weights/mobilenet_v2-imagenet-folded.pth --data " + shared +
                             "/datasets/hymenoptera --out " + dir.str("run") + " > " + dir.str("log.txt") + " 2>&1");
  ASSERT_EQ(rc, 0) << read_text(dir.str("log.txt"));
  const auto m = nlohmann::json::parse(read_text(dir.str("run/metrics.json")));
  EXPECT_EQ(m["feature_dim"], 1280);
  EXPECT_EQ(m["train_samples"], 244);  // 245 files, one GIF skipped
  EXPECT_EQ(m["val"]["confusion_matrix"][0][0].get<int>() + m["val"]["confusion_matrix"][0][1].get<int>() +
                m["val"]["confusion_matrix"][1][0].get<int>() + m["val"]["confusion_matrix"][1][1].get<int>(),
            153);
  EXPECT_GE(m["val"]["accuracy"].get<double>(), 0.94) << read_text(dir.str("log.txt"));
}

}  // namespace
}  // namespace tlab::test
