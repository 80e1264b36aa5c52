#pragma once
// A dataset wrapper that keeps decoded (and optionally shrunk) images in memory, so that epochs
// after the first skip file reading and JPEG decoding. Caching stops, without error, once the
// byte budget is spent; later samples are then decoded each time.
#include <atomic>
#include <functional>
#include <mutex>

#include "tlab/data/dataset.h"

namespace tlab::data {

// A byte budget that several caches (train, validation, test) can share.
struct CacheBudget {
  explicit CacheBudget(size_t max_bytes) : max_bytes(max_bytes) {}
  const size_t max_bytes;
  std::atomic<size_t> used{0};
  // Reserves `bytes` if they fit; false (nothing reserved) otherwise.
  bool reserve(size_t bytes);
};

class CachedDataset : public Dataset {
 public:
  // `shrink` (may be empty) turns a decoded image into what is kept, e.g. a resize of the shorter
  // side to the size preprocessing needs; it must be deterministic.
  CachedDataset(DatasetPtr base, std::shared_ptr<CacheBudget> budget, std::function<cv::Mat(const cv::Mat&)> shrink = {});
  size_t size() const override { return base_->size(); }
  Example get(size_t i) const override;
  int64_t label(size_t i) const override { return base_->label(i); }
  const std::vector<std::string>& classes() const override { return base_->classes(); }
  std::optional<cv::Size> image_size() const override { return base_->image_size(); }
  int channels() const override { return base_->channels(); }
  std::string description() const override { return base_->description(); }
  std::vector<std::string> skipped() const override { return base_->skipped(); }

  size_t cached_count() const;

 private:
  DatasetPtr base_;
  std::shared_ptr<CacheBudget> budget_;
  std::function<cv::Mat(const cv::Mat&)> shrink_;
  mutable std::mutex mutex_;
  mutable std::vector<cv::Mat> images_;  // empty Mat: not cached (yet)
};

}  // namespace tlab::data
