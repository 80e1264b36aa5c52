#include "tlab/data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>

#include "tlab/core/error.h"

namespace fs = std::filesystem;

namespace tlab::data {

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

const std::vector<std::string>& mnist_classes() {
  static const std::vector<std::string> names = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
  return names;
}

std::vector<uint8_t> read_maybe_gzip(const std::string& path) {
  TLAB_CHECK_DATA(fs::is_regular_file(path), "data file '", path, "' does not exist or is not a file");
  gzFile f = gzopen(path.c_str(), "rb");  // reads plain files unchanged too
  TLAB_CHECK_DATA(f != nullptr, "cannot open '", path, "'");
  std::vector<uint8_t> out;
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    const int n = gzread(f, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int errnum = 0;
      const std::string msg = gzerror(f, &errnum);
      gzclose(f);
      throw DataError(str_cat("'", path, "': corrupt gzip stream (", msg, ")"));
    }
    if (n == 0) break;
    out.insert(out.end(), chunk.begin(), chunk.begin() + n);
  }
  const int rc = gzclose(f);
  TLAB_CHECK_DATA(rc == Z_OK, "'", path, "': truncated or corrupt gzip stream (zlib code ", rc, ")");
  return out;
}

namespace {

uint32_t read_be32(const std::vector<uint8_t>& b, size_t offset) {
  return (uint32_t(b[offset]) << 24) | (uint32_t(b[offset + 1]) << 16) | (uint32_t(b[offset + 2]) << 8) |
         uint32_t(b[offset + 3]);
}

// Checks the magic (0x0000 08 <dims>: unsigned bytes) and returns the dimension sizes.
std::vector<size_t> parse_header(const std::vector<uint8_t>& bytes, int expected_dims, const std::string& path) {
  TLAB_CHECK_DATA(bytes.size() >= 4, "IDX file '", path, "': ", bytes.size(),
                  " bytes, too short for the 4-byte magic number");
  const uint32_t magic = read_be32(bytes, 0);
  const uint32_t expected = 0x00000800u | uint32_t(expected_dims);
  TLAB_CHECK_DATA(magic == expected, "IDX file '", path, "': wrong magic number 0x", std::hex, magic,
                  ", expected 0x", expected, std::dec, " (unsigned-byte data with ", expected_dims,
                  " dimensions); is this the right file?");
  const size_t header = 4 + 4 * size_t(expected_dims);
  TLAB_CHECK_DATA(bytes.size() >= header, "IDX file '", path, "': truncated header (", bytes.size(),
                  " bytes, expected at least ", header, ")");
  std::vector<size_t> dims;
  size_t payload = 1;
  for (int d = 0; d < expected_dims; ++d) {
    dims.push_back(read_be32(bytes, 4 + 4 * d));
    payload *= dims.back();
  }
  TLAB_CHECK_DATA(bytes.size() - header == payload, "IDX file '", path, "': header promises ", payload,
                  " data bytes, file has ", bytes.size() - header, bytes.size() - header < payload ? " (truncated)" : " (trailing bytes)");
  return dims;
}

}  // namespace

std::vector<int64_t> read_idx_labels(const std::string& labels_path) {
  const std::vector<uint8_t> bytes = read_maybe_gzip(labels_path);
  const size_t n = parse_header(bytes, 1, labels_path)[0];
  return std::vector<int64_t>(bytes.begin() + 8, bytes.begin() + 8 + n);
}

std::shared_ptr<InMemoryDataset> load_idx(const std::string& images_path, const std::string& labels_path,
                                          std::vector<std::string> classes, const std::string& description) {
  std::vector<uint8_t> image_bytes = read_maybe_gzip(images_path);
  const std::vector<size_t> idims = parse_header(image_bytes, 3, images_path);
  std::vector<int64_t> labels = read_idx_labels(labels_path);
  TLAB_CHECK_DATA(idims[0] == labels.size(), "IDX image/label count mismatch: '", images_path, "' has ", idims[0],
                  " images, '", labels_path, "' has ", labels.size(), " labels");
  TLAB_CHECK_DATA(idims[0] > 0, "IDX file '", images_path, "' holds no images");
  TLAB_CHECK_DATA(idims[1] > 0 && idims[2] > 0, "IDX file '", images_path, "': image size ", idims[1], "x",
                  idims[2], " is empty");
  if (classes.empty()) classes = numbered_classes(*std::max_element(labels.begin(), labels.end()) + 1);
  for (size_t i = 0; i < labels.size(); ++i)
    TLAB_CHECK_DATA(labels[i] < static_cast<int64_t>(classes.size()), "IDX file '", labels_path, "': label ",
                    labels[i], " at index ", i, " is out of range (", classes.size(), " classes)");

  image_bytes.erase(image_bytes.begin(), image_bytes.begin() + 16);
  return std::make_shared<InMemoryDataset>(std::move(image_bytes), std::move(labels), int(idims[1]),
                                           int(idims[2]), 1, std::move(classes), description);
}

std::vector<std::string> numbered_classes(int64_t count) {
  std::vector<std::string> names;
  for (int64_t c = 0; c < count; ++c) names.push_back(std::to_string(c));
  return names;
}

std::pair<std::string, std::string> find_idx_pair(const std::string& dir, const std::string& prefix) {
  auto find = [&](const std::string& kind, const std::string& dims) -> std::string {
    for (const char* sep : {"-", "."})
      for (const char* ext : {"", ".gz"}) {
        const fs::path p = fs::path(dir) / str_cat(prefix, "-", kind, sep, dims, "-ubyte", ext);
        if (fs::is_regular_file(p)) return p.string();
      }
    return "";
  };
  return {find("images", "idx3"), find("labels", "idx1")};
}

}  // namespace tlab::data
