// --strategy classical end to end: the fitted pipeline trains, saves, loads, evaluates and predicts
// like any model, agrees with scikit-learn's Pipeline on the descriptors tlab features writes, and
// bad options fail with errors naming the flag.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../test_util.h"
#include "../train/fixtures.h"
#include "tlab/core/error.h"
#include "tlab/data/loader.h"
#include "tlab/data/spec.h"
#include "tlab/features/classical_model.h"
#include "tlab/features/feature_file.h"
#include "tlab/infer/loaded_model.h"
#include "tlab/models/checkpoint.h"
#include "tlab/select/cross_validate.h"
#include "tlab/train/compare.h"
#include "tlab/train/run.h"
#include "tlab/weights/safetensors.h"

namespace fs = std::filesystem;

namespace tlab {
namespace {

using test::TempDir;

train::RunOptions classical_run(const std::string& data, const std::string& out, const std::string& features,
                                const std::string& classifier) {
  train::RunOptions o = test::bar_run(data, out);
  o.strategy.name = "classical";
  auto& c = o.strategy.classical;
  c.features = features;
  c.classifier = classifier;
  c.hog.pixels_per_cell = 4;  // 12 x 12 bars: 3 x 3 cells, 2 x 2 blocks
  c.hog.cells_per_block = 2;
  c.lbp.points = 8;
  c.lbp.radius = 1;
  return o;
}

// The "predicted" column of a run's predictions CSV.
std::vector<int64_t> predicted(const std::string& csv) {
  std::istringstream in(test::read_text(csv));
  std::string line;
  std::getline(in, line);  // header: index,label,predicted,loss,...
  std::vector<int64_t> out;
  while (std::getline(in, line)) {
    std::istringstream row(line);
    std::string index, label, pred;
    std::getline(row, index, ',');
    std::getline(row, label, ',');
    std::getline(row, pred, ',');
    out.push_back(std::stoll(pred));
  }
  return out;
}

// What a loaded checkpoint predicts for the bars' test images (3 classes, finite scores).
std::vector<int64_t> loaded_predictions(const infer::LoadedModel& loaded, const std::string& data_dir) {
  data::DataSource src = data::open_data("idx:" + data_dir);
  data::LoaderOptions lo;
  lo.batch_size = 64;
  lo.workers = 0;
  data::DataLoader loader(src.test, loaded.input, lo);
  loader.start_epoch(0);
  std::vector<int64_t> out;
  while (auto b = loader.next()) {
    const auto logits = infer::logits(loaded, b->images);
    EXPECT_EQ(logits.size(1), 3);
    EXPECT_TRUE(logits.isfinite().all().item<bool>());
    for (int64_t i = 0; i < logits.size(0); ++i) out.push_back(logits[i].argmax().item<int64_t>());
  }
  return out;
}

std::string run_output(const std::string& cmd, const std::string& dir, int* code) {
  const std::string log = dir + "/cmd.log";
  *code = test::run_command(cmd + " > " + log + " 2>&1");
  return test::read_text(log);
}

TEST(ClassicalPipeline, TrainsSavesAndLoadsLikeAnyModel) {
  TempDir dir;
  test::write_bar_dataset(dir.str());
  const std::string out = dir.str() + "/run";
  auto o = classical_run(dir.str(), out, "hog+lbp", "svm-linear");
  o.strategy.classical.select = "kbest:30";
  o.strategy.classical.reduce = "pca:8";
  const auto r = train::run_training(o);
  const double acc = r.metrics.at("test").at("accuracy").get<double>();
  EXPECT_GT(acc, 0.9);
  const auto details = train::run_options_from_json(r.config);
  EXPECT_EQ(details.strategy.classical.features, "hog+lbp");

  // The checkpoint rebuilds the pipeline: same scores as the fitted one on the same images.
  const std::string best = out + "/checkpoints/best.pt";
  const auto loaded = infer::load_checkpoint(best, torch::kCPU);
  EXPECT_EQ(loaded.architecture, "classical");
  auto& pipeline = dynamic_cast<features::ClassicalModel&>(*loaded.model);
  EXPECT_EQ(pipeline.describe_pipeline(), "hog (144) + lbp (10) -> kbest:30 -> standardize -> pca:8 -> svm-linear (C 1)");
  EXPECT_EQ(pipeline.feature_dim(), 8);
  EXPECT_EQ(loaded_predictions(loaded, dir.str()), predicted(out + "/predictions_test.csv"));

  // tlab eval reads the run's own test split through the checkpoint: the run's accuracy.
  int code = 0;
  const std::string eval = run_output(str_cat(TLAB_CLI_PATH, " eval --checkpoint ", out, " --out ", dir.str(), "/eval"),
                                      dir.str(), &code);
  ASSERT_EQ(code, 0) << eval;
  const auto metrics = nlohmann::json::parse(test::read_text(dir.str() + "/eval/metrics.json"));
  EXPECT_DOUBLE_EQ(metrics.at("test").at("accuracy").get<double>(), acc) << metrics.dump();

  // It cannot be exported, and says why.
  const std::string exp = run_output(str_cat(TLAB_CLI_PATH, " export --checkpoint ", best, " --out ", dir.str(), "/exp"),
                                     dir.str(), &code);
  EXPECT_NE(code, 0);
  EXPECT_NE(exp.find("classical pipeline"), std::string::npos) << exp;
  EXPECT_NE(exp.find("tlab serve"), std::string::npos) << exp;
  EXPECT_FALSE(fs::exists(dir.str() + "/exp/model.pt"));
}

TEST(ClassicalPipeline, EveryClassifierFitsAndReloads) {
  TempDir dir;
  test::write_bar_dataset(dir.str(), 150, 45);
  for (const std::string classifier : {"svm-rbf", "knn", "logistic"}) {
    SCOPED_TRACE(classifier);
    const std::string out = dir.str() + "/" + classifier;
    auto o = classical_run(dir.str(), out, "hog+color-hist", classifier);
    o.strategy.classical.color.bins = 16;
    const auto r = train::run_training(o);
    EXPECT_GT(r.metrics.at("test").at("accuracy").get<double>(), 0.85);
    const auto loaded = infer::load_checkpoint(out + "/checkpoints/best.pt", torch::kCPU);
    EXPECT_EQ(loaded_predictions(loaded, dir.str()), predicted(out + "/predictions_test.csv"));
  }
}

// tlab features writes the descriptors; scikit-learn's Pipeline(SelectKBest, StandardScaler, PCA,
// LinearSVC) fitted on them predicts what tlab's classical run predicts.
TEST(ClassicalPipeline, AgreesWithScikitLearnOnTheDescriptorsTlabFeaturesWrites) {
  TempDir dir;
  test::write_bar_dataset(dir.str(), 300, 90);
  const std::string data = "idx:" + dir.str();
  const std::string flags = " --features hog+lbp --hog-cell 4 --hog-block 2 --workers 0";
  int code = 0;
  std::string log = run_output(str_cat(TLAB_CLI_PATH, " features --data ", data, flags, " --out ", dir.str(), "/train.npy"),
                               dir.str(), &code);
  ASSERT_EQ(code, 0) << log;
  EXPECT_NE(log.find("train: 300 images x 154 features"), std::string::npos) << log;
  log = run_output(str_cat(TLAB_CLI_PATH, " features --data ", data, flags, " --split test --out ", dir.str(), "/test.npy"),
                   dir.str(), &code);
  ASSERT_EQ(code, 0) << log;
  // the same descriptors in the other formats
  log = run_output(str_cat(TLAB_CLI_PATH, " features --data ", data, flags, " --split test --out ", dir.str(),
                           "/test.safetensors"),
                   dir.str(), &code);
  ASSERT_EQ(code, 0) << log;
  const auto st = weights::read_safetensors(dir.str() + "/test.safetensors");
  ASSERT_EQ(st.size(), 2u);
  EXPECT_EQ(st[0].first, "features");
  EXPECT_EQ(st[0].second.sizes(), (std::vector<int64_t>{90, 154}));
  EXPECT_EQ(st[1].first, "labels");
  log = run_output(str_cat(TLAB_CLI_PATH, " features --data ", data, flags, " --split test --out ", dir.str(), "/test.csv"),
                   dir.str(), &code);
  ASSERT_EQ(code, 0) << log;

  const std::string out = dir.str() + "/run";
  auto o = classical_run(dir.str(), out, "hog+lbp", "svm-linear");
  o.data.val_split = 0;  // scikit-learn fits on all of train.npy
  o.strategy.classical.select = "kbest:40";
  o.strategy.classical.reduce = "pca:10";
  train::run_training(o);
  const auto ours = predicted(out + "/predictions_test.csv");

  const std::string script = dir.str() + "/ref.py";
  std::ofstream(script) << R"(import sys, numpy as np
from sklearn.pipeline import make_pipeline
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.preprocessing import StandardScaler
from sklearn.decomposition import PCA
from sklearn.svm import LinearSVC
d = sys.argv[1]
x, y = np.load(d + '/train.npy'), np.load(d + '/train.labels.npy')
xt, yt = np.load(d + '/test.npy'), np.load(d + '/test.labels.npy')
assert open(d + '/train.classes.txt').read().split() == ['0', '1', '2']
st = np.loadtxt(d + '/test.csv', delimiter=',', skiprows=1, usecols=range(2, 2 + xt.shape[1]))
assert np.array_equal(st.astype(np.float32), xt), 'csv != npy'
p = make_pipeline(SelectKBest(f_classif, k=40), StandardScaler(), PCA(10, svd_solver='full'), LinearSVC())
p.fit(x.astype(np.float64), y)
np.savetxt(d + '/sk_pred.txt', p.predict(xt.astype(np.float64)), fmt='%d')
)";
  ASSERT_EQ(test::run_command("/usr/bin/python3 " + script + " " + dir.str()), 0);
  std::istringstream in(test::read_text(dir.str() + "/sk_pred.txt"));
  std::vector<int64_t> theirs;
  for (int64_t v; in >> v;) theirs.push_back(v);
  ASSERT_EQ(theirs.size(), ours.size());
  size_t same = 0;
  for (size_t i = 0; i < ours.size(); ++i) same += ours[i] == theirs[i];
  EXPECT_GE(double(same) / double(ours.size()), 0.99) << same << " of " << ours.size();
}

// Cross-validation fits a pipeline per fold (its own selection, PCA and classifier); tlab compare
// puts pipelines on other descriptors side by side.
TEST(ClassicalPipeline, CrossValidatesAndComparesLikeAnyStrategy) {
  TempDir dir;
  test::write_bar_dataset(dir.str(), 150, 45);
  auto o = classical_run(dir.str(), dir.str("cv"), "hog", "knn");
  o.strategy.classical.reduce = "pca:5";
  select::CvOptions cv;
  cv.folds.folds = 3;
  std::vector<select::FoldScore> seen;
  cv.on_fold = [&](const select::FoldScore& f) { seen.push_back(f); };
  select::CvData shared;
  const auto r = select::cross_validate(o, cv, shared);
  ASSERT_EQ(r.folds.size(), 3u);
  EXPECT_EQ(r.feature_passes, 0);  // no backbone: each fold describes and fits on its own
  for (const auto& f : r.folds) EXPECT_GT(f.accuracy, 0.9);
  EXPECT_GT(r.accuracy.mean, 0.9);

  train::CompareOptions c;
  c.base = classical_run(dir.str(), dir.str("compare"), "hog", "svm-linear");
  c.strategies = {"classical:hog", "classical:lbp+color-hist"};
  const auto rows = train::run_comparison(c);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].strategy, "classical:lbp+color-hist");
  EXPECT_EQ(rows[1].model, "classical");
  EXPECT_TRUE(fs::exists(dir.str("compare/classical_lbp+color-hist/checkpoints/best.pt")));
  const std::string table = train::format_table(rows);
  EXPECT_NE(table.find("classical:lbp+color-hist"), std::string::npos) << table;
  EXPECT_GT(rows[0].accuracy, 0.9);
}

// Deep features of a named intermediate stage of a pretrained network, pooled: the stage names
// tlab summary prints; an unknown one lists them.
TEST(ClassicalPipeline, DeepFeaturesOfANamedStage) {
  const std::string weights = test::shared_dir() + "/weights/mobilenet_v2-imagenet-folded.pth";
  const std::string data = test::shared_dir() + "/datasets/hymenoptera";
  TempDir dir;
  train::RunOptions o;
  o.data.spec = data;
  o.model.weights = weights;
  o.model.image_size = 64;
  o.strategy.name = "classical";
  o.strategy.classical.features = "deep:mobilenet_v2:features.6";
  o.strategy.classical.classifier = "logistic";
  o.system.workers = 0;
  o.system.out = dir.str("run");
  const auto r = train::run_training(o);
  EXPECT_GT(r.metrics.at("val").at("accuracy").get<double>(), 0.6);
  EXPECT_EQ(r.epochs.at(0).details.at("descriptor_dim"), 32);  // features.6 has 32 channels
  const auto loaded = infer::load_checkpoint(dir.str("run/checkpoints/best.pt"), torch::kCPU);
  EXPECT_EQ(dynamic_cast<features::ClassicalModel&>(*loaded.model).describe_pipeline(),
            "deep:mobilenet_v2:features.6 (32) -> standardize -> logistic (C 1)");

  o.strategy.classical.features = "deep:mobilenet_v2:features.99";
  o.system.out = dir.str("bad");
  try {
    train::run_training(o);
    ADD_FAILURE() << "an unknown stage trained";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("features.18"), std::string::npos) << e.what();
  }
}

// A class the training split lacks never wins and keeps every score finite (so losses and the
// fitted temperature stay finite when it appears in validation data).
TEST(ClassicalPipeline, AClassAbsentFromTrainingScoresFinitelyLow) {
  features::ClassicalSpec spec;
  spec.features = "color-hist";
  spec.color.bins = 4;
  transforms::InputSpec input;
  input.channels = 1;
  input.height = input.width = 8;
  for (const std::string classifier : {"svm-linear", "svm-rbf"}) {
    SCOPED_TRACE(classifier);
    spec.classifier = classifier;
    features::ClassicalModel model(spec, models::ModelOptions{3, 1, 8, 8}, input);
    ASSERT_EQ(model.part_lengths(), std::vector<int64_t>{4});
    torch::manual_seed(0);
    const auto x = torch::rand({40, 4}, torch::kFloat64);
    const auto y = (x.select(1, 0) > 0.5).to(torch::kInt64);  // classes 0 and 1 only
    model.fit(x, y);
    const auto scores = model.classify(x);
    EXPECT_TRUE(scores.isfinite().all().item<bool>());
    EXPECT_TRUE(scores.select(1, 2).eq(-1e4).all().item<bool>());
    EXPECT_TRUE(scores.argmax(1).lt(2).all().item<bool>());
  }
}

// tlab features' flags, and a checkpoint whose pipeline record is broken: clear errors.
TEST(ClassicalPipeline, BadFeatureFilesAndRecordsAreClearErrors) {
  TempDir dir;
  test::write_bar_dataset(dir.str(), 30, 9);
  const std::string data = "idx:" + dir.str();
  int code = 0;
  std::string log = run_output(str_cat(TLAB_CLI_PATH, " features --data ", data, " --out ", dir.str(), "/x.parquet"),
                               dir.str(), &code);
  EXPECT_EQ(code, 2) << log;
  EXPECT_NE(log.find("--out"), std::string::npos) << log;
  EXPECT_NE(log.find(".safetensors, .npy or .csv"), std::string::npos) << log;
  log = run_output(str_cat(TLAB_CLI_PATH, " features --data ", data, " --split val --out ", dir.str(), "/x.npy"),
                   dir.str(), &code);
  EXPECT_EQ(code, 2) << log;
  EXPECT_NE(log.find("--split"), std::string::npos) << log;
  EXPECT_FALSE(fs::exists(dir.str("x.npy")));

  // A checkpoint that says "classical" but whose record is not one: a weights error naming the file.
  struct Fake : torch::nn::Module {
    explicit Fake(const std::string& text) {
      auto t = torch::empty({int64_t(text.size())}, torch::kUInt8);
      std::memcpy(t.data_ptr<uint8_t>(), text.data(), text.size());
      register_buffer("pipeline", t);
    }
  };
  const nlohmann::json meta = {{"model", "classical"},
                               {"model_options", models::to_json(models::ModelOptions{3, 1, 12, 12})},
                               {"input", transforms::to_json(transforms::InputSpec{})},
                               {"classes", {"0", "1", "2"}}};
  for (const std::string text : {"not json", "{\"spec\": 3, \"buffers\": {}}"}) {
    SCOPED_TRACE(text);
    const std::string file = dir.str("broken.pt");
    models::save_checkpoint(file, Fake(text), nullptr, meta);
    try {
      infer::load_checkpoint(file, torch::kCPU);
      ADD_FAILURE() << "a broken pipeline record loaded";
    } catch (const WeightsError& e) {
      EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    }
  }
}

TEST(ClassicalPipeline, BadOptionsNameTheirFlag) {
  TempDir dir;
  test::write_bar_dataset(dir.str(), 60, 30);
  auto fails_with = [&](train::RunOptions o, const std::string& needle) {
    static int n = 0;
    o.system.out = dir.str() + "/bad" + std::to_string(n++);
    try {
      train::run_training(o);
      ADD_FAILURE() << "no error; expected one naming " << needle;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  auto o = classical_run(dir.str(), "", "hog", "svm-linear");
  o.strategy.classical.hog.pixels_per_cell = 8;  // a 3 x 3 block of 8-pixel cells does not fit 12 x 12
  o.strategy.classical.hog.cells_per_block = 3;
  fails_with(o, "--hog-block");
  o = classical_run(dir.str(), "", "hog", "svm-linear");
  o.strategy.classical.select = "kbest:1000";
  fails_with(o, "--select kbest:1000");
  o = classical_run(dir.str(), "", "color-hist", "svm-linear");
  o.strategy.classical.color.bins = 256;  // most grey levels never occur: constant columns
  o.strategy.classical.select = "kbest:250";
  fails_with(o, "features vary in the training split");
  o = classical_run(dir.str(), "", "lbp", "svm-linear");
  o.strategy.classical.reduce = "pca:50";
  fails_with(o, "--reduce pca:50");
  o = classical_run(dir.str(), "", "sift-bow", "svm-linear");
  o.strategy.classical.sift.words = 0;
  fails_with(o, "--sift-words");
  o = classical_run(dir.str(), "", "sift-bow", "svm-linear");  // 12 x 12 bars give SIFT no keypoints
  fails_with(o, "descriptors, fewer than the");
  o = classical_run(dir.str(), "", "hog+surf", "svm-linear");
  fails_with(o, "--features");
  o = classical_run(dir.str(), "", "hog", "svm-poly");
  fails_with(o, "--classifier");
  o = classical_run(dir.str(), "", "deep:mobilenet_v2", "svm-linear");
  fails_with(o, "--weights");
  o = classical_run(dir.str(), "", "hog", "knn");
  o.strategy.classical.knn_k = 0;
  fails_with(o, "--knn-k");
}

}  // namespace
}  // namespace tlab
