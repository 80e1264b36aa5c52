// `tlab train --strategy linear-probe` on real data and real weights: a linear probe of the shared ImageNet MobileNetV2's
// pooled features on hymenoptera. ../shared/weights/README.md: PyTorch's probe reaches 0.954.
#include <nlohmann/json.hpp>

#include <iomanip>
#include <sstream>

#include "../test_util.h"

namespace tlab::test {
namespace {

TEST(Probe, HymenopteraWithPretrainedMobileNetV2) {
  TempDir dir;
  const std::string shared = shared_dir();
  const int rc = run_command(std::string(TLAB_CLI_PATH) + " train --strategy linear-probe --model mobilenet_v2 --weights " + shared +
                             "/weights/mobilenet_v2-imagenet-folded.pth --data " + shared +
                             "/datasets/hymenoptera --out " + dir.str("run") + " > " + dir.str("log.txt") + " 2>&1");
  ASSERT_EQ(rc, 0) << read_text(dir.str("log.txt"));
  const auto m = nlohmann::json::parse(read_text(dir.str("run/metrics.json")));
  const auto fit = nlohmann::json::parse(read_text(dir.str("run/metrics.jsonl")));
  EXPECT_EQ(fit["feature_dim"], 1280);
  EXPECT_EQ(fit["train_samples"], 244);  // 245 files, one GIF skipped
  EXPECT_EQ(m["val"]["confusion_matrix"][0][0].get<int>() + m["val"]["confusion_matrix"][0][1].get<int>() +
                m["val"]["confusion_matrix"][1][0].get<int>() + m["val"]["confusion_matrix"][1][1].get<int>(),
            153);
  EXPECT_GE(m["val"]["accuracy"].get<double>(), 0.94) << read_text(dir.str("log.txt"));

  // The probe is folded into the model's linear head: the checkpoint predicts like any other.
  const int eval_rc = run_command(std::string(TLAB_CLI_PATH) + " eval --checkpoint " + dir.str("run/checkpoints/best.pt") +
                                  " --data " + shared + "/datasets/hymenoptera > " + dir.str("eval.txt") + " 2>&1");
  ASSERT_EQ(eval_rc, 0) << read_text(dir.str("eval.txt"));
  std::ostringstream acc;
  acc << std::fixed << std::setprecision(4) << m["val"]["accuracy"].get<double>();
  EXPECT_NE(read_text(dir.str("eval.txt")).find(acc.str()), std::string::npos) << read_text(dir.str("eval.txt"));

  // Bad input at the command line: clear errors, exit code 2 for usage, 1 for data.
  const std::string base = std::string(TLAB_CLI_PATH) + " train --strategy linear-probe --model mobilenet_v2 --data " +
                           shared + "/datasets/hymenoptera --out " + dir.str("bad");
  EXPECT_NE(run_command(base + " --weights " + dir.str("missing.pth") + " > " + dir.str("bad1.txt") + " 2>&1"), 0);
  EXPECT_NE(read_text(dir.str("bad1.txt")).find("missing.pth"), std::string::npos) << read_text(dir.str("bad1.txt"));
  EXPECT_NE(run_command(base + " --weights " + shared + "/weights/mobilenet_v2-imagenet-folded.pth --probe-c 0 > " +
                        dir.str("bad2.txt") + " 2>&1"),
            0);
  EXPECT_NE(read_text(dir.str("bad2.txt")).find("--probe-c"), std::string::npos) << read_text(dir.str("bad2.txt"));
}

}  // namespace
}  // namespace tlab::test
