#include "tlab/data/decode.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <random>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/data/image_folder.h"
#include "tlab/data/spec.h"

namespace tlab::test {
namespace {

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

const uint8_t* u8(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }

std::optional<data::ImageHeader> header_of(const std::string& bytes) {
  return data::read_image_header(u8(bytes), bytes.size());
}

// A smooth BGR test picture with detail at every scale: gradients, a few discs and stripes.
cv::Mat picture(int width, int height) {
  cv::Mat img(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(uint8_t(255 * x / width), uint8_t(255 * y / height), uint8_t((x + y) % 256));
  for (int i = 0; i < 6; ++i)
    cv::circle(img, {width * (i + 1) / 8, height / 2}, height / (6 + i), cv::Scalar(40 * i, 255 - 40 * i, 128), -1);
  for (int x = 0; x < width; x += 64) cv::line(img, {x, 0}, {x + height / 3, height}, cv::Scalar(0, 0, 0), 5);
  return img;
}

// cv::imwrite, creating the parent directories.
void write_picture(const std::string& path, const cv::Mat& img, const std::vector<int>& params = {}) {
  fs::create_directories(fs::path(path).parent_path());
  ASSERT_TRUE(cv::imwrite(path, img, params)) << path;
}

// Writes `script` to DIR/name.py and runs it with Debian's python3 (PIL comes with python3-torchvision).
void run_python(const TempDir& dir, const std::string& name, const std::string& script) {
  write_bytes(dir.str(name + ".py"), script);
  ASSERT_EQ(run_command("cd " + dir.str() + " && /usr/bin/python3 " + name + ".py 2> " + name + ".err"), 0)
      << read_text(dir.str(name + ".err")) << " (needs python3-pil, installed with python3-torchvision)";
}

template <typename F>
void expect_data_error(F f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected a DataError mentioning " << parts[0];
  } catch (const DataError& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

TEST(DecodeImage, ReducedJpegDecodeKeepsTheShorterSideAtLeastMinSide) {
  TempDir dir;
  const std::string file = dir.str("big.jpg");
  ASSERT_TRUE(cv::imwrite(file, picture(1600, 1200), {cv::IMWRITE_JPEG_QUALITY, 95}));
  // min_side -> expected size: the largest factor f in {2, 4, 8} with floor(1200 / f) >= min_side.
  const std::vector<std::tuple<int, int, int>> cases = {
      {0, 1600, 1200}, {224, 400, 300}, {300, 400, 300}, {301, 800, 600}, {600, 800, 600},
      {601, 1600, 1200}, {150, 200, 150}, {149, 200, 150}, {1, 200, 150}, {5000, 1600, 1200}};
  for (const auto& [min_side, w, h] : cases) {
    data::DecodeOptions o;
    o.min_side = min_side;
    const cv::Mat img = data::decode_image(file, o);
    EXPECT_EQ(img.cols, w) << "min_side " << min_side;
    EXPECT_EQ(img.rows, h) << "min_side " << min_side;
    EXPECT_EQ(img.type(), CV_8UC3);
  }
  // 224: factor 4 (400x300), never 8 (200x150 would be below 224).
  data::DecodeOptions o;
  o.min_side = 224;
  const cv::Mat reduced = data::decode_image(file, o);
  ASSERT_EQ(reduced.size(), cv::Size(400, 300));
  // The DCT-domain downscale is close to a full decode shrunk with a box filter.
  cv::Mat area;
  cv::resize(data::decode_image(file), area, reduced.size(), 0, 0, cv::INTER_AREA);
  cv::Mat diff;
  cv::absdiff(reduced, area, diff);
  const double mean = cv::mean(diff.reshape(1))[0];
  double max = 0;
  cv::minMaxLoc(diff.reshape(1), nullptr, &max);
  EXPECT_LT(mean, 1.5) << "max " << max;
  EXPECT_LE(max, 40) << "mean " << mean;  // only at sharp edges (the stripes), where the two filters differ

  o.channels = 1;
  const cv::Mat grey = data::decode_image(file, o);
  EXPECT_EQ(grey.size(), cv::Size(400, 300));
  EXPECT_EQ(grey.type(), CV_8UC1);
}

TEST(DecodeImage, OtherFormatsShrinkWithAreaByTheSameRule) {
  TempDir dir;
  const cv::Mat bgr = picture(1600, 1200);
  ASSERT_TRUE(cv::imwrite(dir.str("big.png"), bgr));
  data::DecodeOptions o;
  o.min_side = 224;
  const cv::Mat reduced = data::decode_image(dir.str("big.png"), o);
  ASSERT_EQ(reduced.size(), cv::Size(400, 300));
  cv::Mat rgb, expected;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  cv::resize(rgb, expected, {400, 300}, 0, 0, cv::INTER_AREA);
  EXPECT_EQ(cv::norm(reduced, expected, cv::NORM_INF), 0);
  // A 1601 x 1203 PNG: floor sizes, as OpenCV's own reduced modes give.
  ASSERT_TRUE(cv::imwrite(dir.str("odd.png"), picture(1601, 1203)));
  EXPECT_EQ(data::decode_image(dir.str("odd.png"), o).size(), cv::Size(400, 300));
}

TEST(DecodeImage, ExifOrientationIsApplied) {
  TempDir dir;
  // An upright 640 x 480 picture with a red block at the top left, a blue one at the bottom right,
  // stored turned so that EXIF orientation 6 (rotate 90 clockwise), 3 (180) or 8 (90 counter-
  // clockwise) turns it upright again; 1 is upright already.
  run_python(dir, "exif", R"PY(
from PIL import Image, ImageDraw
up = Image.new("RGB", (640, 480), (128, 128, 128))
d = ImageDraw.Draw(up)
d.rectangle([0, 0, 159, 119], fill=(255, 0, 0))
d.rectangle([480, 360, 639, 479], fill=(0, 0, 255))
stored = {1: up, 6: up.transpose(Image.ROTATE_90), 3: up.transpose(Image.ROTATE_180), 8: up.transpose(Image.ROTATE_270)}
for orientation, image in stored.items():
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save("o%d.jpg" % orientation, quality=95, exif=exif.tobytes())
)PY");
  for (int orientation : {1, 6, 3, 8}) {
    const std::string file = dir.str("o" + std::to_string(orientation) + ".jpg");
    const auto head = header_of(bytes_of(file));
    ASSERT_TRUE(head) << file;
    // The header gives the stored size; the decoded image is upright.
    EXPECT_EQ(head->width, orientation == 6 || orientation == 8 ? 480 : 640) << file;
    for (int min_side : {0, 200, 100}) {  // full size, 1/2 and 1/4 scale
      SCOPED_TRACE(file + " min_side " + std::to_string(min_side));
      data::DecodeOptions o;
      o.min_side = min_side;
      const cv::Mat img = data::decode_image(file, o);
      const int f = min_side == 0 ? 1 : min_side == 200 ? 2 : 4;
      ASSERT_EQ(img.size(), cv::Size(640 / f, 480 / f));
      const cv::Vec3b top_left = img.at<cv::Vec3b>(10 / f, 10 / f);
      const cv::Vec3b bottom_right = img.at<cv::Vec3b>(img.rows - 10 / f, img.cols - 10 / f);
      const cv::Vec3b top_right = img.at<cv::Vec3b>(10 / f, img.cols - 10 / f);
      EXPECT_GT(top_left[0], 200);  // red (RGB order)
      EXPECT_LT(top_left[2], 60);
      EXPECT_GT(bottom_right[2], 200);  // blue
      EXPECT_LT(bottom_right[0], 60);
      EXPECT_NEAR(top_right[0], 128, 20);  // grey
      EXPECT_NEAR(top_right[2], 128, 20);
      o.channels = 1;
      EXPECT_EQ(data::decode_image(file, o).size(), cv::Size(640 / f, 480 / f));
    }
  }
}

// A PNG signature and IHDR claiming width x height, and nothing else.
std::string png_header(uint32_t width, uint32_t height) {
  auto be32 = [](uint32_t v) { return std::string{char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; };
  return std::string("\x89PNG\r\n\x1A\n", 8) + be32(13) + "IHDR" + be32(width) + be32(height) +
         std::string("\x08\x02\x00\x00\x00", 5) + be32(0);
}

// SOI, an APP0 segment, then a baseline SOF0 claiming width x height with 3 components.
std::string jpeg_header(uint16_t width, uint16_t height) {
  std::string s("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20);
  s += std::string("\xFF\xC0\x00\x11\x08", 5);
  s += {char(height >> 8), char(height), char(width >> 8), char(width), 3};
  s += std::string("\x01\x22\x00\x02\x11\x01\x03\x11\x01", 9);
  return s;
}

TEST(DecodeImage, DecompressionBombIsRefusedFromTheHeader) {
  TempDir dir;
  // 30000 x 30000 = 9e8 pixels: over the default limit (and under OpenCV's own 2^30, so without the
  // header check OpenCV would allocate 2.7 GB before finding there is no pixel data).
  write_bytes(dir.str("bomb.png"), png_header(30000, 30000));
  write_bytes(dir.str("bomb.jpg"), jpeg_header(30000, 30000));
  for (const char* name : {"bomb.png", "bomb.jpg"}) {
    const std::string file = dir.str(name);
    expect_data_error([&] { data::decode_image(file); },
                      {file, "30000 x 30000", "900000000 pixels", "178956970", "max_pixels", "max_image_pixels"});
    const std::string bytes = bytes_of(file);
    expect_data_error([&] { data::decode_image(u8(bytes), bytes.size(), "upload #3"); }, {"upload #3", "30000 x 30000"});
  }
  // 2^32-1 x 2^32-1 does not overflow the check.
  write_bytes(dir.str("huge.png"), png_header(0xFFFFFFFF, 0xFFFFFFFF));
  expect_data_error([&] { data::decode_image(dir.str("huge.png")); }, {"4294967295 x 4294967295"});

  // A real image over a small limit; exactly at the limit is allowed (PIL refuses only above it).
  ASSERT_TRUE(cv::imwrite(dir.str("small.png"), picture(40, 30)));
  data::DecodeOptions o;
  o.max_pixels = 1199;
  expect_data_error([&] { data::decode_image(dir.str("small.png"), o); }, {"small.png", "40 x 30 = 1200 pixels", "1199"});
  o.max_pixels = 1200;
  EXPECT_EQ(data::decode_image(dir.str("small.png"), o).size(), cv::Size(40, 30));
  o.max_pixels = 0;  // no limit
  EXPECT_EQ(data::decode_image(dir.str("small.png"), o).size(), cv::Size(40, 30));
  // A format the header reader does not know (Sun raster): the limit applies to the decoded size.
  ASSERT_TRUE(cv::imwrite(dir.str("small.ras"), picture(40, 30)));
  ASSERT_FALSE(header_of(bytes_of(dir.str("small.ras"))));
  o.max_pixels = 1000;
  expect_data_error([&] { data::decode_image(dir.str("small.ras"), o); }, {"small.ras", "40 x 30", "1000"});

  // Through ImageFolder and open_data.
  write_picture(dir.str("folder/a/1.png"), picture(40, 30));
  data::ImageFolderOptions fo;
  fo.max_image_pixels = 1000;
  data::ImageFolder folder(dir.str("folder"), fo);
  expect_data_error([&] { folder.get(0); }, {"1.png", "40 x 30"});
  data::DataOptions dopt;
  dopt.max_image_pixels = 1000;
  const auto src = data::open_data(dir.str("folder"), dopt);
  expect_data_error([&] { src.train->get(0); }, {"1.png", "max_image_pixels"});
}

TEST(DecodeImage, ChannelsGreyAndColourEitherWay) {
  TempDir dir;
  cv::Mat grey_src(48, 64, CV_8UC1);
  for (int y = 0; y < 48; ++y)
    for (int x = 0; x < 64; ++x) grey_src.at<uint8_t>(y, x) = uint8_t(4 * x);
  ASSERT_TRUE(cv::imwrite(dir.str("grey.jpg"), grey_src, {cv::IMWRITE_JPEG_QUALITY, 100}));
  const cv::Mat rgb = data::decode_image(dir.str("grey.jpg"));
  ASSERT_EQ(rgb.type(), CV_8UC3);
  std::vector<cv::Mat> planes;
  cv::split(rgb, planes);
  EXPECT_EQ(cv::norm(planes[0], planes[1], cv::NORM_INF), 0);
  EXPECT_EQ(cv::norm(planes[0], planes[2], cv::NORM_INF), 0);
  EXPECT_LE(cv::norm(planes[0], grey_src, cv::NORM_INF), 3);

  const cv::Mat colour = picture(64, 48);  // BGR
  ASSERT_TRUE(cv::imwrite(dir.str("colour.jpg"), colour, {cv::IMWRITE_JPEG_QUALITY, 100}));
  data::DecodeOptions o;
  o.channels = 1;
  const cv::Mat grey = data::decode_image(dir.str("colour.jpg"), o);
  ASSERT_EQ(grey.type(), CV_8UC1);
  cv::Mat expected;
  cv::cvtColor(colour, expected, cv::COLOR_BGR2GRAY);  // 0.299 R + 0.587 G + 0.114 B
  EXPECT_LT(cv::mean(cv::abs(cv::Mat_<float>(grey) - cv::Mat_<float>(expected)))[0], 2.0);

  // RGB order: a pure red PNG decodes to (255, 0, 0).
  ASSERT_TRUE(cv::imwrite(dir.str("red.png"), cv::Mat(4, 4, CV_8UC3, cv::Scalar(0, 0, 255))));
  EXPECT_EQ(data::decode_image(dir.str("red.png")).at<cv::Vec3b>(1, 1), cv::Vec3b(255, 0, 0));
}

TEST(DecodeImage, SixteenBitAndAlphaBecomeEightBitRgb) {
  TempDir dir;
  cv::Mat deep(8, 8, CV_16UC3, cv::Scalar(0, 32896, 65535));  // BGR
  ASSERT_TRUE(cv::imwrite(dir.str("deep.png"), deep));
  const cv::Mat img = data::decode_image(dir.str("deep.png"));
  ASSERT_EQ(img.type(), CV_8UC3);
  EXPECT_EQ(img.at<cv::Vec3b>(3, 3), cv::Vec3b(255, 128, 0));
  cv::Mat alpha(8, 8, CV_8UC4, cv::Scalar(10, 20, 30, 0));  // fully transparent
  ASSERT_TRUE(cv::imwrite(dir.str("alpha.png"), alpha));
  const cv::Mat no_alpha = data::decode_image(dir.str("alpha.png"));
  ASSERT_EQ(no_alpha.type(), CV_8UC3);
  EXPECT_EQ(no_alpha.at<cv::Vec3b>(0, 0), cv::Vec3b(30, 20, 10));
  data::DecodeOptions o;
  o.channels = 1;
  EXPECT_EQ(data::decode_image(dir.str("deep.png"), o).type(), CV_8UC1);
}

TEST(DecodeImage, MemoryBufferDecodesLikeTheFile) {
  TempDir dir;
  ASSERT_TRUE(cv::imwrite(dir.str("a.jpg"), picture(300, 200)));
  const std::string bytes = bytes_of(dir.str("a.jpg"));
  data::DecodeOptions o;
  o.min_side = 100;
  const cv::Mat from_file = data::decode_image(dir.str("a.jpg"), o);
  const cv::Mat from_memory = data::decode_image(u8(bytes), bytes.size(), "a.jpg", o);
  EXPECT_EQ(from_file.size(), cv::Size(150, 100));
  EXPECT_EQ(cv::norm(from_file, from_memory, cv::NORM_INF), 0);
  expect_data_error([&] { data::decode_image(u8(bytes), 100, "upload from 10.0.0.7"); },
                    {"upload from 10.0.0.7", "cannot decode"});
  expect_data_error([&] { data::decode_image(u8(bytes), 0, "empty upload"); }, {"empty upload", "empty"});
  expect_data_error([&] { data::decode_image(nullptr, 0, "nothing"); }, {"nothing"});
}

TEST(DecodeImage, MissingEmptyDirectoryAndGarbageFilesAreDataErrorsNamingTheFile) {
  TempDir dir;
  expect_data_error([&] { data::decode_image(dir.str("missing.jpg")); }, {"missing.jpg", "No such file"});
  write_bytes(dir.str("empty.jpg"), "");
  expect_data_error([&] { data::decode_image(dir.str("empty.jpg")); }, {"empty.jpg", "empty"});
  fs::create_directories(dir.path() / "folder.jpg");
  expect_data_error([&] { data::decode_image(dir.str("folder.jpg")); }, {"folder.jpg", "directory"});
  write_bytes(dir.str("notes.jpg"), "these are not pixels");
  expect_data_error([&] { data::decode_image(dir.str("notes.jpg")); }, {"notes.jpg", "cannot decode"});
  // OpenCV 4.6 has no GIF decoder: a clear error, not a crash.
  write_bytes(dir.str("a.gif"), "GIF89a\x01\x00\x01\x00\x00\x00\x00;");
  expect_data_error([&] { data::decode_image(dir.str("a.gif")); }, {"a.gif", "gif"});
}

TEST(DecodeImage, BadOptionsAreCallerErrors) {
  TempDir dir;
  ASSERT_TRUE(cv::imwrite(dir.str("a.png"), picture(8, 8)));
  for (auto bad : {data::DecodeOptions{2}, data::DecodeOptions{3, -1}, data::DecodeOptions{3, 0, -5}})
    EXPECT_THROW(data::decode_image(dir.str("a.png"), bad), std::invalid_argument);
  data::ImageFolderOptions fo;
  fo.decode_min_side = -1;
  write_picture(dir.str("f/a/1.png"), picture(8, 8));
  EXPECT_THROW(data::ImageFolder folder(dir.str("f"), fo), std::invalid_argument);
}

TEST(DecodeImage, ImageFolderAndOpenDataPassTheDecodeSettingsOn) {
  TempDir dir;
  write_picture(dir.str("train/cat/1.jpg"), picture(1600, 1200));
  write_picture(dir.str("val/cat/2.jpg"), picture(1200, 1600));
  data::DataOptions o;
  o.decode_min_side = 256;
  const auto src = data::open_data(dir.str(), o);
  EXPECT_EQ(src.train->get(0).image.size(), cv::Size(400, 300));
  EXPECT_EQ(src.val->get(0).image.size(), cv::Size(300, 400));
  EXPECT_EQ(data::open_data(dir.str()).train->get(0).image.size(), cv::Size(1600, 1200));  // default: full size
}

// ---- Header reader ----------------------------------------------------------------------------

TEST(ImageHeader, SizesOfEveryFormatWrittenByOpenCV) {
  TempDir dir;
  const cv::Mat img = picture(123, 45);
  const std::vector<std::pair<std::string, data::ImageFormat>> files = {
      {"a.jpg", data::ImageFormat::kJpeg}, {"a.png", data::ImageFormat::kPng},  {"a.bmp", data::ImageFormat::kBmp},
      {"a.webp", data::ImageFormat::kWebp}, {"a.tif", data::ImageFormat::kTiff}, {"a.ppm", data::ImageFormat::kPnm},
      {"a.pgm", data::ImageFormat::kPnm}};
  cv::Mat grey;
  cv::cvtColor(img, grey, cv::COLOR_BGR2GRAY);
  for (const auto& [name, format] : files) {
    ASSERT_TRUE(cv::imwrite(dir.str(name), name == "a.pgm" ? grey : img)) << name;
    const auto h = header_of(bytes_of(dir.str(name)));
    ASSERT_TRUE(h) << name;
    EXPECT_EQ(h->format, format) << name;
    EXPECT_EQ(h->width, 123) << name;
    EXPECT_EQ(h->height, 45) << name;
    EXPECT_EQ(data::decode_image(dir.str(name)).size(), cv::Size(123, 45)) << name;
  }
  // Progressive JPEG: SOF2.
  ASSERT_TRUE(cv::imwrite(dir.str("p.jpg"), img, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
  const auto p = header_of(bytes_of(dir.str("p.jpg")));
  ASSERT_TRUE(p);
  EXPECT_EQ(p->width, 123);
  EXPECT_EQ(p->height, 45);
}

TEST(ImageHeader, SizesOfFilesWrittenByPil) {
  TempDir dir;
  // GIF; WebP lossy (VP8), lossless (VP8L) and with alpha (VP8X); BMP bottom-up and grey; TIFF
  // (PIL writes little-endian; the hand-made test below covers big-endian); a JPEG with a 5 kB EXIF segment.
  run_python(dir, "pil", R"PY(
from PIL import Image
im = Image.radial_gradient("L").resize((301, 157)).convert("RGB")
im.save("a.gif")
im.save("lossy.webp", quality=80)
im.save("lossless.webp", lossless=True)
alpha = im.convert("RGBA")
alpha.putalpha(Image.linear_gradient("L").resize((301, 157)))
alpha.save("alpha.webp")
im.save("a.bmp")
im.convert("L").save("grey.bmp")
im.save("a.tif")
exif = Image.Exif()
exif[0x010E] = "x" * 5000
im.save("exif.jpg", exif=exif.tobytes())
)PY");
  const std::vector<std::pair<std::string, data::ImageFormat>> files = {
      {"a.gif", data::ImageFormat::kGif},     {"lossy.webp", data::ImageFormat::kWebp},
      {"lossless.webp", data::ImageFormat::kWebp}, {"alpha.webp", data::ImageFormat::kWebp},
      {"a.bmp", data::ImageFormat::kBmp},     {"grey.bmp", data::ImageFormat::kBmp},
      {"a.tif", data::ImageFormat::kTiff}, {"exif.jpg", data::ImageFormat::kJpeg}};
  for (const auto& [name, format] : files) {
    const std::string bytes = bytes_of(dir.str(name));
    const auto h = header_of(bytes);
    ASSERT_TRUE(h) << name;
    EXPECT_EQ(h->format, format) << name;
    EXPECT_EQ(h->width, 301) << name;
    EXPECT_EQ(h->height, 157) << name;
  }
  const std::string lossless = bytes_of(dir.str("lossless.webp")), alpha = bytes_of(dir.str("alpha.webp")),
                    lossy = bytes_of(dir.str("lossy.webp"));
  EXPECT_EQ(lossy.substr(12, 4), "VP8 ");
  EXPECT_EQ(lossless.substr(12, 4), "VP8L");
  EXPECT_EQ(alpha.substr(12, 4), "VP8X");
}

TEST(ImageHeader, HandMadeHeaders) {
  // BMP, OS/2 core header (16-bit sizes), and a top-down BITMAPINFOHEADER (negative height).
  std::string core = "BM" + std::string(12, '\0') + std::string("\x0C\x00\x00\x00\x07\x00\x05\x00", 8);
  auto h = header_of(core);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->width, 7);
  EXPECT_EQ(h->height, 5);
  std::string top_down = "BM" + std::string(12, '\0') + std::string("\x28\x00\x00\x00\x10\x00\x00\x00\xF0\xFF\xFF\xFF", 12);
  h = header_of(top_down);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->width, 16);
  EXPECT_EQ(h->height, 16);
  // PNM with comments.
  h = header_of("P6\n# made by hand\n# two comments\n 640\t480\n255\n");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->format, data::ImageFormat::kPnm);
  EXPECT_EQ(h->width, 640);
  EXPECT_EQ(h->height, 480);
  EXPECT_FALSE(header_of("P6\n640"));  // no height
  EXPECT_FALSE(header_of("P6\n99999999999999999 1\n"));
  EXPECT_FALSE(header_of("P7\nWIDTH 4\n"));
  // JPEG: fill bytes before a marker and stray bytes between segments are skipped, as libjpeg does.
  std::string jpeg = jpeg_header(640, 480);
  std::string filled = jpeg.substr(0, 20) + "junk" + "\xFF\xFF" + jpeg.substr(20);
  h = header_of(filled);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->width, 640);
  EXPECT_EQ(h->height, 480);
  // SOF1, SOF2, SOF3, SOF9 ... are frame headers too; DHT (C4), JPG (C8) and DAC (CC) are not.
  for (char sof : {'\xC1', '\xC2', '\xC3', '\xC9', '\xCF'}) {
    std::string s = jpeg;
    s[21] = sof;
    EXPECT_TRUE(header_of(s)) << int(uint8_t(sof));
  }
  for (char other : {'\xC4', '\xC8', '\xCC'}) {
    std::string s = jpeg;
    s[21] = other;
    EXPECT_FALSE(header_of(s)) << int(uint8_t(other));  // then SOS / the end comes before any SOF
  }
  // A segment length of 0 or 1, or one running past the end, is malformed.
  for (const char* len : {"\x00\x00", "\x00\x01", "\xFF\xFF"}) {
    std::string s = jpeg;
    s.replace(4, 2, len, 2);
    EXPECT_FALSE(header_of(s));
  }
  // An EXIF thumbnail is a whole JPEG inside APP1: its SOF is not the image's.
  const std::string thumb = jpeg_header(16, 16);
  const size_t app1_length = 2 + 6 + thumb.size();
  std::string with_thumb = std::string("\xFF\xD8\xFF\xE1", 4) + char(app1_length >> 8) + char(app1_length & 0xFF) +
                           std::string("Exif\0\0", 6) + thumb + jpeg.substr(2);
  h = header_of(with_thumb);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->width, 640);
  // Big-endian TIFF: IFD at 8 with ImageWidth (SHORT 300) and ImageLength (LONG 200).
  std::string tiff("MM\0*\0\0\0\x08\0\x02", 10);
  tiff += std::string("\x01\x00\x00\x03\x00\x00\x00\x01\x01\x2C\x00\x00", 12);
  tiff += std::string("\x01\x01\x00\x04\x00\x00\x00\x01\x00\x00\x00\xC8", 12);
  h = header_of(tiff);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->format, data::ImageFormat::kTiff);
  EXPECT_EQ(h->width, 300);
  EXPECT_EQ(h->height, 200);
  EXPECT_FALSE(header_of(tiff.substr(0, tiff.size() - 1)));
  // Start of scan before any frame header.
  EXPECT_FALSE(header_of(std::string("\xFF\xD8\xFF\xDA\x00\x02", 6)));
  EXPECT_FALSE(data::read_image_header(nullptr, 10));
  EXPECT_FALSE(header_of(""));
  EXPECT_FALSE(header_of("just text, not an image"));
  EXPECT_STREQ(data::format_name(data::ImageFormat::kWebp), "webp");
}

TEST(ImageHeader, TruncatedAndGarbageInputNeverReadsOutOfBounds) {
  TempDir dir;
  const cv::Mat img = picture(97, 61);
  std::vector<std::string> files;
  for (const char* name : {"a.jpg", "a.png", "a.bmp", "a.webp", "a.tif", "a.ppm"}) {
    ASSERT_TRUE(cv::imwrite(dir.str(name), img));
    files.push_back(bytes_of(dir.str(name)));
  }
  files.push_back(png_header(30000, 30000));
  files.push_back(jpeg_header(30000, 30000));
  for (const std::string& full : files) {
    const auto expected = header_of(full);
    ASSERT_TRUE(expected);
    for (size_t n = 0; n < std::min<size_t>(full.size(), 4096); ++n) {
      // Each prefix in its own allocation, so that a read past its end is one past a heap block
      // (AddressSanitizer builds, TLAB_SANITIZE=ON, report it).
      std::vector<uint8_t> prefix(full.begin(), full.begin() + n);
      const auto h = data::read_image_header(prefix.data(), prefix.size());
      if (h) {  // a prefix that holds the whole header gives the same answer
        EXPECT_EQ(h->width, expected->width);
        EXPECT_EQ(h->height, expected->height);
      }
    }
    // Decoding a truncated file: a DataError or a partial image, never a crash or another exception.
    for (size_t n : {size_t(0), size_t(1), size_t(3), size_t(12), size_t(40), full.size() / 2, full.size() - 1}) {
      if (n >= full.size()) continue;
      try {
        data::decode_image(u8(full), n, "truncated");
      } catch (const DataError&) {
      }
    }
  }
  // Random bytes behind each signature.
  std::mt19937 rng(7);
  const std::vector<std::string> magics = {"\xFF\xD8\xFF", std::string("\x89PNG\r\n\x1A\n", 8), "GIF89a", "BM",
                                           "RIFF\x10\x00\x00\x00WEBPVP8 ", "RIFF\x10\x00\x00\x00WEBPVP8L",
                                           "RIFF\x10\x00\x00\x00WEBPVP8X", std::string("II*\0", 4),
                                           std::string("MM\0*", 4), "P5"};
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = magics[i % magics.size()];
    const size_t extra = rng() % 64;
    for (size_t k = 0; k < extra; ++k) bytes.push_back(char(rng() % 4 == 0 ? 0xFF : rng()));
    std::vector<uint8_t> buf(bytes.begin(), bytes.end());
    const auto h = data::read_image_header(buf.data(), buf.size());
    if (h) {
      EXPECT_GE(h->width, 0);
      EXPECT_GE(h->height, 0);
    }
  }
}

}  // namespace
}  // namespace tlab::test
