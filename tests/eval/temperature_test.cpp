// Temperature scaling: the fitted T against SciPy's bounded scalar minimisation of the same NLL, the
// NLL not worse after, accuracy unchanged; a run stores T in best.pt and every loader divides by it.
#include "tlab/eval/temperature.h"

#include <fstream>

#include "../float_file.h"
#include "../test_util.h"
#include "tlab/core/error.h"
#include "../train/fixtures.h"
#include "tlab/export/bundle.h"
#include "tlab/infer/loaded_model.h"
#include "tlab/models/checkpoint.h"
#include "tlab/train/run.h"

namespace tlab::test {
namespace {

TEST(TemperatureScaling, FitsTheSameTemperatureAsSciPyOnOverconfidentLogits) {
  TempDir dir;
  torch::manual_seed(4);
  const int64_t n = 600, k = 4;
  const auto y = torch::randint(0, k, {n}, torch::kInt64);
  // informative but 3x overconfident logits: the right temperature is near 3
  auto z = torch::randn({n, k}) + 1.2 * torch::one_hot(y, k).to(torch::kFloat);
  z = 3 * z;
  write_floats(dir.str("z.bin"), z);
  write_floats(dir.str("y.bin"), y.to(torch::kFloat));
  std::ofstream(dir.str("t.py")) << R"(import sys, numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import log_softmax
d = sys.argv[1]
z = np.fromfile(d + "/z.bin", dtype=np.float32).reshape(-1, 4).astype(np.float64)
y = np.fromfile(d + "/y.bin", dtype=np.float32).astype(np.int64)
nll = lambda t: -log_softmax(z / t, axis=1)[np.arange(len(y)), y].mean()
r = minimize_scalar(nll, bounds=(0.05, 20), method="bounded", options={"xatol": 1e-10})
open(d + "/t.txt", "w").write(f"{r.x!r} {nll(1.0)!r} {r.fun!r}")
)";
  ASSERT_EQ(run_command("/usr/bin/python3 " + dir.str("t.py") + " " + dir.str()), 0)
      << "the SciPy reference failed; is python3-scipy installed (scripts/setup.sh)?";
  std::ifstream in(dir.str("t.txt"));
  double t = 0, before = 0, after = 0;
  in >> t >> before >> after;
  const auto fit = eval::fit_temperature(z, y);
  EXPECT_NEAR(fit.temperature, t, 1e-4);
  EXPECT_GT(fit.temperature, 2.0);
  EXPECT_NEAR(fit.nll_before, before, 1e-6);
  EXPECT_NEAR(fit.nll_after, after, 1e-8);
  EXPECT_LT(fit.nll_after, fit.nll_before);
  EXPECT_LT(fit.ece_after, fit.ece_before);
  EXPECT_THROW(eval::fit_temperature(z, y.slice(0, 0, 10)), UsageError);
}

TEST(TemperatureScaling, ARunStoresItAndInferenceUsesIt) {
  TempDir dir;
  write_bar_dataset(dir.str("data"));
  train::RunOptions o = bar_run(dir.str("data"), dir.str("run"));
  o.data.val_split = 0.25;
  const auto r = train::run_training(o);
  const auto& ts = r.metrics["val"]["temperature_scaling"];
  ASSERT_TRUE(ts.is_object());
  EXPECT_LE(ts["nll_after"].get<double>(), ts["nll_before"].get<double>() + 1e-12);
  const double t = ts["temperature"].get<double>();
  EXPECT_NE(t, 1.0);
  EXPECT_NEAR(r.splits.at("val").loss.value(), ts["nll_after"].get<double>(), 1e-5);  // metrics are calibrated
  const auto meta = models::read_checkpoint_meta(dir.str("run/checkpoints/best.pt"));
  EXPECT_DOUBLE_EQ(meta.at("temperature").get<double>(), t);
  EXPECT_EQ(meta.at("epoch"), r.best_epoch);  // best.pt's own record, not the last epoch's
  const auto m = infer::load_checkpoint(dir.str("run/checkpoints/best.pt"), torch::kCPU);
  EXPECT_DOUBLE_EQ(m.temperature, t);
  const auto x = torch::rand({3, 1, 12, 12});
  EXPECT_TRUE(torch::allclose(infer::logits(m, x), m.model->forward(x) / t));
  // an exported bundle carries it in preprocess.json, and its loader divides by it again
  exporting::BundleOptions b;
  b.out = dir.str("bundle");
  exporting::export_bundle(m, b);
  EXPECT_NE(read_text(dir.str("bundle/README.md")).find("softmax(logits / "), std::string::npos);
  const auto ts_model = infer::load_torchscript(dir.str("bundle/model.pt"), torch::kCPU);
  EXPECT_DOUBLE_EQ(ts_model.temperature, t);
  EXPECT_TRUE(torch::allclose(infer::logits(ts_model, x), infer::logits(m, x), 1e-5, 1e-5));
  EXPECT_TRUE(fs::is_regular_file(dir.str("run/predictions_val.csv")));
  EXPECT_TRUE(fs::is_regular_file(dir.str("run/predictions_test.csv")));

  o.recipe.calibrate = false;
  o.system.out = dir.str("plain");
  const auto plain = train::run_training(o);
  EXPECT_FALSE(plain.metrics["val"].contains("temperature_scaling"));
  EXPECT_FALSE(models::read_checkpoint_meta(dir.str("plain/checkpoints/best.pt")).contains("temperature"));
}

}  // namespace
}  // namespace tlab::test
