// k nearest neighbours against scikit-learn's KNeighborsClassifier on the same data (no distance
// ties: the votes must be equal exactly), a tie case worked out by hand, and the errors.
#include "tlab/features/knn.h"

#include <fstream>
#include <iostream>

#include "../float_file.h"
#include "../test_util.h"
#include "tlab/core/error.h"

namespace tlab::test {
namespace {

using features::Knn;
using features::KnnOptions;

constexpr const char* kReference = R"(import sys, numpy as np
from sklearn.neighbors import KNeighborsClassifier
d, n, m, dim = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
x = np.fromfile(d + "/x.f64", dtype=np.float64).reshape(n, dim)
y = np.fromfile(d + "/y.i64", dtype=np.int64)
xt = np.fromfile(d + "/xt.f64", dtype=np.float64).reshape(m, dim)
for k in (1, 5, 8):
    c = KNeighborsClassifier(n_neighbors=k).fit(x, y)
    c.predict(xt).astype(np.float64).tofile(f"{d}/pred{k}.f64")
    c.predict_proba(xt).astype(np.float64).tofile(f"{d}/proba{k}.f64")
)";

TEST(Knn, EqualsScikitLearn) {
  // Four overlapping classes in 12-D, class 2 absent from training (its column stays 0); continuous
  // values, so no two distances tie
  torch::manual_seed(21);
  const int64_t n = 500, m = 300, d = 12;
  const auto centres = torch::randn({4, d}, torch::kFloat64) * 0.7;
  auto y = torch::randint(4, {n}, torch::kInt64);
  y = torch::where(y.eq(2), torch::zeros_like(y), y);
  const auto x = centres.index_select(0, y) + torch::randn({n, d}, torch::kFloat64);
  const auto xt = centres.index_select(0, torch::randint(4, {m}, torch::kInt64)) + torch::randn({m, d}, torch::kFloat64);
  TempDir dir;
  write_tensor(dir.str("x.f64"), x);
  write_tensor(dir.str("y.i64"), y);
  write_tensor(dir.str("xt.f64"), xt);
  std::ofstream(dir.str("ref.py")) << kReference;
  ASSERT_EQ(run_command("/usr/bin/python3 " + dir.str("ref.py") + " " + dir.str() + " " + std::to_string(n) + " " +
                        std::to_string(m) + " " + std::to_string(d)),
            0)
      << "the scikit-learn reference failed; is python3-sklearn installed (scripts/setup.sh)?";
  const auto present = torch::tensor({0, 1, 3}, torch::kInt64);
  for (int k : {1, 5, 8}) {
    SCOPED_TRACE("k " + std::to_string(k));
    const auto knn = Knn::fit(x, y, 4, KnnOptions{k});
    const auto proba = knn.predict_proba(xt);
    const auto pred = knn.predict(xt);
    const auto ref_pred = read_f64_tensor(dir.str("pred" + std::to_string(k) + ".f64"), {m}).to(torch::kInt64);
    const auto ref_proba = read_f64_tensor(dir.str("proba" + std::to_string(k) + ".f64"), {m, 3});
    const int64_t mismatches = pred.ne(ref_pred).sum().item<int64_t>();
    std::cout << "knn parity k " << k << ": " << mismatches << " of " << m << " predictions differ, max |proba diff| "
              << (proba.index_select(1, present) - ref_proba).abs().max().item<double>() << "\n";
    ::testing::Test::RecordProperty("knn_k" + std::to_string(k) + "_mismatches", int(mismatches));
    EXPECT_TRUE(torch::equal(pred, ref_pred));
    EXPECT_TRUE(torch::equal(proba.index_select(1, present), ref_proba));
    EXPECT_TRUE(torch::all(proba.select(1, 2).eq(0)).item<bool>());
    EXPECT_TRUE(torch::allclose(proba.sum(1), torch::ones({m}, torch::kFloat64)));
  }
}

TEST(Knn, EqualDistancesTakeTheLowerTrainingIndex) {
  // On a line, labels 2 1 0 0 1 2 at 3, 1, -1, 1, 5, -3. All values are small integers, so the
  // distances are exact and the ties real. scikit-learn (brute, kd_tree and ball_tree alike) gives
  // the same answers.
  const auto x = torch::tensor({3.0, 1.0, -1.0, 1.0, 5.0, -3.0}, torch::kFloat64).unsqueeze(1);
  const auto y = torch::tensor({2, 1, 0, 0, 1, 2}, torch::kInt64);
  const auto q = torch::tensor({0.0, 2.0, -2.0}, torch::kFloat64).unsqueeze(1);
  const auto knn2 = Knn::fit(x, y, 3, KnnOptions{2});
  // 0: samples 1, 2, 3 all at distance 1; 1 and 2 take the places -> one vote each for classes 1
  //    and 0, and the tie of the votes goes to class 0.
  // 2: samples 0, 1, 3 at distance 1; 0 and 1 take them -> classes 2 and 1, the tie to class 1.
  // -2: samples 2 and 5 at distance 1, no tie -> classes 0 and 2.
  EXPECT_TRUE(torch::equal(knn2.predict_proba(q),
                           torch::tensor({{0.5, 0.5, 0.0}, {0.0, 0.5, 0.5}, {0.5, 0.0, 0.5}}, torch::kFloat64)));
  EXPECT_TRUE(torch::equal(knn2.predict(q), torch::tensor({0, 1, 0}, torch::kInt64)));
  // k 3 at -2: samples 2 and 5 (distance 1), then 1 and 3 tie at 3; sample 1 (class 1) is taken.
  const auto knn3 = Knn::fit(x, y, 3, KnnOptions{3});
  EXPECT_TRUE(torch::equal(knn3.predict_proba(q.slice(0, 2, 3)), torch::tensor({{1.0, 1.0, 1.0}}, torch::kFloat64) / 3));
  EXPECT_EQ(knn3.predict(q.slice(0, 2, 3)).item<int64_t>(), 0);  // a three-way tie of the votes: class 0
}

TEST(Knn, RebuiltFromTensorsPredictsTheSame) {
  torch::manual_seed(22);
  const auto x = torch::randn({200, 6});
  const auto y = torch::randint(3, {200}, torch::kInt64);
  const auto q = torch::randn({50, 6});
  const auto knn = Knn::fit(x, y, 3, KnnOptions{7});
  EXPECT_EQ(knn.train_features.scalar_type(), torch::kFloat64);
  Knn copy;
  copy.train_features = knn.train_features.clone();
  copy.train_labels = knn.train_labels.clone();
  copy.num_classes = 3;
  copy.k = 7;
  EXPECT_TRUE(torch::equal(copy.predict_proba(q), knn.predict_proba(q)));
  // Many queries go through in several blocks, with the values of one block
  const auto many = q.repeat({500, 1});
  EXPECT_TRUE(torch::equal(knn.predict_proba(many).slice(0, 0, 50), knn.predict_proba(q)));
  EXPECT_EQ(knn.predict(torch::zeros({0, 6})).sizes(), (std::vector<int64_t>{0}));
  EXPECT_EQ(knn.predict_proba(torch::zeros({0, 6})).sizes(), (std::vector<int64_t>{0, 3}));
  // One class alone is a (trivial) model
  EXPECT_TRUE(torch::all(Knn::fit(x, torch::zeros({200}, torch::kInt64), 3).predict(q).eq(0)).item<bool>());
}

TEST(Knn, BadInputsAreErrors) {
  const auto x = torch::randn({10, 3});
  const auto y = torch::arange(10, torch::kInt64) % 2;
  expect_invalid([&] { Knn::fit(x, y, 2, KnnOptions{11}); }, "--knn-k");
  expect_invalid([&] { Knn::fit(x, y, 2, KnnOptions{0}); }, "--knn-k");
  EXPECT_THROW(Knn::fit(x, y, 2, KnnOptions{11}), UsageError);
  EXPECT_THROW(Knn::fit(torch::zeros({0, 3}), torch::zeros({0}, torch::kInt64), 2), DataError);
  EXPECT_THROW(Knn::fit(x, y, 1), UsageError);  // label 1 out of range
  EXPECT_THROW(Knn::fit(x, y.slice(0, 0, 5), 2), UsageError);
  EXPECT_THROW(Knn::fit(x, y, 2).predict(torch::zeros({2, 4})), UsageError);
  EXPECT_THROW(Knn().predict(x), UsageError);  // not fitted
}

}  // namespace
}  // namespace tlab::test
