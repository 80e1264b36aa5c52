#include "tlab/select/folds.h"

#include <algorithm>
#include <map>
#include <random>

#include "tlab/core/error.h"

namespace tlab::select {
namespace {

// NumPy's legacy RandomState: MT19937 seeded with init_genrand (std::mt19937's own seeding), and
// shuffle as RandomState.shuffle does it: for i = n-1 .. 1, swap with j = random_interval(i), a
// masked draw rejected until it is <= i.
uint64_t random_interval(std::mt19937& mt, uint64_t max) {
  if (max == 0) return 0;
  uint64_t mask = max;
  for (int s = 1; s <= 32; s *= 2) mask |= mask >> s;
  uint64_t value;
  while ((value = (uint64_t(mt()) & mask)) > max) {
  }
  return value;
}

void numpy_shuffle(std::vector<int>& v, std::mt19937& mt) {
  for (size_t i = v.size(); i-- > 1;) std::swap(v[i], v[size_t(random_interval(mt, i))]);
}

// StratifiedKFold._make_test_folds: each sample's test fold.
std::vector<int> test_folds(const std::vector<int64_t>& labels, int k, bool shuffle, std::mt19937& mt) {
  // classes numbered by order of first appearance, as scikit-learn encodes them
  std::map<int64_t, int> code;
  std::vector<int> encoded(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) encoded[i] = code.emplace(labels[i], int(code.size())).first->second;
  const int n_classes = int(code.size());
  std::vector<int64_t> counts(size_t(n_classes), 0);
  for (int c : encoded) ++counts[size_t(c)];
  // allocation[f][c]: samples of class c in test fold f, dealt round robin over the sorted labels
  std::vector<int> sorted = encoded;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<int64_t>> allocation(size_t(k), std::vector<int64_t>(size_t(n_classes), 0));
  for (size_t i = 0; i < sorted.size(); ++i) ++allocation[i % size_t(k)][size_t(sorted[i])];
  std::vector<int> folds(labels.size());
  for (int c = 0; c < n_classes; ++c) {
    std::vector<int> for_class;  // fold numbers in blocks: np.arange(k).repeat(allocation[:, c])
    for (int f = 0; f < k; ++f) for_class.insert(for_class.end(), size_t(allocation[size_t(f)][size_t(c)]), f);
    if (shuffle) numpy_shuffle(for_class, mt);
    size_t next = 0;
    for (size_t i = 0; i < labels.size(); ++i)
      if (encoded[i] == c) folds[i] = for_class[next++];
  }
  return folds;
}

}  // namespace

std::vector<Fold> stratified_folds(const std::vector<int64_t>& labels, const FoldOptions& o) {
  TLAB_CHECK(o.folds >= 2, "--folds: expected at least 2 folds, got ", o.folds);
  TLAB_CHECK(o.repeats >= 1, "--repeats: expected at least 1, got ", o.repeats);
  TLAB_CHECK(o.repeats == 1 || o.shuffle, "--repeats ", o.repeats, " without shuffling repeats the same folds");
  TLAB_CHECK(o.seed <= 0xffffffffULL, "--seed: cross-validation seeds NumPy's RandomState, which takes < 2^32, got ",
             o.seed);
  std::map<int64_t, int64_t> per_class;
  for (auto l : labels) ++per_class[l];
  int64_t largest = 0;
  for (const auto& [label, n] : per_class) largest = std::max(largest, n);
  TLAB_CHECK(largest >= o.folds, "--folds ", o.folds, ": no class has that many samples (the largest has ", largest,
             "); use fewer folds");
  std::mt19937 mt(uint32_t(o.seed));
  std::vector<Fold> out;
  for (int r = 0; r < o.repeats; ++r) {
    const auto assigned = test_folds(labels, o.folds, o.shuffle, mt);
    for (int f = 0; f < o.folds; ++f) {
      Fold fold{r, f, {}, {}};
      for (size_t i = 0; i < assigned.size(); ++i) (assigned[i] == f ? fold.test : fold.train).push_back(i);
      out.push_back(std::move(fold));
    }
  }
  return out;
}

}  // namespace tlab::select
