#pragma once
// Dataset specs on the command line:
//   fashion-mnist | mnist       IDX files (Fashion-MNIST defaults to /usr/share/datasets/fashion-mnist,
//                               or $TLAB_FASHION_MNIST_DIR); mnist:DIR, fashion-mnist:DIR, idx:DIR
//   cifar10:DIR | cifar100:DIR  the official binary files
//   folder:DIR | DIR            DIR/<class>/<image>; or DIR/train + DIR/val|valid|validation|test
//   csv:FILE                    path,label lines; paths relative to FILE's directory (csv_dataset.h)
#include <string>

#include "tlab/data/dataset.h"
#include "tlab/data/decode.h"

namespace tlab::data {

struct DataOptions {
  bool strict = false;  // --strict-data: undecodable / non-image files are errors, not skips
  int decode_min_side = 0;  // image folders and CSV: > 0 lets large images come out at 1/2, 1/4 or 1/8 scale
                            // (JPEGs decode so, in the DCT domain) while their shorter side stays >=
                            // this (the model's resize size); 0: full size. See DecodeOptions::min_side.
  int64_t max_image_pixels = kDefaultMaxImagePixels;  // image folders and CSV: width * height over this is a
                            // DataError (decompression-bomb guard); 0: no limit
};

// The splits a spec provides; val and test are null when the source has none.
struct DataSource {
  DatasetPtr train, val, test;
};

// Opens a spec. Throws UsageError for an unknown scheme and DataError for bad files.
DataSource open_data(const std::string& spec, const DataOptions& options = {});

// Training, validation and test data as a run uses them, with the files skipped in all of them.
struct Splits {
  DatasetPtr train, val, test;  // val / test null when there are none
  std::vector<std::string> skipped;
};

// Opens `data` and finds its validation and test sets: `val` / `test` specs when given (their
// classes must match), else the data's own splits. Without test data, a stratified, seeded
// `test_split` fraction of the data is held out as test (none when 0); then, without validation
// data, a `val_split` fraction of what remains (none when 0).
Splits open_splits(const std::string& data, const std::string& val, double val_split, const std::string& test,
                   double test_split, uint64_t seed, const DataOptions& options = {});

// Throws UsageError when `other`'s classes differ from `reference`'s (e.g. --val data
// whose class folders do not match the training data).
void check_same_classes(const Dataset& reference, const Dataset& other, const std::string& what);

}  // namespace tlab::data
