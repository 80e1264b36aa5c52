#include "tlab/data/idx.h"

#include <zlib.h>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/data/spec.h"

namespace tlab::test {
namespace {

std::string be32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

std::string idx_images(uint32_t n, uint32_t h, uint32_t w) {
  std::string s = be32(0x803) + be32(n) + be32(h) + be32(w);
  for (uint32_t i = 0; i < n * h * w; ++i) s.push_back(char(i % 251));
  return s;
}

std::string idx_labels(const std::vector<uint8_t>& labels) {
  std::string s = be32(0x801) + be32(uint32_t(labels.size()));
  for (auto l : labels) s.push_back(char(l));
  return s;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), unsigned(bytes.size()));
  gzclose(f);
}

template <typename Fn>
std::string error_of(Fn fn) {
  try {
    fn();
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Idx, LoadsPlainAndGzipWithExactPixels) {
  TempDir dir;
  write_bytes(dir.str("train-images-idx3-ubyte"), idx_images(3, 4, 5));
  write_gz(dir.str("train-labels-idx1-ubyte.gz"), idx_labels({2, 0, 9}));
  auto ds = data::load_idx(dir.str("train-images-idx3-ubyte"), dir.str("train-labels-idx1-ubyte.gz"),
                           data::fashion_mnist_classes(), "fixture");
  ASSERT_EQ(ds->size(), 3u);
  EXPECT_EQ(ds->channels(), 1);
  EXPECT_EQ(ds->image_size()->height, 4);
  EXPECT_EQ(ds->image_size()->width, 5);
  EXPECT_EQ(ds->label(0), 2);
  EXPECT_EQ(ds->label(2), 9);
  auto ex = ds->get(1);
  EXPECT_EQ(ex.label, 0);
  // sample 1 starts at pixel index 20; the fixture value is index % 251
  EXPECT_EQ(ex.image.at<uint8_t>(0, 0), 20);
  EXPECT_EQ(ex.image.at<uint8_t>(3, 4), 39);
  EXPECT_EQ(ds->classes()[9], "Ankle boot");
}

TEST(Idx, SpecFindsTrainAndTestSplits) {
  TempDir dir;
  write_gz(dir.str("train-images-idx3-ubyte.gz"), idx_images(4, 28, 28));
  write_gz(dir.str("train-labels-idx1-ubyte.gz"), idx_labels({0, 1, 2, 3}));
  write_bytes(dir.str("t10k-images-idx3-ubyte"), idx_images(2, 28, 28));
  write_bytes(dir.str("t10k-labels-idx1-ubyte"), idx_labels({5, 6}));
  auto src = data::open_data("mnist:" + dir.str());
  ASSERT_TRUE(src.train && src.test);
  EXPECT_EQ(src.train->size(), 4u);
  EXPECT_EQ(src.test->size(), 2u);
  EXPECT_EQ(src.test->classes().size(), 10u);
  auto generic = data::open_data("idx:" + dir.str());
  EXPECT_EQ(generic.train->classes().size(), 7u);  // largest label of either split + 1
  EXPECT_EQ(generic.test->classes(), generic.train->classes());
}

TEST(Idx, RejectsTruncatedImages) {
  TempDir dir;
  std::string img = idx_images(3, 4, 4);
  img.resize(img.size() - 5);
  write_bytes(dir.str("i"), img);
  write_bytes(dir.str("l"), idx_labels({0, 1, 2}));
  const auto msg = error_of([&] { data::load_idx(dir.str("i"), dir.str("l"), {}, "x"); });
  EXPECT_NE(msg.find("truncated"), std::string::npos) << msg;
  EXPECT_NE(msg.find(dir.str("i")), std::string::npos) << msg;
}

TEST(Idx, RejectsTruncatedHeaderAndEmptyFile) {
  TempDir dir;
  write_bytes(dir.str("short"), be32(0x803) + be32(3));
  write_bytes(dir.str("empty"), "");
  write_bytes(dir.str("l"), idx_labels({0, 1, 2}));
  EXPECT_NE(error_of([&] { data::load_idx(dir.str("short"), dir.str("l"), {}, "x"); }).find("truncated header"),
            std::string::npos);
  EXPECT_NE(error_of([&] { data::load_idx(dir.str("empty"), dir.str("l"), {}, "x"); }).find("too short"),
            std::string::npos);
}

TEST(Idx, RejectsWrongMagic) {
  TempDir dir;
  write_bytes(dir.str("i"), idx_images(2, 4, 4));
  write_bytes(dir.str("l"), idx_labels({0, 1}));
  // labels file passed as images: magic 0x801 where 0x803 is expected
  const auto msg = error_of([&] { data::load_idx(dir.str("l"), dir.str("i"), {}, "x"); });
  EXPECT_NE(msg.find("wrong magic"), std::string::npos) << msg;
  write_bytes(dir.str("png"), "\x89PNG\r\n\x1a\n-not-idx-at-all");
  EXPECT_NE(error_of([&] { data::load_idx(dir.str("png"), dir.str("l"), {}, "x"); }).find("wrong magic"),
            std::string::npos);
}

TEST(Idx, RejectsCountMismatch) {
  TempDir dir;
  write_bytes(dir.str("i"), idx_images(3, 4, 4));
  write_bytes(dir.str("l"), idx_labels({0, 1}));
  const auto msg = error_of([&] { data::load_idx(dir.str("i"), dir.str("l"), {}, "x"); });
  EXPECT_NE(msg.find("count mismatch"), std::string::npos) << msg;
}

TEST(Idx, RejectsLabelOutOfRange) {
  TempDir dir;
  write_bytes(dir.str("i"), idx_images(2, 4, 4));
  write_bytes(dir.str("l"), idx_labels({3, 10}));
  const auto msg = error_of([&] { data::load_idx(dir.str("i"), dir.str("l"), data::mnist_classes(), "x"); });
  EXPECT_NE(msg.find("label 10 at index 1 is out of range"), std::string::npos) << msg;
}

TEST(Idx, RejectsEmptyDataSet) {
  TempDir dir;
  write_bytes(dir.str("i"), idx_images(0, 4, 4));
  write_bytes(dir.str("l"), idx_labels({}));
  EXPECT_NE(error_of([&] { data::load_idx(dir.str("i"), dir.str("l"), {}, "x"); }).find("holds no images"),
            std::string::npos);
}

TEST(Idx, RejectsCorruptGzip) {
  TempDir dir;
  write_gz(dir.str("i.gz"), idx_images(50, 28, 28));
  std::string gz = read_text(dir.str("i.gz"));
  gz.resize(gz.size() / 2);
  write_bytes(dir.str("cut.gz"), gz);
  write_bytes(dir.str("l"), idx_labels(std::vector<uint8_t>(50, 0)));
  const auto msg = error_of([&] { data::load_idx(dir.str("cut.gz"), dir.str("l"), {}, "x"); });
  EXPECT_NE(msg.find("cut.gz"), std::string::npos) << msg;
}

TEST(Idx, MissingDirectoryAndFilesAreClearErrors) {
  TempDir dir;
  EXPECT_NE(error_of([&] { data::open_data("idx:" + dir.str("nope")); }).find("does not exist"), std::string::npos);
  EXPECT_NE(error_of([&] { data::open_data("idx:" + dir.str()); }).find("lacks train-images"), std::string::npos);
  EXPECT_THROW(data::open_data("bogus:thing"), std::invalid_argument);
}

TEST(Idx, RealFashionMnist) {
  auto src = data::open_data("fashion-mnist");
  ASSERT_TRUE(src.train && src.test);
  EXPECT_EQ(src.train->size(), 60000u);
  EXPECT_EQ(src.test->size(), 10000u);
  std::vector<int> counts(10, 0);
  for (size_t i = 0; i < src.test->size(); ++i) ++counts[src.test->label(i)];
  for (int c : counts) EXPECT_EQ(c, 1000);
}

}  // namespace
}  // namespace tlab::test
