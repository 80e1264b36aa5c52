// The linear probe: L-BFGS multinomial logistic regression, against scikit-learn and by hand.
#include "tlab/features/logistic.h"

#include <fstream>

#include "../test_util.h"

namespace tlab::test {
namespace {

// Three overlapping Gaussian classes in 5-D with features on different scales.
std::pair<torch::Tensor, torch::Tensor> blobs(int64_t n, uint64_t seed) {
  torch::manual_seed(seed);
  auto y = torch::arange(n, torch::kInt64) % 3;
  auto centres = torch::tensor({{1.0f, 0.0f, -1.0f, 0.5f, 0.0f}, {0.0f, 1.0f, 0.5f, -1.0f, 0.0f}, {-1.0f, -1.0f, 0.0f, 0.0f, 1.0f}});
  auto x = centres.index_select(0, y) + torch::randn({n, 5}) * 1.2f;
  x = x * torch::tensor({1.0f, 10.0f, 0.1f, 100.0f, 3.0f}) + torch::tensor({0.0f, 5.0f, -2.0f, 40.0f, 1.0f});
  return {x, y};
}

TEST(LogisticRegression, EqualsScikitLearn) {
  TempDir dir;
  const auto [x, y] = blobs(300, 1);
  {
    std::ofstream fx(dir.str("x.f32"), std::ios::binary), fy(dir.str("y.i64"), std::ios::binary);
    fx.write(reinterpret_cast<const char*>(x.contiguous().data_ptr<float>()), x.numel() * 4);
    fy.write(reinterpret_cast<const char*>(y.contiguous().data_ptr<int64_t>()), y.numel() * 8);
  }
  for (double c : {0.05, 1.0}) {
    features::LogisticOptions o;
    o.c = c;
    const auto model = features::LogisticRegression::fit(x, y, 3, o);
    ASSERT_EQ(run_command("/usr/bin/python3 " + std::string(TLAB_SOURCE_DIR) + "/tests/features/logistic_reference.py " +
                          dir.str("x.f32") + " " + dir.str("y.i64") + " 300 5 " + std::to_string(c) + " " + dir.str("p.f64")),
              0)
        << "the scikit-learn reference failed; is python3-sklearn installed (scripts/setup.sh)?";
    auto reference = torch::empty({300, 3}, torch::kFloat64);
    std::ifstream in(dir.str("p.f64"), std::ios::binary);
    in.read(reinterpret_cast<char*>(reference.data_ptr<double>()), 300 * 3 * 8);
    ASSERT_TRUE(in.good());
    const double diff = (model.predict_proba(x).to(torch::kFloat64) - reference).abs().max().item<double>();
    // Both minimise the same strictly convex objective to tight tolerances: the optimum is unique.
    EXPECT_LT(diff, 1e-4) << "C " << c << ", " << model.evaluations() << " evaluations";
  }
}

TEST(LogisticRegression, SeparatesLearnableDataAndPredictsConsistently) {
  const auto [x, y] = blobs(600, 2);
  const auto model = features::LogisticRegression::fit(x, y, 3);
  const auto [xt, yt] = blobs(600, 3);
  const double accuracy = model.predict(xt).eq(yt).to(torch::kFloat64).mean().item<double>();
  EXPECT_GT(accuracy, 0.7);  // chance is 1/3; the blobs overlap (noise 1.2 against centre distances 1.5 to 2.5)
  const auto p = model.predict_proba(xt);
  EXPECT_TRUE(torch::allclose(p.sum(1), torch::ones({600}), 1e-5, 1e-5));
  EXPECT_TRUE(torch::equal(p.argmax(1), model.predict(xt)));
  EXPECT_EQ(model.weight().sizes(), (std::vector<int64_t>{3, 5}));
}

TEST(LogisticRegression, StrongerRegularisationShrinksWeights) {
  const auto [x, y] = blobs(300, 4);
  features::LogisticOptions strong, weak;
  strong.c = 0.001;
  weak.c = 10;
  EXPECT_LT(features::LogisticRegression::fit(x, y, 3, strong).weight().norm().item<double>(),
            features::LogisticRegression::fit(x, y, 3, weak).weight().norm().item<double>() / 5);
}

TEST(LogisticRegression, BadInputsAreErrors) {
  const auto [x, y] = blobs(30, 5);
  EXPECT_THROW(features::LogisticRegression::fit(x, y.slice(0, 0, 10), 3), std::invalid_argument);
  EXPECT_THROW(features::LogisticRegression::fit(x, y, 2), std::invalid_argument);  // label 2 out of range
  features::LogisticOptions o;
  o.c = 0;
  EXPECT_THROW(features::LogisticRegression::fit(x, y, 3, o), std::invalid_argument);
  const auto model = features::LogisticRegression::fit(x, y, 3);
  EXPECT_THROW(model.predict(torch::zeros({2, 4})), std::invalid_argument);
}

}  // namespace
}  // namespace tlab::test
