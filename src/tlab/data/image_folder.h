#pragma once
// ImageFolder: DIR/<class>/**/<image>, one subfolder per class, classes in sorted name order
// (torchvision's ImageFolder layout). Images decode to RGB on access.
#include <string>
#include <vector>

#include "tlab/data/dataset.h"
#include "tlab/data/decode.h"

namespace tlab::data {

struct ImageFolderOptions {
  bool strict = false;  // true: a file that is not a decodable image is an error instead of a skip
  int decode_min_side = 0;  // > 0: images whose shorter side is >= 2x this come out at 1/2, 1/4 or
                            // 1/8 scale, never below it (JPEGs decode so, in the DCT domain; see
                            // DecodeOptions::min_side); typically the model's resize size. 0: full size.
  int64_t max_image_pixels = kDefaultMaxImagePixels;  // width * height over this is a DataError at
                            // get(), from the header (DecodeOptions::max_pixels); 0: no limit
};

class ImageFolder : public Dataset {
 public:
  // Indexes `root`. Files OpenCV has no decoder for (checked from their header, e.g. GIF) and
  // files that are not images (.DS_Store) are skipped and listed in skipped(); in strict mode
  // they throw. Throws DataError when `root` is missing, has no class folders, or a class folder
  // has no images.
  explicit ImageFolder(const std::string& root, ImageFolderOptions options = {});
  size_t size() const override { return files_.size(); }
  // Decodes sample i to RGB (decode_image with the decode options); throws DataError naming the file
  // when decoding fails or the image is over max_image_pixels.
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
  DecodeOptions decode_;
};

}  // namespace tlab::data
