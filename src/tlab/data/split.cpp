#include "tlab/data/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

#include "tlab/core/error.h"

namespace tlab::data {

SplitIndices stratified_split(const std::vector<int64_t>& labels, double val_fraction, uint64_t seed) {
  TLAB_CHECK(val_fraction >= 0.0 && val_fraction < 1.0, "--val-split: expected a fraction in [0, 1), got ",
             val_fraction);
  std::map<int64_t, std::vector<size_t>> by_class;
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(i);
  std::mt19937_64 rng(seed);
  SplitIndices out;
  for (auto& [label, idx] : by_class) {
    std::shuffle(idx.begin(), idx.end(), rng);
    size_t n_val = static_cast<size_t>(std::llround(val_fraction * idx.size()));
    if (val_fraction > 0 && idx.size() >= 2) n_val = std::clamp<size_t>(n_val, 1, idx.size() - 1);
    out.val.insert(out.val.end(), idx.begin(), idx.begin() + n_val);
    out.train.insert(out.train.end(), idx.begin() + n_val, idx.end());
  }
  std::sort(out.train.begin(), out.train.end());
  std::sort(out.val.begin(), out.val.end());
  return out;
}

}  // namespace tlab::data
