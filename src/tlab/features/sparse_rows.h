#pragma once
// Dense samples as the sparse rows LIBLINEAR and LIBSVM read (their feature_node and svm_node are
// both {int index; double value}), shared by linear_svm.cpp and kernel_svm.cpp. Include it after
// <linear.h> or <libsvm/svm.h>; the libraries' headers stay out of the public ones.
#include <torch/torch.h>

#include <optional>
#include <vector>

namespace tlab::features {

template <typename Node>
struct SparseRows {
  std::vector<Node> nodes;      // each row's non-zeros (1-based indices; zeros add nothing to a dot
                                // product), the bias feature when given, then the terminator {-1, 0}
  std::vector<Node*> rows;      // into `nodes`: a library's model may point into them until it is freed
  std::vector<double> targets;  // the labels, as the libraries take them
};

// The samples x [N, D] (float64, CPU) with labels y [N] (int64, CPU) in a stable label order: the
// libraries order their classes by first occurrence, so their class lists come out ascending and
// each class keeps its samples' order, as scikit-learn's copies of them do. `bias`: an extra
// feature of that value at index D + 1 on every row (LIBLINEAR's intercept).
template <typename Node>
SparseRows<Node> sparse_rows_by_label(const torch::Tensor& x, const torch::Tensor& y, std::optional<double> bias = {}) {
  const auto order = std::get<1>(y.sort(/*stable=*/true, /*dim=*/0, /*descending=*/false));
  const auto data = x.index_select(0, order).contiguous();
  const auto sorted_y = y.index_select(0, order).contiguous();
  const int n = int(data.size(0)), d = int(data.size(1));
  const double* px = data.data_ptr<double>();
  const int64_t* py = sorted_y.data_ptr<int64_t>();
  SparseRows<Node> out;
  out.nodes.reserve(size_t(data.numel()) + (bias ? 2 : 1) * size_t(n));
  std::vector<size_t> starts(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    starts[size_t(i)] = out.nodes.size();
    for (int j = 0; j < d; ++j)
      if (const double v = px[size_t(i) * size_t(d) + size_t(j)]; v != 0) out.nodes.push_back({j + 1, v});
    if (bias) out.nodes.push_back({d + 1, *bias});
    out.nodes.push_back({-1, 0});
  }
  for (int i = 0; i < n; ++i) {
    out.rows.push_back(out.nodes.data() + starts[size_t(i)]);
    out.targets.push_back(double(py[i]));
  }
  return out;
}

}  // namespace tlab::features
