#include "tlab/data/spec.h"

#include <cstdlib>
#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/data/cifar.h"
#include "tlab/data/csv_dataset.h"
#include "tlab/data/idx.h"
#include "tlab/data/image_folder.h"
#include "tlab/data/split.h"

namespace fs = std::filesystem;

namespace tlab::data {
namespace {

std::string default_fashion_mnist_dir() {
  const char* env = std::getenv("TLAB_FASHION_MNIST_DIR");
  return env && *env ? env : "/usr/share/datasets/fashion-mnist";
}

DataSource open_idx(const std::string& dir, std::vector<std::string> classes, const std::string& scheme) {
  TLAB_CHECK_DATA(fs::is_directory(dir), scheme, " directory '", dir, "' does not exist",
                  scheme == "fashion-mnist" ? " (install Debian's dataset-fashion-mnist: scripts/setup.sh)" : "");
  DataSource src;
  auto [train_images, train_labels] = find_idx_pair(dir, "train");
  TLAB_CHECK_DATA(!train_images.empty() && !train_labels.empty(), scheme, " directory '", dir,
                  "' lacks train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz]");
  auto [test_images, test_labels] = find_idx_pair(dir, "t10k");
  const bool has_test = !test_images.empty() && !test_labels.empty();
  if (classes.empty()) {  // generic IDX: as many classes as the largest label of either split needs
    int64_t max_label = 0;
    for (const auto& path : {train_labels, has_test ? test_labels : train_labels})
      for (int64_t l : read_idx_labels(path)) max_label = std::max(max_label, l);
    classes = numbered_classes(max_label + 1);
  }
  src.train = load_idx(train_images, train_labels, classes, str_cat(scheme, ":", dir, " (train)"));
  if (has_test) src.test = load_idx(test_images, test_labels, classes, str_cat(scheme, ":", dir, " (test)"));
  return src;
}

DataSource open_cifar(const std::string& dir, int variant) {
  CifarFiles files = cifar_files(dir, variant);
  DataSource src;
  src.train = load_cifar(files.train, variant, str_cat("cifar", variant, ":", dir, " (train)"));
  if (!files.test.empty()) src.test = load_cifar(files.test, variant, str_cat("cifar", variant, ":", dir, " (test)"));
  return src;
}

ImageFileOptions image_file_options(const DataOptions& options) {
  ImageFileOptions o;
  o.strict = options.strict;
  o.decode_min_side = options.decode_min_side;
  o.max_image_pixels = options.max_image_pixels;
  return o;
}

DataSource open_folder(const std::string& dir, const DataOptions& options) {
  TLAB_CHECK_DATA(fs::is_directory(dir), "data directory '", dir, "' does not exist");
  const fs::path root(dir);
  const ImageFolderOptions folder = image_file_options(options);
  DataSource src;
  if (fs::is_directory(root / "train")) {
    src.train = std::make_shared<ImageFolder>((root / "train").string(), folder);
    for (const char* name : {"val", "valid", "validation"})
      if (!src.val && fs::is_directory(root / name))
        src.val = std::make_shared<ImageFolder>((root / name).string(), folder);
    if (fs::is_directory(root / "test"))
      src.test = std::make_shared<ImageFolder>((root / "test").string(), folder);
    for (const auto& other : {src.val, src.test})
      if (other) check_same_classes(*src.train, *other, other->description());
    return src;
  }
  src.train = std::make_shared<ImageFolder>(dir, folder);
  return src;
}

}  // namespace

DataSource open_data(const std::string& spec, const DataOptions& options) {
  TLAB_CHECK(!spec.empty(), "--data: empty dataset spec");
  const size_t colon = spec.find(':');
  const std::string scheme = colon == std::string::npos ? spec : spec.substr(0, colon);
  const std::string arg = colon == std::string::npos ? "" : spec.substr(colon + 1);

  if (scheme == "fashion-mnist") return open_idx(arg.empty() ? default_fashion_mnist_dir() : arg, fashion_mnist_classes(), scheme);
  if (scheme == "mnist") {
    TLAB_CHECK(!arg.empty(), "--data mnist: give the directory of the IDX files as mnist:DIR");
    return open_idx(arg, mnist_classes(), scheme);
  }
  if (scheme == "idx") return open_idx(arg, {}, scheme);
  if (scheme == "cifar10") return open_cifar(arg, 10);
  if (scheme == "cifar100") return open_cifar(arg, 100);
  if (scheme == "folder") return open_folder(arg, options);
  if (scheme == "csv") {
    TLAB_CHECK(!arg.empty(), "--data csv: give the CSV file of path,label lines as csv:FILE");
    return {std::make_shared<CsvDataset>(arg, image_file_options(options)), nullptr, nullptr};
  }
  if (colon == std::string::npos || fs::exists(spec)) return open_folder(spec, options);
  throw UsageError(str_cat("--data '", spec, "': unknown scheme '", scheme,
                                      "'; expected fashion-mnist, mnist:DIR, idx:DIR, cifar10:DIR, "
                                      "cifar100:DIR, folder:DIR, csv:FILE or a directory"));
}

void check_same_classes(const Dataset& reference, const Dataset& other, const std::string& what) {
  TLAB_CHECK(reference.classes() == other.classes(), what, ": has ", other.classes().size(),
             " classes that differ from the training data's ", reference.classes().size(),
             " classes (", reference.description(), "); class names and order must match");
}

Splits open_splits(const std::string& data, const std::string& val, double val_split, const std::string& test,
                   double test_split, uint64_t seed, const DataOptions& options) {
  Splits s;
  DataSource src = open_data(data, options);
  DatasetPtr train = src.train;
  s.skipped = train->skipped();
  // A split taken as it is: its skipped files are reported with the training data's.
  auto adopt = [&](const DatasetPtr& d) {
    const auto files = d->skipped();  // returned by value
    s.skipped.insert(s.skipped.end(), files.begin(), files.end());
    return d;
  };
  auto open_other = [&](const std::string& spec, bool prefer_test) {
    DataSource other = open_data(spec, options);
    DatasetPtr d = prefer_test ? (other.test ? other.test : other.train) : (other.val ? other.val : other.train);
    check_same_classes(*train, *d, spec);
    return adopt(d);
  };
  // A stratified, seeded fraction of what is left of the training data.
  auto hold_out = [&](double fraction, const char* name) {
    auto split = stratified_split(all_labels(*train), fraction, seed);
    DatasetPtr held = std::make_shared<Subset>(train, split.val, name);
    train = std::make_shared<Subset>(train, split.train, "train");
    return held;
  };
  if (!test.empty()) s.test = open_other(test, true);
  else if (src.test) s.test = adopt(src.test);
  else if (test_split > 0) s.test = hold_out(test_split, "test");
  if (!val.empty()) s.val = open_other(val, false);
  else if (src.val) s.val = adopt(src.val);
  else if (val_split > 0) s.val = hold_out(val_split, "val");
  s.train = train;
  return s;
}

}  // namespace tlab::data
