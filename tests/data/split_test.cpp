#include "tlab/data/split.h"

#include <algorithm>
#include <opencv2/core.hpp>
#include <map>

#include "../test_util.h"
#include "../train/fixtures.h"
#include "tlab/data/spec.h"

namespace tlab::test {
namespace {

std::vector<int64_t> imbalanced_labels() {
  std::vector<int64_t> labels;
  for (int c = 0; c < 4; ++c)
    for (int i = 0; i < 25 * (c + 1); ++i) labels.push_back(c);  // 25, 50, 75, 100
  std::mt19937 rng(3);
  std::shuffle(labels.begin(), labels.end(), rng);
  return labels;
}

TEST(StratifiedSplit, KeepsClassProportions) {
  const auto labels = imbalanced_labels();
  auto s = data::stratified_split(labels, 0.2, 7);
  std::map<int64_t, int> val_counts;
  for (size_t i : s.val) ++val_counts[labels[i]];
  EXPECT_EQ(val_counts[0], 5);
  EXPECT_EQ(val_counts[1], 10);
  EXPECT_EQ(val_counts[2], 15);
  EXPECT_EQ(val_counts[3], 20);
}

TEST(StratifiedSplit, DisjointAndComplete) {
  const auto labels = imbalanced_labels();
  auto s = data::stratified_split(labels, 0.3, 1);
  std::vector<size_t> all = s.train;
  all.insert(all.end(), s.val.begin(), s.val.end());
  std::sort(all.begin(), all.end());
  ASSERT_EQ(all.size(), labels.size());
  for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ(all[i], i);
  EXPECT_TRUE(std::is_sorted(s.train.begin(), s.train.end()));
}

TEST(StratifiedSplit, SeededAndSeedSensitive) {
  const auto labels = imbalanced_labels();
  EXPECT_EQ(data::stratified_split(labels, 0.2, 5).val, data::stratified_split(labels, 0.2, 5).val);
  EXPECT_NE(data::stratified_split(labels, 0.2, 5).val, data::stratified_split(labels, 0.2, 6).val);
}

TEST(StratifiedSplit, SmallClassesKeepOneOnEachSide) {
  std::vector<int64_t> labels = {0, 0, 1, 1, 1, 2};
  auto s = data::stratified_split(labels, 0.1, 0);
  std::map<int64_t, int> val_counts;
  for (size_t i : s.val) ++val_counts[labels[i]];
  EXPECT_EQ(val_counts[0], 1);
  EXPECT_EQ(val_counts[1], 1);
  EXPECT_EQ(val_counts[2], 0);  // a single sample stays in training
}

TEST(StratifiedSplit, RejectsBadFraction) {
  EXPECT_THROW(data::stratified_split({0, 1}, 1.0, 0), std::invalid_argument);
  EXPECT_THROW(data::stratified_split({0, 1}, -0.1, 0), std::invalid_argument);
}

TEST(OpenSplits, TestThenValidationHeldOutStratifiedAndDisjoint) {
  TempDir dir;
  write_bar_idx(dir.str(), "train", 300, 1);  // 3 classes x 100, no test files
  const auto s = data::open_splits("idx:" + dir.str(), "", 0.25, "", 0.2, 0);
  ASSERT_TRUE(s.test && s.val);
  EXPECT_EQ(s.test->size(), 60u);   // 20% of 300
  EXPECT_EQ(s.val->size(), 60u);    // 25% of the remaining 240
  EXPECT_EQ(s.train->size(), 180u);
  std::map<int64_t, int> test_counts;
  for (size_t i = 0; i < s.test->size(); ++i) ++test_counts[s.test->get(i).label];
  EXPECT_EQ(test_counts, (std::map<int64_t, int>{{0, 20}, {1, 20}, {2, 20}}));
  // Same seed, same split; test_split 0 keeps all for training and validation.
  const auto again = data::open_splits("idx:" + dir.str(), "", 0.25, "", 0.2, 0);
  EXPECT_TRUE(cv::norm(again.test->get(7).image, s.test->get(7).image) == 0);
  const auto none = data::open_splits("idx:" + dir.str(), "", 0.25, "", 0.0, 0);
  EXPECT_FALSE(none.test);
  EXPECT_EQ(none.train->size() + none.val->size(), 300u);
}

}  // namespace
}  // namespace tlab::test
