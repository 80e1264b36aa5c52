#include "tlab/features/linear_svm.h"

#include <linear.h>

#include <cstdlib>
#include <limits>
#include <memory>
#include <vector>

#include "tlab/core/error.h"
#include "tlab/features/sparse_rows.h"

namespace tlab::features {
namespace {

void quiet(const char*) {}  // LIBLINEAR reports progress on stdout; the library never prints

struct ModelDeleter {
  void operator()(model* m) const { free_and_destroy_model(&m); }
};

}  // namespace

LinearSvm LinearSvm::fit(const torch::Tensor& x, const torch::Tensor& labels, int64_t num_classes,
                         const LinearSvmOptions& o) {
  TLAB_CHECK(x.dim() == 2 && labels.dim() == 1 && x.size(0) == labels.size(0), "linear svm: expected features [N, D] ",
             "and labels [N], got ", x.sizes(), " and ", labels.sizes());
  TLAB_CHECK(num_classes >= 2, "linear svm: need at least 2 classes, got ", num_classes);
  TLAB_CHECK(o.c > 0, "--svm-c ", o.c, ": the SVM's C must be > 0");
  TLAB_CHECK(o.intercept_scaling > 0, "linear svm: intercept_scaling must be > 0, got ", o.intercept_scaling);
  TLAB_CHECK(x.size(1) < std::numeric_limits<int>::max() - 1 && x.size(0) < std::numeric_limits<int>::max(),
             "linear svm: ", x.sizes(), " is too large for LIBLINEAR");
  const auto y = labels.to(torch::kCPU, torch::kInt64).contiguous();
  if (y.numel() > 0)
    TLAB_CHECK(y.min().item<int64_t>() >= 0 && y.max().item<int64_t>() < num_classes, "linear svm: labels must lie in [0, ",
               num_classes, ")");
  const auto counts = torch::bincount(y, {}, num_classes);
  TLAB_CHECK_DATA(counts.gt(0).sum().item<int64_t>() >= 2, "linear svm: needs at least two classes in the training split, ",
                  "got ", counts.gt(0).sum().item<int64_t>(), " (", y.numel(), " samples)");

  const int n = int(x.size(0)), d = int(x.size(1));
  // Each row ends with the bias feature (index d + 1), LinearSVC's penalised intercept.
  auto sparse = sparse_rows_by_label<feature_node>(x.to(torch::kCPU, torch::kFloat64).contiguous(), y, o.intercept_scaling);

  problem prob{};
  prob.l = n;
  prob.n = d + 1;
  prob.y = sparse.targets.data();
  prob.x = sparse.rows.data();
  prob.bias = o.intercept_scaling;
  parameter param{};
  TLAB_CHECK(o.dual == "auto" || o.dual == "true" || o.dual == "false", "--svm-dual: expected auto, true or false, got '",
             o.dual, "'");
  const bool dual = o.dual == "true" || (o.dual == "auto" && n <= d);
  param.solver_type = dual ? L2R_L2LOSS_SVC_DUAL : L2R_L2LOSS_SVC;
  param.eps = o.tolerance;
  param.C = o.c;
  param.p = 0.1;  // unused by classification
  if (const char* error = check_parameter(&prob, &param)) throw UsageError(str_cat("linear svm: LIBLINEAR: ", error));
  set_print_string_function(quiet);
  std::srand(static_cast<unsigned>(o.seed));
  const std::unique_ptr<model, ModelDeleter> m(train(&prob, &param));
  TLAB_CHECK_DATA(m != nullptr, "linear svm: LIBLINEAR failed to train");

  LinearSvm svm;
  svm.weight = torch::zeros({num_classes, d}, torch::kFloat64);
  svm.bias = torch::full({num_classes}, -std::numeric_limits<double>::infinity(), torch::kFloat64);
  auto w = svm.weight.accessor<double, 2>();
  auto b = svm.bias.accessor<double, 1>();
  const int k = m->nr_class;
  if (k == 2) {
    // One weight vector, positive for the first class of LIBLINEAR's list
    for (int c = 0; c < 2; ++c) {
      const double sign = c == 0 ? 1 : -1;
      const int label = m->label[c];
      for (int j = 0; j < d; ++j) w[label][j] = sign * m->w[j];
      b[label] = sign * m->w[d] * m->bias;
    }
  } else {
    // w[j * k + c]: feature j (the bias last) of class c's one-vs-rest vector
    for (int c = 0; c < k; ++c) {
      const int label = m->label[c];
      for (int j = 0; j < d; ++j) w[label][j] = m->w[size_t(j) * size_t(k) + size_t(c)];
      b[label] = m->w[size_t(d) * size_t(k) + size_t(c)] * m->bias;
    }
  }
  return svm;
}

torch::Tensor LinearSvm::decision_function(const torch::Tensor& x) const {
  TLAB_CHECK(weight.defined() && bias.defined(), "linear svm: not fitted");
  TLAB_CHECK(x.dim() == 2 && x.size(1) == weight.size(1), "linear svm: expected features [N, ", weight.size(1), "], got ",
             x.sizes());
  const auto f = x.to(torch::kFloat64);
  return torch::addmm(bias.to(f.device()), f, weight.to(f.device()).t());
}

torch::Tensor LinearSvm::predict(const torch::Tensor& x) const { return decision_function(x).argmax(1); }

}  // namespace tlab::features
