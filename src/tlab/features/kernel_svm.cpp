#include "tlab/features/kernel_svm.h"

#include <libsvm/svm.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <vector>

#include "tlab/core/error.h"
#include "tlab/features/sparse_rows.h"

namespace tlab::features {
namespace {

void quiet(const char*) {}  // LIBSVM reports progress on stdout; the library never prints

struct ModelDeleter {
  void operator()(svm_model* m) const { svm_free_and_destroy_model(&m); }
};

int kernel_type(const std::string& kernel) {
  if (kernel == "rbf") return RBF;
  if (kernel == "linear") return LINEAR;
  if (kernel == "poly") return POLY;
  throw UsageError(str_cat("kernel svm: kernel '", kernel, "' is not rbf, linear or poly"));
}

// The pairs (a, b), a < b, in LIBSVM's order: (0, 1), (0, 2), .., (0, K-1), (1, 2), ..
std::pair<torch::Tensor, torch::Tensor> class_pairs(int64_t k) {
  std::vector<int64_t> first, second;
  for (int64_t a = 0; a < k; ++a)
    for (int64_t b = a + 1; b < k; ++b) {
      first.push_back(a);
      second.push_back(b);
    }
  return {torch::tensor(first, torch::kInt64), torch::tensor(second, torch::kInt64)};
}

// Where each pair's vote goes: [P, K] one-hot rows for its first and its second class, zero for a
// pair with an absent class (it neither votes nor adds confidence), on `device`.
std::pair<torch::Tensor, torch::Tensor> vote_routes(const torch::Tensor& support_per_class, const torch::Device& device) {
  const int64_t k = support_per_class.size(0);
  const auto [first, second] = class_pairs(k);
  const auto present = support_per_class.to(torch::kCPU).gt(0);
  const auto valid = (present.index_select(0, first) & present.index_select(0, second)).to(torch::kFloat64).unsqueeze(1);
  return {(torch::one_hot(first, k).to(torch::kFloat64) * valid).to(device),
          (torch::one_hot(second, k).to(torch::kFloat64) * valid).to(device)};
}

}  // namespace

KernelSvm KernelSvm::fit(const torch::Tensor& x, const torch::Tensor& labels, int64_t num_classes,
                         const KernelSvmOptions& o) {
  TLAB_CHECK(x.dim() == 2 && labels.dim() == 1 && x.size(0) == labels.size(0), "kernel svm: expected features [N, D] ",
             "and labels [N], got ", x.sizes(), " and ", labels.sizes());
  TLAB_CHECK(num_classes >= 2, "kernel svm: need at least 2 classes, got ", num_classes);
  TLAB_CHECK(o.c > 0, "--svm-c ", o.c, ": the SVM's C must be > 0");
  TLAB_CHECK(o.gamma >= 0, "--svm-gamma ", o.gamma, ": gamma must be > 0 (or 0 for scikit-learn's \"scale\")");
  const int type = kernel_type(o.kernel);
  TLAB_CHECK(type != POLY || o.degree > 0, "kernel svm: the poly kernel's degree must be > 0, got ", o.degree);
  TLAB_CHECK(x.size(1) < std::numeric_limits<int>::max() && x.size(0) < std::numeric_limits<int>::max(),
             "kernel svm: ", x.sizes(), " is too large for LIBSVM");
  const auto y = labels.to(torch::kCPU, torch::kInt64).contiguous();
  if (y.numel() > 0)
    TLAB_CHECK(y.min().item<int64_t>() >= 0 && y.max().item<int64_t>() < num_classes, "kernel svm: labels must lie in [0, ",
               num_classes, ")");
  const auto counts = torch::bincount(y, {}, num_classes);
  TLAB_CHECK_DATA(counts.gt(0).sum().item<int64_t>() >= 2, "kernel svm: needs at least two classes in the training split, ",
                  "got ", counts.gt(0).sum().item<int64_t>(), " (", y.numel(), " samples)");

  const auto features = x.to(torch::kCPU, torch::kFloat64).contiguous();
  const int64_t d = features.size(1);
  double gamma = o.gamma;
  if (gamma == 0) {  // scikit-learn's "scale": the variance of every entry together
    const double var = features.var(/*unbiased=*/false).item<double>();
    gamma = var != 0 ? 1.0 / (double(d) * var) : 1.0;
  }
  // LIBSVM's model points into these rows until it is freed.
  auto sparse = sparse_rows_by_label<svm_node>(features, y);
  const int n = int(sparse.rows.size());

  svm_problem prob{};
  prob.l = n;
  prob.y = sparse.targets.data();
  prob.x = sparse.rows.data();
  svm_parameter param{};
  param.svm_type = C_SVC;
  param.kernel_type = type;
  param.degree = o.degree;
  param.gamma = gamma;
  param.coef0 = o.coef0;
  param.cache_size = o.cache_mb;
  param.eps = o.tolerance;
  param.C = o.c;
  param.nu = 0.5;  // unused by C-SVC
  param.p = 0.1;   // unused by C-SVC
  param.shrinking = o.shrinking ? 1 : 0;
  param.probability = 0;
  if (const char* error = svm_check_parameter(&prob, &param)) throw UsageError(str_cat("kernel svm: LIBSVM: ", error));
  svm_set_print_string_function(quiet);
  const std::unique_ptr<svm_model, ModelDeleter> m(svm_train(&prob, &param));
  TLAB_CHECK_DATA(m != nullptr, "kernel svm: LIBSVM failed to train");

  // LIBSVM's model covers the present classes only (m->label, ascending); spread it over all K.
  const int present = m->nr_class;
  const int64_t s = m->l, k = num_classes;
  KernelSvm svm;
  svm.kernel = o.kernel;
  svm.gamma = gamma;
  svm.degree = o.degree;
  svm.coef0 = o.coef0;
  svm.support_vectors = torch::zeros({s, d}, torch::kFloat64);
  svm.dual_coef = torch::zeros({k - 1, s}, torch::kFloat64);
  svm.intercept = torch::zeros({k * (k - 1) / 2}, torch::kFloat64);
  svm.support_per_class = torch::zeros({k}, torch::kInt64);
  auto sv = svm.support_vectors.accessor<double, 2>();
  auto coef = svm.dual_coef.accessor<double, 2>();
  auto b = svm.intercept.accessor<double, 1>();
  auto per_class = svm.support_per_class.accessor<int64_t, 1>();
  for (int64_t i = 0; i < s; ++i)
    for (const svm_node* node = m->SV[i]; node->index != -1; ++node) sv[i][node->index - 1] = node->value;
  const auto pair_index = [k](int64_t a, int64_t b) { return a * (2 * k - a - 1) / 2 + (b - a - 1); };
  int64_t offset = 0;
  for (int c = 0; c < present; ++c) {
    const int64_t label = m->label[c];
    per_class[label] = m->nSV[c];
    for (int64_t i = offset; i < offset + m->nSV[c]; ++i)
      for (int c2 = 0; c2 < present; ++c2) {
        if (c2 == c) continue;
        const int64_t other = m->label[c2];
        coef[other < label ? other : other - 1][i] = m->sv_coef[c2 < c ? c2 : c2 - 1][i];
      }
    offset += m->nSV[c];
  }
  for (int c = 0, p = 0; c < present; ++c)
    for (int c2 = c + 1; c2 < present; ++c2, ++p) b[pair_index(m->label[c], m->label[c2])] = -m->rho[p];
  return svm;
}

torch::Tensor KernelSvm::pairwise_decision(const torch::Tensor& x) const {
  TLAB_CHECK(support_vectors.defined() && dual_coef.defined() && intercept.defined() && support_per_class.defined(),
             "kernel svm: not fitted");
  TLAB_CHECK(x.dim() == 2 && x.size(1) == support_vectors.size(1), "kernel svm: expected features [N, ",
             support_vectors.size(1), "], got ", x.sizes());
  const int type = kernel_type(kernel);
  const auto device = x.device();
  const int64_t k = support_per_class.size(0), s = support_vectors.size(0);
  // Each pair's coefficients as one column: [S, P], so the decision values are a matrix product.
  const auto [first, second] = class_pairs(k);
  const auto owner = torch::repeat_interleave(torch::arange(k, torch::kInt64), support_per_class.to(torch::kCPU)).unsqueeze(1);
  const auto coef_t = dual_coef.to(torch::kCPU).t();  // [S, K - 1]
  const auto columns = coef_t.index_select(1, second - 1) * owner.eq(first.unsqueeze(0)) +
                       coef_t.index_select(1, first) * owner.eq(second.unsqueeze(0));
  const auto coefficients = columns.to(device, torch::kFloat64);
  const auto bias = intercept.to(device, torch::kFloat64);
  const auto sv = support_vectors.to(device, torch::kFloat64);
  const auto sv_square = sv.pow(2).sum(1);
  const auto f = x.to(torch::kFloat64);
  // The kernel matrix a block of rows at a time, [rows, S] of some 32 MB.
  const int64_t rows = std::max<int64_t>(1, (int64_t(1) << 22) / std::max<int64_t>(s, 1));
  std::vector<torch::Tensor> out;
  for (int64_t start = 0; start < f.size(0); start += rows) {
    const auto block = f.slice(0, start, std::min(f.size(0), start + rows));
    auto gram = torch::matmul(block, sv.t());
    if (type == RBF)
      gram = (-gamma * (block.pow(2).sum(1, true) + sv_square.unsqueeze(0) - 2 * gram).clamp_min(0)).exp();
    else if (type == POLY)
      gram = (gamma * gram + coef0).pow(degree);
    out.push_back(torch::addmm(bias, gram, coefficients));
  }
  return out.empty() ? torch::zeros({0, bias.size(0)}, f.options()) : torch::cat(out);
}

torch::Tensor KernelSvm::decision_function(const torch::Tensor& x) const {
  const auto dec = pairwise_decision(x);
  const auto [to_first, to_second] = vote_routes(support_per_class, dec.device());
  // scikit-learn's _ovr_decision_function(dec < 0, -dec, K): a value < 0 votes for the second class
  const auto wins_second = dec.lt(0).to(torch::kFloat64);
  const auto votes = torch::matmul(1 - wins_second, to_first) + torch::matmul(wins_second, to_second);
  const auto confidence = torch::matmul(dec, to_first) - torch::matmul(dec, to_second);
  const auto ovr = votes + confidence / (3 * (confidence.abs() + 1));
  const auto absent = support_per_class.to(dec.device()).eq(0).unsqueeze(0);
  return ovr.masked_fill(absent, -std::numeric_limits<double>::infinity());
}

torch::Tensor KernelSvm::predict(const torch::Tensor& x) const {
  const auto dec = pairwise_decision(x);
  const auto [to_first, to_second] = vote_routes(support_per_class, dec.device());
  // LIBSVM's svm_predict: a value > 0 votes for the first class, else for the second; the first
  // class with the most votes wins (argmax keeps the first maximum)
  const auto wins_first = dec.gt(0).to(torch::kFloat64);
  const auto votes = torch::matmul(wins_first, to_first) + torch::matmul(1 - wins_first, to_second);
  return votes.argmax(1);
}

}  // namespace tlab::features
