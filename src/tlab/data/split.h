#pragma once
// Stratified train/validation split.
#include <cstdint>
#include <vector>

namespace tlab::data {

struct SplitIndices {
  std::vector<size_t> train, val;  // disjoint, each sorted ascending, together every index once
};

// Puts round(val_fraction * n_c) samples of each class c into val (at least one when the class
// has two or more samples and val_fraction > 0), chosen by a generator seeded with `seed`.
// Throws UsageError unless 0 <= val_fraction < 1.
SplitIndices stratified_split(const std::vector<int64_t>& labels, double val_fraction, uint64_t seed);

}  // namespace tlab::data
