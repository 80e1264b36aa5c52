#include "tlab/infer/predict.h"

#include <algorithm>

#include "tlab/core/error.h"
#include "tlab/data/decode.h"

namespace tlab::infer {

torch::Tensor preprocess(const LoadedModel& m, const std::vector<cv::Mat>& images) {
  const auto& spec = m.input;
  auto x = torch::empty({int64_t(images.size()), spec.channels, spec.height, spec.width});
  for (size_t i = 0; i < images.size(); ++i) transforms::to_chw_float(images[i], spec, x[int64_t(i)].data_ptr<float>());
  return x;
}

std::vector<TopK> predict(const LoadedModel& m, const std::vector<cv::Mat>& images, int k, int batch_size) {
  TLAB_CHECK(k > 0, "--topk: expected a positive count, got ", k);
  TLAB_CHECK(batch_size > 0, "predict: batch size must be positive, got ", batch_size);
  const int64_t top = std::min<int64_t>(k, int64_t(m.classes.size()));
  std::vector<TopK> out;
  for (size_t begin = 0; begin < images.size(); begin += size_t(batch_size)) {
    const std::vector<cv::Mat> batch(images.begin() + long(begin),
                                     images.begin() + long(std::min(images.size(), begin + size_t(batch_size))));
    const auto probabilities = torch::softmax(logits(m, preprocess(m, batch)), 1).to(torch::kCPU, torch::kFloat64);
    const auto [p, idx] = probabilities.topk(top, 1);
    for (int64_t r = 0; r < p.size(0); ++r) {
      TopK scores;
      for (int64_t j = 0; j < top; ++j) {
        const int64_t c = idx[r][j].item<int64_t>();
        scores.push_back({m.classes.at(size_t(c)), c, p[r][j].item<double>()});
      }
      out.push_back(std::move(scores));
    }
  }
  return out;
}

std::vector<TopK> predict_files(const LoadedModel& m, const std::vector<std::string>& paths, int k, int batch_size) {
  TLAB_CHECK(batch_size > 0, "predict: batch size must be positive, got ", batch_size);
  std::vector<TopK> out;
  for (size_t begin = 0; begin < paths.size(); begin += size_t(batch_size)) {
    std::vector<cv::Mat> images;  // decoded a batch at a time, so memory stays one batch's
    for (size_t i = begin; i < std::min(paths.size(), begin + size_t(batch_size)); ++i)
      // Full-scale decode: predictions match torchvision's on the same file.
      images.push_back(data::decode_image(paths[i], data::DecodeOptions{m.input.channels}));
    for (auto& top : predict(m, images, k, batch_size)) out.push_back(std::move(top));
  }
  return out;
}

}  // namespace tlab::infer
