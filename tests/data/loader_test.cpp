#include "tlab/data/loader.h"

#include <algorithm>
#include <set>

#include "../test_util.h"
#include "tlab/core/error.h"

namespace tlab::test {
namespace {

// n grey 4x4 images; every pixel of image i is i % 256 and its label is i % 3.
data::DatasetPtr counting_dataset(size_t n) {
  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  for (size_t i = 0; i < n; ++i) {
    pixels.insert(pixels.end(), 16, uint8_t(i % 256));
    labels.push_back(int64_t(i % 3));
  }
  return std::make_shared<data::InMemoryDataset>(std::move(pixels), std::move(labels), 4, 4, 1,
                                                 std::vector<std::string>{"a", "b", "c"}, "counting");
}

transforms::InputSpec grey4() { return {1, 4, 4, {}, {}}; }

std::vector<size_t> one_epoch(data::DataLoader& loader, int64_t epoch) {
  std::vector<size_t> seen;
  loader.start_epoch(epoch);
  while (auto b = loader.next()) {
    EXPECT_EQ(b->images.size(0), b->labels.size(0));
    for (int64_t i = 0; i < b->images.size(0); ++i) {
      // the image content identifies the sample: check it matches the reported index and label
      EXPECT_NEAR(b->images[i][0][0][0].item<float>(), float(b->indices[i] % 256) / 255.f, 1e-6);
      EXPECT_EQ(b->labels[i].item<int64_t>(), int64_t(b->indices[i] % 3));
    }
    seen.insert(seen.end(), b->indices.begin(), b->indices.end());
  }
  return seen;
}

class LoaderWorkers : public ::testing::TestWithParam<int> {};

TEST_P(LoaderWorkers, EverySampleExactlyOncePerEpoch) {
  data::DataLoader loader(counting_dataset(103), grey4(), {10, true, false, GetParam(), 3, 42});
  EXPECT_EQ(loader.num_batches(), 11u);
  for (int64_t epoch = 1; epoch <= 3; ++epoch) {
    auto seen = one_epoch(loader, epoch);
    ASSERT_EQ(seen.size(), 103u);
    std::set<size_t> unique(seen.begin(), seen.end());
    EXPECT_EQ(unique.size(), 103u);
  }
}

TEST_P(LoaderWorkers, OrderDependsOnSeedAndEpochOnly) {
  data::DataLoader a(counting_dataset(50), grey4(), {8, true, false, GetParam(), 2, 7});
  data::DataLoader single(counting_dataset(50), grey4(), {8, true, false, 0, 2, 7});
  data::DataLoader other_seed(counting_dataset(50), grey4(), {8, true, false, GetParam(), 2, 8});
  EXPECT_EQ(one_epoch(a, 1), one_epoch(single, 1));
  EXPECT_NE(one_epoch(a, 1), one_epoch(a, 2));
  EXPECT_NE(one_epoch(a, 1), one_epoch(other_seed, 1));
}

INSTANTIATE_TEST_SUITE_P(Workers, LoaderWorkers, ::testing::Values(0, 1, 3));

TEST(Loader, NoShuffleKeepsOrderAndDropLast) {
  data::DataLoader loader(counting_dataset(25), grey4(), {10, false, true, 2, 4, 0});
  EXPECT_EQ(loader.num_batches(), 2u);
  auto seen = one_epoch(loader, 1);
  ASSERT_EQ(seen.size(), 20u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
}

TEST(Loader, RestartMidEpochStartsOver) {
  data::DataLoader loader(counting_dataset(40), grey4(), {4, true, false, 2, 2, 1});
  loader.start_epoch(1);
  loader.next();
  loader.next();
  auto seen = one_epoch(loader, 1);
  EXPECT_EQ(seen.size(), 40u);
}

class ThrowingDataset : public data::Dataset {
 public:
  size_t size() const override { return 20; }
  data::Example get(size_t i) const override {
    if (i == 13) throw DataError("sample 13 is broken");
    return {cv::Mat(4, 4, CV_8UC1, cv::Scalar(0)), 0};
  }
  int64_t label(size_t) const override { return 0; }
  const std::vector<std::string>& classes() const override { return classes_; }
  int channels() const override { return 1; }
  std::string description() const override { return "throwing"; }

 private:
  std::vector<std::string> classes_{"only"};
};

TEST(Loader, WorkerErrorsReachTheConsumer) {
  data::DataLoader loader(std::make_shared<ThrowingDataset>(), grey4(), {4, false, false, 2, 2, 0});
  loader.start_epoch(1);
  try {
    while (loader.next()) {
    }
    FAIL() << "expected the worker's error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("sample 13"), std::string::npos);
  }
}

TEST(Loader, RejectsBadOptionsAndEmptyData) {
  EXPECT_THROW(data::DataLoader(counting_dataset(5), grey4(), {0, false, false, 1, 1, 0}), std::invalid_argument);
  auto empty = std::make_shared<data::InMemoryDataset>(std::vector<uint8_t>{}, std::vector<int64_t>{}, 4, 4, 1,
                                                       std::vector<std::string>{"a"}, "empty");
  EXPECT_THROW(data::DataLoader(empty, grey4(), {}), std::invalid_argument);
  data::DataLoader loader(counting_dataset(5), grey4(), {2, false, false, 1, 1, 0});
  EXPECT_THROW(loader.next(), std::invalid_argument);  // before start_epoch
}

TEST(Loader, ResizesAndConvertsChannels) {
  transforms::InputSpec rgb{3, 8, 6, {0.5f, 0.5f, 0.5f}, {0.25f, 0.25f, 0.25f}};
  data::DataLoader loader(counting_dataset(3), rgb, {3, false, false, 0, 1, 0});
  loader.start_epoch(1);
  auto b = loader.next();
  ASSERT_EQ(b->images.sizes(), (std::vector<int64_t>{3, 3, 8, 6}));
  // image 2 has pixel value 2: (2/255 - 0.5) / 0.25 in every channel and position
  EXPECT_TRUE(torch::allclose(b->images[2], torch::full({3, 8, 6}, (2.f / 255.f - 0.5f) / 0.25f), 1e-5, 1e-5));
}

}  // namespace
}  // namespace tlab::test

namespace tlab::test {
namespace {

// Augmented batches depend on (seed, epoch, position) only: the same for any worker count.
TEST(LoaderAugment, SameBatchesForAnyWorkerCountAndNewDrawsEachEpoch) {
  // 40 RGB 16x16 images with a bright left half: horizontal flips are visible.
  std::vector<uint8_t> pixels;
  for (int i = 0; i < 40; ++i)
    for (int y = 0; y < 16; ++y)
      for (int x = 0; x < 16; ++x)
        for (int c = 0; c < 3; ++c) pixels.push_back(x < 8 ? uint8_t(200 + i) : uint8_t(i));
  auto ds = std::make_shared<data::InMemoryDataset>(std::move(pixels), std::vector<int64_t>(40, 0), 16, 16, 3,
                                                    std::vector<std::string>{"x", "y"}, "halves");
  transforms::InputSpec spec{3, 16, 16, {}, {}};
  auto augment = std::make_shared<const transforms::Augmentation>(transforms::Augmentation::preset("strong"));
  auto batches = [&](int workers, int64_t epoch) {
    data::LoaderOptions o{8, true, false, workers, 2, 5};
    o.augment = augment;
    data::DataLoader loader(ds, spec, o);
    loader.start_epoch(epoch);
    std::vector<torch::Tensor> out;
    while (auto b = loader.next()) {
      EXPECT_TRUE(b->targets.defined());  // strong mixes batches
      EXPECT_EQ(b->targets.sizes(), (std::vector<int64_t>{b->images.size(0), 2}));
      out.push_back(torch::cat({b->images.flatten(), b->targets.flatten()}));
    }
    return torch::cat(out);
  };
  const auto single = batches(0, 1);
  EXPECT_TRUE(torch::equal(single, batches(3, 1)));
  EXPECT_FALSE(torch::equal(single, batches(0, 2)));
}

TEST(TensorBatches, ShuffledPassesAndRotatingViews) {
  const auto labels = torch::arange(10, torch::kInt64);
  // Two views of the same 10 samples: row i of view v holds 100 * v + i.
  std::vector<torch::Tensor> views = {torch::arange(10, torch::kFloat32).unsqueeze(1),
                                      (torch::arange(10, torch::kFloat32) + 100).unsqueeze(1)};
  data::TensorBatches batches(views, labels, {"c"}, 4, true, 3);
  EXPECT_EQ(batches.num_batches(), 3u);
  EXPECT_EQ(batches.num_samples(), 10u);
  for (int epoch = 1; epoch <= 3; ++epoch) {
    batches.start_epoch(epoch);
    std::vector<int64_t> seen;
    while (auto b = batches.next()) {
      for (int64_t i = 0; i < b->labels.size(0); ++i) {
        const int64_t label = b->labels[i].item<int64_t>();
        EXPECT_EQ(b->images[i][0].item<float>(), float(label + (epoch == 2 ? 100 : 0)));  // view (epoch - 1) mod 2
        EXPECT_EQ(int64_t(b->indices[size_t(i)]), label);
        seen.push_back(label);
      }
    }
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<int64_t>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));  // each sample once per epoch
  }
  EXPECT_THROW(data::TensorBatches({torch::zeros({3, 1})}, labels, {"c"}, 4, true, 0), std::invalid_argument);
}

}  // namespace
}  // namespace tlab::test
