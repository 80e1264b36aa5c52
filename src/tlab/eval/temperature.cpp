#include "tlab/eval/temperature.h"

#include <cmath>
#include <vector>

#include "tlab/core/error.h"
#include "tlab/eval/probabilistic.h"

namespace tlab::eval {
namespace {

double nll(const torch::Tensor& z, const torch::Tensor& y, double inverse_t) {
  return torch::nn::functional::cross_entropy(z * inverse_t, y).item<double>();
}

double ece(const torch::Tensor& z, const torch::Tensor& y, double inverse_t) {
  const auto p = torch::softmax(z * inverse_t, 1).to(torch::kFloat32).contiguous();
  const std::vector<float> probabilities(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
  const std::vector<int64_t> labels(y.data_ptr<int64_t>(), y.data_ptr<int64_t>() + y.numel());
  return calibration(labels, probabilities, z.size(1)).ece;
}

}  // namespace

TemperatureFit fit_temperature(const torch::Tensor& logits, const torch::Tensor& labels) {
  TLAB_CHECK(logits.dim() == 2 && labels.dim() == 1 && logits.size(0) == labels.size(0) && logits.size(0) > 0,
             "temperature scaling: expected logits [N, K] and labels [N] with N > 0, got ", logits.sizes(), " and ",
             labels.sizes());
  const auto z = logits.detach().to(torch::kCPU, torch::kFloat64);
  const auto y = labels.to(torch::kCPU, torch::kInt64).contiguous();
  auto inverse_t = torch::ones({1}, torch::kFloat64).requires_grad_(true);
  torch::optim::LBFGS lbfgs({inverse_t}, torch::optim::LBFGSOptions(1.0).max_iter(100).line_search_fn("strong_wolfe"));
  lbfgs.step([&] {
    lbfgs.zero_grad();
    auto loss = torch::nn::functional::cross_entropy(z * inverse_t, y);
    loss.backward();
    return loss;
  });
  double b = inverse_t.item<double>();
  // a fit that would flip or erase the ranking (1/T <= 0: no information left) keeps T = 1
  if (!(b > 1e-6) || !std::isfinite(b) || nll(z, y, b) > nll(z, y, 1.0)) b = 1.0;
  TemperatureFit fit;
  fit.temperature = 1.0 / b;
  fit.nll_before = nll(z, y, 1.0);
  fit.nll_after = nll(z, y, b);
  fit.ece_before = ece(z, y, 1.0);
  fit.ece_after = ece(z, y, b);
  return fit;
}

}  // namespace tlab::eval
