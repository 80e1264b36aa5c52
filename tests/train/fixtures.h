#pragma once
// A small learnable IDX data set for training tests: 3 classes of 12x12 grey images, class c has a
// bright horizontal bar at rows 2+3c..3+3c plus noise.
#include <nlohmann/json.hpp>

#include <random>
#include <sstream>
#include <string>

#include "../test_util.h"
#include "tlab/train/options.h"

namespace tlab::test {

inline std::string be32_bytes(uint32_t v) { return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)}; }

inline void write_bar_idx(const std::string& dir, const std::string& prefix, int n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> noise(0, 80);
  std::string images = be32_bytes(0x803) + be32_bytes(n) + be32_bytes(12) + be32_bytes(12);
  std::string labels = be32_bytes(0x801) + be32_bytes(n);
  for (int i = 0; i < n; ++i) {
    const int c = i % 3;
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 12; ++x) images.push_back(char((y / 3 == c + 1 ? 170 : 0) + noise(rng)));
    labels.push_back(char(c));
  }
  write_bytes(dir + "/" + prefix + "-images-idx3-ubyte", images);
  write_bytes(dir + "/" + prefix + "-labels-idx1-ubyte", labels);
}

inline void write_bar_dataset(const std::string& dir, int train = 240, int test = 60) {
  write_bar_idx(dir, "train", train, 1);
  write_bar_idx(dir, "t10k", test, 2);
}

// A short run on the bars of `data_dir` (write_bar_dataset) into `out`: 2 epochs, batch 16, loading on
// the training thread.
inline train::RunOptions bar_run(const std::string& data_dir, const std::string& out, int epochs = 2) {
  train::RunOptions o;
  o.data.spec = "idx:" + data_dir;
  o.recipe.epochs = epochs;
  o.recipe.batch_size = 16;
  o.system.workers = 0;
  o.system.out = out;
  return o;
}

// The records of RUN_DIR/metrics.jsonl, one per epoch.
inline std::vector<nlohmann::json> metrics_lines(const std::string& run_dir) {
  std::vector<nlohmann::json> out;
  std::istringstream in(read_text(run_dir + "/metrics.jsonl"));
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace tlab::test
