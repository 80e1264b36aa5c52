#pragma once
// A linear SVM fitted by LIBLINEAR, with scikit-learn's LinearSVC() defaults: the squared hinge
// loss solved in the dual (L2R_L2LOSS_SVC_DUAL), one-vs-rest, and the intercept learnt as an extra
// feature of value intercept_scaling, so it is penalised like the weights (as LinearSVC does).
// The fitted state is two plain tensors, so a pipeline can keep them as module buffers and rebuild
// the classifier from them; predictions are one matrix product in torch, on the input's device.
// tests/features/svm_test.cpp checks the predictions against scikit-learn's.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace tlab::features {

struct LinearSvmOptions {
  double c = 1.0;                  // --svm-c: the penalty C (> 0)
  double tolerance = 1e-4;         // LIBLINEAR's eps: stop when the projected gradient's spread is below it (> 0)
  double intercept_scaling = 1.0;  // the bias feature's value (> 0); the intercept is its weight times this
  // LIBLINEAR draws the order of its coordinate-descent passes from the C library's rand(): fit
  // calls srand(seed) (its low 32 bits) first, so a fit is repeatable; the process-wide rand() is reseeded.
  uint64_t seed = 0;
  // No iteration cap here: LIBLINEAR 2.3 stops its dual solver after 1000 passes, LinearSVC's max_iter default.
  // --svm-dual: "true" solves the dual by coordinate descent (L2R_L2LOSS_SVC_DUAL, LinearSVC's dual=True),
  // "false" the primal by trust-region Newton (L2R_L2LOSS_SVC, dual=False): the same problem and
  // optimum, but the primal is much faster when samples outnumber features (CIFAR-10's HOG + colour,
  // 45,000 x 354: 60 s, where the dual stopped at its 1000-pass cap after 753 s, unconverged, test
  // accuracy 0.5162 against 0.5447; docs/RESULTS.md). "auto": the primal when N > D, as
  // scikit-learn >= 1.3's dual="auto" does.
  std::string dual = "auto";
};

struct LinearSvm {
  // One row per class. Two classes a < b (the only ones present): row b = w (scikit-learn's coef_)
  // and row a = -w, so the argmax is LIBLINEAR's prediction. A class absent from the training
  // labels has a zero row and a bias of -inf: its score never wins.
  torch::Tensor weight;  // [K, D] float64
  torch::Tensor bias;    // [K] float64

  // Fits on x [N, D] (float32 or float64, any device) and labels [N] (int64 in [0, num_classes)).
  // Throws DataError unless two classes at least are present, UsageError for impossible options
  // (naming --svm-c for C) or shapes.
  static LinearSvm fit(const torch::Tensor& x, const torch::Tensor& labels, int64_t num_classes,
                       const LinearSvmOptions& options = {});
  torch::Tensor decision_function(const torch::Tensor& x) const;  // [N, K] float64 = x W^T + b, on x's device
  torch::Tensor predict(const torch::Tensor& x) const;            // [N] int64: the argmax (ties: the lower class)
};

}  // namespace tlab::features
