#pragma once
// Stratified K-fold cross-validation folds with scikit-learn's assignment: the same test indices as
// StratifiedKFold(n_splits=K, shuffle, random_state=seed) for one repeat, and as
// RepeatedStratifiedKFold(n_splits=K, n_repeats=R, random_state=seed) for R (which draws every
// repeat's shuffles from one generator).
#include <cstdint>
#include <vector>

namespace tlab::select {

struct Fold {
  int repeat = 0, fold = 0;          // 0-based
  std::vector<size_t> train, test;   // sorted ascending, disjoint, together every index once
};

struct FoldOptions {
  int folds = 5;         // --folds K, >= 2, and no more than the largest class has samples
  int repeats = 1;       // --repeats R, >= 1 (R > 1 needs shuffle)
  bool shuffle = true;   // --shuffle: shuffle each class's fold blocks (scikit-learn's shuffle=True)
  uint64_t seed = 0;     // random_state; < 2^32 as NumPy's RandomState takes it
};

// Throws UsageError naming the flag for impossible options or labels (fewer samples of every class
// than folds; scikit-learn raises the same).
std::vector<Fold> stratified_folds(const std::vector<int64_t>& labels, const FoldOptions& options);

}  // namespace tlab::select
