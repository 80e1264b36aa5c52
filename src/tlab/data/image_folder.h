#pragma once
// ImageFolder: DIR/<class>/**/<image>, one subfolder per class, classes in sorted name order
// (torchvision's ImageFolder layout). Images decode to RGB on access.
#include <string>

#include "tlab/data/image_files.h"

namespace tlab::data {

using ImageFolderOptions = ImageFileOptions;

class ImageFolder : public ImageFileDataset {
 public:
  // Indexes `root`. Files OpenCV has no decoder for (checked from their header, e.g. GIF) and
  // files that are not images (.DS_Store) are skipped and listed in skipped(); in strict mode
  // they throw. Throws DataError when `root` is missing, has no class folders, or a class folder
  // has no images.
  explicit ImageFolder(const std::string& root, ImageFolderOptions options = {});
  std::string description() const override { return "folder:" + root_; }

 private:
  std::string root_;
};

}  // namespace tlab::data
