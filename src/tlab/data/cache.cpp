#include "tlab/data/cache.h"

#include "tlab/core/error.h"

namespace tlab::data {

bool CacheBudget::reserve(size_t bytes) {
  size_t now = used.load();
  while (now + bytes <= max_bytes)
    if (used.compare_exchange_weak(now, now + bytes)) return true;
  return false;
}

CachedDataset::CachedDataset(DatasetPtr base, std::shared_ptr<CacheBudget> budget,
                             std::function<cv::Mat(const cv::Mat&)> shrink)
    : base_(std::move(base)), budget_(std::move(budget)), shrink_(std::move(shrink)) {
  TLAB_CHECK(base_ != nullptr && budget_ != nullptr, "CachedDataset: base dataset and budget are required");
  images_.resize(base_->size());
}

Example CachedDataset::get(size_t i) const {
  TLAB_CHECK(i < images_.size(), description(), ": sample ", i, " out of range (size ", images_.size(), ")");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!images_[i].empty()) return {images_[i], base_->label(i)};
  }
  Example ex = base_->get(i);  // decoded outside the lock: workers decode in parallel
  if (shrink_) ex.image = shrink_(ex.image);
  if (!ex.image.isContinuous()) ex.image = ex.image.clone();
  const size_t bytes = ex.image.total() * ex.image.elemSize();
  std::lock_guard<std::mutex> lock(mutex_);
  if (images_[i].empty() && budget_->reserve(bytes)) images_[i] = ex.image;
  return ex;
}

size_t CachedDataset::cached_count() const {
  std::lock_guard<std::mutex> lock(mutex_);
  size_t n = 0;
  for (const auto& m : images_) n += !m.empty();
  return n;
}

}  // namespace tlab::data
