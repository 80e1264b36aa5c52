// Feature extraction end to end on a small image folder with the shared ImageNet MobileNetV2: the
// cached path equals recomputing the frozen backbone every epoch, and the backbone never changes.
#include <opencv2/imgcodecs.hpp>

#include "../test_util.h"
#include "fixtures.h"
#include "tlab/core/io.h"
#include "tlab/models/checkpoint.h"
#include "tlab/train/compare.h"
#include "tlab/train/run.h"
#include "tlab/weights/load.h"

namespace tlab::test {
namespace {

// 2 classes x 10 images of 96x96: class 0 reddish with a vertical bar, class 1 bluish with a horizontal one.
void write_folder(const std::string& dir) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> noise(0, 60);
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 10; ++i) {
      cv::Mat img(96, 96, CV_8UC3);
      for (int y = 0; y < 96; ++y)
        for (int x = 0; x < 96; ++x) {
          const bool bar = c == 0 ? (x / 16 == 2) : (y / 16 == 2);
          const int base = bar ? 220 : 60;
          img.at<cv::Vec3b>(y, x) = c == 0 ? cv::Vec3b(uchar(noise(rng)), uchar(noise(rng)), uchar(base))
                                           : cv::Vec3b(uchar(base), uchar(noise(rng)), uchar(noise(rng)));
        }
      fs::create_directories(dir + "/c" + std::to_string(c));
      cv::imwrite(dir + "/c" + std::to_string(c) + "/" + std::to_string(i) + ".png", img);
    }
}

train::RunOptions feature_extract(const std::string& data, const std::string& weights, const std::string& out) {
  train::RunOptions o;
  o.data.spec = data;
  o.model.name = "mobilenet_v2";
  o.model.weights = weights;
  o.strategy.name = "feature-extract";
  o.data.val_split = 0.3;
  o.recipe.batch_size = 4;
  o.recipe.epochs = 3;
  o.system.threads = 1;
  o.system.workers = 1;
  o.system.device = "cpu";
  o.system.out = out;
  return o;
}

TEST(FeatureExtract, CachedEqualsRecomputedAndTheBackboneStaysFrozen) {
  TempDir dir;
  const std::string weights = shared_dir() + "/weights/mobilenet_v2-imagenet-folded.pth";
  write_folder(dir.str("data"));
  auto cached = train::run_training(feature_extract(dir.str("data"), weights, dir.str("cached")));
  auto o = feature_extract(dir.str("data"), weights, dir.str("recomputed"));
  o.strategy.feature_extract.cache = false;
  auto recomputed = train::run_training(o);
  o = feature_extract(dir.str("data"), weights, dir.str("on-disk"));
  o.system.cache_mb = 0;  // every split's features go to a mapped file
  auto on_disk = train::run_training(o);
  EXPECT_EQ(cached.splits["val"].accuracy, on_disk.splits["val"].accuracy);
  EXPECT_NEAR(*cached.splits["val"].loss, *on_disk.splits["val"].loss, 1e-6);
  EXPECT_FALSE(fs::exists(dir.str("on-disk/features-train.f32")));  // unlinked once mapped

  // With augmentation: K augmented views cached, or (without --feature-views) the backbone every epoch.
  o = feature_extract(dir.str("data"), weights, dir.str("views"));
  o.recipe.augment = "light";
  o.strategy.feature_extract.views = 2;
  auto views = train::run_training(o);
  EXPECT_GE(views.splits["val"].accuracy, 0.8);
  EXPECT_EQ(nlohmann::json::parse(read_text(dir.str("views/config.json")))["feature_views"], 2);
  o.system.out = dir.str("mixed");
  o.recipe.augment = "strong";  // MixUp/CutMix cannot be cached per image
  EXPECT_THROW(train::run_training(o), std::invalid_argument);
  ASSERT_TRUE(cached.splits.count("val"));
  EXPECT_EQ(cached.splits["val"].accuracy, recomputed.splits["val"].accuracy);
  EXPECT_NEAR(*cached.splits["val"].loss, *recomputed.splits["val"].loss, 1e-4);
  EXPECT_GE(cached.splits["val"].accuracy, 0.8);  // an easy task for ImageNet features

  // The trained model's backbone equals the weights file, tensor for tensor.
  const auto file = weights::read_weights(weights);
  auto model = models::load_model_from_checkpoint(dir.str("cached/checkpoints/best.pt"), torch::kCPU);
  const auto params = model->named_parameters();
  int compared = 0;
  for (const auto& [key, tensor] : file) {
    if (key.rfind("classifier.", 0) == 0 || !params.contains("backbone." + key)) continue;
    EXPECT_TRUE(torch::equal(params["backbone." + key], tensor)) << key;
    ++compared;
  }
  EXPECT_GT(compared, 100);
  const auto config = nlohmann::json::parse(read_text(dir.str("cached/config.json")));
  EXPECT_EQ(config["strategy"], "feature-extract");
  EXPECT_EQ(config["head"], "gap");
  EXPECT_EQ(config["input"]["resize"], 256);  // the weights' preprocessing
}

TEST(FineTune, HeadWarmUpThenTheUnfrozenStagesAtALowerLearningRate) {
  TempDir dir;
  const std::string weights = shared_dir() + "/weights/mobilenet_v2-imagenet-folded.pth";
  write_folder(dir.str("data"));
  auto o = feature_extract(dir.str("data"), weights, dir.str("ft"));
  o.strategy.name = "fine-tune";
  o.strategy.fine_tune.unfreeze = "2";  // features.17 and features.18
  o.recipe.augment = "light";
  auto r = train::run_training(o);
  EXPECT_GE(r.splits["val"].accuracy, 0.8);
  const auto config = nlohmann::json::parse(read_text(dir.str("ft/config.json")));
  EXPECT_EQ(config["head_epochs"], 1);  // resolved: max(1, 3 / 4)
  EXPECT_EQ(config["bn"], "frozen");
  // Epoch 1 trains the head (1280 * 2 + 2 parameters); epochs 2-3 also the last two stages.
  std::vector<int64_t> trainable;
  for (const auto& record : metrics_lines(dir.str("ft"))) trainable.push_back(record["trainable_parameters"]);
  ASSERT_EQ(trainable.size(), 3u);
  EXPECT_EQ(trainable[0], 1280 * 2 + 2);
  EXPECT_GT(trainable[1], trainable[0]);
  EXPECT_EQ(trainable[2], trainable[1]);

  // The frozen stages equal the weights file; the unfrozen ones moved.
  std::map<std::string, torch::Tensor> file;
  for (const auto& [key, tensor] : weights::read_weights(weights)) file[key] = tensor;
  auto model = models::load_model_from_checkpoint(dir.str("ft/checkpoints/last.pt"), torch::kCPU);
  const auto params = model->named_parameters();
  EXPECT_TRUE(torch::equal(params["backbone.features.16.conv.0.0.weight"], file.at("features.16.conv.0.0.weight")));
  EXPECT_FALSE(torch::equal(params["backbone.features.17.conv.0.0.weight"], file.at("features.17.conv.0.0.weight")));
  EXPECT_FALSE(torch::equal(params["backbone.features.18.0.weight"], file.at("features.18.0.weight")));
}

TEST(FineTune, ResumesAcrossThePhaseBoundary) {
  TempDir dir;
  const std::string weights = shared_dir() + "/weights/mobilenet_v2-imagenet-folded.pth";
  write_folder(dir.str("data"));
  auto o = feature_extract(dir.str("data"), weights, dir.str("full"));
  o.strategy.name = "fine-tune";
  o.strategy.fine_tune.unfreeze = "3";
  o.model.image_size = 64;
  train::run_training(o);
  struct Interrupted {};
  train::TrainCallbacks stop_after_head_phase;
  stop_after_head_phase.on_epoch = [](const train::EpochRecord& r) {
    if (r.epoch == 1) throw Interrupted();
  };
  o.system.out = dir.str("cut");
  EXPECT_THROW(train::run_training(o, stop_after_head_phase), Interrupted);
  train::resume_training(dir.str("cut"));
  const auto full = metrics_lines(dir.str("full")), resumed = metrics_lines(dir.str("cut"));
  ASSERT_EQ(full.size(), 3u);
  ASSERT_EQ(resumed.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(resumed[i]["train_loss"].get<double>(), full[i]["train_loss"].get<double>(), 1e-5) << i;
    EXPECT_NEAR(resumed[i]["lr"].get<double>(), full[i]["lr"].get<double>(), 1e-12) << i;
    EXPECT_EQ(resumed[i]["trainable_parameters"], full[i]["trainable_parameters"]) << i;
  }
}

TEST(FineTune, BadFlagsAreClearErrors) {
  TempDir dir;
  const std::string weights = shared_dir() + "/weights/mobilenet_v2-imagenet-folded.pth";
  write_folder(dir.str("data"));
  auto o = feature_extract(dir.str("data"), weights, dir.str("bad"));
  o.strategy.name = "fine-tune";
  auto expect_error = [](const train::RunOptions& bad, const std::string& needle) {
    expect_invalid([&] { train::run_training(bad); }, needle);
  };
  auto bad = o;
  bad.strategy.fine_tune.unfreeze_from = "features.99";
  expect_error(bad, "features.18");  // the message lists the stages
  bad = o;
  bad.strategy.fine_tune.unfreeze = "0";
  expect_error(bad, "--unfreeze");
  bad.strategy.fine_tune.unfreeze = "two";
  expect_error(bad, "--unfreeze");
  bad = o;
  bad.strategy.fine_tune.head_epochs = 3;
  expect_error(bad, "--head-epochs");
  bad = o;
  bad.strategy.fine_tune.bn = "sometimes";
  expect_error(bad, "--bn");
  bad = o;
  bad.strategy.fine_tune.backbone_lr_scale = 0;
  expect_error(bad, "--backbone-lr-scale");
  bad = o;
  bad.strategy.fine_tune.layer_decay = 1.5;
  expect_error(bad, "--layer-decay");
  bad = o;
  bad.strategy.name = "feature-extract";
  bad.strategy.feature_extract.views = -1;
  expect_error(bad, "--feature-views");
}

TEST(Distill, AStudentLearnsFromACachedOrALiveTeacher) {
  TempDir dir;
  const std::string weights = shared_dir() + "/weights/mobilenet_v2-imagenet-folded.pth";
  write_folder(dir.str("data"));
  train::run_training(feature_extract(dir.str("data"), weights, dir.str("teacher")));
  train::RunOptions o;
  o.data.spec = dir.str("data");
  o.data.val_split = 0.3;
  o.model.name = "simple_cnn";
  o.model.image_size = 32;
  o.strategy.name = "distill";
  o.strategy.distill.teacher = dir.str("teacher");
  o.recipe.batch_size = 4;
  o.recipe.epochs = 4;
  o.system.threads = 1;
  o.system.workers = 1;
  o.system.device = "cpu";
  o.system.out = dir.str("cached");
  auto cached = train::run_training(o);  // no augmentation: the teacher's outputs are computed once
  EXPECT_GE(cached.splits["val"].accuracy, 0.8);
  const auto config = nlohmann::json::parse(read_text(dir.str("cached/config.json")));
  EXPECT_EQ(config["teacher"], dir.str("teacher"));
  EXPECT_EQ(config["input"]["height"], 32);  // the student's own input
  o.recipe.augment = "light";  // the teacher runs on each augmented batch, converted to its 224-px input
  o.system.out = dir.str("live");
  auto live = train::run_training(o);
  EXPECT_TRUE(std::isfinite(*live.splits["val"].loss));

  auto expect_error = [](const train::RunOptions& bad, const std::string& needle) {
    expect_invalid([&] { train::run_training(bad); }, needle);
  };
  auto bad = o;
  bad.system.out = dir.str("bad");
  bad.strategy.distill.teacher = "";
  expect_error(bad, "--teacher");
  bad.strategy.distill.teacher = dir.str("nowhere");
  expect_error(bad, "--teacher");
  bad.strategy.distill.teacher = "mobilenet_v2:" + weights;  // ImageNet's 1000 classes, not these 2
  expect_error(bad, "predicts 1000 classes");
  bad = o;
  bad.system.out = dir.str("bad");
  bad.strategy.distill.alpha = 1.5;
  expect_error(bad, "--alpha");
  bad.strategy.distill.alpha = 0.9;
  bad.strategy.distill.temperature = 0;
  expect_error(bad, "--temperature");
}

TEST(Compare, EveryStrategyOnTheSameSplitInOneTable) {
  TempDir dir;
  write_folder(dir.str("data"));
  train::CompareOptions c;
  c.base = feature_extract(dir.str("data"), shared_dir() + "/weights/mobilenet_v2-imagenet-folded.pth", dir.str("cmp"));
  c.base.data.val_split = 0.25;
  c.base.data.test_split = 0.2;  // 4 test images, 4 val, 12 train
  c.base.recipe.epochs = 2;
  c.base.model.image_size = 64;
  c.strategies = {"linear-probe", "feature-extract", "fine-tune", "scratch", "student", "distill"};
  c.student_image_size = 32;
  std::vector<std::string> started;
  const auto rows = train::run_comparison(c, [&](const std::string& row, const train::RunOptions&) { started.push_back(row); });
  EXPECT_EQ(started, c.strategies);
  ASSERT_EQ(rows.size(), 6u);
  for (const auto& r : rows) {
    EXPECT_EQ(r.split, "test") << r.strategy;
    EXPECT_GE(r.accuracy, 0.0);
    EXPECT_LE(r.accuracy, 1.0);
    EXPECT_GT(r.seconds, 0.0);
    EXPECT_GT(r.images_per_second, 0.0);
    const auto config = nlohmann::json::parse(read_text(r.dir + "/config.json"));
    EXPECT_EQ(config["data_info"]["test"]["samples"], 4) << r.strategy;  // the same split for every row
    EXPECT_EQ(config["data_info"]["train"]["samples"], 12) << r.strategy;
  }
  EXPECT_EQ(rows[0].model, "mobilenet_v2");
  EXPECT_EQ(rows[4].model, "simple_cnn");
  EXPECT_GE(rows[0].accuracy, 0.75);  // ImageNet features separate the two colours
  const auto distill = nlohmann::json::parse(read_text(dir.str("cmp/distill/config.json")));
  EXPECT_EQ(distill["teacher"], dir.str("cmp/fine-tune"));
  const auto json = nlohmann::json::parse(read_text(dir.str("cmp/compare.json")));
  ASSERT_EQ(json.size(), 6u);
  EXPECT_EQ(json[2]["strategy"], "fine-tune");
  EXPECT_NE(train::format_table(rows).find("linear-probe"), std::string::npos);
}

TEST(FeatureExtract, NeedsWeightsAndKnownStrategies) {
  train::RunOptions o;
  o.strategy.name = "feature-extract";
  EXPECT_THROW(train::run_training(o), std::invalid_argument);
  o.strategy.name = "fine-tune";
  EXPECT_THROW(train::run_training(o), std::invalid_argument);
  o.strategy.name = "sideways";
  EXPECT_THROW(train::run_training(o), std::invalid_argument);
}

}  // namespace
}  // namespace tlab::test
