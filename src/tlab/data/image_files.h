#pragma once
// A labelled list of image files on disk: what ImageFolder and CsvDataset share once they have
// listed their files. It holds the skip rule (a file OpenCV has no decoder for is skipped, or an
// error under --strict-data) and the per-file decode with the decode options, so both datasets
// treat bad files and large images the same way.
#include <string>
#include <vector>

#include "tlab/data/dataset.h"
#include "tlab/data/decode.h"

namespace tlab::data {

struct ImageFileOptions {
  bool strict = false;  // true: a file that is not a decodable image is an error instead of a skip
  int decode_min_side = 0;  // > 0: images whose shorter side is >= 2x this come out at 1/2, 1/4 or
                            // 1/8 scale, never below it (JPEGs decode so, in the DCT domain; see
                            // DecodeOptions::min_side); typically the model's resize size. 0: full size.
  int64_t max_image_pixels = kDefaultMaxImagePixels;  // width * height over this is a DataError at
                            // get(), from the header (DecodeOptions::max_pixels); 0: no limit
};

class ImageFileDataset : public Dataset {
 public:
  size_t size() const override { return files_.size(); }
  // Decodes sample i to RGB (decode_image with the decode options); throws DataError naming the file
  // when decoding fails or the image is over max_image_pixels.
  Example get(size_t i) const override;
  int64_t label(size_t i) const override { return labels_.at(i); }
  const std::vector<std::string>& classes() const override { return classes_; }
  int channels() const override { return 3; }
  std::vector<std::string> skipped() const override { return skipped_; }
  const std::string& path(size_t i) const { return files_.at(i); }

 protected:
  // `where` names the source in errors ("image folder 'DIR'"). Throws UsageError for
  // negative decode_min_side or max_image_pixels.
  ImageFileDataset(std::string where, const ImageFileOptions& options);

  // The skip rule. Adds `file` with `label` when OpenCV has a decoder for it, judged from the file's
  // signature (so a GIF named .jpg is caught too) and returns true. Otherwise skips it: records
  // "FILE: not an image OpenCV can decode" plus `note` in skipped() and returns false, or in strict
  // mode throws DataError.
  bool add_if_decodable(const std::string& file, int64_t label, const std::string& note = "");
  // Records `entry` ("FILE: why") in skipped(); in strict mode throws DataError "WHERE: ENTRY (--strict-data)".
  void skip(const std::string& entry);

  std::vector<std::string> classes_;  // set by the derived constructor

 private:
  std::string where_;
  bool strict_;
  DecodeOptions decode_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
  std::vector<std::string> skipped_;
};

}  // namespace tlab::data
