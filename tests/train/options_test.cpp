// Run options as one part: one JSON round trip whose defaults are the struct's own, and one
// validate() that names the flag.
#include "tlab/train/options.h"

#include "../test_util.h"
#include "fixtures.h"

namespace tlab::test {
namespace {

train::RunOptions resolved(train::RunOptions o) {
  o.system.out = "runs/x";  // resolve_options would otherwise invent a timestamped one
  return train::resolve_options(o);
}

TEST(RunOptions, JsonRoundTripFromTheDefaults) {
  const train::RunOptions defaults = resolved({});
  const nlohmann::json j = train::to_json(defaults);
  EXPECT_EQ(train::to_json(train::run_options_from_json(j)), j);
  // The struct's own defaults, not restated ones: a config without a key gets the default.
  nlohmann::json older = j;
  older.erase("cache_mb");
  older.erase("augment");
  older.erase("feature_views");
  const auto read = train::run_options_from_json(older);
  EXPECT_EQ(read.system.cache_mb, 2048);
  EXPECT_EQ(read.recipe.augment, "none");
  EXPECT_EQ(read.strategy.feature_extract.views, 0);
  // Everything missing: the defaults, the recipe's included.
  const auto empty = train::run_options_from_json(nlohmann::json::object());
  EXPECT_EQ(empty.system.cache_mb, 2048);
  EXPECT_EQ(empty.recipe.optimizer.name, "adamw");
  EXPECT_DOUBLE_EQ(empty.recipe.optimizer.lr, 2e-3);
  EXPECT_EQ(empty.recipe.schedule.name, "cosine");
  EXPECT_EQ(empty.recipe.epochs, 10);
  EXPECT_EQ(empty.recipe.batch_size, 128);
  EXPECT_EQ(empty.data.spec, "fashion-mnist");
  EXPECT_FALSE(empty.recipe.augmentation.has_value());
  EXPECT_EQ(j["head"], "");  // no weights: the architecture's own classifier
}

TEST(RunOptions, JsonRoundTripKeepsAChangedValueInEverySubStruct) {
  train::RunOptions o;
  o.data.spec = "idx:/data";
  o.data.val_split = 0.25;
  o.data.test = "cifar10:/c";
  o.data.strict = true;
  o.model.name = "resnet18";
  o.model.weights = "w.pth";
  o.model.head = models::HeadOptions::parse("flatten,256,dropout=0.3");
  o.model.image_size = 96;
  o.strategy.name = "fine-tune";
  o.strategy.feature_extract.cache = false;
  o.strategy.feature_extract.views = 3;
  o.strategy.linear_probe.c = 0.5;
  o.strategy.fine_tune.unfreeze = "4";
  o.strategy.fine_tune.unfreeze_from = "layer3";
  o.strategy.fine_tune.head_epochs = 2;
  o.strategy.fine_tune.backbone_lr_scale = 0.1;
  o.strategy.fine_tune.layer_decay = 0.8;
  o.strategy.fine_tune.bn = "train";
  o.strategy.distill.temperature = 2;
  o.strategy.distill.alpha = 0.5;
  o.recipe.epochs = 7;
  o.recipe.optimizer.name = "sgd";
  o.recipe.optimizer.momentum = 0.8;
  o.recipe.optimizer.nesterov = true;
  o.recipe.schedule.name = "step";
  o.recipe.schedule.step_size = 3;
  o.recipe.label_smoothing = 0.05;
  o.recipe.seed = 42;
  o.recipe.batch_size = 12;
  o.recipe.eval_batch_size = 34;
  o.recipe.augment = "keras";
  o.system.device = "cpu";
  o.system.threads = 1;
  o.system.workers = 0;
  o.system.cache_mb = 17;
  o.system.out = "runs/changed";
  o = train::resolve_options(o);
  const auto back = train::run_options_from_json(train::to_json(o));
  EXPECT_EQ(train::to_json(back), train::to_json(o));
  EXPECT_EQ(back.system.cache_mb, 17);  // what a resumed run used to lose
  EXPECT_EQ(back.system.workers, 0);
  EXPECT_EQ(back.data.test, "cifar10:/c");
  EXPECT_TRUE(back.data.strict);
  ASSERT_TRUE(back.model.head.has_value());
  EXPECT_EQ(back.model.head->str(), "flatten,256,dropout=0.3");
  EXPECT_EQ(back.strategy.fine_tune.unfreeze_from, "layer3");
  EXPECT_EQ(back.strategy.fine_tune.bn, "train");
  EXPECT_DOUBLE_EQ(back.strategy.linear_probe.c, 0.5);
  EXPECT_TRUE(back.recipe.optimizer.nesterov);
  EXPECT_EQ(back.recipe.schedule.step_size, 3);
  EXPECT_EQ(back.recipe.seed, 42u);
  EXPECT_EQ(back.recipe.eval_batch_size, 34);
  ASSERT_TRUE(back.recipe.augmentation.has_value());
  EXPECT_EQ(back.recipe.augmentation->to_json(), transforms::Augmentation::preset("keras").to_json());
  // A value of the wrong type names its key.
  nlohmann::json bad = train::to_json(o);
  bad["cache_mb"] = "lots";
  expect_invalid([&] { train::run_options_from_json(bad); }, "cache_mb");
  bad = train::to_json(o);
  bad["optimizer"]["lr"] = "fast";
  expect_invalid([&] { train::run_options_from_json(bad); }, "optimizer.lr");
}

TEST(RunOptions, ResolveFillsTheDefaultsThatDependOnOtherOptions) {
  train::RunOptions o;
  o.model.weights = "none";
  EXPECT_TRUE(train::resolve_options(o).model.weights.empty());
  o.model.name = "mobilenet_v2";
  o.model.weights = "w.pth";
  o.strategy.name = "fine-tune";
  o.recipe.epochs = 9;
  const auto r = train::resolve_options(o);
  ASSERT_TRUE(r.model.head.has_value());
  EXPECT_EQ(r.model.head->str(), "gap");
  EXPECT_EQ(r.strategy.fine_tune.head_epochs, 2);  // 9 / 4
  EXPECT_EQ(r.system.out.rfind("runs/mobilenet_v2-", 0), 0u) << r.system.out;
  ASSERT_TRUE(r.recipe.augmentation.has_value());
  EXPECT_TRUE(r.recipe.augmentation->empty());
}

TEST(RunOptions, ValidateNamesTheFlag) {
  auto expect_flag = [](const std::function<void(train::RunOptions&)>& change, const std::string& flag) {
    train::RunOptions o;
    change(o);
    expect_invalid([&] { resolved(o); }, flag);
  };
  expect_flag([](auto& o) { o.recipe.batch_size = 0; }, "--batch-size");
  expect_flag([](auto& o) { o.recipe.eval_batch_size = 0; }, "--eval-batch-size");  // not --batch-size
  expect_flag([](auto& o) { o.recipe.epochs = 0; }, "--epochs");
  expect_flag([](auto& o) { o.recipe.label_smoothing = 1; }, "--label-smoothing");
  expect_flag([](auto& o) { o.recipe.optimizer.name = "rmsprop"; }, "--optimizer");
  expect_flag([](auto& o) { o.recipe.schedule.name = "wavy"; }, "--schedule");
  expect_flag([](auto& o) { o.recipe.augment = "sideways"; }, "sideways");
  expect_flag([](auto& o) { o.data.val_split = 1; }, "--val-split");
  expect_flag([](auto& o) { o.data.test_split = -0.1; }, "--test-split");
  expect_flag([](auto& o) { o.model.name = "nosuchnet"; }, "known models");
  expect_flag([](auto& o) { o.model.image_size = -1; }, "--image-size");
  expect_flag([](auto& o) { o.system.device = "tpu"; }, "--device");
  expect_flag([](auto& o) { o.system.threads = -1; }, "--threads");
  expect_flag([](auto& o) { o.system.workers = -1; }, "--workers");
  expect_flag([](auto& o) { o.system.cache_mb = -1; }, "--cache-mb");
  expect_flag([](auto& o) { o.strategy.name = "sideways"; }, "--strategy");
  expect_flag([](auto& o) { o.strategy.name = "feature-extract"; }, "--weights");
  expect_flag([](auto& o) { o.strategy.distill.teacher = "runs/t"; }, "--teacher is for --strategy distill");
  expect_flag([](auto& o) { o.strategy.name = "distill"; }, "--teacher");
  expect_flag(
      [](auto& o) {
        o.model.weights = "w.pth";
        o.strategy.name = "linear-probe";
        o.model.head = models::HeadOptions::parse("gap,64");
      },
      "--head must be gap");
  expect_flag(
      [](auto& o) {
        o.model.weights = "w.pth";
        o.strategy.name = "linear-probe";
        o.recipe.augment = "light";
      },
      "--augment");
  expect_flag(
      [](auto& o) {
        o.model.weights = "w.pth";
        o.strategy.name = "linear-probe";
        o.strategy.linear_probe.c = 0;
      },
      "--probe-c");
}

}  // namespace
}  // namespace tlab::test
