// CachedDataset: decoded images kept within a shared budget; results equal the uncached ones.
#include "tlab/data/cache.h"

#include <atomic>

#include "../test_util.h"

namespace tlab::test {
namespace {

// A dataset that counts decodes: image i is a 10x20 grey image filled with i.
class CountingDataset : public data::Dataset {
 public:
  explicit CountingDataset(size_t n) : n_(n) {}
  size_t size() const override { return n_; }
  data::Example get(size_t i) const override {
    ++decodes;
    return {cv::Mat(10, 20, CV_8UC1, cv::Scalar(double(i))), int64_t(i % 2)};
  }
  int64_t label(size_t i) const override { return int64_t(i % 2); }
  const std::vector<std::string>& classes() const override { return classes_; }
  int channels() const override { return 1; }
  std::string description() const override { return "counting"; }
  mutable std::atomic<int> decodes{0};

 private:
  size_t n_;
  std::vector<std::string> classes_{"even", "odd"};
};

TEST(Cache, SecondPassDecodesNothingAndGivesTheSameImages) {
  auto base = std::make_shared<CountingDataset>(5);
  data::CachedDataset cached(base, std::make_shared<data::CacheBudget>(1 << 20));
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(cached.get(i).image.at<uint8_t>(3, 4), i);
  EXPECT_EQ(base->decodes.load(), 5);
  for (size_t i = 0; i < 5; ++i) {
    const auto ex = cached.get(i);
    EXPECT_EQ(ex.image.at<uint8_t>(9, 19), i);
    EXPECT_EQ(ex.label, int64_t(i % 2));
  }
  EXPECT_EQ(base->decodes.load(), 5);
  EXPECT_EQ(cached.cached_count(), 5u);
}

TEST(Cache, ShrinkIsAppliedOnceAndKept) {
  auto base = std::make_shared<CountingDataset>(2);
  int shrinks = 0;
  data::CachedDataset cached(base, std::make_shared<data::CacheBudget>(1 << 20), [&](const cv::Mat& m) {
    ++shrinks;
    return m(cv::Rect(0, 0, 5, 5)).clone();
  });
  EXPECT_EQ(cached.get(1).image.size(), cv::Size(5, 5));
  EXPECT_EQ(cached.get(1).image.size(), cv::Size(5, 5));
  EXPECT_EQ(shrinks, 1);
}

TEST(Cache, BudgetIsSharedAndStopsCachingWithoutError) {
  auto a = std::make_shared<CountingDataset>(4), b = std::make_shared<CountingDataset>(4);
  auto budget = std::make_shared<data::CacheBudget>(3 * 200);  // room for 3 images of 200 bytes
  data::CachedDataset ca(a, budget), cb(b, budget);
  for (size_t i = 0; i < 2; ++i) ca.get(i);
  for (size_t i = 0; i < 4; ++i) cb.get(i);
  EXPECT_EQ(ca.cached_count() + cb.cached_count(), 3u);
  EXPECT_EQ(budget->used.load(), 600u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(cb.get(i).image.at<uint8_t>(0, 0), i);  // uncached ones still right
}

}  // namespace
}  // namespace tlab::test
