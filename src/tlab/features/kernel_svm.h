#pragma once
// A kernel SVM fitted by LIBSVM, with scikit-learn's SVC() defaults: C-SVC, the RBF kernel
// exp(-gamma |u - v|^2) with gamma "scale" = 1 / (D var(X)), tolerance 1e-3, shrinking, a 200 MB
// kernel cache, one-vs-one over the class pairs. The fitted model is kept as plain tensors (LIBSVM's
// own layout), so a pipeline can store them as module buffers and rebuild the classifier; the
// decision values are computed from them in torch (the kernel matrix in batches, on the input's
// device). tests/features/svm_test.cpp checks them against scikit-learn's.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace tlab::features {

struct KernelSvmOptions {
  double c = 1.0;          // --svm-c: the penalty C (> 0)
  double gamma = 0;        // --svm-gamma: the kernel's gamma (> 0); 0: scikit-learn's "scale", 1 / (D var(X)) (1 if var is 0)
  double tolerance = 1e-3;  // LIBSVM's eps: the stopping tolerance (> 0)
  double cache_mb = 200;   // LIBSVM's kernel cache, in MB (> 0)
  bool shrinking = true;   // LIBSVM's shrinking heuristics
  std::string kernel = "rbf";  // rbf: exp(-gamma |u - v|^2) | linear: u.v | poly: (gamma u.v + coef0)^degree
  int degree = 3;          // poly only (> 0)
  double coef0 = 0;        // poly only
};

struct KernelSvm {
  // LIBSVM's model as tensors, over all K classes (a class absent from training has no support vectors):
  torch::Tensor support_vectors;    // [S, D] float64, grouped by class in label order
  torch::Tensor dual_coef;          // [K - 1, S] float64 (LIBSVM's sv_coef): a vector of class c's block has its
                                    // coefficient against class c2 in row c2 (c2 < c) or c2 - 1 (c2 > c)
  torch::Tensor intercept;          // [K (K - 1) / 2] float64: -rho of the pairs (0, 1), (0, 2), .., (1, 2), ..; 0 for a pair with an absent class
  torch::Tensor support_per_class;  // [K] int64: each class's block of support_vectors (0 for an absent class)
  std::string kernel = "rbf";
  double gamma = 0;  // the gamma used (the "scale" value resolved)
  int degree = 3;
  double coef0 = 0;

  // Fits on x [N, D] (float32 or float64, any device) and labels [N] (int64 in [0, num_classes)).
  // Throws DataError unless two classes at least are present, UsageError for impossible options
  // (naming --svm-c, --svm-gamma) or shapes, and with LIBSVM's own message for what it rejects.
  static KernelSvm fit(const torch::Tensor& x, const torch::Tensor& labels, int64_t num_classes,
                       const KernelSvmOptions& options = {});
  // The one-vs-one decision values [N, K (K - 1) / 2] (LIBSVM's dec_values: > 0 favours the pair's first class).
  torch::Tensor pairwise_decision(const torch::Tensor& x) const;
  // scikit-learn's decision_function_shape="ovr" values [N, K] (its _ovr_decision_function): each
  // class's one-vs-one votes plus its summed confidences squashed into (-1/3, 1/3); -inf for an
  // absent class. The argmax is predict's class up to a tie of the votes.
  torch::Tensor decision_function(const torch::Tensor& x) const;
  // [N] int64: LIBSVM's vote (a pair's value > 0 votes for its first class), the most votes winning,
  // ties to the lower class; an absent class never votes or wins.
  torch::Tensor predict(const torch::Tensor& x) const;
};

}  // namespace tlab::features
