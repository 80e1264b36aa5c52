#include "tlab/data/dataset.h"

#include "tlab/core/error.h"

namespace tlab::data {

Subset::Subset(DatasetPtr base, std::vector<size_t> indices, std::string name)
    : base_(std::move(base)), indices_(std::move(indices)), name_(std::move(name)) {
  TLAB_CHECK(base_ != nullptr, "Subset: base dataset is null");
  for (size_t i : indices_)
    TLAB_CHECK(i < base_->size(), "Subset '", name_, "': index ", i, " out of range for ",
               base_->description(), " with ", base_->size(), " samples");
}

std::string Subset::description() const {
  return str_cat(base_->description(), " [", name_, ": ", indices_.size(), " samples]");
}

InMemoryDataset::InMemoryDataset(std::vector<uint8_t> pixels, std::vector<int64_t> labels, int height,
                                 int width, int channels, std::vector<std::string> classes,
                                 std::string description)
    : pixels_(std::move(pixels)),
      labels_(std::move(labels)),
      height_(height),
      width_(width),
      channels_(channels),
      classes_(std::move(classes)),
      description_(std::move(description)) {
  TLAB_CHECK(channels_ == 1 || channels_ == 3, description_, ": expected 1 or 3 channels, got ", channels_);
  TLAB_CHECK(pixels_.size() == labels_.size() * static_cast<size_t>(height_ * width_ * channels_),
             description_, ": pixel buffer holds ", pixels_.size(), " bytes, expected ", labels_.size(),
             " x ", height_, " x ", width_, " x ", channels_);
}

Example InMemoryDataset::get(size_t i) const {
  TLAB_CHECK(i < labels_.size(), description_, ": sample ", i, " out of range (size ", labels_.size(), ")");
  const size_t stride = static_cast<size_t>(height_) * width_ * channels_;
  // A read-only view into the buffer: no copy.
  cv::Mat view(height_, width_, CV_8UC(channels_), const_cast<uint8_t*>(pixels_.data() + i * stride));
  return {view, labels_[i]};
}

std::vector<int64_t> all_labels(const Dataset& dataset) {
  std::vector<int64_t> labels(dataset.size());
  for (size_t i = 0; i < labels.size(); ++i) labels[i] = dataset.label(i);
  return labels;
}

}  // namespace tlab::data
