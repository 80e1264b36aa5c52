// HOG feature extraction speed: features::hog (features only, no picture) on decoded images, on
// 1 thread or N, images split into N equal runs. The peer, skimage.feature.hog in 1 process or a
// multiprocessing Pool, is bench/hog_peer.py; bench/hog.sh runs both and prints the ratios.
// The images (decoded once with tlab's decoder, before any timing) are written to --out as raw
// uint8 stacks with sets.json describing them, so that the peer times the very same pixels.
//   cifar10-colour / -grey   500 CIFAR-10 test JPEGs (50 a class), 32x32, cells 8, blocks 3
//   flowers5-colour / -grey  200 flowers5 JPEGs (40 a class), 128x128, cells 8, blocks 3
//   fashion-mnist            500 Fashion-MNIST test images, 28x28 grey, cells 4, blocks 2
// All with 9 orientations and L2-Hys. Grey: cv::cvtColor's RGB2GRAY of the decoded colour image.
// Prints one JSON line per (set, threads): the median images/s over --reps timed passes (after
// one warm-up pass), the feature length, and the sum of all features (the peer prints its own).
// Usage: tlab_bench_hog --out DIR [--shared ../shared] [--fashion-mnist DIR] [--threads 1,2] [--reps 7]
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tlab/core/io.h"
#include "tlab/data/decode.h"
#include "tlab/data/idx.h"
#include "tlab/features/hog.h"

namespace {

namespace fs = std::filesystem;
using tlab::features::HogOptions;

struct Set {
  std::string name;
  std::vector<cv::Mat> images;  // uint8, all of one size
  int cell = 8, block = 3;
};

// The first `per_class` JPEGs (by name) of each class folder of `dir`, in class order.
std::vector<cv::Mat> decode_folder(const fs::path& dir, size_t per_class) {
  std::vector<fs::path> classes;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory()) classes.push_back(e.path());
  std::sort(classes.begin(), classes.end());
  std::vector<cv::Mat> images;
  for (const auto& c : classes) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(c))
      if (e.path().extension() == ".jpg") files.push_back(e.path());
    std::sort(files.begin(), files.end());
    files.resize(std::min(files.size(), per_class));
    for (const auto& f : files) images.push_back(tlab::data::decode_image(f.string()));
  }
  return images;
}

std::vector<cv::Mat> to_grey(const std::vector<cv::Mat>& rgb) {
  std::vector<cv::Mat> grey(rgb.size());
  for (size_t i = 0; i < rgb.size(); ++i) cv::cvtColor(rgb[i], grey[i], cv::COLOR_RGB2GRAY);
  return grey;
}

HogOptions options_of(const Set& s) {
  HogOptions o;  // 9 orientations, L2-Hys
  o.pixels_per_cell = s.cell;
  o.cells_per_block = s.block;
  return o;
}

// One pass over the set on `threads` threads, the calling one included (it takes the last run);
// the features are kept, as a caller would keep them.
void pass(const Set& s, int threads, std::vector<std::vector<float>>& out) {
  const HogOptions o = options_of(s);
  const size_t n = s.images.size(), parts = size_t(threads);
  const auto run = [&](size_t part) {
    for (size_t i = n * part / parts; i < n * (part + 1) / parts; ++i) out[i] = tlab::features::hog(s.images[i], o);
  };
  std::vector<std::thread> helpers;
  for (size_t t = 0; t + 1 < parts; ++t) helpers.emplace_back(run, t);
  run(parts - 1);
  for (auto& t : helpers) t.join();
}

// The sets' pixels as raw stacks [count, rows, cols, channels] and their description.
void write_sets(const std::vector<Set>& sets, const fs::path& dir) {
  nlohmann::json description = nlohmann::json::array();
  for (const auto& s : sets) {
    const cv::Mat& first = s.images.front();
    std::string bytes;
    bytes.reserve(s.images.size() * first.total() * first.elemSize());
    for (const auto& m : s.images) bytes.append(reinterpret_cast<const char*>(m.data), m.total() * m.elemSize());
    tlab::write_file_atomic((dir / (s.name + ".u8")).string(), bytes);
    description.push_back({{"name", s.name}, {"file", s.name + ".u8"}, {"count", s.images.size()},
                           {"rows", first.rows}, {"cols", first.cols}, {"channels", first.channels()},
                           {"cell", s.cell}, {"block", s.block}, {"orientations", 9}, {"norm", "L2-Hys"}});
  }
  tlab::write_json_atomic((dir / "sets.json").string(), description);
}

}  // namespace

int main(int argc, char** argv) {
  std::string out, shared = "../shared", fashion = "/usr/share/datasets/fashion-mnist", threads_list = "1,2";
  int reps = 7;
  bool ok = argc % 2 == 1;  // flag value pairs
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--out") out = value;
    else if (flag == "--shared") shared = value;
    else if (flag == "--fashion-mnist") fashion = value;
    else if (flag == "--threads") threads_list = value;
    else if (flag == "--reps") reps = std::max(1, std::stoi(value));
    else ok = false;
  }
  if (!ok || out.empty()) {
    std::fprintf(stderr, "usage: %s --out DIR [--shared DIR] [--fashion-mnist DIR] [--threads 1,2] [--reps N]\n",
                 argv[0]);
    return 2;
  }
  cv::setNumThreads(1);
  std::vector<Set> sets;
  const auto cifar = decode_folder(fs::path(shared) / "datasets/cifar10-jpg/test", 50);
  const auto flowers = decode_folder(fs::path(shared) / "datasets/flowers5", 40);  // all 128x128 already
  sets.push_back({"cifar10-colour", cifar});
  sets.push_back({"cifar10-grey", to_grey(cifar)});
  sets.push_back({"flowers5-colour", flowers});
  sets.push_back({"flowers5-grey", to_grey(flowers)});
  const auto [images, labels] = tlab::data::find_idx_pair(fashion, "t10k");
  if (images.empty()) {
    std::fprintf(stderr, "no Fashion-MNIST t10k files in %s\n", fashion.c_str());
    return 1;
  }
  const auto fmnist = tlab::data::load_idx(images, labels, {}, "fashion-mnist");
  Set f{"fashion-mnist", {}, 4, 2};
  for (size_t i = 0; i < 500; ++i) f.images.push_back(fmnist->get(i).image.clone());
  sets.push_back(f);
  fs::create_directories(out);
  write_sets(sets, out);

  std::vector<int> thread_counts;
  std::stringstream list(threads_list);
  for (std::string t; std::getline(list, t, ',');) thread_counts.push_back(std::max(1, std::stoi(t)));
  for (const auto& s : sets)
    for (const int threads : thread_counts) {
      std::vector<std::vector<float>> features(s.images.size());
      pass(s, threads, features);  // warm-up: the orientation table, the caches
      std::vector<double> seconds;
      for (int r = 0; r < reps; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        pass(s, threads, features);
        seconds.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      std::sort(seconds.begin(), seconds.end());
      double checksum = 0;
      for (const auto& v : features)
        for (const float x : v) checksum += x;
      const cv::Mat& first = s.images.front();
      std::printf("{\"impl\": \"tlab\", \"set\": \"%s\", \"size\": \"%dx%dx%d\", \"cell\": %d, \"block\": %d, "
                  "\"workers\": %d, \"images\": %zu, \"feature_length\": %zu, \"images_per_second\": %.1f, "
                  "\"checksum\": %.6f}\n",
                  s.name.c_str(), first.rows, first.cols, first.channels(), s.cell, s.block, threads, s.images.size(),
                  features.front().size(), double(s.images.size()) / seconds[seconds.size() / 2], checksum);
      std::fflush(stdout);
    }
  return 0;
}
