// Reduction and selection against scikit-learn (StandardScaler, PCA(svd_solver="full", whiten),
// VarianceThreshold, f_classif, SelectKBest) on the same data, run from the test.
#include "tlab/features/reduce.h"

#include <fstream>

#include "../float_file.h"
#include "../raw_file.h"
#include "../test_util.h"
#include "tlab/core/error.h"

namespace tlab::test {
namespace {

constexpr const char* kReference = R"(import sys, numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.decomposition import PCA
from sklearn.feature_selection import VarianceThreshold, SelectKBest, f_classif
d = sys.argv[1]
x = np.fromfile(d + "/x.bin", dtype=np.float32).reshape(120, 12).astype(np.float64)
y = np.fromfile(d + "/y.bin", dtype=np.float32).astype(np.int64)
save = lambda name, a: np.asarray(a, dtype=np.float64).tofile(f"{d}/{name}.f64")
save("scaled", StandardScaler().fit(x).transform(x))
save("pca", PCA(5, svd_solver="full").fit(x).transform(x))
save("pca_white", PCA(5, svd_solver="full", whiten=True).fit(x).transform(x))
save("variance_keep", VarianceThreshold().fit(x).get_support(indices=True))
save("variance_keep_05", VarianceThreshold(0.5).fit(x).get_support(indices=True))
with np.errstate(all="ignore"):
    save("f", f_classif(x, y)[0])
    save("kbest", SelectKBest(f_classif, k=4).fit(x, y).get_support(indices=True))
)";

// The file's float64 values reshaped to `shape` ({-1}: as they come).
torch::Tensor read_tensor(const std::string& path, c10::IntArrayRef shape) {
  return torch::tensor(read_f64(path), torch::kFloat64).reshape(shape);
}

TEST(Reduce, EqualScikitLearn) {
  TempDir dir;
  torch::manual_seed(2);
  const auto y = torch::arange(120, torch::kInt64) % 3;
  auto x = torch::randn({120, 12}) * torch::linspace(0.2, 3, 12) + y.unsqueeze(1).to(torch::kFloat) *
                                                                        torch::linspace(0, 1, 12);
  x.select(1, 4).fill_(2.5);                // constant: no variance, F undefined
  x.select(1, 7).copy_(x.select(1, 3));     // a duplicate: equal F, the later column wins the tie
  x.select(1, 9).mul_(0.1);                 // small variance, under 0.5
  write_floats(dir.str("x.bin"), x);
  write_floats(dir.str("y.bin"), y.to(torch::kFloat));
  std::ofstream(dir.str("ref.py")) << kReference;
  ASSERT_EQ(run_command("/usr/bin/python3 " + dir.str("ref.py") + " " + dir.str()), 0)
      << "the scikit-learn reference failed; is python3-sklearn installed?";
  auto close = [](const torch::Tensor& a, const torch::Tensor& b, double tol) {
    return torch::allclose(a, b, tol, tol) ? std::string() : "max difference " + std::to_string((a - b).abs().max().item<double>());
  };
  EXPECT_EQ(close(features::Standardizer::fit(x).transform(x), read_tensor(dir.str("scaled.f64"), {120, 12}), 1e-10), "");
  EXPECT_EQ(close(features::Pca::fit(x, 5).transform(x), read_tensor(dir.str("pca.f64"), {120, 5}), 1e-9), "");
  EXPECT_EQ(close(features::Pca::fit(x, 5, true).transform(x), read_tensor(dir.str("pca_white.f64"), {120, 5}), 1e-9), "");
  const auto as_long = [](const torch::Tensor& t) { return t.to(torch::kInt64); };
  EXPECT_TRUE(torch::equal(features::variance_threshold(x).keep, as_long(read_tensor(dir.str("variance_keep.f64"), {-1}))));
  EXPECT_TRUE(torch::equal(features::variance_threshold(x, 0.5).keep,
                           as_long(read_tensor(dir.str("variance_keep_05.f64"), {-1}))));
  const auto f = features::f_classif(x, y), f_ref = read_tensor(dir.str("f.f64"), {12});
  EXPECT_TRUE(std::isnan(f[4].item<double>()) && std::isnan(f_ref[4].item<double>()));
  const auto finite = torch::isfinite(f_ref);
  EXPECT_TRUE(torch::allclose(f.index({finite}), f_ref.index({finite}), 1e-9, 0));
  EXPECT_TRUE(torch::equal(features::select_k_best(x, y, 4).keep, as_long(read_tensor(dir.str("kbest.f64"), {4}))));
}

TEST(Reduce, RejectsImpossibleSizes) {
  const auto x = torch::randn({10, 4});
  const auto y = torch::arange(10, torch::kInt64) % 2;
  EXPECT_THROW(features::Pca::fit(x, 0), UsageError);
  EXPECT_THROW(features::Pca::fit(x, 5), UsageError);
  EXPECT_THROW(features::select_k_best(x, y, 5), UsageError);
  EXPECT_THROW(features::variance_threshold(torch::ones({5, 3})), UsageError);
}

}  // namespace
}  // namespace tlab::test
