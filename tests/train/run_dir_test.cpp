// The run directory: the contract's files, atomic checkpoints, and resume trimming.
#include "tlab/train/run_dir.h"

#include "../test_util.h"
#include "fixtures.h"
#include "tlab/core/io.h"
#include "tlab/models/checkpoint.h"

namespace tlab::test {
namespace {

struct Tiny : torch::nn::Module {
  torch::nn::Linear fc{nullptr};
  Tiny() { fc = register_module("fc", torch::nn::Linear(2, 2)); }
};

train::EpochRecord record(int epoch) {
  train::EpochRecord r;
  r.epoch = epoch;
  r.train_loss = 1.0 / epoch;
  r.val_accuracy = 0.5 + 0.1 * epoch;
  r.val_loss = 0.3;
  r.lr = 0.01;
  return r;
}

TEST(RunDir, ResumeTrimsTheRecordsOfAnInterruptedEpoch) {
  TempDir dir;
  auto run = train::RunDir::create(dir.str("run"), {{"seed", 1}}, {"a", "b"}, {{"model", "tiny"}});
  EXPECT_EQ(read_text(dir.str("run/classes.txt")), "a\nb\n");
  EXPECT_EQ(nlohmann::json::parse(read_text(dir.str("run/config.json")))["seed"], 1);
  Tiny model;
  torch::optim::SGD optimizer(model.parameters(), 0.1);
  train::TrainerState state;
  for (int e = 1; e <= 2; ++e) {
    state = {e, e, 0.5 + 0.1 * e};
    run.save_epoch(record(e), state, model, &optimizer, /*best=*/true, {});
  }
  const auto saved = model.fc->weight.clone();
  // Epoch 3's record reached metrics.jsonl, then the run was killed before its checkpoints.
  append_line(dir.str("run/metrics.jsonl"), record(3).to_json().dump());
  ASSERT_EQ(metrics_lines(dir.str("run")).size(), 3u);
  EXPECT_THROW(train::RunDir::check_new(dir.str("run")), std::invalid_argument);  // it holds a run

  auto reopened = train::RunDir::open(dir.str("run"));
  EXPECT_EQ(reopened.config()["seed"], 1);
  EXPECT_EQ(reopened.checkpoint_meta()["epoch"], 2);
  Tiny fresh;
  torch::optim::SGD fresh_optimizer(fresh.parameters(), 0.1);
  const train::TrainerState restored = reopened.load_last(fresh, fresh_optimizer, nullptr);
  EXPECT_EQ(restored.epoch, 2);
  EXPECT_EQ(restored.best_epoch, 2);
  EXPECT_DOUBLE_EQ(restored.best_val_accuracy, 0.7);
  EXPECT_TRUE(torch::equal(fresh.fc->weight, saved));
  const auto lines = metrics_lines(dir.str("run"));
  ASSERT_EQ(lines.size(), 2u);  // epoch 3's line is gone
  EXPECT_EQ(lines[1]["epoch"], 2);
  EXPECT_EQ(lines[1]["lr"], 0.01);

  // The run's best checkpoint is what --checkpoint and --teacher take for a run directory.
  EXPECT_EQ(train::RunDir::checkpoint_of(dir.str("run"), "--checkpoint"), reopened.best_checkpoint());
  EXPECT_EQ(models::read_checkpoint_meta(reopened.best_checkpoint())["best_epoch"], 2);
  const auto metrics = reopened.write_metrics({{"val", {{"accuracy", 0.7}}}}, 2);
  EXPECT_EQ(nlohmann::json::parse(read_text(dir.str("run/metrics.json"))), metrics);
  EXPECT_EQ(metrics["checkpoint"]["epoch"], 2);
  expect_invalid([&] { train::RunDir::checkpoint_of(dir.str("nowhere"), "--checkpoint"); }, "--checkpoint");
  expect_invalid([&] { train::RunDir::open(dir.str("nowhere")); }, "--resume");
  // No temporary file is left behind by the atomic writes.
  for (const auto& e : fs::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(e.path().string().find(".tmp"), std::string::npos) << e.path();
}

}  // namespace
}  // namespace tlab::test
