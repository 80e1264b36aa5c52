#pragma once
// IDX files (MNIST, Fashion-MNIST): images "idx3-ubyte" [N, H, W] uint8 and labels "idx1-ubyte" [N].
#include <string>
#include <vector>

#include "tlab/data/dataset.h"

namespace tlab::data {

// Class names of Fashion-MNIST, in label order.
const std::vector<std::string>& fashion_mnist_classes();
// Class names of MNIST ("0".."9").
const std::vector<std::string>& mnist_classes();

// Reads a whole file, transparently gunzipping when it starts with the gzip magic.
// Throws DataError naming the file when it is missing, unreadable or a broken gzip stream.
std::vector<uint8_t> read_maybe_gzip(const std::string& path);

// Loads an image file and a label file. `classes` fixes the label range (labels must be <
// classes.size()); empty means "max label + 1", named "0", "1", ...
// Errors (DataError, naming the file): wrong magic, truncated or oversized payload, image/label
// count mismatch, label out of range, zero images.
std::shared_ptr<InMemoryDataset> load_idx(const std::string& images_path, const std::string& labels_path,
                                          std::vector<std::string> classes, const std::string& description);

// The labels of an IDX label file (checks magic and size).
std::vector<int64_t> read_idx_labels(const std::string& labels_path);
// "0", "1", ..., count-1.
std::vector<std::string> numbered_classes(int64_t count);

// Finds "<prefix>-images-idx3-ubyte[.gz]" and "<prefix>-labels-idx1-ubyte[.gz]" in `dir`
// (prefix "train" or "t10k"); also accepts the "train-images.idx3-ubyte" spelling. Empty when absent.
std::pair<std::string, std::string> find_idx_pair(const std::string& dir, const std::string& prefix);

}  // namespace tlab::data
