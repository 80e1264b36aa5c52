#include "tlab/data/image_folder.h"

#include <opencv2/imgcodecs.hpp>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/data/spec.h"

namespace tlab::test {
namespace {

void write_image(const std::string& path, int value, int side = 16) {
  fs::create_directories(fs::path(path).parent_path());
  cv::Mat img(side, side, CV_8UC3, cv::Scalar(value, value / 2, 255 - value));  // BGR
  ASSERT_TRUE(cv::imwrite(path, img));
}

TEST(ImageFolder, SortedClassesLabelsAndRgb) {
  TempDir dir;
  write_image(dir.str("zebra/a.png"), 10);
  write_image(dir.str("ant/b.png"), 20);
  write_image(dir.str("ant/sub/c.jpg"), 30);
  data::ImageFolder ds(dir.str());
  ASSERT_EQ(ds.classes(), (std::vector<std::string>{"ant", "zebra"}));
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.label(0), 0);
  EXPECT_EQ(ds.label(2), 1);
  auto ex = ds.get(0);  // ant/b.png
  const auto px = ex.image.at<cv::Vec3b>(0, 0);
  EXPECT_EQ(px[0], 255 - 20);  // R (written as the third BGR channel)
  EXPECT_EQ(px[2], 20);        // B
  EXPECT_TRUE(ds.skipped().empty());
}

TEST(ImageFolder, SkipsNonImagesAndUndecodableFormats) {
  TempDir dir;
  write_image(dir.str("a/1.png"), 1);
  write_image(dir.str("b/2.png"), 2);
  write_bytes(dir.str(".DS_Store"), std::string("\0\0\0\1Bud1", 8));
  write_bytes(dir.str("a/.DS_Store"), std::string("\0\0\0\1Bud1", 8));
  write_bytes(dir.str("b/anim.gif"), "GIF89a\x01\x00\x01\x00\x00\x00\x00;");
  write_bytes(dir.str("b/notes.txt"), "hello");
  data::ImageFolder ds(dir.str());
  EXPECT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.skipped().size(), 4u);
  // strict mode turns the first skip into an error naming the file
  try {
    data::ImageFolder strict(dir.str(), {true});
    FAIL() << "strict mode should throw";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find(".DS_Store"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--strict-data"), std::string::npos) << e.what();
  }
}

TEST(ImageFolder, EmptyClassFolderIsAnError) {
  TempDir dir;
  write_image(dir.str("a/1.png"), 1);
  fs::create_directories(dir.path() / "b");
  write_bytes(dir.str("b/readme.txt"), "x");
  try {
    data::ImageFolder ds(dir.str());
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("holds no decodable images"), std::string::npos) << e.what();
  }
}

TEST(ImageFolder, NoClassFoldersOrMissingRootIsAnError) {
  TempDir dir;
  EXPECT_THROW(data::ImageFolder ds(dir.str()), DataError);
  EXPECT_THROW(data::ImageFolder ds(dir.str("missing")), DataError);
}

TEST(ImageFolder, CorruptImageFailsAtDecodeNamingTheFile) {
  TempDir dir;
  write_image(dir.str("a/good.jpg"), 5, 64);
  std::string jpeg = read_text(dir.str("a/good.jpg"));
  write_bytes(dir.str("a/broken.jpg"), jpeg.substr(0, 20));  // valid signature, no image data
  data::ImageFolder ds(dir.str());
  ASSERT_EQ(ds.size(), 2u);
  try {
    ds.get(0);  // broken.jpg sorts first
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("broken.jpg"), std::string::npos) << e.what();
  }
}

TEST(ImageFolder, TrainValLayout) {
  TempDir dir;
  write_image(dir.str("train/x/1.png"), 1);
  write_image(dir.str("train/y/2.png"), 2);
  write_image(dir.str("val/x/3.png"), 3);
  write_image(dir.str("val/y/4.png"), 4);
  auto src = data::open_data(dir.str());
  ASSERT_TRUE(src.train && src.val);
  EXPECT_FALSE(src.test);
  EXPECT_EQ(src.val->size(), 2u);
  write_image(dir.str("val/z/5.png"), 5);
  EXPECT_THROW(data::open_data("folder:" + dir.str()), std::invalid_argument);  // class mismatch
}

TEST(ImageFolder, RealHymenopteraSkipsTheGif) {
  const std::string root = shared_dir() + "/datasets/hymenoptera";
  auto src = data::open_data(root);
  ASSERT_TRUE(src.train && src.val);
  EXPECT_EQ(src.train->classes(), (std::vector<std::string>{"ants", "bees"}));
  EXPECT_EQ(src.train->size(), 244u);  // 245 files, the GIF skipped; formica.jpeg kept
  ASSERT_EQ(src.train->skipped().size(), 1u);
  EXPECT_NE(src.train->skipped()[0].find("imageNotFound.gif"), std::string::npos);
  EXPECT_EQ(src.val->size(), 153u);
  EXPECT_THROW(data::open_data(root, {true}), DataError);
}

TEST(ImageFolder, RealFlowersSkipsDsStore) {
  auto src = data::open_data("folder:" + shared_dir() + "/datasets/flowers5");
  EXPECT_EQ(src.train->size(), 4317u);
  EXPECT_EQ(src.train->classes().size(), 5u);
  ASSERT_EQ(src.train->skipped().size(), 1u);
  EXPECT_NE(src.train->skipped()[0].find(".DS_Store"), std::string::npos);
}

}  // namespace
}  // namespace tlab::test
