#pragma once
// Dataset specs on the command line:
//   fashion-mnist | mnist       IDX files (Fashion-MNIST defaults to /usr/share/datasets/fashion-mnist,
//                               or $TLAB_FASHION_MNIST_DIR); mnist:DIR, fashion-mnist:DIR, idx:DIR
//   cifar10:DIR | cifar100:DIR  the official binary files
//   folder:DIR | DIR            DIR/<class>/<image>; or DIR/train + DIR/val|valid|validation|test
#include <string>

#include "tlab/data/dataset.h"

namespace tlab::data {

struct DataOptions {
  bool strict = false;  // --strict-data: undecodable / non-image files are errors, not skips
};

// The splits a spec provides; val and test are null when the source has none.
struct DataSource {
  DatasetPtr train, val, test;
};

// Opens a spec. Throws std::invalid_argument for an unknown scheme and DataError for bad files.
DataSource open_data(const std::string& spec, const DataOptions& options = {});

// Throws std::invalid_argument when `other`'s classes differ from `reference`'s (e.g. --val data
// whose class folders do not match the training data).
void check_same_classes(const Dataset& reference, const Dataset& other, const std::string& what);

}  // namespace tlab::data
