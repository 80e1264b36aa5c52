#include "tlab/train/run.h"

#include <nlohmann/json.hpp>

#include <functional>

#include "../test_util.h"
#include "fixtures.h"
#include "tlab/core/io.h"
#include "tlab/models/checkpoint.h"

namespace tlab::test {
namespace {

train::RunOptions tiny_run(const std::string& data_dir, const std::string& out) {
  train::RunOptions o;
  o.data.spec = "idx:" + data_dir;
  o.data.val_split = 0.2;
  o.recipe.batch_size = 16;
  o.recipe.epochs = 3;
  o.recipe.optimizer.name = "sgd";
  o.recipe.optimizer.lr = 0.05;
  o.recipe.schedule.name = "cosine";
  o.recipe.schedule.warmup_epochs = 0.5;
  o.recipe.seed = 3;
  o.system.device = "cpu";
  o.system.threads = 1;
  o.system.workers = 2;
  o.system.out = out;
  return o;
}

TEST(Run, WritesTheRunDirectoryContract) {
  TempDir dir;
  write_bar_dataset(dir.str("data"));
  auto r = train::run_training(tiny_run(dir.str("data"), dir.str("run")));
  for (const char* f : {"config.json", "metrics.jsonl", "metrics.json", "classes.txt", "checkpoints/best.pt",
                        "checkpoints/last.pt"})
    EXPECT_TRUE(fs::is_regular_file(dir.path() / "run" / f)) << f;
  const auto lines = metrics_lines(dir.str("run"));
  ASSERT_EQ(lines.size(), 3u);
  for (const char* key : {"epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", "seconds",
                          "images_per_second"})
    EXPECT_TRUE(lines[0].contains(key)) << key;
  const auto metrics = nlohmann::json::parse(read_text(dir.str("run/metrics.json")));
  ASSERT_TRUE(metrics.contains("val") && metrics.contains("test"));
  EXPECT_GT(metrics["test"]["accuracy"].get<double>(), 0.9);  // the bars are easy to learn
  EXPECT_EQ(metrics["test"]["confusion_matrix"].size(), 3u);
  EXPECT_EQ(metrics["test"]["per_class"].size(), 3u);
  EXPECT_FALSE(metrics["test"].contains("top5_accuracy"));  // only 3 classes
  const auto config = nlohmann::json::parse(read_text(dir.str("run/config.json")));
  EXPECT_EQ(config["seed"], 3);
  EXPECT_EQ(config["data_info"]["train"]["samples"], 192);
  EXPECT_EQ(config["data_info"]["val"]["samples"], 48);
  EXPECT_EQ(read_text(dir.str("run/classes.txt")), "0\n1\n2\n");
  // A second run into the same directory is refused rather than overwriting it.
  EXPECT_THROW(train::run_training(tiny_run(dir.str("data"), dir.str("run"))), std::invalid_argument);
}

TEST(Run, SameSeedSameMetrics) {
  TempDir dir;
  write_bar_dataset(dir.str("data"));
  train::run_training(tiny_run(dir.str("data"), dir.str("a")));
  train::run_training(tiny_run(dir.str("data"), dir.str("b")));
  const auto a = metrics_lines(dir.str("a")), b = metrics_lines(dir.str("b"));
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i]["train_loss"], b[i]["train_loss"]);
    EXPECT_EQ(a[i]["val_loss"], b[i]["val_loss"]);
    EXPECT_EQ(a[i]["val_accuracy"], b[i]["val_accuracy"]);
  }
}

struct Interrupted : std::runtime_error {
  Interrupted() : std::runtime_error("simulated kill") {}
};

// Interrupts a run after its first epoch, resumes it, and compares it with the same run uninterrupted.
void expect_resume_matches(const std::function<void(train::RunOptions&)>& tweak) {
  TempDir dir;
  write_bar_dataset(dir.str("data"));
  auto run = [&](const std::string& out) {
    auto o = tiny_run(dir.str("data"), dir.str(out));
    tweak(o);
    return o;
  };
  train::run_training(run("full"));

  train::TrainCallbacks kill_after_first;
  kill_after_first.on_epoch = [](const train::EpochRecord& r) {
    if (r.epoch == 1) throw Interrupted();
  };
  EXPECT_THROW(train::run_training(run("cut"), kill_after_first), Interrupted);
  ASSERT_EQ(metrics_lines(dir.str("cut")).size(), 1u);
  ASSERT_FALSE(fs::exists(dir.path() / "cut" / "metrics.json"));

  train::resume_training(dir.str("cut"));
  const auto full = metrics_lines(dir.str("full")), resumed = metrics_lines(dir.str("cut"));
  ASSERT_EQ(resumed.size(), full.size());
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_NEAR(resumed[i]["train_loss"].get<double>(), full[i]["train_loss"].get<double>(), 1e-5) << i;
    EXPECT_NEAR(resumed[i]["val_loss"].get<double>(), full[i]["val_loss"].get<double>(), 1e-5) << i;
    EXPECT_NEAR(resumed[i]["lr"].get<double>(), full[i]["lr"].get<double>(), 1e-12) << i;
  }
  // Same final weights.
  auto a = models::load_model_from_checkpoint(dir.str("full/checkpoints/last.pt"), torch::kCPU);
  auto b = models::load_model_from_checkpoint(dir.str("cut/checkpoints/last.pt"), torch::kCPU);
  auto pa = a->parameters(), pb = b->parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (size_t i = 0; i < pa.size(); ++i) EXPECT_TRUE(torch::allclose(pa[i], pb[i], 1e-5, 1e-6)) << i;
  const auto mf = nlohmann::json::parse(read_text(dir.str("full/metrics.json")));
  const auto mr = nlohmann::json::parse(read_text(dir.str("cut/metrics.json")));
  EXPECT_NEAR(mf["test"]["loss"].get<double>(), mr["test"]["loss"].get<double>(), 1e-5);
  EXPECT_EQ(mf["test"]["accuracy"], mr["test"]["accuracy"]);
}

TEST(Run, ResumeEndsWhereAnUninterruptedRunEnds) {
  expect_resume_matches([](train::RunOptions&) {});
}

// The weight average and the monitor's state travel in last.pt: a resumed run continues both.
TEST(Run, ResumeWithEmaOneCycleAndEarlyStoppingEndsWhereAnUninterruptedRunEnds) {
  expect_resume_matches([](train::RunOptions& o) {
    o.recipe.ema_decay = 0.9;
    o.recipe.schedule.name = "onecycle";
    o.recipe.early_stopping = {"val_loss", 5, 0.0};
  });
}

TEST(Checkpoint, SaveLoadGivesTheSameOutputs) {
  TempDir dir;
  torch::manual_seed(1);
  auto model = models::create_model("simple_cnn", {4, 3, 20, 20});
  const nlohmann::json meta = {{"model", "simple_cnn"},
                               {"model_options", {{"num_classes", 4}, {"in_channels", 3}, {"height", 20}, {"width", 20}}},
                               {"input", transforms::to_json({3, 20, 20, {}, {}})},
                               {"classes", {"a", "b", "c", "d"}}};
  models::save_checkpoint(dir.str("m.pt"), *model, nullptr, meta);
  auto loaded = models::load_model_from_checkpoint(dir.str("m.pt"), torch::kCPU);
  model->eval();
  auto x = torch::randn({2, 3, 20, 20});
  // Same weights; the loaded model is ready for inference (channels-last), so outputs agree up to
  // float summation order.
  const auto original = model->named_parameters();
  for (const auto& p : loaded->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), original[p.key()])) << p.key();
  EXPECT_TRUE(torch::allclose(model->forward(x), loaded->forward(x), 1e-5, 1e-6));
  EXPECT_EQ(models::read_checkpoint_meta(dir.str("m.pt"))["classes"][3], "d");
  // No temporary file is left behind by the atomic write.
  int files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(Checkpoint, BadFilesAreClearErrors) {
  TempDir dir;
  write_bytes(dir.str("empty.pt"), "");
  write_bytes(dir.str("text.pt"), "this is not a checkpoint");
  for (const char* f : {"empty.pt", "text.pt", "missing.pt"}) {
    try {
      models::load_model_from_checkpoint(dir.str(f), torch::kCPU);
      FAIL() << f;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(f), std::string::npos) << e.what();
    }
  }
  // A checkpoint of another shape cannot be loaded into a model.
  auto small = models::create_model("simple_cnn", {2, 1, 12, 12});
  models::save_checkpoint(dir.str("small.pt"), *small, nullptr, {{"x", 1}});
  auto big = models::create_model("simple_cnn", {5, 1, 12, 12});
  EXPECT_THROW(models::load_checkpoint(dir.str("small.pt"), *big, nullptr, torch::kCPU), std::runtime_error);
}

}  // namespace
}  // namespace tlab::test
