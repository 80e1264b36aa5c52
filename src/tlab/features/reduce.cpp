#include "tlab/features/reduce.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "tlab/core/error.h"

namespace tlab::features {
namespace {

torch::Tensor f64(const torch::Tensor& x) {
  TLAB_CHECK(x.dim() == 2 && x.size(0) > 0 && x.size(1) > 0, "features: expected [N, D] with N, D > 0, got ",
             x.sizes());
  return x.to(torch::kCPU, torch::kFloat64).contiguous();
}

}  // namespace

Standardizer Standardizer::fit(const torch::Tensor& x) {
  const auto d = f64(x);
  Standardizer s;
  s.mean = d.mean(0);
  s.scale = d.var(0, /*unbiased=*/false).sqrt();
  s.scale = torch::where(s.scale == 0, torch::ones_like(s.scale), s.scale);
  return s;
}

torch::Tensor Standardizer::transform(const torch::Tensor& x) const { return (f64(x) - mean) / scale; }

Pca Pca::fit(const torch::Tensor& x, int64_t k, bool whiten) {
  const auto d = f64(x);
  TLAB_CHECK(k > 0 && k <= std::min(d.size(0), d.size(1)), "--reduce pca:", k, ": expected 0 < N <= min(samples, ",
             "features) = ", std::min(d.size(0), d.size(1)));
  Pca p;
  p.whiten = whiten;
  p.mean = d.mean(0);
  auto [u, s, vt] = torch::linalg::svd(d - p.mean, /*full_matrices=*/false, c10::nullopt);
  // svd_flip(u, vt): the entry of largest |.| in each column of U made positive
  const auto rows = u.abs().argmax(0);
  const auto signs = u.gather(0, rows.unsqueeze(0)).squeeze(0).sign();
  vt = vt * signs.unsqueeze(1);
  p.components = vt.slice(0, 0, k).contiguous();
  p.explained_variance = (s * s / double(std::max<int64_t>(d.size(0) - 1, 1))).slice(0, 0, k).contiguous();
  return p;
}

torch::Tensor Pca::transform(const torch::Tensor& x) const {
  auto y = torch::matmul(f64(x) - mean, components.t());
  return whiten ? y / explained_variance.sqrt() : y;
}

ColumnSelection variance_threshold(const torch::Tensor& x, double threshold) {
  const auto d = f64(x);
  auto variance = d.var(0, /*unbiased=*/false);
  if (threshold == 0) variance = torch::minimum(variance, std::get<0>(d.max(0)) - std::get<0>(d.min(0)));
  ColumnSelection c{torch::nonzero(variance > threshold).flatten()};
  TLAB_CHECK(c.keep.numel() > 0, "--select variance:", threshold, ": no feature has a variance above it (the largest ",
             "is ", variance.max().item<double>(), ")");
  return c;
}

torch::Tensor f_classif(const torch::Tensor& x, const torch::Tensor& labels) {
  const auto d = f64(x);
  const auto y = labels.to(torch::kCPU, torch::kInt64);
  TLAB_CHECK(y.dim() == 1 && y.size(0) == d.size(0), "f_classif: ", y.sizes(), " labels for ", d.size(0), " samples");
  // scipy's f_oneway as scikit-learn's f_classif computes it, term by term
  const auto classes = std::get<0>(at::_unique(y, /*sorted=*/true));
  const double n = double(d.size(0)), k = double(classes.size(0));
  const auto ss_alldata = (d * d).sum(0);
  auto square_of_sums_alldata = torch::zeros({d.size(1)}, torch::kFloat64);
  auto ssbn = torch::zeros({d.size(1)}, torch::kFloat64);
  for (int64_t c = 0; c < classes.size(0); ++c) {
    const auto rows = d.index({y == classes[c]});
    const auto sums = rows.sum(0);
    square_of_sums_alldata += sums;
    ssbn += sums * sums / double(rows.size(0));
  }
  square_of_sums_alldata = square_of_sums_alldata * square_of_sums_alldata;
  const auto sstot = ss_alldata - square_of_sums_alldata / n;
  ssbn -= square_of_sums_alldata / n;
  const auto sswn = sstot - ssbn;
  const auto msb = ssbn / (k - 1), msw = sswn / (n - k);
  return msb / msw;
}

ColumnSelection select_k_best(const torch::Tensor& x, const torch::Tensor& labels, int64_t k) {
  const int64_t columns = x.size(1);
  TLAB_CHECK(k > 0 && k <= columns, "--select kbest:", k, ": expected 0 < K <= ", columns, " features");
  const auto f = f_classif(x, labels).contiguous();
  std::vector<double> scores(f.data_ptr<double>(), f.data_ptr<double>() + columns);
  for (double& s : scores)
    if (std::isnan(s)) s = std::numeric_limits<double>::lowest();  // scikit-learn's _clean_nans
  std::vector<int64_t> order(static_cast<size_t>(columns));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return scores[size_t(a)] < scores[size_t(b)]; });
  std::vector<int64_t> keep(order.end() - k, order.end());
  std::sort(keep.begin(), keep.end());
  return {torch::tensor(keep, torch::kInt64)};
}

}  // namespace tlab::features
