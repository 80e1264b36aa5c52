// Strategies through their interface, on splits already open in memory: a trained model and its
// records come back, and no file is written.
#include "tlab/train/strategy.h"

#include "../test_util.h"
#include "fixtures.h"
#include "tlab/data/spec.h"
#include "tlab/data/stats.h"
#include "tlab/eval/metrics.h"
#include "tlab/models/transfer.h"

namespace tlab::test {
namespace {

size_t files_in(const fs::path& dir) {
  size_t n = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

struct InMemorySplits {
  data::DatasetPtr train, val, test;
};

// The bar data set, opened and split in memory (its files are read once, then deleted).
InMemorySplits bar_splits() {
  TempDir dir;
  write_bar_dataset(dir.str());
  const data::Splits s = data::open_splits("idx:" + dir.str(), "", 0.2, "", 0.0, 3);
  return {s.train, s.val, s.test};
}

TEST(Strategy, ScratchOnInMemorySplitsWritesNothing) {
  const InMemorySplits splits = bar_splits();
  TempDir scratch;  // where a strategy might spill; it must stay empty
  train::RunOptions o;
  o.system.out = scratch.str("never");
  o.recipe.epochs = 3;
  o.recipe.batch_size = 16;
  o.recipe.optimizer.name = "sgd";
  o.recipe.optimizer.lr = 0.05;
  o.recipe.seed = 3;
  o.system.threads = 1;
  o = train::resolve_options(o);

  train::StrategyInput in;
  in.options = &o;
  in.train = splits.train;
  in.val = splits.val;
  in.test = splits.test;
  in.input.channels = 1;
  in.input.height = in.input.width = 12;
  std::tie(in.input.mean, in.input.std) = data::estimate_mean_std(*splits.train, 1, 2000, 3);
  in.augmentation = std::make_shared<const transforms::Augmentation>(*o.recipe.augmentation);
  in.scratch_dir = scratch.str();
  torch::manual_seed(3);
  in.model = models::create_model("simple_cnn", {3, 1, 12, 12});
  std::vector<int> epochs_seen;
  in.callbacks.on_epoch = [&](const train::EpochRecord& r) { epochs_seen.push_back(r.epoch); };

  const auto strategy = train::make_strategy("scratch");
  EXPECT_EQ(strategy->name(), "scratch");
  const train::Trained t = strategy->train(in);
  ASSERT_EQ(t.epochs.size(), 3u);
  EXPECT_EQ(epochs_seen, (std::vector<int>{1, 2, 3}));
  for (const auto& r : t.epochs) EXPECT_TRUE(r.val_accuracy.has_value());
  EXPECT_EQ(t.state.epoch, 3);
  EXPECT_GE(t.state.best_epoch, 1);
  EXPECT_DOUBLE_EQ(t.state.best_val_accuracy, *t.epochs[size_t(t.state.best_epoch - 1)].val_accuracy);
  ASSERT_TRUE(t.eval_batches.count("val") && t.eval_batches.count("test"));
  // The model holds the best epoch's weights: evaluating it again gives that epoch's accuracy.
  const auto val = eval::evaluate(*t.model, t.forward, *t.eval_batches.at("val"), torch::kCPU);
  EXPECT_DOUBLE_EQ(val.accuracy, t.state.best_val_accuracy);
  const auto test = eval::evaluate(*t.model, t.forward, *t.eval_batches.at("test"), torch::kCPU);
  EXPECT_GT(test.accuracy, 0.9);
  EXPECT_EQ(files_in(scratch.path()), 0u);
  EXPECT_FALSE(fs::exists(scratch.str("never")));
}

TEST(Strategy, LinearProbeOnInMemorySplitsReportsItsPhasesAndWritesNothing) {
  const InMemorySplits splits = bar_splits();
  TempDir scratch;
  train::RunOptions o;
  o.model.name = "simple_cnn";
  o.model.weights = "unused.pth";  // the backbone below is built directly
  o.strategy.name = "linear-probe";
  o.system.out = scratch.str("never");
  o.system.threads = 1;
  o.system.cache_mb = 0;  // every split's features spill to a mapped file in scratch_dir, unlinked once mapped
  o = train::resolve_options(o);

  train::StrategyInput in;
  in.options = &o;
  in.train = splits.train;
  in.val = splits.val;
  in.input.channels = 1;
  in.input.height = in.input.width = 12;
  in.augmentation = std::make_shared<const transforms::Augmentation>();
  in.scratch_dir = scratch.str();
  torch::manual_seed(0);
  models::ModelOptions mo{3, 1, 12, 12, /*include_top=*/false};
  in.model = std::make_shared<models::TransferModel>(models::create_model("simple_cnn", mo),
                                                     models::ModelOptions{3, 1, 12, 12, true, models::HeadOptions{}});
  std::vector<std::string> phases;
  in.callbacks.on_progress = [&](const Progress& p) {
    if (phases.empty() || phases.back() != p.phase) phases.push_back(p.phase);
  };
  const train::Trained t = train::make_strategy("linear-probe")->train(in);
  ASSERT_EQ(t.epochs.size(), 1u);
  const auto record = t.epochs[0].to_json();
  EXPECT_EQ(record["train_samples"], 192);
  EXPECT_TRUE(record["lr"].is_null());
  EXPECT_TRUE(record["val_accuracy"].is_number());
  EXPECT_GT(record["lbfgs_evaluations"].get<int>(), 0);
  EXPECT_EQ(phases, (std::vector<std::string>{"features train", "features val", "linear probe"}));
  EXPECT_EQ(files_in(scratch.path()), 0u);  // spilled features were unlinked once mapped
}

TEST(Strategy, UnknownNamesListTheKnownOnes) {
  expect_invalid([] { train::make_strategy("sideways"); }, "scratch, linear-probe, feature-extract, fine-tune, distill or classical");
  EXPECT_FALSE(train::make_strategy("linear-probe")->resumable());
  EXPECT_TRUE(train::make_strategy("fine-tune")->needs_weights());
  EXPECT_FALSE(train::make_strategy("distill")->needs_weights());
  EXPECT_FALSE(train::make_strategy("classical")->resumable());
  EXPECT_FALSE(train::make_strategy("classical")->trains_on_backbone_features(train::RunOptions{}));
}

}  // namespace
}  // namespace tlab::test
