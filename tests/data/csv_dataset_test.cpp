// csv:FILE data: path,label lines (names or integers, header, quotes, classes.txt), every bad input
// with the file and line in its message, and the spec through open_data and the CLI.
#include "tlab/data/csv_dataset.h"

#include <opencv2/imgcodecs.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <initializer_list>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/data/spec.h"

namespace tlab::test {
namespace {

void write_image(const std::string& path, int value, int width = 16, int height = 16) {
  fs::create_directories(fs::path(path).parent_path());
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(value, value / 2, 255 - value));  // BGR
  ASSERT_TRUE(cv::imwrite(path, img));
}

// Runs `run` expecting a DataError whose message holds every needle.
void expect_data_error(const std::function<void()>& run, std::initializer_list<std::string> needles) {
  try {
    run();
    ADD_FAILURE() << "no DataError; expected one mentioning " << *needles.begin();
  } catch (const DataError& e) {
    for (const auto& needle : needles) EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

// The CsvDataset of `csv` text written to DIR/labels.csv.
data::CsvDataset open_csv(const TempDir& dir, const std::string& csv, data::ImageFileOptions options = {}) {
  write_bytes(dir.str("labels.csv"), csv);
  return data::CsvDataset(dir.str("labels.csv"), options);
}

TEST(CsvDataset, NameLabelsSortedRelativeAndAbsolutePathsRgb) {
  TempDir dir;
  write_image(dir.str("img/1.png"), 10);
  write_image(dir.str("img/2.png"), 20);
  TempDir elsewhere;
  write_image(elsewhere.str("3.jpg"), 30);
  const auto ds = open_csv(dir, "filename,label\nimg/1.png,zebra\nimg/2.png,ant\n" + elsewhere.str("3.jpg") + ",zebra\n");
  ASSERT_EQ(ds.classes(), (std::vector<std::string>{"ant", "zebra"}));
  ASSERT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.label(0), 1);
  EXPECT_EQ(ds.label(1), 0);
  EXPECT_EQ(ds.label(2), 1);
  EXPECT_EQ(ds.path(0), dir.str("img/1.png"));  // relative to the CSV's directory
  EXPECT_EQ(ds.path(2), elsewhere.str("3.jpg"));  // absolute, kept
  const auto ex = ds.get(1);  // img/2.png
  EXPECT_EQ(ex.label, 0);
  ASSERT_EQ(ex.image.type(), CV_8UC3);
  const auto px = ex.image.at<cv::Vec3b>(0, 0);
  EXPECT_EQ(px[0], 255 - 20);  // R (written as the third BGR channel)
  EXPECT_EQ(px[2], 20);        // B
  EXPECT_EQ(ds.channels(), 3);
  EXPECT_EQ(ds.description(), "csv:" + dir.str("labels.csv"));
  EXPECT_TRUE(ds.skipped().empty());
}

TEST(CsvDataset, IntegerLabelsCountFromZeroWithCrlfBlankLinesAndSpaces) {
  TempDir dir;
  write_image(dir.str("a.png"), 1);
  write_image(dir.str("b.png"), 2);
  const auto ds = open_csv(dir, "\xEF\xBB\xBF a.png , 2 \r\n\r\n  \nb.png,0\r\n");
  EXPECT_EQ(ds.classes(), (std::vector<std::string>{"0", "1", "2"}));  // 0..max, 1 has no samples
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.label(0), 2);
  EXPECT_EQ(ds.label(1), 0);
  EXPECT_EQ(ds.path(0), dir.str("a.png"));
}

TEST(CsvDataset, HeaderRule) {
  TempDir dir;
  write_image(dir.str("a.png"), 1);
  for (const std::string header : {"path,label", "Image,Class", "ID,breed", "file , LABEL", "\"filename\",\"label\""}) {
    const auto ds = open_csv(dir, header + "\na.png,cat\n");
    EXPECT_EQ(ds.size(), 1u) << header;
    EXPECT_EQ(ds.classes(), (std::vector<std::string>{"cat"})) << header;
  }
  // A first line that is not a header is data.
  const auto ds = open_csv(dir, "a.png,cat\na.png,dog\n");
  EXPECT_EQ(ds.size(), 2u);
  // Only the first line can be a header: later, path,label is a data line naming a missing file.
  expect_data_error([&] { open_csv(dir, "a.png,cat\npath,label\n"); }, {"labels.csv", "line 2", "path", "does not exist"});
}

TEST(CsvDataset, QuotedFields) {
  TempDir dir;
  write_image(dir.str("a, b.png"), 1);
  write_image(dir.str("say \"hi\".png"), 2);
  const auto ds = open_csv(dir, "\"a, b.png\",\"big, cat\"\n  \"say \"\"hi\"\".png\" ,dog\n");
  ASSERT_EQ(ds.size(), 2u);
  EXPECT_EQ(ds.path(0), dir.str("a, b.png"));
  EXPECT_EQ(ds.path(1), dir.str("say \"hi\".png"));
  EXPECT_EQ(ds.classes(), (std::vector<std::string>{"big, cat", "dog"}));
  expect_data_error([&] { open_csv(dir, "\"a, b.png\",cat\n\"a, b.png,cat\n"); }, {"labels.csv", "line 2", "not closed"});
  expect_data_error([&] { open_csv(dir, "\"a, b.png\"x,cat\n"); }, {"labels.csv", "line 1", "after a closing quote"});
}

TEST(CsvDataset, ClassesTxtFixesTheClassesAndTheirOrder) {
  TempDir dir;
  write_image(dir.str("a.png"), 1);
  write_image(dir.str("b.png"), 2);
  write_bytes(dir.str("classes.txt"), "zebra\r\nant\n\nmoth\n");
  auto ds = open_csv(dir, "a.png,ant\nb.png,zebra\n");
  EXPECT_EQ(ds.classes(), (std::vector<std::string>{"zebra", "ant", "moth"}));
  EXPECT_EQ(ds.label(0), 1);
  EXPECT_EQ(ds.label(1), 0);
  ds = open_csv(dir, "a.png,2\nb.png,0\n");  // integers index into classes.txt
  EXPECT_EQ(ds.classes(), (std::vector<std::string>{"zebra", "ant", "moth"}));
  EXPECT_EQ(ds.label(0), 2);
  EXPECT_EQ(ds.label(1), 0);
  expect_data_error([&] { open_csv(dir, "a.png,ant\nb.png,dog\n"); },
                    {"labels.csv", "line 2", "unknown label 'dog'", "classes.txt"});
  expect_data_error([&] { open_csv(dir, "a.png,0\nb.png,3\n"); },
                    {"labels.csv", "line 2", "unknown label '3'", "0..2"});
  write_bytes(dir.str("classes.txt"), "ant\nbee\nant\n");
  expect_data_error([&] { open_csv(dir, "a.png,ant\n"); }, {"classes.txt", "line 3", "'ant'", "twice"});
  write_bytes(dir.str("classes.txt"), "\n");
  expect_data_error([&] { open_csv(dir, "a.png,ant\n"); }, {"classes.txt", "no classes"});
}

TEST(CsvDataset, LabelsThatDoNotFitAreUnknown) {
  TempDir dir;
  write_image(dir.str("a.png"), 1);
  expect_data_error([&] { open_csv(dir, "a.png,cat\na.png,\n"); }, {"labels.csv", "line 2", "unknown label ''", "empty"});
  expect_data_error([&] { open_csv(dir, "a.png,0\n\na.png,cat\n"); },
                    {"labels.csv", "line 3", "unknown label 'cat'", "integers", "mixed"});
  expect_data_error([&] { open_csv(dir, "a.png,cat\na.png,7\n"); },
                    {"labels.csv", "line 2", "unknown label '7'", "class names", "mixed"});
  expect_data_error([&] { open_csv(dir, "a.png,1\na.png,-1\n"); }, {"labels.csv", "line 2", "unknown label '-1'"});
  expect_data_error([&] { open_csv(dir, "a.png,20230101\n"); }, {"labels.csv", "line 1", "unknown label '20230101'", "classes.txt"});
  expect_data_error([&] { open_csv(dir, "a.png,123456789012345678901234567890\n"); }, {"line 1", "unknown label '1234567890"});
}

TEST(CsvDataset, MissingImageIsAnErrorNamingFileLineAndPath) {
  TempDir dir;
  write_image(dir.str("a.png"), 1);
  expect_data_error([&] { open_csv(dir, "path,label\na.png,cat\nimg/gone.png,dog\n"); },
                    {"labels.csv", "line 3", dir.str("img/gone.png"), "does not exist"});
  fs::create_directories(dir.path() / "sub");
  expect_data_error([&] { open_csv(dir, "sub,cat\n"); }, {"labels.csv", "line 1", "not a file"});
}

TEST(CsvDataset, UndecodableFilesAreSkippedWithTheirLineOrStrictErrors) {
  TempDir dir;
  write_image(dir.str("a.png"), 1);
  write_bytes(dir.str("anim.jpg"), "GIF89a\x01\x00\x01\x00\x00\x00\x00;");  // a GIF named .jpg
  write_bytes(dir.str("notes.txt"), "hello");
  const std::string csv = "path,label\na.png,cat\nanim.jpg,dog\nnotes.txt,cat\n";
  const auto ds = open_csv(dir, csv);
  ASSERT_EQ(ds.size(), 1u);
  EXPECT_EQ(ds.classes(), (std::vector<std::string>{"cat", "dog"}));  // from every line, skipped ones too
  ASSERT_EQ(ds.skipped().size(), 2u);
  EXPECT_NE(ds.skipped()[0].find("anim.jpg"), std::string::npos) << ds.skipped()[0];
  EXPECT_NE(ds.skipped()[0].find("labels.csv line 3"), std::string::npos) << ds.skipped()[0];
  EXPECT_NE(ds.skipped()[1].find("labels.csv line 4"), std::string::npos) << ds.skipped()[1];
  data::ImageFileOptions strict;
  strict.strict = true;
  expect_data_error([&] { open_csv(dir, csv, strict); }, {"labels.csv", "line 3", "anim.jpg", "--strict-data"});
  expect_data_error([&] { open_csv(dir, "anim.jpg,dog\nnotes.txt,cat\n"); }, {"labels.csv", "none of its 2 images"});
}

TEST(CsvDataset, EmptyFilesAndWrongFieldCounts) {
  TempDir dir;
  write_image(dir.str("a.png"), 1);
  for (const std::string empty : {"", "\n\n  \r\n", "path,label\n"})
    expect_data_error([&] { open_csv(dir, empty); }, {"labels.csv", "no data lines"});
  expect_data_error([&] { open_csv(dir, "a.png,cat\na.png\n"); }, {"labels.csv", "line 2", "expected 2 fields", "found 1"});
  expect_data_error([&] { open_csv(dir, "\na.png,cat,extra\n"); }, {"labels.csv", "line 2", "found 3"});
  expect_data_error([&] { open_csv(dir, "a.png,cat\n,cat\n"); }, {"labels.csv", "line 2", "path is empty"});
  expect_data_error([&] { data::CsvDataset ds(dir.str("nothing.csv")); }, {"nothing.csv", "does not exist"});
}

TEST(CsvDataset, DecodeOptionsAsImageFolder) {
  TempDir dir;
  write_image(dir.str("big.png"), 9, 64, 48);
  data::ImageFileOptions o;
  o.max_image_pixels = 1000;
  const auto limited = open_csv(dir, "big.png,x\n", o);
  expect_data_error([&] { limited.get(0); }, {"big.png", "64 x 48"});
  o = {};
  o.decode_min_side = 12;  // shorter side 48 >= 4 x 12: a quarter
  EXPECT_EQ(open_csv(dir, "big.png,x\n", o).get(0).image.size(), cv::Size(16, 12));
  o.decode_min_side = -1;
  EXPECT_THROW(open_csv(dir, "big.png,x\n", o), std::invalid_argument);
  // open_data passes DataOptions on.
  data::DataOptions dopt;
  dopt.decode_min_side = 24;
  EXPECT_EQ(data::open_data("csv:" + dir.str("labels.csv"), dopt).train->get(0).image.size(), cv::Size(32, 24));
  dopt = {};
  dopt.max_image_pixels = 1000;
  expect_data_error([&] { data::open_data("csv:" + dir.str("labels.csv"), dopt).train->get(0); }, {"big.png", "max_image_pixels"});
  dopt = {};
  write_bytes(dir.str("a.gif"), "GIF89a\x01\x00\x01\x00\x00\x00\x00;");
  write_bytes(dir.str("labels.csv"), "big.png,x\na.gif,x\n");
  EXPECT_EQ(data::open_data("csv:" + dir.str("labels.csv"), dopt).train->skipped().size(), 1u);
  dopt.strict = true;
  expect_data_error([&] { data::open_data("csv:" + dir.str("labels.csv"), dopt); }, {"a.gif", "--strict-data"});
}

TEST(CsvDataset, OpenDataSpec) {
  TempDir dir;
  for (int i = 0; i < 10; ++i) write_image(dir.str("img/" + std::to_string(i) + ".png"), 20 * i);
  std::string csv = "image,label\n";
  for (int i = 0; i < 10; ++i) csv += "img/" + std::to_string(i) + ".png," + (i % 2 ? "odd" : "even") + "\n";
  write_bytes(dir.str("train.csv"), csv);
  const auto src = data::open_data("csv:" + dir.str("train.csv"));
  ASSERT_TRUE(src.train);
  EXPECT_FALSE(src.val);
  EXPECT_FALSE(src.test);
  EXPECT_EQ(src.train->size(), 10u);
  EXPECT_EQ(src.train->classes(), (std::vector<std::string>{"even", "odd"}));
  EXPECT_EQ(src.train->description(), "csv:" + dir.str("train.csv"));
  const auto splits = data::open_splits("csv:" + dir.str("train.csv"), "", 0.2, "", 0, 1);
  ASSERT_TRUE(splits.val);
  EXPECT_EQ(splits.train->size() + splits.val->size(), 10u);
  EXPECT_THROW(data::open_data("csv:"), std::invalid_argument);
  try {
    data::open_data("tsv:" + dir.str("train.csv"));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("csv:FILE"), std::string::npos) << e.what();
  }
}

TEST(CsvCli, TrainsOneEpochOnACsv) {
  TempDir dir;
  std::string csv = "filename,label\n";
  for (int c = 0; c < 2; ++c)
    for (int i = 0; i < 12; ++i) {
      const std::string name = "images/" + std::to_string(c) + "_" + std::to_string(i) + ".png";
      cv::Mat img(16, 20, CV_8UC3, cv::Scalar::all(c == 0 ? 40 + i : 200 - i));
      fs::create_directories(dir.path() / "images");
      ASSERT_TRUE(cv::imwrite(dir.str(name), img));
      csv += name + "," + (c == 0 ? "dark" : "bright") + "\n";
    }
  write_bytes(dir.str("labels.csv"), csv);
  const std::string log = dir.str("cli.log");
  const int code = run_command(std::string(TLAB_CLI_PATH) + " train --data csv:" + dir.str("labels.csv") +
                               " --image-size 16 --epochs 1 --batch-size 8 --threads 1 --out " + dir.str("run") + " > " +
                               log + " 2>&1");
  const std::string output = read_text(log);
  ASSERT_EQ(code, 0) << output;
  EXPECT_EQ(read_text(dir.str("run/classes.txt")), "bright\ndark\n");
  const auto config = nlohmann::json::parse(read_text(dir.str("run/config.json")));
  EXPECT_EQ(config["data"], "csv:" + dir.str("labels.csv")) << config.dump();
}

}  // namespace
}  // namespace tlab::test
