#pragma once
// The dataset interface: a random-access, thread-safe collection of labelled images.
#include <opencv2/core.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace tlab::data {

// One sample. `image` is uint8, H x W x C with C = 1 (grey) or 3 (RGB order).
// It may share memory with the dataset: treat it as read-only.
struct Example {
  cv::Mat image;
  int64_t label = 0;
};

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  // Sample i (0 <= i < size()); safe to call from several threads at once.
  virtual Example get(size_t i) const = 0;
  // Label of sample i without decoding the image (used by splits and metrics).
  virtual int64_t label(size_t i) const = 0;
  // Class names in label order.
  virtual const std::vector<std::string>& classes() const = 0;
  // Image size (H, W) when every sample has the same one (IDX, CIFAR), else nullopt.
  virtual std::optional<cv::Size> image_size() const { return std::nullopt; }
  // Channels of the stored images (1 or 3).
  virtual int channels() const = 0;
  // Human-readable origin for messages and the run's config, e.g. "idx:/usr/share/datasets/fashion-mnist (train)".
  virtual std::string description() const = 0;
  // Files that were skipped while indexing (undecodable or not images), with the reason.
  virtual std::vector<std::string> skipped() const { return {}; }
};

using DatasetPtr = std::shared_ptr<const Dataset>;

// A view of `base` restricted to `indices` (e.g. one side of a train/validation split).
class Subset : public Dataset {
 public:
  Subset(DatasetPtr base, std::vector<size_t> indices, std::string name);
  size_t size() const override { return indices_.size(); }
  Example get(size_t i) const override { return base_->get(indices_.at(i)); }
  int64_t label(size_t i) const override { return base_->label(indices_.at(i)); }
  const std::vector<std::string>& classes() const override { return base_->classes(); }
  std::optional<cv::Size> image_size() const override { return base_->image_size(); }
  int channels() const override { return base_->channels(); }
  std::string description() const override;
  std::vector<std::string> skipped() const override { return base_->skipped(); }
  const std::vector<size_t>& indices() const { return indices_; }

 private:
  DatasetPtr base_;
  std::vector<size_t> indices_;
  std::string name_;
};

// Images held in one contiguous uint8 buffer [N, H, W, C] with labels: IDX and CIFAR load into this.
class InMemoryDataset : public Dataset {
 public:
  InMemoryDataset(std::vector<uint8_t> pixels, std::vector<int64_t> labels, int height, int width,
                  int channels, std::vector<std::string> classes, std::string description);
  size_t size() const override { return labels_.size(); }
  Example get(size_t i) const override;
  int64_t label(size_t i) const override { return labels_.at(i); }
  const std::vector<std::string>& classes() const override { return classes_; }
  std::optional<cv::Size> image_size() const override { return cv::Size(width_, height_); }
  int channels() const override { return channels_; }
  std::string description() const override { return description_; }

 private:
  std::vector<uint8_t> pixels_;
  std::vector<int64_t> labels_;
  int height_, width_, channels_;
  std::vector<std::string> classes_;
  std::string description_;
};

// Labels of every sample, in order.
std::vector<int64_t> all_labels(const Dataset& dataset);

}  // namespace tlab::data
