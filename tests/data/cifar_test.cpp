#include "tlab/data/cifar.h"

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/data/spec.h"

namespace tlab::test {
namespace {

// One record: label byte(s) then planar R, G, B planes; pixel p of channel c = (p + 50 * c) % 256.
std::string record(std::vector<uint8_t> label_bytes) {
  std::string s(label_bytes.begin(), label_bytes.end());
  for (int c = 0; c < 3; ++c)
    for (int p = 0; p < 1024; ++p) s.push_back(char((p + 50 * c) % 256));
  return s;
}

void write_cifar10(const TempDir& dir, int records_per_file) {
  for (int b = 1; b <= 5; ++b) {
    std::string bytes;
    for (int r = 0; r < records_per_file; ++r) bytes += record({uint8_t((b + r) % 10)});
    write_bytes(dir.str("data_batch_" + std::to_string(b) + ".bin"), bytes);
  }
  write_bytes(dir.str("test_batch.bin"), record({7}) + record({3}));
}

TEST(Cifar, Cifar10PlanarToInterleavedRgb) {
  TempDir dir;
  write_cifar10(dir, 2);
  auto src = data::open_data("cifar10:" + dir.str());
  ASSERT_EQ(src.train->size(), 10u);
  ASSERT_EQ(src.test->size(), 2u);
  EXPECT_EQ(src.test->label(0), 7);
  EXPECT_EQ(src.train->classes()[3], "cat");
  auto ex = src.train->get(0);
  ASSERT_EQ(ex.image.channels(), 3);
  // pixel (row 1, col 2) is plane index 34
  const auto px = ex.image.at<cv::Vec3b>(1, 2);
  EXPECT_EQ(px[0], 34);
  EXPECT_EQ(px[1], 84);
  EXPECT_EQ(px[2], 134);
}

TEST(Cifar, Cifar100UsesFineLabel) {
  TempDir dir;
  write_bytes(dir.str("train.bin"), record({3, 77}) + record({19, 99}));
  write_bytes(dir.str("test.bin"), record({0, 5}));
  auto src = data::open_data("cifar100:" + dir.str());
  EXPECT_EQ(src.train->label(0), 77);
  EXPECT_EQ(src.train->label(1), 99);
  EXPECT_EQ(src.train->classes().size(), 100u);
}

TEST(Cifar, TruncatedFileIsAnErrorNamingIt) {
  TempDir dir;
  write_cifar10(dir, 2);
  std::string bytes = record({1}) + record({2});
  bytes.resize(bytes.size() - 100);
  write_bytes(dir.str("data_batch_3.bin"), bytes);
  try {
    data::open_data("cifar10:" + dir.str());
    FAIL() << "expected an error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("data_batch_3.bin"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("not a multiple"), std::string::npos) << e.what();
  }
}

TEST(Cifar, LabelOutOfRange) {
  TempDir dir;
  write_cifar10(dir, 1);
  write_bytes(dir.str("data_batch_2.bin"), record({12}));
  EXPECT_THROW(
      {
        try {
          data::open_data("cifar10:" + dir.str());
        } catch (const DataError& e) {
          EXPECT_NE(std::string(e.what()).find("label 12"), std::string::npos) << e.what();
          throw;
        }
      },
      DataError);
}

TEST(Cifar, EmptyAndMissingFiles) {
  TempDir dir;
  write_cifar10(dir, 1);
  write_bytes(dir.str("data_batch_5.bin"), "");
  EXPECT_THROW(data::open_data("cifar10:" + dir.str()), DataError);
  TempDir missing;
  write_bytes(missing.str("data_batch_1.bin"), record({1}));
  try {
    data::open_data("cifar10:" + missing.str());
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("data_batch_2.bin"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace tlab::test
