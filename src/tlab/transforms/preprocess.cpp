#include "tlab/transforms/preprocess.h"

#include <opencv2/imgproc.hpp>

#include "tlab/core/error.h"

namespace tlab::transforms {

nlohmann::json to_json(const InputSpec& s) {
  return {{"channels", s.channels}, {"height", s.height}, {"width", s.width}, {"mean", s.mean}, {"std", s.std}};
}

InputSpec input_spec_from_json(const nlohmann::json& j) {
  InputSpec s;
  s.channels = j.at("channels").get<int>();
  s.height = j.at("height").get<int>();
  s.width = j.at("width").get<int>();
  s.mean = j.at("mean").get<std::vector<float>>();
  s.std = j.at("std").get<std::vector<float>>();
  return s;
}

void to_chw_float(const cv::Mat& image, const InputSpec& spec, float* out) {
  TLAB_CHECK(image.depth() == CV_8U && (image.channels() == 1 || image.channels() == 3 || image.channels() == 4),
             "to_chw_float: expected a uint8 image with 1, 3 or 4 channels, got type ", image.type());
  TLAB_CHECK(spec.channels == 1 || spec.channels == 3, "input spec: channels must be 1 or 3, got ", spec.channels);
  TLAB_CHECK(spec.mean.empty() || int(spec.mean.size()) == spec.channels, "input spec: ", spec.mean.size(),
             " mean values for ", spec.channels, " channels");
  TLAB_CHECK(spec.std.empty() || int(spec.std.size()) == spec.channels, "input spec: ", spec.std.size(),
             " std values for ", spec.channels, " channels");

  cv::Mat img = image;
  if (img.channels() != spec.channels) {
    cv::Mat converted;
    if (spec.channels == 1)
      cv::cvtColor(img, converted, img.channels() == 4 ? cv::COLOR_RGBA2GRAY : cv::COLOR_RGB2GRAY);
    else
      cv::cvtColor(img, converted, img.channels() == 4 ? cv::COLOR_RGBA2RGB : cv::COLOR_GRAY2RGB);
    img = converted;
  }
  if (img.rows != spec.height || img.cols != spec.width) {
    cv::Mat resized;
    const bool shrink = img.rows > spec.height && img.cols > spec.width;
    cv::resize(img, resized, cv::Size(spec.width, spec.height), 0, 0, shrink ? cv::INTER_AREA : cv::INTER_LINEAR);
    img = resized;
  }

  const int c_count = spec.channels;
  float scale[3], shift[3];
  for (int c = 0; c < c_count; ++c) {
    const float m = spec.mean.empty() ? 0.f : spec.mean[c];
    const float s = spec.std.empty() ? 1.f : spec.std[c];
    scale[c] = 1.f / (255.f * s);
    shift[c] = -m / s;
  }
  const size_t plane = static_cast<size_t>(spec.height) * spec.width;
  for (int y = 0; y < spec.height; ++y) {
    const uint8_t* row = img.ptr<uint8_t>(y);
    for (int x = 0; x < spec.width; ++x)
      for (int c = 0; c < c_count; ++c)
        out[c * plane + static_cast<size_t>(y) * spec.width + x] = row[x * c_count + c] * scale[c] + shift[c];
  }
}

}  // namespace tlab::transforms
