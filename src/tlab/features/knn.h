#pragma once
// k nearest neighbours by brute force, with scikit-learn's KNeighborsClassifier(n_neighbors=k)
// defaults: Euclidean distance, uniform weights. The state is the training set itself (plain
// tensors, so a pipeline can keep them as module buffers); distances are computed in torch in
// float64, a block of queries at a time, on the queries' device. tests/features/knn_test.cpp
// checks the votes against scikit-learn's.
#include <torch/torch.h>

#include <cstdint>

namespace tlab::features {

struct KnnOptions {
  int k = 5;  // --knn-k: neighbours that vote (0 < k <= training samples)
};

struct Knn {
  torch::Tensor train_features;  // [N, D] float64
  torch::Tensor train_labels;    // [N] int64 in [0, num_classes)
  int64_t num_classes = 0;
  int k = 5;

  // Keeps x [N, D] (float32 or float64, any device; kept on the CPU) and labels [N] (int64 in
  // [0, num_classes)). Throws DataError for an empty training set, UsageError naming --knn-k
  // unless 0 < k <= N, UsageError for bad shapes or labels. One class alone is allowed.
  static Knn fit(const torch::Tensor& x, const torch::Tensor& labels, int64_t num_classes, const KnnOptions& options = {});
  // [N, K] float64: the fraction of the k nearest training samples in each class. Of equally
  // distant samples at the k-th place, the lower training indices are taken (scikit-learn's order).
  torch::Tensor predict_proba(const torch::Tensor& x) const;
  // [N] int64: the class of the most votes (ties: the lower class, as scikit-learn).
  torch::Tensor predict(const torch::Tensor& x) const;
};

}  // namespace tlab::features
