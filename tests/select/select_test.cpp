// Cross-validation and selection end to end on small data: fold sizes, mean and std as NumPy computes
// them from the fold scores, frozen-backbone features once per model (not per fold, not per
// candidate), GridSearchCV's candidate order and tie rule, and a refit run that is a normal run
// directory.
#include <fstream>

#include "../test_util.h"
#include "../train/fixtures.h"
#include "tlab/core/error.h"
#include "tlab/select/grid_search.h"
#include "tlab/train/run_dir.h"

namespace tlab::test {
namespace {

train::RunOptions bars(const TempDir& dir) {
  write_bar_dataset(dir.str("bars"), 90, 30);
  return bar_run(dir.str("bars"), dir.str("cv"));
}

TEST(CrossValidate, FoldsScoreTheirHeldOutPartAndSummariseAsNumPy) {
  TempDir dir;
  select::CvOptions cv;
  cv.folds.folds = 3;
  select::CvData shared;
  const auto r = select::cross_validate(bars(dir), cv, shared);
  ASSERT_EQ(r.folds.size(), 3u);
  for (const auto& f : r.folds) {
    EXPECT_EQ(f.train_samples + f.test_samples, 90u);  // the training split; no validation carved out
    EXPECT_EQ(f.test_samples, 30u);
    EXPECT_GT(f.accuracy, 0.5);  // bars are learnable in 2 epochs
  }
  EXPECT_EQ(r.feature_passes, 0);  // scratch trains on images
  std::string scores;
  for (const auto& f : r.folds) scores += std::to_string(f.accuracy) + " ";
  // NumPy's mean and population std (np.std, ddof 0: GridSearchCV's std_test_score) of the same scores
  std::ofstream(dir.str("ms.py")) << "import sys, numpy as np\nv = np.array([float(x) for x in sys.argv[2:]])\n"
                                     "open(sys.argv[1], 'w').write(f'{v.mean()!r} {v.std()!r}')\n";
  std::vector<double> rounded;
  for (const auto& f : r.folds) rounded.push_back(std::stod(std::to_string(f.accuracy)));
  ASSERT_EQ(run_command("/usr/bin/python3 " + dir.str("ms.py") + " " + dir.str("ms.txt") + " " + scores), 0);
  std::ifstream in(dir.str("ms.txt"));
  double mean = 0, sd = 0;
  in >> mean >> sd;
  const auto ours = select::mean_std(rounded);
  EXPECT_NEAR(ours.mean, mean, 1e-12);
  EXPECT_NEAR(ours.std, sd, 1e-12);
  EXPECT_NEAR(r.accuracy.mean, mean, 1e-6);
}

TEST(CrossValidate, RefusesOptionsThatWouldLeakTheHeldOutFold) {
  TempDir dir;
  select::CvData shared;
  auto o = bars(dir);
  o.recipe.early_stopping.patience = 2;
  EXPECT_THROW(select::cross_validate(o, {}, shared), UsageError);
  o = bars(dir);
  o.data.val = "idx:" + dir.str("bars");
  EXPECT_THROW(select::cross_validate(o, {}, shared), UsageError);
}

TEST(Grid, CandidatesInParameterGridOrderWithTypedValues) {
  train::RunOptions base;
  const auto c = select::expand_grid("strategy=fine-tune,linear-probe; lr=1e-3,3e-3;epochs=2", base);
  ASSERT_EQ(c.size(), 4u);
  // keys sorted (epochs, lr, strategy), the last fastest: scikit-learn's ParameterGrid
  EXPECT_EQ(c[0].name(), "epochs=2 lr=1e-3 strategy=fine-tune");
  EXPECT_EQ(c[1].name(), "epochs=2 lr=1e-3 strategy=linear-probe");
  EXPECT_EQ(c[2].name(), "epochs=2 lr=3e-3 strategy=fine-tune");
  EXPECT_DOUBLE_EQ(c[3].options.recipe.optimizer.lr, 3e-3);
  EXPECT_EQ(c[3].options.strategy.name, "linear-probe");
  EXPECT_EQ(c[3].options.recipe.epochs, 2);
  EXPECT_EQ(select::expand_grid("probe-c=0.5", base)[0].options.strategy.linear_probe.c, 0.5);
  // a list of grids, one after the other (ParameterGrid([{...}, {...}]))
  const auto pairs = select::expand_grid("model=resnet18;weights=a.pth;lr=1,2|model=vgg11;weights=b.pth", base);
  ASSERT_EQ(pairs.size(), 3u);
  EXPECT_EQ(pairs[1].name(), "lr=2 model=resnet18 weights=a.pth");
  EXPECT_EQ(pairs[2].options.model.weights, "b.pth");
  EXPECT_THROW(select::expand_grid("lr=1|", base), UsageError);
  for (const char* bad : {"", "lr", "lr=", "lr=1e-3,", "lr=fast", "epochs=2.5", "colour=red", "lr=1;lr=2", "out=x"})
    EXPECT_THROW(select::expand_grid(bad, base), UsageError) << bad;
}

TEST(Select, FeaturesOncePerModelTheFirstBestAndARefitRunDirectory) {
  TempDir dir;
  select::SelectOptions s;
  s.base.data.spec = shared_dir() + "/datasets/hymenoptera";
  s.base.model.name = "mobilenet_v2";
  s.base.model.weights = shared_dir() + "/weights/mobilenet_v2-imagenet-folded.pth";
  s.base.model.image_size = 64;  // small and fast; the features are still the real backbone's
  s.base.recipe.epochs = 1;
  s.base.system.workers = 1;
  s.base.system.out = dir.str("select");
  // probe_c does nothing to feature-extract: its two candidates tie, and the first must win ties
  s.grid = "strategy=linear-probe,feature-extract;probe_c=1,1";
  s.cv.folds.folds = 2;
  const auto r = select::run_selection(s);
  ASSERT_EQ(r.candidates.size(), 4u);
  int passes = 0;
  for (const auto& c : r.candidates) passes += c.cv.feature_passes;
  EXPECT_EQ(passes, 1) << "one backbone pass over the training images for all candidates and folds";
  // identical candidates: identical scores and the same rank; the best is the first of rank 1
  EXPECT_EQ(r.candidates[0].cv.accuracy.mean, r.candidates[2].cv.accuracy.mean);
  EXPECT_EQ(r.candidates[0].rank, r.candidates[2].rank);
  for (size_t i = 0; i < r.best; ++i) EXPECT_GT(r.candidates[i].rank, 1);
  EXPECT_EQ(r.candidates[r.best].rank, 1);
  const auto board = nlohmann::json::parse(read_text(dir.str("select/leaderboard.json")));
  EXPECT_EQ(board["candidates"].size(), 4u);
  EXPECT_EQ(board["best"]["index"], r.best);
  EXPECT_EQ(board["best"]["evaluated_on"], "val");  // hymenoptera's own val split, no test split
  EXPECT_GT(board["best"]["metrics"]["accuracy"].get<double>(), 0.7);
  EXPECT_TRUE(fs::is_regular_file(train::RunDir::checkpoint_of(dir.str("select/best"), "--checkpoint")));

  // the same cross-validation with features per fold: one pass per fold
  select::CvData fresh;
  select::CvOptions per_fold = s.cv;
  per_fold.share_features = false;
  auto o = r.candidates[0].candidate.options;
  const auto again = select::cross_validate(o, per_fold, fresh);
  EXPECT_EQ(again.feature_passes, 2);
  EXPECT_NEAR(again.accuracy.mean, r.candidates[0].cv.accuracy.mean, 1e-6);  // same features, same fits
}

}  // namespace
}  // namespace tlab::test
