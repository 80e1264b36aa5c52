// Resizing speed: our Pillow-exact resample() (what interpolation "bilinear" and "bicubic" mean)
// against cv::resize, single-threaded, on a smooth random picture, for torchvision's ImageNet
// geometry (shorter side to 256, then a 224 x 224 centre crop, which resample() computes alone).
// Prints one line per (input size, method): milliseconds per image, median of `--reps` runs.
// Pillow's own time for the same resize is measured by bench/resize_peer.py.
// Usage: tlab_bench_resize [--reps N]
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "tlab/transforms/preprocess.h"

namespace {

double median_ms(const std::function<void()>& f, int reps) {
  f();  // warm-up
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int reps = 30;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::stoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--reps N]\n", argv[0]);
      return 2;
    }
  }
  cv::setNumThreads(1);
  using tlab::transforms::ResampleFilter;
  using tlab::transforms::resample;
  for (const cv::Size in : {cv::Size(500, 375), cv::Size(1280, 720), cv::Size(4000, 3000), cv::Size(32, 32)}) {
    cv::Mat img(in, CV_8UC3);
    cv::randu(img, 0, 256);
    cv::GaussianBlur(img, img, {0, 0}, 2);
    const cv::Size size(int(256.0 * in.width / in.height), 256);  // landscape inputs: height becomes 256
    const cv::Rect crop((size.width - 224 + 1) / 2, (size.height - 224 + 1) / 2, 224, 224);
    const int n = in.area() > 4'000'000 ? std::max(3, reps / 5) : reps;
    cv::Mat out;
    const std::vector<std::pair<std::string, std::function<void()>>> methods = {
        {"cv INTER_LINEAR (full)", [&] { cv::resize(img, out, size, 0, 0, cv::INTER_LINEAR); }},
        {"cv INTER_AREA (full)", [&] { cv::resize(img, out, size, 0, 0, cv::INTER_AREA); }},
        {"cv INTER_CUBIC (full)", [&] { cv::resize(img, out, size, 0, 0, cv::INTER_CUBIC); }},
        {"resample bilinear (full)", [&] { out = resample(img, size, ResampleFilter::kBilinear); }},
        {"resample bilinear (crop)", [&] { out = resample(img, size, ResampleFilter::kBilinear, crop); }},
        {"resample bicubic (full)", [&] { out = resample(img, size, ResampleFilter::kBicubic); }},
        {"resample bicubic (crop)", [&] { out = resample(img, size, ResampleFilter::kBicubic, crop); }}};
    for (const auto& [name, f] : methods)
      std::printf("%4dx%-4d -> %dx%d  %-26s %8.3f ms\n", in.width, in.height, size.width, size.height, name.c_str(),
                  median_ms(f, n));
  }
  return 0;
}
