#pragma once
// ImageFolder: DIR/<class>/**/<image>, one subfolder per class, classes in sorted name order
// (torchvision's ImageFolder layout). Images decode to RGB on access.
#include <string>
#include <vector>

#include "tlab/data/dataset.h"

namespace tlab::data {

struct ImageFolderOptions {
  bool strict = false;  // true: a file that is not a decodable image is an error instead of a skip
};

class ImageFolder : public Dataset {
 public:
  // Indexes `root`. Files OpenCV has no decoder for (checked from their header, e.g. GIF) and
  // files that are not images (.DS_Store) are skipped and listed in skipped(); in strict mode
  // they throw. Throws DataError when `root` is missing, has no class folders, or a class folder
  // has no images.
  explicit ImageFolder(const std::string& root, ImageFolderOptions options = {});
  size_t size() const override { return files_.size(); }
  // Decodes sample i to RGB; throws DataError naming the file when decoding fails.
  Example get(size_t i) const override;
  int64_t label(size_t i) const override { return labels_.at(i); }
  const std::vector<std::string>& classes() const override { return classes_; }
  int channels() const override { return 3; }
  std::string description() const override { return "folder:" + root_; }
  std::vector<std::string> skipped() const override { return skipped_; }
  const std::string& path(size_t i) const { return files_.at(i); }

 private:
  std::string root_;
  std::vector<std::string> classes_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
  std::vector<std::string> skipped_;
};

// Decodes an image file to uint8 RGB (or grey when `channels` is 1). Throws DataError naming the file.
cv::Mat decode_image(const std::string& path, int channels = 3);

}  // namespace tlab::data
