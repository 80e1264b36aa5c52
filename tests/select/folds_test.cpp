// Fold assignment against scikit-learn's StratifiedKFold / RepeatedStratifiedKFold, run from the test.
#include "tlab/select/folds.h"

#include <fstream>
#include <random>
#include <sstream>

#include "../test_util.h"
#include "tlab/core/error.h"

namespace tlab::test {
namespace {

// "repeat fold i i i ..." lines: the test indices of every fold, as scikit-learn yields them.
std::vector<std::string> sklearn_folds(const std::vector<int64_t>& labels, int k, int repeats, bool shuffle,
                                       uint64_t seed) {
  TempDir dir;
  std::ofstream(dir.str("y.txt")) << [&] {
    std::ostringstream s;
    for (auto l : labels) s << l << "\n";
    return s.str();
  }();
  std::ofstream(dir.str("folds.py")) << R"(import sys, numpy as np
from sklearn.model_selection import StratifiedKFold, RepeatedStratifiedKFold
y = np.loadtxt(sys.argv[1], dtype=np.int64)
k, r, shuffle, seed = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5])
cv = (RepeatedStratifiedKFold(n_splits=k, n_repeats=r, random_state=seed) if r > 1 else
      StratifiedKFold(n_splits=k, shuffle=shuffle, random_state=seed if shuffle else None))
with open(sys.argv[6], "w") as out:
    for i, (train, test) in enumerate(cv.split(np.zeros(len(y)), y)):
        out.write(f"{i // k} {i % k} " + " ".join(map(str, test)) + "\n")
)";
  const std::string cmd = "/usr/bin/python3 " + dir.str("folds.py") + " " + dir.str("y.txt") + " " +
                          std::to_string(k) + " " + std::to_string(repeats) + " " + (shuffle ? "1" : "0") + " " +
                          std::to_string(seed) + " " + dir.str("out.txt") + " 2>/dev/null";
  EXPECT_EQ(run_command(cmd), 0) << "the scikit-learn reference failed; is python3-sklearn installed?";
  std::vector<std::string> lines;
  std::istringstream in(read_text(dir.str("out.txt")));
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<std::string> ours(const std::vector<int64_t>& labels, int k, int repeats, bool shuffle, uint64_t seed) {
  std::vector<std::string> lines;
  for (const auto& f : select::stratified_folds(labels, {k, repeats, shuffle, seed})) {
    std::string line = std::to_string(f.repeat) + " " + std::to_string(f.fold);
    for (auto i : f.test) line += " " + std::to_string(i);
    lines.push_back(line);
  }
  return lines;
}

TEST(StratifiedFolds, EqualScikitLearnsAssignment) {
  std::mt19937 rng(7);
  // unbalanced classes, labels not in first-appearance order, a class smaller than k
  std::vector<int64_t> labels;
  for (int i = 0; i < 203; ++i) labels.push_back(int64_t(std::discrete_distribution<int>({5, 1, 3, 0.4, 2})(rng)) * 3 + 2);
  labels.push_back(99);  // one sample of its own class
  for (const auto& [k, r, shuffle, seed] : std::vector<std::tuple<int, int, bool, uint64_t>>{
           {3, 1, true, 0}, {5, 1, true, 42}, {4, 1, false, 0}, {3, 2, true, 7}, {10, 1, true, 123456789}}) {
    const auto expected = sklearn_folds(labels, k, r, shuffle, seed);
    ASSERT_EQ(expected.size(), size_t(k * r));
    EXPECT_EQ(ours(labels, k, r, shuffle, seed), expected) << "k " << k << " repeats " << r << " shuffle " << shuffle
                                                           << " seed " << seed;
  }
}

TEST(StratifiedFolds, EveryIndexOnceAndClassesSpread) {
  std::vector<int64_t> labels;
  for (int i = 0; i < 50; ++i) labels.push_back(i % 5 == 0 ? 1 : 0);  // 10 of class 1
  const auto folds = select::stratified_folds(labels, {5, 1, true, 3});
  std::vector<int> seen(labels.size(), 0);
  for (const auto& f : folds) {
    EXPECT_EQ(f.train.size() + f.test.size(), labels.size());
    int ones = 0;
    for (auto i : f.test) ones += int(labels[i]), ++seen[i];
    EXPECT_EQ(ones, 2);  // 10 positives over 5 folds
  }
  for (int s : seen) EXPECT_EQ(s, 1);
}

TEST(StratifiedFolds, RejectsImpossibleOptions) {
  const std::vector<int64_t> labels = {0, 0, 1, 1};
  EXPECT_THROW(select::stratified_folds(labels, {1, 1, true, 0}), UsageError);
  EXPECT_THROW(select::stratified_folds(labels, {3, 1, true, 0}), UsageError);  // no class has 3 samples
  EXPECT_THROW(select::stratified_folds(labels, {2, 2, false, 0}), UsageError);
  EXPECT_THROW(select::stratified_folds(labels, {2, 1, true, uint64_t(1) << 33}), UsageError);
}

}  // namespace
}  // namespace tlab::test
