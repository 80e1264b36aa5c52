#include "tlab/transforms/preprocess.h"

#include <opencv2/imgproc.hpp>

#include <cmath>

#include "tlab/core/error.h"

namespace tlab::transforms {

nlohmann::json to_json(const InputSpec& s) {
  return {{"channels", s.channels}, {"height", s.height}, {"width", s.width},       {"mean", s.mean},
          {"std", s.std},           {"resize", s.resize}, {"interpolation", s.interpolation},
          {"bgr", s.bgr},           {"scale", s.scale}};
}

InputSpec input_spec_from_json(const nlohmann::json& j) {
  InputSpec s;
  s.channels = j.at("channels").get<int>();
  s.height = j.at("height").get<int>();
  s.width = j.at("width").get<int>();
  s.mean = j.at("mean").get<std::vector<float>>();
  s.std = j.at("std").get<std::vector<float>>();
  s.resize = j.value("resize", 0);
  s.interpolation = j.value("interpolation", std::string("auto"));
  s.bgr = j.value("bgr", false);
  s.scale = j.value("scale", 1.0f / 255);
  return s;
}

InputSpec imagenet_spec(int resize, int crop, const std::string& interpolation) {
  InputSpec s;
  s.height = s.width = crop;
  s.resize = resize;
  s.interpolation = interpolation;
  s.mean = {0.485f, 0.456f, 0.406f};
  s.std = {0.229f, 0.224f, 0.225f};
  return s;
}

InputSpec caffe_spec(int resize, int crop) {
  InputSpec s;
  s.height = s.width = crop;
  s.resize = resize;
  s.interpolation = "bilinear";
  s.bgr = true;
  s.scale = 1.0f;
  s.mean = {104.f, 117.f, 123.f};
  s.std = {1.f, 1.f, 1.f};
  return s;
}

namespace {

int cv_interpolation(const std::string& name, bool shrinking) {
  if (name == "auto") return shrinking ? cv::INTER_AREA : cv::INTER_LINEAR;
  if (name == "bilinear") return cv::INTER_LINEAR;
  if (name == "bicubic") return cv::INTER_CUBIC;
  if (name == "nearest") return cv::INTER_NEAREST;
  if (name == "area") return cv::INTER_AREA;
  throw std::invalid_argument(str_cat("interpolation: expected auto, bilinear, bicubic, nearest or area, got '", name, "'"));
}

void validate(const InputSpec& spec) {
  TLAB_CHECK(spec.channels == 1 || spec.channels == 3, "input spec: channels must be 1 or 3, got ", spec.channels);
  TLAB_CHECK(spec.height > 0 && spec.width > 0, "input spec: size must be positive, got ", spec.height, "x", spec.width);
  TLAB_CHECK(spec.resize >= 0, "input spec: resize must be >= 0, got ", spec.resize);
  TLAB_CHECK(spec.mean.empty() || int(spec.mean.size()) == spec.channels, "input spec: ", spec.mean.size(),
             " mean values for ", spec.channels, " channels");
  TLAB_CHECK(spec.std.empty() || int(spec.std.size()) == spec.channels, "input spec: ", spec.std.size(),
             " std values for ", spec.channels, " channels");
}

}  // namespace

cv::Mat resize_and_crop(const cv::Mat& image, const InputSpec& spec) {
  TLAB_CHECK(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3 || image.channels() == 4),
             "preprocess: expected a uint8 image with 1, 3 or 4 channels, got type ", image.type());
  validate(spec);
  cv::Mat img = image;
  if (img.channels() != spec.channels) {
    cv::Mat converted;
    if (spec.channels == 1)
      cv::cvtColor(img, converted, img.channels() == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
    else
      cv::cvtColor(img, converted, img.channels() == 4 ? cv::COLOR_RGBA2RGB : cv::COLOR_GRAY2RGB);
    img = converted;
  }
  if (spec.resize > 0) {
    // torchvision Resize(int): the shorter side becomes `resize`, the longer keeps the aspect ratio
    // (its size is truncated, as torchvision does).
    const bool portrait = img.rows > img.cols;
    const int short_side = portrait ? img.cols : img.rows, long_side = portrait ? img.rows : img.cols;
    const int new_long = int(double(spec.resize) * long_side / short_side);
    const cv::Size size = portrait ? cv::Size(spec.resize, new_long) : cv::Size(new_long, spec.resize);
    if (size != img.size()) {
      cv::Mat resized;
      cv::resize(img, resized, size, 0, 0, cv_interpolation(spec.interpolation, short_side > spec.resize));
      img = resized;
    }
    TLAB_CHECK(img.rows >= spec.height && img.cols >= spec.width, "preprocess: centre crop ", spec.height, "x",
               spec.width, " is larger than the resized image ", img.rows, "x", img.cols);
    // torchvision CenterCrop: top = round((H - h) / 2)
    const int top = int(std::lround((img.rows - spec.height) / 2.0)), left = int(std::lround((img.cols - spec.width) / 2.0));
    img = img(cv::Rect(left, top, spec.width, spec.height));
  } else if (img.rows != spec.height || img.cols != spec.width) {
    cv::Mat resized;
    const bool shrink = img.rows > spec.height && img.cols > spec.width;
    cv::resize(img, resized, cv::Size(spec.width, spec.height), 0, 0, cv_interpolation(spec.interpolation, shrink));
    img = resized;
  }
  return img;
}

void to_chw_float(const cv::Mat& image, const InputSpec& spec, float* out) {
  const cv::Mat img = resize_and_crop(image, spec);
  const int c_count = spec.channels;
  float scale[3], shift[3];
  for (int c = 0; c < c_count; ++c) {
    const float m = spec.mean.empty() ? 0.f : spec.mean[c];
    const float s = spec.std.empty() ? 1.f : spec.std[c];
    scale[c] = spec.scale / s;
    shift[c] = -m / s;
  }
  const size_t plane = static_cast<size_t>(spec.height) * spec.width;
  for (int y = 0; y < spec.height; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(y);
    for (int x = 0; x < spec.width; ++x)
      for (int c = 0; c < c_count; ++c) {
        const int src = (spec.bgr && c_count == 3) ? 2 - c : c;  // the image is RGB
        out[c * plane + static_cast<size_t>(y) * spec.width + x] = row[x * c_count + src] * scale[c] + shift[c];
      }
  }
}

}  // namespace tlab::transforms

namespace tlab::transforms {

cv::Mat resize_shorter_side(const cv::Mat& image, int side, const std::string& interpolation) {
  TLAB_CHECK(side > 0, "resize_shorter_side: side must be positive, got ", side);
  const bool portrait = image.rows > image.cols;
  const int short_side = portrait ? image.cols : image.rows, long_side = portrait ? image.rows : image.cols;
  if (short_side == side) return image;
  const int new_long = int(double(side) * long_side / short_side);
  const cv::Size size = portrait ? cv::Size(side, new_long) : cv::Size(new_long, side);
  cv::Mat resized;
  cv::resize(image, resized, size, 0, 0, cv_interpolation(interpolation, short_side > side));
  return resized;
}

}  // namespace tlab::transforms
