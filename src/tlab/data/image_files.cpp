#include "tlab/data/image_files.h"

#include <opencv2/imgcodecs.hpp>

#include "tlab/core/error.h"

namespace tlab::data {

ImageFileDataset::ImageFileDataset(std::string where, const ImageFileOptions& options)
    : where_(std::move(where)), strict_(options.strict) {
  TLAB_CHECK(options.decode_min_side >= 0, where_, ": decode_min_side must be >= 0, got ", options.decode_min_side);
  TLAB_CHECK(options.max_image_pixels >= 0, where_, ": max_image_pixels must be >= 0 (0: no limit), got ",
             options.max_image_pixels);
  decode_.channels = 3;
  decode_.min_side = options.decode_min_side;
  decode_.max_pixels = options.max_image_pixels;
}

bool ImageFileDataset::add_if_decodable(const std::string& file, int64_t label, const std::string& note) {
  if (!cv::haveImageReader(file)) {
    skip(str_cat(file, ": not an image OpenCV can decode", note));
    return false;
  }
  files_.push_back(file);
  labels_.push_back(label);
  return true;
}

void ImageFileDataset::skip(const std::string& entry) {
  if (strict_) throw DataError(str_cat(where_, ": ", entry, " (--strict-data)"));
  skipped_.push_back(entry);
}

Example ImageFileDataset::get(size_t i) const {
  TLAB_CHECK(i < files_.size(), description(), ": sample ", i, " out of range (size ", files_.size(), ")");
  return {decode_image(files_[i], decode_), labels_[i]};
}

}  // namespace tlab::data
