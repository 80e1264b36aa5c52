#pragma once
// The official CIFAR-10 / CIFAR-100 binary files.
// CIFAR-10: data_batch_1..5.bin, test_batch.bin; records of 1 label byte + 3072 pixel bytes
// (1024 R, 1024 G, 1024 B, row-major 32x32); class names in batches.meta.txt.
// CIFAR-100: train.bin, test.bin; records of coarse label, fine label, 3072 pixel bytes; the fine
// label is used; names in fine_label_names.txt.
#include <string>
#include <vector>

#include "tlab/data/dataset.h"

namespace tlab::data {

// Loads the given record files into one dataset. `variant` is 10 or 100.
// Errors (DataError naming the file): missing file, size not a multiple of the record size,
// empty file, label out of range.
std::shared_ptr<InMemoryDataset> load_cifar(const std::vector<std::string>& files, int variant,
                                            const std::string& description);

// The train and test file lists of a CIFAR directory (variant 10 or 100), and the class names
// (from the meta file when present, else the standard names for CIFAR-10 / numbers for CIFAR-100).
struct CifarFiles {
  std::vector<std::string> train, test;
};
CifarFiles cifar_files(const std::string& dir, int variant);

}  // namespace tlab::data
