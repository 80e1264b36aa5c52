#include "tlab/data/cifar.h"

#include <filesystem>
#include <fstream>

#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/data/idx.h"

namespace fs = std::filesystem;

namespace tlab::data {
namespace {

constexpr int kSide = 32;
constexpr size_t kPixels = 3 * kSide * kSide;

std::vector<std::string> class_names(const std::string& dir, int variant) {
  const fs::path meta = fs::path(dir) / (variant == 10 ? "batches.meta.txt" : "fine_label_names.txt");
  if (fs::is_regular_file(meta)) {
    auto names = read_lines(meta.string());  // the official file ends with blank lines
    TLAB_CHECK_DATA(names.size() == size_t(variant), "CIFAR meta file '", meta.string(), "' lists ",
                    names.size(), " class names, expected ", variant);
    return names;
  }
  if (variant == 10)
    return {"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return numbered_classes(100);
}

}  // namespace

std::shared_ptr<InMemoryDataset> load_cifar(const std::vector<std::string>& files, int variant,
                                            const std::string& description) {
  TLAB_CHECK(variant == 10 || variant == 100, "CIFAR variant must be 10 or 100, got ", variant);
  TLAB_CHECK(!files.empty(), "load_cifar: no files given");
  const size_t label_bytes = variant == 10 ? 1 : 2;
  const size_t record = label_bytes + kPixels;
  const std::string dir = fs::path(files.front()).parent_path().string();
  std::vector<std::string> classes = class_names(dir, variant);

  std::vector<uint8_t> pixels;
  std::vector<int64_t> labels;
  for (const std::string& file : files) {
    TLAB_CHECK_DATA(fs::is_regular_file(file), "CIFAR-", variant, " file '", file, "' does not exist");
    const std::string bytes = read_file(file);
    TLAB_CHECK_DATA(!bytes.empty(), "CIFAR-", variant, " file '", file, "' is empty");
    TLAB_CHECK_DATA(bytes.size() % record == 0, "CIFAR-", variant, " file '", file, "': ", bytes.size(),
                    " bytes is not a multiple of the ", record, "-byte record (truncated, or not CIFAR-",
                    variant, "?)");
    const size_t n = bytes.size() / record;
    const size_t offset = pixels.size();
    pixels.resize(offset + n * kPixels);
    for (size_t i = 0; i < n; ++i) {
      const auto* rec = reinterpret_cast<const uint8_t*>(bytes.data()) + i * record;
      const int64_t label = rec[label_bytes - 1];  // CIFAR-100: the fine label is the second byte
      TLAB_CHECK_DATA(label < variant, "CIFAR-", variant, " file '", file, "': record ", i, " has label ",
                      label, ", expected 0..", variant - 1);
      labels.push_back(label);
      // planar RGB -> interleaved HWC
      uint8_t* dst = pixels.data() + offset + i * kPixels;
      const uint8_t* src = rec + label_bytes;
      for (int p = 0; p < kSide * kSide; ++p)
        for (int c = 0; c < 3; ++c) dst[p * 3 + c] = src[c * kSide * kSide + p];
    }
  }
  return std::make_shared<InMemoryDataset>(std::move(pixels), std::move(labels), kSide, kSide, 3,
                                           std::move(classes), description);
}

CifarFiles cifar_files(const std::string& dir, int variant) {
  TLAB_CHECK_DATA(fs::is_directory(dir), "CIFAR-", variant, " directory '", dir, "' does not exist");
  CifarFiles f;
  if (variant == 10) {
    for (int i = 1; i <= 5; ++i) f.train.push_back((fs::path(dir) / str_cat("data_batch_", i, ".bin")).string());
    f.test.push_back((fs::path(dir) / "test_batch.bin").string());
  } else {
    f.train.push_back((fs::path(dir) / "train.bin").string());
    f.test.push_back((fs::path(dir) / "test.bin").string());
  }
  for (const auto& p : f.train)
    TLAB_CHECK_DATA(fs::is_regular_file(p), "CIFAR-", variant, " directory '", dir, "' lacks '",
                    fs::path(p).filename().string(), "' (expected the official binary version)");
  if (!fs::is_regular_file(f.test.front())) f.test.clear();
  return f;
}

}  // namespace tlab::data
