// The SVMs against scikit-learn on the same data: LinearSVC() against LIBLINEAR, SVC() (RBF with
// gamma "scale" and a given gamma, the linear and the cubic kernel) against LIBSVM, fitted by
// tests/features/svm_reference.py; then two classes, an absent class, rebuilding from the tensors
// and the errors.
#include <algorithm>
#include <fstream>
#include <iostream>
#include <vector>

#include "../float_file.h"
#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/features/kernel_svm.h"
#include "tlab/features/linear_svm.h"

namespace tlab::test {
namespace {

using features::KernelSvm;
using features::KernelSvmOptions;
using features::LinearSvm;
using features::LinearSvmOptions;

constexpr double kGamma = 0.2;  // the explicit gamma of rbf_gamma
// The decision values' largest difference, relative to their scale. LIBLINEAR here and in
// scikit-learn visit the samples in different random orders, so each stops at its own point
// within the tolerance (measured: ~1e-5). LIBSVM's solver is deterministic and gets the same
// samples in the same order: the values agree to rounding (measured: ~1e-14).
constexpr double kLinearTolerance = 1e-3;
constexpr double kKernelTolerance = 1e-6;

struct Split {
  torch::Tensor x, y, test_x;  // [N, D] float64, [N] int64, [M, D]
};

// `classes` overlapping Gaussian blobs in `d` dimensions (centres 0.6 randn, unit noise: far from
// separable), the features on scales 0.2 .. 0.8 (where LIBLINEAR converges in a few hundred of its
// 1000 passes, so that both solutions are the optimum's), the labels drawn at random;
// deterministic from `seed`.
Split blobs(int64_t classes, int64_t n, int64_t m, int64_t d, uint64_t seed) {
  torch::manual_seed(seed);
  const auto centres = torch::randn({classes, d}, torch::kFloat64) * 0.6;
  const auto scale = torch::linspace(0.2, 0.8, d, torch::kFloat64);
  const auto y = torch::randint(classes, {n}, torch::kInt64);
  const auto x = (centres.index_select(0, y) + torch::randn({n, d}, torch::kFloat64)) * scale;
  const auto ty = torch::randint(classes, {m}, torch::kInt64);
  const auto tx = (centres.index_select(0, ty) + torch::randn({m, d}, torch::kFloat64)) * scale;
  return {x, y, tx};
}

// Writes the split to `dir` and runs the scikit-learn reference on it.
void run_reference(const TempDir& dir, const Split& s) {
  write_tensor(dir.str("x_train.f64"), s.x);
  write_tensor(dir.str("y_train.i64"), s.y);
  write_tensor(dir.str("x_test.f64"), s.test_x);
  ASSERT_EQ(run_command("/usr/bin/python3 " + std::string(TLAB_SOURCE_DIR) + "/tests/features/svm_reference.py " +
                        dir.str() + " " + std::to_string(s.x.size(0)) + " " + std::to_string(s.test_x.size(0)) + " " +
                        std::to_string(s.x.size(1)) + " " + std::to_string(kGamma)),
            0)
      << "the scikit-learn reference failed; is python3-sklearn installed (scripts/setup.sh)?";
}

double agreement(const torch::Tensor& a, const torch::Tensor& b) {
  return a.to(torch::kInt64).eq(b.to(torch::kInt64)).to(torch::kFloat64).mean().item<double>();
}

// max |a - b| / max(1, max |b|): the difference relative to the values' scale.
double relative_difference(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / std::max(1.0, b.abs().max().item<double>());
}

void report(const std::string& name, double agree, double difference) {
  ::testing::Test::RecordProperty(name + "_agreement", std::to_string(agree));
  ::testing::Test::RecordProperty(name + "_max_relative_difference", std::to_string(difference));
  std::cout << "svm parity " << name << ": predictions agree on " << agree * 100 << "%, decision values' max "
            << "relative difference " << difference << "\n";
}

// The kernel SVM options of the reference's models.
KernelSvmOptions kernel_options(const std::string& name) {
  KernelSvmOptions o;
  if (name == "rbf_gamma") o.gamma = kGamma;
  if (name == "linear_kernel") o.kernel = "linear";
  if (name == "poly") o.kernel = "poly";  // degree 3, coef0 0, gamma "scale": SVC's defaults
  return o;
}

// The pairs (a, b), a < b, of the present classes, as indices into the pairs of all K classes.
torch::Tensor present_pairs(const std::vector<int64_t>& present, int64_t k) {
  std::vector<int64_t> index;
  for (size_t i = 0; i < present.size(); ++i)
    for (size_t j = i + 1; j < present.size(); ++j) {
      const int64_t a = present[i], b = present[j];
      index.push_back(a * (2 * k - a - 1) / 2 + (b - a - 1));
    }
  return torch::tensor(index, torch::kInt64);
}

// Every present class is predicted for some test sample (the task is not trivial), an absent one never.
void expect_classes(const torch::Tensor& pred, const std::vector<int64_t>& present, int64_t k) {
  for (int64_t c = 0; c < k; ++c) {
    const bool is_present = std::find(present.begin(), present.end(), c) != present.end();
    const int64_t count = pred.eq(c).sum().item<int64_t>();
    if (is_present) {
      EXPECT_GT(count, 0) << "class " << c << " is never predicted";
    } else {
      EXPECT_EQ(count, 0) << "absent class " << c << " predicted";
    }
  }
}

// Fits all five models on `s` (labels in [0, k), the classes `present` among them), compares them
// with the reference and returns nothing: every check is an EXPECT.
void expect_parity(const Split& s, int64_t k, const std::vector<int64_t>& present, const std::string& label,
                   double linear_tolerance, double kernel_tolerance) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(run_reference(dir, s));
  const int64_t m = s.test_x.size(0), kp = int64_t(present.size());
  const auto columns = torch::tensor(present, torch::kInt64);
  {
    LinearSvmOptions dual;
    dual.dual = "true";  // LinearSVC()'s dual=True of scikit-learn 1.2
    const auto svm = LinearSvm::fit(s.x, s.y, k, dual);
    const auto pred = svm.predict(s.test_x), dec = svm.decision_function(s.test_x);
    const auto ref_pred = read_f64_tensor(dir.str("linear_pred.f64"), {m});
    // LinearSVC's decision_function: [M, K'], or for two classes [M], the second class's score
    const auto ours = kp == 2 ? dec.select(1, present[1]) : dec.index_select(1, columns);
    const auto ref_shape = kp == 2 ? std::vector<int64_t>{m} : std::vector<int64_t>{m, kp};
    const auto ref = read_f64_tensor(dir.str("linear_dec.f64"), ref_shape);
    const double agree = agreement(pred, ref_pred), diff = relative_difference(ours, ref);
    report(label + " linear", agree, diff);
    EXPECT_GE(agree, 0.99);
    EXPECT_LT(diff, linear_tolerance);
    EXPECT_LT(read_f64_tensor(dir.str("linear_iterations.f64"), {1}).item<double>(), 1000)
        << "LinearSVC stopped at its iteration cap: the comparison is of two unconverged solutions";
    expect_classes(pred, present, k);
    for (int64_t c = 0; c < k; ++c) {
      if (std::find(present.begin(), present.end(), c) == present.end()) {
        EXPECT_TRUE(torch::all(dec.select(1, c).isneginf()).item<bool>());
      }
    }
  }
  for (const std::string name : {"rbf_scale", "rbf_gamma", "linear_kernel", "poly"}) {
    SCOPED_TRACE(label + " " + name);
    const auto svm = KernelSvm::fit(s.x, s.y, k, kernel_options(name));
    if (name != "linear_kernel") {
      EXPECT_NEAR(svm.gamma, read_f64_tensor(dir.str(name + "_gamma.f64"), {1}).item<double>(), 1e-12 * svm.gamma);
    }
    const auto support = read_f64_tensor(dir.str(name + "_support.f64"), {kp}).to(torch::kInt64);
    const auto our_support = svm.support_per_class.index_select(0, columns);
    // The same solver on the same samples in the same order: the same support vectors
    EXPECT_TRUE(torch::equal(our_support, support)) << our_support << support;
    const auto pred = svm.predict(s.test_x);
    const auto pairs = svm.pairwise_decision(s.test_x).index_select(1, present_pairs(present, k));
    const auto ovr = svm.decision_function(s.test_x);
    const double agree = agreement(pred, read_f64_tensor(dir.str(name + "_pred.f64"), {m}));
    const double pair_diff = relative_difference(pairs, read_f64_tensor(dir.str(name + "_pairs.f64"), {m, kp * (kp - 1) / 2}));
    const double ovr_diff = relative_difference(ovr.index_select(1, columns), read_f64_tensor(dir.str(name + "_ovr.f64"), {m, kp}));
    report(label + " " + name + " (one-vs-one values)", agree, pair_diff);
    report(label + " " + name + " (ovr values)", agree, ovr_diff);
    EXPECT_GE(agree, 0.99);
    EXPECT_LT(pair_diff, kernel_tolerance);
    EXPECT_LT(ovr_diff, kernel_tolerance);
    // The ovr argmax is the vote up to vote ties
    EXPECT_GE(agreement(ovr.argmax(1), pred), 0.95);
    expect_classes(pred, present, k);
    for (int64_t c = 0; c < k; ++c) {
      if (std::find(present.begin(), present.end(), c) == present.end()) {
        EXPECT_EQ(svm.support_per_class[c].item<int64_t>(), 0);
        EXPECT_TRUE(torch::all(ovr.select(1, c).isneginf()).item<bool>());
      }
    }
  }
}

TEST(Svm, FourClassesEqualScikitLearn) {
  const auto s = blobs(4, 480, 240, 14, 11);
  // The prediction is not trivial: the classes overlap
  expect_parity(s, 4, {0, 1, 2, 3}, "4 classes", kLinearTolerance, kKernelTolerance);
}

TEST(Svm, TwoClassesEqualScikitLearn) {
  const auto s = blobs(2, 400, 200, 12, 12);
  expect_parity(s, 2, {0, 1}, "2 classes", kLinearTolerance, kKernelTolerance);
}

TEST(Svm, AbsentClassesNeverWin) {
  // Class 1 of 4 is missing from training: scikit-learn sees the classes 0, 2, 3
  auto s = blobs(4, 480, 240, 12, 13);
  auto keep = s.y.ne(1);
  auto t = s;
  t.x = s.x.index({keep});
  t.y = s.y.index({keep});
  expect_parity(t, 4, {0, 2, 3}, "absent class", kLinearTolerance, kKernelTolerance);
  // Two classes of four, 1 and 3: the two-class solvers with absent classes around them
  keep = s.y.eq(1) | s.y.eq(3);
  t.x = s.x.index({keep});
  t.y = s.y.index({keep});
  expect_parity(t, 4, {1, 3}, "classes 1 and 3 of 4", kLinearTolerance, kKernelTolerance);
}

TEST(Svm, RebuiltFromTensorsPredictsTheSame) {
  const auto s = blobs(3, 300, 100, 10, 14);
  const auto linear = LinearSvm::fit(s.x.to(torch::kFloat32), s.y, 3);
  LinearSvm linear_copy;
  linear_copy.weight = linear.weight.clone();
  linear_copy.bias = linear.bias.clone();
  EXPECT_TRUE(torch::equal(linear_copy.predict(s.test_x), linear.predict(s.test_x)));
  EXPECT_EQ(linear.weight.sizes(), (std::vector<int64_t>{3, 10}));
  EXPECT_EQ(linear.weight.scalar_type(), torch::kFloat64);
  // float32 input gives the same predictions as float64 (up to rounding of the input)
  EXPECT_GE(agreement(linear.predict(s.test_x.to(torch::kFloat32)), linear.predict(s.test_x)), 0.99);

  const auto kernel = KernelSvm::fit(s.x, s.y, 3);
  KernelSvm kernel_copy;
  kernel_copy.support_vectors = kernel.support_vectors.clone();
  kernel_copy.dual_coef = kernel.dual_coef.clone();
  kernel_copy.intercept = kernel.intercept.clone();
  kernel_copy.support_per_class = kernel.support_per_class.clone();
  kernel_copy.kernel = kernel.kernel;
  kernel_copy.gamma = kernel.gamma;
  EXPECT_TRUE(torch::equal(kernel_copy.predict(s.test_x), kernel.predict(s.test_x)));
  EXPECT_TRUE(torch::allclose(kernel_copy.decision_function(s.test_x), kernel.decision_function(s.test_x), 0, 0));
  EXPECT_EQ(kernel.support_vectors.size(0), kernel.support_per_class.sum().item<int64_t>());
  EXPECT_EQ(kernel.dual_coef.sizes(), (std::vector<int64_t>{2, kernel.support_vectors.size(0)}));
  EXPECT_EQ(kernel.intercept.size(0), 3);
  // A large batch goes through in several kernel blocks, with the same values as one at a time
  const auto many = torch::cat({s.test_x, s.test_x, s.test_x}).repeat({20, 1});
  EXPECT_TRUE(torch::allclose(kernel.pairwise_decision(many).slice(0, 0, 100), kernel.pairwise_decision(s.test_x), 1e-12, 1e-12));
}

// The primal solver (--svm-dual false, and auto with more samples than features) reaches the dual's optimum.
TEST(Svm, PrimalAndDualSolversAgree) {
  const auto s = blobs(3, 300, 10, 10, 15);
  LinearSvmOptions dual, primal;
  dual.dual = "true";
  primal.dual = "false";
  const auto a = LinearSvm::fit(s.x, s.y, 3, dual), b = LinearSvm::fit(s.x, s.y, 3, primal);
  EXPECT_GE(agreement(a.predict(s.test_x), b.predict(s.test_x)), 0.99);
  EXPECT_LT(relative_difference(b.decision_function(s.test_x), a.decision_function(s.test_x)), 1e-2);
  const auto c = LinearSvm::fit(s.x, s.y, 3);  // auto: 300 samples > 10 features, the primal
  EXPECT_TRUE(torch::equal(c.weight, b.weight));
  LinearSvmOptions bad;
  bad.dual = "maybe";
  try {
    LinearSvm::fit(s.x, s.y, 3, bad);
    ADD_FAILURE() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--svm-dual"), std::string::npos);
  }
}

TEST(Svm, FitIsRepeatable) {
  const auto s = blobs(3, 300, 10, 10, 15);
  const auto a = LinearSvm::fit(s.x, s.y, 3), b = LinearSvm::fit(s.x, s.y, 3);
  EXPECT_TRUE(torch::equal(a.weight, b.weight));
  EXPECT_TRUE(torch::equal(a.bias, b.bias));
}

TEST(Svm, EmptyInputGivesEmptyOutput) {
  const auto s = blobs(3, 90, 10, 6, 16);
  const auto empty = torch::zeros({0, 6}, torch::kFloat64);
  const auto linear = LinearSvm::fit(s.x, s.y, 3);
  EXPECT_EQ(linear.predict(empty).sizes(), (std::vector<int64_t>{0}));
  EXPECT_EQ(linear.decision_function(empty).sizes(), (std::vector<int64_t>{0, 3}));
  const auto kernel = KernelSvm::fit(s.x, s.y, 3);
  EXPECT_EQ(kernel.predict(empty).sizes(), (std::vector<int64_t>{0}));
  EXPECT_EQ(kernel.decision_function(empty).sizes(), (std::vector<int64_t>{0, 3}));
}

// Runs `run` expecting an exception of type E whose message contains `needle`.
template <typename E, typename Run>
void expect_error(Run run, const std::string& needle) {
  try {
    run();
    ADD_FAILURE() << "no error mentioning " << needle;
  } catch (const E& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Svm, BadInputsAreErrorsNamingTheFlag) {
  const auto s = blobs(3, 60, 10, 5, 17);
  LinearSvmOptions linear;
  linear.c = 0;
  expect_error<UsageError>([&] { LinearSvm::fit(s.x, s.y, 3, linear); }, "--svm-c");
  KernelSvmOptions kernel;
  kernel.c = -1;
  expect_error<UsageError>([&] { KernelSvm::fit(s.x, s.y, 3, kernel); }, "--svm-c");
  kernel = {};
  kernel.gamma = -0.5;
  expect_error<UsageError>([&] { KernelSvm::fit(s.x, s.y, 3, kernel); }, "--svm-gamma");
  kernel = {};
  kernel.kernel = "sigmoid-ish";
  expect_error<UsageError>([&] { KernelSvm::fit(s.x, s.y, 3, kernel); }, "sigmoid-ish");
  // What only the libraries' own checks reject comes with their message
  linear = {};
  linear.tolerance = 0;
  expect_error<UsageError>([&] { LinearSvm::fit(s.x, s.y, 3, linear); }, "eps <= 0");
  kernel = {};
  kernel.cache_mb = 0;
  expect_error<UsageError>([&] { KernelSvm::fit(s.x, s.y, 3, kernel); }, "cache_size <= 0");

  const auto one_class = torch::full({60}, 2, torch::kInt64);
  expect_error<DataError>([&] { LinearSvm::fit(s.x, one_class, 3); }, "needs at least two classes in the training split");
  expect_error<DataError>([&] { KernelSvm::fit(s.x, one_class, 3); }, "needs at least two classes in the training split");
  const auto none = torch::zeros({0, 5}, torch::kFloat64);
  const auto no_labels = torch::zeros({0}, torch::kInt64);
  expect_error<DataError>([&] { LinearSvm::fit(none, no_labels, 3); }, "needs at least two classes");
  expect_error<DataError>([&] { KernelSvm::fit(none, no_labels, 3); }, "needs at least two classes");

  EXPECT_THROW(LinearSvm::fit(s.x, s.y.slice(0, 0, 10), 3), UsageError);
  EXPECT_THROW(KernelSvm::fit(s.x, s.y, 2), UsageError);  // label 2 out of range
  EXPECT_THROW(LinearSvm::fit(s.x, s.y, 1), UsageError);
  EXPECT_THROW(LinearSvm::fit(s.x, s.y, 3).predict(torch::zeros({2, 4})), UsageError);
  EXPECT_THROW(KernelSvm::fit(s.x, s.y, 3).predict(torch::zeros({2, 4})), UsageError);
  EXPECT_THROW(LinearSvm().predict(s.x), UsageError);  // not fitted
}

}  // namespace
}  // namespace tlab::test
