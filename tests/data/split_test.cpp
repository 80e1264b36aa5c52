#include "tlab/data/split.h"

#include <algorithm>
#include <map>

#include "../test_util.h"

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

}  // namespace
}  // namespace tlab::test
