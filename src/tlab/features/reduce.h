#pragma once
// Feature reduction and selection, fitted on the training split only and applied unchanged to the
// others, with scikit-learn's definitions: StandardScaler, PCA(svd_solver="full", whiten), and
// VarianceThreshold and SelectKBest(f_classif). Features are [N, D] tensors; fitting and
// transforming run in float64 on the CPU (the results come back as float64).
#include <torch/torch.h>

namespace tlab::features {

// x -> (x - mean) / scale; scale is the population standard deviation, 1 where it is 0 (as StandardScaler).
struct Standardizer {
  torch::Tensor mean, scale;  // [D]
  static Standardizer fit(const torch::Tensor& x);
  torch::Tensor transform(const torch::Tensor& x) const;
};

// The top `components` principal axes by an SVD of the centred data; signs as scikit-learn's
// svd_flip (the largest |entry| of each left singular vector positive). whiten: each projection
// divided by the square root of its explained variance (S^2 / (N - 1)).
struct Pca {
  torch::Tensor mean;                // [D]
  torch::Tensor components;          // [k, D]
  torch::Tensor explained_variance;  // [k]
  bool whiten = false;
  // Throws UsageError naming --reduce unless 0 < components <= min(N, D).
  static Pca fit(const torch::Tensor& x, int64_t components, bool whiten = false);
  torch::Tensor transform(const torch::Tensor& x) const;  // [N, k]
};

// A subset of the columns, in ascending order.
struct ColumnSelection {
  torch::Tensor keep;  // [k] int64
  torch::Tensor transform(const torch::Tensor& x) const { return x.index_select(1, keep.to(x.device())); }
};

// VarianceThreshold(threshold): the columns whose variance is above it (threshold 0: also not
// constant, by their peak-to-peak range, as scikit-learn does). Throws UsageError naming
// --select when no column passes.
ColumnSelection variance_threshold(const torch::Tensor& x, double threshold = 0);

// The ANOVA F statistic of each column against the labels (scikit-learn's f_classif, its sums in its
// order); NaN for a column that is constant within every class and overall.
torch::Tensor f_classif(const torch::Tensor& x, const torch::Tensor& labels);

// SelectKBest(f_classif, k): the k columns of the highest F (NaN counts lowest; ties keep the later
// column, as its stable argsort does). Throws UsageError naming --select unless 0 < k <= D.
ColumnSelection select_k_best(const torch::Tensor& x, const torch::Tensor& labels, int64_t k);

}  // namespace tlab::features
