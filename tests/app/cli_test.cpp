// The tlab command line, run as a user would: exit codes, messages, and train -> eval -> predict.
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "../test_util.h"
#include "../train/fixtures.h"

namespace tlab::test {
namespace {

struct CliResult {
  int code;
  std::string output;  // stdout and stderr together
};

CliResult tlab(const std::string& args, const TempDir& dir) {
  const std::string log = dir.str("cli.log");
  const int code = run_command(std::string(TLAB_CLI_PATH) + " " + args + " > " + log + " 2>&1");
  return {code, read_text(log)};
}

TEST(Cli, BadFlagsAreUsageErrors) {
  TempDir dir;
  auto r = tlab("train --optimizer rmsprop --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--optimizer: expected sgd, adam or adamw, got 'rmsprop'"), std::string::npos) << r.output;
  r = tlab("train --model nosuchnet --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("known models: simple_cnn"), std::string::npos) << r.output;
  r = tlab("train --epochs banana", dir);
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.code, 2) << r.output;  // a flag CLI11 cannot parse is a usage error too
  r = tlab("train --head gap,wide --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--head 'gap,wide'"), std::string::npos) << r.output;
  r = tlab("train --eval-batch-size 0 --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("--eval-batch-size"), std::string::npos) << r.output;
  r = tlab("train --device tpu --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--device"), std::string::npos) << r.output;
  r = tlab("train --val-split 1.5 --data idx:" + dir.str() + " --out " + dir.str("x"), dir);
  EXPECT_NE(r.code, 0);
  r = tlab("train --data idx:" + dir.str("missing") + " --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("does not exist"), std::string::npos) << r.output;
  r = tlab("train --cache-mb -1 --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--cache-mb"), std::string::npos) << r.output;
  r = tlab("train --test-split 1 --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--test-split"), std::string::npos) << r.output;
  r = tlab("train --strategy fine-tune --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("--weights"), std::string::npos) << r.output;
  r = tlab("compare --strategies scratch,distill --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("list fine-tune before it"), std::string::npos) << r.output;
  r = tlab("compare --strategies scratch,sideways --out " + dir.str("x"), dir);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.output.find("unknown 'sideways'"), std::string::npos) << r.output;
  r = tlab("eval --checkpoint " + dir.str("none.pt") + " --data fashion-mnist", dir);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find("none.pt"), std::string::npos) << r.output;
}

TEST(Cli, SummaryPrintsTheTable) {
  TempDir dir;
  auto r = tlab("summary --model simple_cnn --channels 1 --image-size 28", dir);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.output.find("fc1 (Linear)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("Total params: 121,930"), std::string::npos) << r.output;
}

TEST(Cli, TrainEvalPredictResume) {
  TempDir dir;
  write_bar_dataset(dir.str("data"));
  auto r = tlab("train --data idx:" + dir.str("data") + " --epochs 2 --batch-size 16 --optimizer sgd --lr 0.05 --threads 1 --seed 1 --out " +
                    dir.str("run"),
                dir);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("weighted avg"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("epoch 2"), std::string::npos) << r.output;  // plain lines: stdout is a file

  r = tlab("eval --checkpoint " + dir.str("run/checkpoints/best.pt") + " --data idx:" + dir.str("data") + " --out " +
               dir.str("eval"),
           dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto metrics = nlohmann::json::parse(read_text(dir.str("eval/metrics.json")));
  const auto run_metrics = nlohmann::json::parse(read_text(dir.str("run/metrics.json")));
  EXPECT_NEAR(metrics["test"]["accuracy"].get<double>(), run_metrics["test"]["accuracy"].get<double>(), 1e-12);
  // A run directory stands for its best checkpoint.
  r = tlab("eval --checkpoint " + dir.str("run") + " --data idx:" + dir.str("data"), dir);
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("checkpoints/best.pt"), std::string::npos) << r.output;

  // a class-1 image: bright bar on rows 6..8
  cv::Mat img(12, 12, CV_8UC1, cv::Scalar(30));
  img.rowRange(6, 9).setTo(210);
  cv::imwrite(dir.str("bar.png"), img);
  r = tlab("predict --checkpoint " + dir.str("run/checkpoints/best.pt") + " --topk 2 --json " + dir.str("bar.png"), dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto pred = nlohmann::json::parse(r.output);
  ASSERT_EQ(pred[0]["top"].size(), 2u);
  EXPECT_EQ(pred[0]["top"][0]["class"], "1");
  r = tlab("predict --checkpoint " + dir.str("run/checkpoints/best.pt") + " " + dir.str("nothing.png"), dir);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.output.find("nothing.png"), std::string::npos) << r.output;

  // A finished run resumes to the same end without training further.
  r = tlab("train --resume " + dir.str("run"), dir);
  EXPECT_EQ(r.code, 0) << r.output;
  r = tlab("train --resume " + dir.str("nowhere"), dir);
  EXPECT_EQ(r.code, 2) << r.output;
}

// A tiny image folder: 2 classes of 20x16 colour PNGs (class 0 dark with a bright left edge, class 1 bright).
void write_png_folder(const std::string& dir, int per_class) {
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < per_class; ++i) {
      cv::Mat img(16, 20, CV_8UC3, cv::Scalar::all(c == 0 ? 40 + i : 200 - i));
      if (c == 0) img.colRange(0, 4).setTo(cv::Scalar(250, 250, 250));
      fs::create_directories(dir + "/class" + std::to_string(c));
      cv::imwrite(dir + "/class" + std::to_string(c) + "/" + std::to_string(i) + ".png", img);
    }
}

TEST(Cli, AugmentPreviewWritesTheGrid) {
  TempDir dir;
  write_png_folder(dir.str("imgs"), 4);
  auto r = tlab("augment-preview --data " + dir.str("imgs") + " --augment keras --count 2 --views 3 --image-size 16 --out " +
                    dir.str("grid.png"),
                dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const cv::Mat grid = cv::imread(dir.str("grid.png"));
  // 16 px cells zoomed x6 to >= 96 px, 2 px gutters: 2 rows, 1 + 3 columns.
  EXPECT_EQ(grid.rows, 2 * (96 + 2) + 2);
  EXPECT_EQ(grid.cols, 4 * (96 + 2) + 2);
  r = tlab("augment-preview --data " + dir.str("imgs") + " --augment nosuch --out " + dir.str("g.png"), dir);
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("nosuch"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir.str("g.png")));
}

TEST(Cli, TrainWithAugmentationRecordsItAndResumesWithIt) {
  TempDir dir;
  write_png_folder(dir.str("imgs"), 12);
  auto r = tlab("train --data " + dir.str("imgs") + " --image-size 16 --augment strong --epochs 1 --batch-size 8 --threads 1 --out " +
                    dir.str("run"),
                dir);
  ASSERT_EQ(r.code, 0) << r.output;
  const auto config = nlohmann::json::parse(read_text(dir.str("run/config.json")));
  EXPECT_EQ(config["augment"], "strong");
  EXPECT_EQ(config["augmentation"]["mixup_alpha"], 0.2);
  EXPECT_EQ(config["augmentation"]["ops"][0]["op"], "random_resized_crop");
  EXPECT_EQ(config["cache_mb"], 2048);
  r = tlab("train --resume " + dir.str("run"), dir);
  EXPECT_EQ(r.code, 0) << r.output;
}

}  // namespace
}  // namespace tlab::test
