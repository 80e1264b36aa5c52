#include "tlab/features/knn.h"

#include <algorithm>
#include <vector>

#include "tlab/core/error.h"

namespace tlab::features {

Knn Knn::fit(const torch::Tensor& x, const torch::Tensor& labels, int64_t num_classes, const KnnOptions& o) {
  TLAB_CHECK(x.dim() == 2 && labels.dim() == 1 && x.size(0) == labels.size(0), "knn: expected features [N, D] and ",
             "labels [N], got ", x.sizes(), " and ", labels.sizes());
  TLAB_CHECK(num_classes >= 1, "knn: need at least 1 class, got ", num_classes);
  TLAB_CHECK_DATA(x.size(0) > 0, "knn: the training split is empty");
  TLAB_CHECK(o.k > 0 && o.k <= x.size(0), "--knn-k ", o.k, ": expected 0 < k <= ", x.size(0), " training samples");
  Knn knn;
  knn.train_labels = labels.to(torch::kCPU, torch::kInt64).contiguous();
  TLAB_CHECK(knn.train_labels.min().item<int64_t>() >= 0 && knn.train_labels.max().item<int64_t>() < num_classes,
             "knn: labels must lie in [0, ", num_classes, ")");
  knn.train_features = x.to(torch::kCPU, torch::kFloat64).contiguous();
  knn.num_classes = num_classes;
  knn.k = o.k;
  return knn;
}

torch::Tensor Knn::predict_proba(const torch::Tensor& x) const {
  TLAB_CHECK(train_features.defined() && train_labels.defined(), "knn: not fitted");
  TLAB_CHECK(x.dim() == 2 && x.size(1) == train_features.size(1), "knn: expected features [N, ", train_features.size(1),
             "], got ", x.sizes());
  const int64_t n = train_features.size(0);
  TLAB_CHECK(k > 0 && k <= n, "--knn-k ", k, ": expected 0 < k <= ", n, " training samples");
  const auto device = x.device();
  const auto train = train_features.to(device, torch::kFloat64);
  const auto train_square = train.pow(2).sum(1).unsqueeze(0);
  const auto one_hot = torch::one_hot(train_labels.to(device), num_classes).to(torch::kFloat64);  // [N, K]
  const auto f = x.to(torch::kFloat64);
  // A block of queries at a time: [rows, N] distances of some 32 MB.
  const int64_t rows = std::max<int64_t>(1, (int64_t(1) << 22) / n);
  std::vector<torch::Tensor> out;
  for (int64_t start = 0; start < f.size(0); start += rows) {
    const auto block = f.slice(0, start, std::min(f.size(0), start + rows));
    // Squared distances (the order is the distances' order)
    const auto d2 = torch::addmm(block.pow(2).sum(1, true) + train_square, block, train.t(), 1, -2).clamp_min(0);
    // The k-th smallest distance; all nearer samples vote, and of those at exactly that distance
    // the lowest indices fill the remaining places (topk itself keeps no order among ties).
    const auto kth = std::get<0>(d2.topk(k, 1, /*largest=*/false, /*sorted=*/true)).slice(1, k - 1, k);
    const auto nearer = d2.lt(kth);
    const auto at_kth = d2.eq(kth);
    const auto places = k - nearer.sum(1, true);
    const auto chosen = nearer | (at_kth & at_kth.cumsum(1).le(places));
    out.push_back(torch::matmul(chosen.to(torch::kFloat64), one_hot) / double(k));
  }
  return out.empty() ? torch::zeros({0, num_classes}, f.options()) : torch::cat(out);
}

torch::Tensor Knn::predict(const torch::Tensor& x) const { return predict_proba(x).argmax(1); }

}  // namespace tlab::features
