#include "tlab/transforms/preprocess.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>

#include "../test_util.h"
#include "tlab/core/error.h"
#include "tlab/data/decode.h"

namespace tlab::test {
namespace {

using transforms::InputSpec;
using transforms::ResampleFilter;

// Writes `script` to DIR/name.py and runs it with Debian's python3 (python3-torchvision, PIL).
void run_python(const TempDir& dir, const std::string& name, const std::string& script, const std::string& args = "") {
  write_bytes(dir.str(name + ".py"), script);
  ASSERT_EQ(run_command("/usr/bin/python3 " + dir.str(name + ".py") + " " + args + " 2> " + dir.str(name + ".err")), 0)
      << read_text(dir.str(name + ".err")) << " (the reference needs python3-torchvision from scripts/setup.sh)";
}

std::vector<char> read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), {});
}

struct Diff {
  double max = 0, mean = 0;
};

Diff difference(const std::vector<float>& a, const std::vector<float>& b) {
  Diff d;
  if (a.size() != b.size() || a.empty()) {
    ADD_FAILURE() << "sizes differ: " << a.size() << " vs " << b.size();
    return {1e9, 1e9};
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const double e = std::abs(double(a[i]) - double(b[i]));
    d.max = std::max(d.max, e);
    d.mean += e;
  }
  d.mean /= double(a.size());
  return d;
}

std::vector<float> chw(const cv::Mat& image, const InputSpec& spec) {
  std::vector<float> out(size_t(spec.channels) * spec.height * spec.width);
  transforms::to_chw_float(image, spec, out.data());
  return out;
}

// The same resize + centre crop with a plain cv::resize flag (for the comparison only).
std::vector<float> chw_with_cv_resize(const cv::Mat& image, const InputSpec& spec, int flag) {
  const bool portrait = image.rows > image.cols;
  const int short_side = portrait ? image.cols : image.rows, long_side = portrait ? image.rows : image.cols;
  const int new_long = int(double(spec.resize) * long_side / short_side);
  const cv::Size size = portrait ? cv::Size(spec.resize, new_long) : cv::Size(new_long, spec.resize);
  cv::Mat resized;
  cv::resize(image, resized, size, 0, 0, flag);
  const int top = int(std::nearbyint((size.height - spec.height) / 2.0));
  const int left = int(std::nearbyint((size.width - spec.width) / 2.0));
  InputSpec crop_only = spec;
  crop_only.resize = 0;  // the crop already has the model's size: no further resizing
  return chw(resized(cv::Rect(left, top, spec.width, spec.height)), crop_only);
}

cv::Mat noise_picture(int width, int height, int channels, uint32_t seed) {
  cv::Mat img(height, width, CV_8UC(channels));
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 0, 256);
  cv::Mat smooth;
  cv::GaussianBlur(img, smooth, {0, 0}, 3);
  cv::addWeighted(img, 0.3, smooth, 0.7, 0, img);  // texture at every frequency, as in photos
  cv::rectangle(img, {width / 5, height / 4}, {width / 2, height / 2}, cv::Scalar::all(250), -1);
  return img;
}

// torchvision: Resize(256, interpolation) + CenterCrop(224) + ToTensor() + Normalize(ImageNet) on
// the PIL image (RGB), for every file in the list, with bilinear and bicubic; raw float32 out.
const char* kTorchvisionReference = R"PY(
import sys
import numpy as np
import torchvision.transforms as T
from PIL import Image
from torchvision.transforms import InterpolationMode

listing, out = sys.argv[1], sys.argv[2]
mean, std = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
modes = {"bilinear": InterpolationMode.BILINEAR, "bicubic": InterpolationMode.BICUBIC}
for i, path in enumerate(open(listing).read().split("\n")):
    if not path:
        continue
    image = Image.open(path).convert("RGB")  # torchvision's pil_loader
    for name, mode in modes.items():
        t = T.Compose([T.Resize(256, interpolation=mode), T.CenterCrop(224), T.ToTensor(), T.Normalize(mean, std)])
        t(image).numpy().astype(np.float32).tofile("%s/%d_%s.f32" % (out, i, name))
)PY";

// Parity with torchvision's ImageNet preprocessing on every shared photo plus generated pictures
// that hit the corner cases: a centre-crop offset of exactly x.5 (1288 x 720 -> 457 x 256: Python
// rounds 116.5 to 116), upscaling (a 200 x 150 picture), a portrait picture and a grey PNG.
//
// Tolerance: our uint8 pipeline reproduces Pillow's exactly (same libjpeg-turbo build decodes the
// JPEGs here, same fixed-point resampling arithmetic), so what is left is float rounding in the
// normalisation (~1e-6). kMaxTolerance allows one uint8 step after normalisation (1 / 255 / 0.225 =
// 0.0174) for setups whose JPEG decoder rounds differently (another libjpeg-turbo version or SIMD
// path, a PIL wheel with its own libjpeg); kMeanTolerance keeps such steps rare.
constexpr double kMaxTolerance = 0.02;
constexpr double kMeanTolerance = 1e-3;

TEST(PreprocessParity, MatchesTorchvisionResizeCenterCropOnSharedImages) {
  TempDir dir;
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(shared_dir() + "/images"))
    if (e.is_regular_file()) files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 5u) << "expected the shared photos in " << shared_dir() << "/images";
  const std::vector<std::tuple<std::string, int, int, int>> generated = {
      {"wide_tie_1288x720.png", 1288, 720, 3}, {"upscale_200x150.png", 200, 150, 3},
      {"portrait_333x500.png", 333, 500, 3}, {"grey_640x480.png", 640, 480, 1}};
  for (const auto& [name, w, h, c] : generated) {
    ASSERT_TRUE(cv::imwrite(dir.str(name), noise_picture(w, h, c, uint32_t(w * h))));
    files.push_back(dir.str(name));
  }
  std::string listing;
  for (const auto& f : files) listing += f + "\n";
  write_bytes(dir.str("files.txt"), listing);
  run_python(dir, "reference", kTorchvisionReference, dir.str("files.txt") + " " + dir.str());

  std::printf("  differences from torchvision (after normalisation), max / mean abs:\n");
  std::printf("  %-24s %-19s %-19s %-19s | %-19s %-19s\n", "image", "ours bilinear", "cv INTER_LINEAR",
              "cv INTER_AREA", "ours bicubic", "cv INTER_CUBIC");
  Diff worst[5];
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string base = fs::path(files[i]).filename().string();
    SCOPED_TRACE(files[i]);
    const cv::Mat img = data::decode_image(files[i]);
    std::vector<float> ref[2];
    for (int m = 0; m < 2; ++m) {
      const auto raw = read_raw(dir.str(std::to_string(i) + (m == 0 ? "_bilinear.f32" : "_bicubic.f32")));
      ASSERT_EQ(raw.size(), size_t(3 * 224 * 224 * 4)) << "the torchvision reference did not write its output";
      ref[m].resize(3 * 224 * 224);
      std::memcpy(ref[m].data(), raw.data(), raw.size());
    }
    const auto bilinear = transforms::imagenet_spec(256, 224, "bilinear");
    const auto bicubic = transforms::imagenet_spec(256, 224, "bicubic");
    const Diff d[5] = {difference(chw(img, bilinear), ref[0]),
                       difference(chw_with_cv_resize(img, bilinear, cv::INTER_LINEAR), ref[0]),
                       difference(chw(img, transforms::imagenet_spec(256, 224, "area")), ref[0]),
                       difference(chw(img, bicubic), ref[1]),
                       difference(chw_with_cv_resize(img, bicubic, cv::INTER_CUBIC), ref[1])};
    std::printf("  %-24s", base.c_str());
    for (int k = 0; k < 5; ++k) {
      std::printf(" %8.5f / %8.6f%s", d[k].max, d[k].mean, k == 2 ? " |" : "");
      worst[k].max = std::max(worst[k].max, d[k].max);
      worst[k].mean = std::max(worst[k].mean, d[k].mean);
    }
    std::printf("\n");
    EXPECT_LE(d[0].max, kMaxTolerance) << "bilinear, mean " << d[0].mean;
    EXPECT_LE(d[0].mean, kMeanTolerance) << "bilinear, max " << d[0].max;
    EXPECT_LE(d[3].max, kMaxTolerance) << "bicubic, mean " << d[3].mean;
    EXPECT_LE(d[3].mean, kMeanTolerance) << "bicubic, max " << d[3].max;
  }
  std::printf("  %-24s", "worst");
  for (int k = 0; k < 5; ++k) std::printf(" %8.5f / %8.6f%s", worst[k].max, worst[k].mean, k == 2 ? " |" : "");
  std::printf("\n");
}

// Pillow itself, on uint8: resample() must give the very same bytes for shrinking, enlarging, both
// at once, odd sizes and 1 x 1, grey and RGB; "nearest" must pick Pillow's pixels.
TEST(Resample, BitExactWithPillow) {
  TempDir dir;
  struct Case {
    int w, h, channels, out_w, out_h;
  };
  const std::vector<Case> cases = {{131, 97, 3, 43, 32},   {131, 97, 3, 263, 291}, {131, 97, 3, 65, 194},
                                   {131, 97, 3, 130, 97},  {131, 97, 3, 131, 102}, {131, 97, 3, 1, 1},
                                   {77, 120, 1, 25, 40},   {77, 120, 1, 256, 398}, {1288, 720, 3, 457, 256},
                                   {640, 480, 3, 33, 479}, {5, 3, 3, 224, 224}};
  std::string listing;
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    ASSERT_TRUE(cv::imwrite(dir.str(std::to_string(i) + ".png"), noise_picture(c.w, c.h, c.channels, uint32_t(i))));
    listing += str_cat(dir.str(std::to_string(i) + ".png"), " ", c.out_w, " ", c.out_h, "\n");
  }
  write_bytes(dir.str("cases.txt"), listing);
  run_python(dir, "pillow", R"PY(
import sys
import numpy as np
from PIL import Image
for i, line in enumerate(open(sys.argv[1]).read().split("\n")):
    if not line:
        continue
    path, w, h = line.split()
    image = Image.open(path)
    image = image.convert("RGB") if image.mode != "L" else image
    for name, f in (("bilinear", Image.BILINEAR), ("bicubic", Image.BICUBIC), ("nearest", Image.NEAREST)):
        np.asarray(image.resize((int(w), int(h)), f)).tofile("%s/%d_%s.u8" % (sys.argv[2], i, name))
)PY",
             dir.str("cases.txt") + " " + dir.str());
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    const cv::Mat img = data::decode_image(dir.str(std::to_string(i) + ".png"), {c.channels});
    for (const char* name : {"bilinear", "bicubic", "nearest"}) {
      SCOPED_TRACE(str_cat(c.w, "x", c.h, "x", c.channels, " -> ", c.out_w, "x", c.out_h, " ", name));
      // Through resize_and_crop, as InputSpec::interpolation (no crop: resize 0).
      InputSpec spec;
      spec.channels = c.channels;
      spec.width = c.out_w;
      spec.height = c.out_h;
      spec.interpolation = name;
      const cv::Mat ours = transforms::resize_and_crop(img, spec).clone();
      const auto raw = read_raw(dir.str(std::to_string(i) + "_" + name + ".u8"));
      ASSERT_EQ(raw.size(), size_t(c.out_w) * c.out_h * c.channels);
      ASSERT_EQ(ours.size(), cv::Size(c.out_w, c.out_h));
      ASSERT_TRUE(ours.isContinuous());
      const cv::Mat theirs(c.out_h, c.out_w, CV_8UC(c.channels), const_cast<char*>(raw.data()));
      EXPECT_EQ(cv::norm(ours, theirs, cv::NORM_INF), 0) << cv::countNonZero(cv::Mat(ours != theirs).reshape(1)) << " bytes differ";
    }
  }
}

TEST(Resample, CroppedEqualsResizedThenCropped) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 40; ++trial) {
    const int w = 1 + int(rng() % 300), h = 1 + int(rng() % 300), c = trial % 2 ? 3 : 1;
    const cv::Size size(1 + int(rng() % 300), 1 + int(rng() % 300));
    const cv::Mat img = noise_picture(w, h, c, uint32_t(trial));
    const int x = int(rng() % size.width), y = int(rng() % size.height);
    const cv::Rect crop(x, y, 1 + int(rng() % (size.width - x)), 1 + int(rng() % (size.height - y)));
    for (auto filter : {ResampleFilter::kBilinear, ResampleFilter::kBicubic, ResampleFilter::kNearest}) {
      const cv::Mat full = transforms::resample(img, size, filter);
      const cv::Mat part = transforms::resample(img, size, filter, crop);
      ASSERT_EQ(part.size(), crop.size());
      EXPECT_EQ(cv::norm(full(crop), part, cv::NORM_INF), 0) << w << "x" << h << " -> " << size << " crop " << crop;
    }
  }
  const cv::Mat img = noise_picture(20, 10, 3, 1);
  EXPECT_THROW(transforms::resample(img, {0, 5}, ResampleFilter::kBilinear), std::invalid_argument);
  EXPECT_THROW(transforms::resample(img, {10, 5}, ResampleFilter::kBilinear, {5, 0, 10, 5}), std::invalid_argument);
  EXPECT_THROW(transforms::resample(cv::Mat(4, 4, CV_32FC1), {2, 2}, ResampleFilter::kBilinear), std::invalid_argument);
}

TEST(Preprocess, CentreCropRoundsHalfToEvenLikeTorchvision) {
  // 457 x 256 already: no resizing, only the crop; (457 - 224) / 2 = 116.5 -> 116 (Python's round).
  cv::Mat img(256, 457, CV_8UC1);
  for (int x = 0; x < 457; ++x) img.col(x).setTo(x % 256);
  InputSpec spec = transforms::imagenet_spec(256, 224);
  spec.channels = 1;
  spec.mean = {0.5f};
  spec.std = {0.25f};
  EXPECT_EQ(transforms::resize_and_crop(img, spec).at<uint8_t>(0, 0), 116);
  cv::Mat wider(256, 459, CV_8UC1);  // (459 - 224) / 2 = 117.5 -> 118
  for (int x = 0; x < 459; ++x) wider.col(x).setTo(x % 256);
  EXPECT_EQ(transforms::resize_and_crop(wider, spec).at<uint8_t>(0, 0), 118);
}

TEST(Preprocess, InterpolationNamesAreChecked) {
  const cv::Mat img = noise_picture(64, 48, 3, 5);
  for (const char* name : {"auto", "bilinear", "bicubic", "nearest", "area"}) {
    InputSpec spec = transforms::imagenet_spec(40, 32, name);
    EXPECT_EQ(transforms::resize_and_crop(img, spec).size(), cv::Size(32, 32)) << name;
    spec.resize = 0;
    spec.height = 100;  // enlarging
    EXPECT_EQ(transforms::resize_and_crop(img, spec).size(), cv::Size(32, 100)) << name;
  }
  try {
    transforms::resize_and_crop(img, transforms::imagenet_spec(40, 32, "lanczos"));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("auto, bilinear, bicubic, nearest or area"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("lanczos"), std::string::npos) << e.what();
  }
}

// ---- Denoising ---------------------------------------------------------------------------------

// A flat grey (128) picture with Gaussian noise of standard deviation 12 (the defaults suit moderate
// noise: nlmeans' h = 10 should be near the noise's standard deviation).
cv::Mat noisy_flat(int channels) {
  cv::Mat noise(96, 96, CV_32FC(channels));
  cv::RNG rng(11);
  rng.fill(noise, cv::RNG::NORMAL, 128, 12);
  cv::Mat img;
  noise.convertTo(img, CV_8U);
  return img;
}

double noise_std(const cv::Mat& img) {
  cv::Scalar mean, stddev;
  cv::meanStdDev(img.reshape(1), mean, stddev);
  return stddev[0];
}

InputSpec same_size_spec(int channels, const std::string& method, int size = 0, float strength = 0) {
  InputSpec spec;
  spec.channels = channels;
  spec.height = spec.width = 96;  // no resizing: the output is the denoised image
  spec.denoise = method;
  spec.denoise_size = size;
  spec.denoise_strength = strength;
  return spec;
}

TEST(Denoise, EveryMethodReducesNoiseOnAFlatImage) {
  for (int channels : {3, 1}) {
    const cv::Mat img = noisy_flat(channels);
    const double before = noise_std(img);
    ASSERT_NEAR(before, 12, 1);
    for (const char* method : {"gaussian", "median", "bilateral", "nlmeans"}) {
      const cv::Mat out = transforms::resize_and_crop(img, same_size_spec(channels, method));
      ASSERT_EQ(out.size(), img.size());
      ASSERT_EQ(out.type(), img.type());
      const double after = noise_std(out);
      EXPECT_LT(after, 0.7 * before) << method << " on " << channels << " channels: std " << before << " -> " << after;
      EXPECT_NEAR(cv::mean(out.reshape(1))[0], 128, 3) << method;  // the level stays
    }
    // A larger kernel or strength removes more.
    const double k3 = noise_std(transforms::resize_and_crop(img, same_size_spec(channels, "gaussian", 3)));
    const double k9 = noise_std(transforms::resize_and_crop(img, same_size_spec(channels, "gaussian", 9, 3)));
    EXPECT_LT(k9, k3);
    const double h5 = noise_std(transforms::resize_and_crop(img, same_size_spec(channels, "nlmeans", 0, 5)));
    const double h30 = noise_std(transforms::resize_and_crop(img, same_size_spec(channels, "nlmeans", 0, 30)));
    EXPECT_LT(h30, h5);
  }
}

TEST(Denoise, NoneIsTheIdentity) {
  const cv::Mat img = noisy_flat(3);
  const cv::Mat out = transforms::resize_and_crop(img, same_size_spec(3, "none"));
  EXPECT_EQ(cv::norm(img, out, cv::NORM_INF), 0);
  EXPECT_EQ(InputSpec().denoise, "none");
}

TEST(Denoise, RunsBeforeResizing) {
  // Median 5 then shrinking 4x differs from shrinking alone, and equals doing the two by hand.
  const cv::Mat img = noise_picture(400, 300, 3, 9);
  InputSpec spec = transforms::imagenet_spec(75, 64);
  spec.denoise = "median";
  spec.denoise_size = 5;
  cv::Mat by_hand;
  cv::medianBlur(img, by_hand, 5);
  InputSpec plain = spec;
  plain.denoise = "none";
  plain.denoise_size = 0;
  const cv::Mat expected = transforms::resize_and_crop(by_hand, plain);
  EXPECT_EQ(cv::norm(transforms::resize_and_crop(img, spec), expected, cv::NORM_INF), 0);
  EXPECT_GT(cv::norm(transforms::resize_and_crop(img, plain), expected, cv::NORM_INF), 0);
}

TEST(Denoise, JsonRoundTripAndOldJson) {
  InputSpec spec = transforms::imagenet_spec(256, 224, "bicubic");
  spec.denoise = "bilateral";
  spec.denoise_size = 7;
  spec.denoise_strength = 30.5f;
  const auto j = transforms::to_json(spec);
  EXPECT_EQ(j.at("denoise"), "bilateral");
  const InputSpec back = transforms::input_spec_from_json(j);
  EXPECT_EQ(back.denoise, "bilateral");
  EXPECT_EQ(back.denoise_size, 7);
  EXPECT_EQ(back.denoise_strength, 30.5f);
  EXPECT_EQ(back.interpolation, "bicubic");
  EXPECT_EQ(back.resize, 256);
  EXPECT_EQ(back.mean, spec.mean);
  // JSON written before the denoise keys existed (a checkpoint's "input").
  const auto old = nlohmann::json::parse(R"({"channels": 3, "height": 224, "width": 224, "mean": [0.485, 0.456, 0.406],
      "std": [0.229, 0.224, 0.225], "resize": 256, "interpolation": "bilinear", "bgr": false, "scale": 0.00392156862})");
  const InputSpec loaded = transforms::input_spec_from_json(old);
  EXPECT_EQ(loaded.denoise, "none");
  EXPECT_EQ(loaded.denoise_size, 0);
  EXPECT_EQ(loaded.denoise_strength, 0.f);
  EXPECT_EQ(loaded.resize, 256);
}

void expect_invalid(const nlohmann::json& j, const std::vector<std::string>& parts) {
  try {
    transforms::input_spec_from_json(j);
    ADD_FAILURE() << "accepted " << j.dump();
  } catch (const std::invalid_argument& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

TEST(Denoise, BadSettingsAreClearErrors) {
  const auto base = transforms::to_json(transforms::imagenet_spec());
  auto with = [&](const nlohmann::json& patch) {
    auto j = base;
    j.update(patch);
    return j;
  };
  expect_invalid(with({{"denoise", "wavelet"}}), {"denoise", "wavelet", "none, gaussian, median, bilateral or nlmeans"});
  expect_invalid(with({{"denoise", "median"}, {"denoise_size", 4}}), {"odd", "4"});
  expect_invalid(with({{"denoise", "gaussian"}, {"denoise_size", 6}}), {"odd", "6"});
  expect_invalid(with({{"denoise", "nlmeans"}, {"denoise_size", 20}}), {"search window", "20"});
  expect_invalid(with({{"denoise", "median"}, {"denoise_strength", 2}}), {"median", "no strength"});
  expect_invalid(with({{"denoise", "none"}, {"denoise_size", 5}}), {"'none'", "denoise_size 5"});
  expect_invalid(with({{"denoise", "bilateral"}, {"denoise_size", -1}}), {"denoise_size", "-1"});
  expect_invalid(with({{"denoise", "bilateral"}, {"denoise_strength", -2}}), {"denoise_strength", "-2"});
  expect_invalid(with({{"denoise_size", "5"}}), {"'denoise_size' must be an integer", "\"5\""});
  expect_invalid(with({{"denoise", 3}}), {"'denoise' must be a string"});
  expect_invalid(with({{"denoise_strength", "high"}}), {"'denoise_strength' must be a number"});
  expect_invalid(with({{"interpolation", "lanczos"}}), {"interpolation", "lanczos"});
  // Straight through resize_and_crop too.
  InputSpec spec = same_size_spec(3, "blur");
  EXPECT_THROW(transforms::resize_and_crop(noisy_flat(3), spec), std::invalid_argument);
}

}  // namespace
}  // namespace tlab::test
