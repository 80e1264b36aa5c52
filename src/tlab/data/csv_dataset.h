#pragma once
// CsvDataset: a CSV file of `path,label` lines (the Kaggle layout), opened by the spec csv:FILE.
//
//   path,label            <- optional header (see below)
//   train/0001.jpg,cat
//   "train/a, b.jpg",dog  <- RFC 4180 quotes: a comma inside quotes, "" for a quote
//   /abs/path/0002.png,cat
//
// - Exactly two fields a line; surrounding whitespace and '\r' are trimmed (text inside quotes is
//   kept as written); a quoted field ends on its own line; blank lines are ignored; a UTF-8 BOM is
//   dropped.
// - Header: the first non-blank line is a header when its path field is `path`, `file`,
//   `filename`, `image` or `id`, or its label field is `label` or `class` (any case).
// - Paths are relative to the CSV file's directory; absolute paths are kept.
// - Labels are all class names or all integers (>= 0). Classes: names -> the sorted unique names
//   (byte order, as torchvision's ImageFolder sorts folders); integers -> "0".."max". A classes.txt
//   beside the CSV (one name a line) fixes the classes and their order instead: integer labels index
//   into it, names must be in it. Classes come from every data line, skipped files included, so a
//   label means the same class whether or not its file decodes.
// - Bad input (DataError naming the CSV file and line): a line without exactly two fields, an empty
//   path, a listed file that does not exist, a label that does not fit ("unknown label": empty, an
//   integer out of range, a name not in classes.txt, integers and names mixed), no data lines.
//   A listed file OpenCV has no decoder for is skipped and listed in skipped() with its CSV line, or
//   an error in strict mode (the ImageFolder rule, see image_files.h). Images decode to RGB on access.
#include <string>

#include "tlab/data/image_files.h"

namespace tlab::data {

class CsvDataset : public ImageFileDataset {
 public:
  // Reads and checks `file` and the files it lists (their existence and signature; pixels are
  // decoded by get()). Throws DataError for bad input as above; UsageError for bad options.
  explicit CsvDataset(const std::string& file, ImageFileOptions options = {});
  std::string description() const override { return "csv:" + file_; }

 private:
  std::string file_;
};

}  // namespace tlab::data
