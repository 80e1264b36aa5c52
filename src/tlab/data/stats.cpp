#include "tlab/data/stats.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace tlab::data {

std::pair<std::vector<float>, std::vector<float>> estimate_mean_std(const Dataset& dataset, int channels,
                                                                    size_t max_samples, uint64_t seed) {
  std::vector<size_t> idx(dataset.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  if (idx.size() > max_samples) {
    std::mt19937_64 rng(seed);
    std::shuffle(idx.begin(), idx.end(), rng);
    idx.resize(max_samples);
  }
  std::vector<double> sum(channels, 0), sq(channels, 0);
  double count = 0;
  for (size_t i : idx) {
    cv::Mat img = dataset.get(i).image;
    if (img.channels() != channels)
      cv::cvtColor(img, img, channels == 1 ? cv::COLOR_RGB2GRAY : cv::COLOR_GRAY2RGB);
    cv::Scalar mean, stddev;
    cv::meanStdDev(img, mean, stddev);
    const double n = double(img.total());
    for (int c = 0; c < channels; ++c) {
      sum[c] += mean[c] * n;
      sq[c] += (stddev[c] * stddev[c] + mean[c] * mean[c]) * n;
    }
    count += n;
  }
  std::vector<float> m(channels), s(channels);
  for (int c = 0; c < channels; ++c) {
    const double mu = sum[c] / count;
    m[c] = float(mu / 255.0);
    s[c] = float(std::max(1e-3, std::sqrt(std::max(0.0, sq[c] / count - mu * mu)) / 255.0));
  }
  return {m, s};
}

}  // namespace tlab::data
