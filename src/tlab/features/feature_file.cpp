#include "tlab/features/feature_file.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include "tlab/core/error.h"
#include "tlab/core/io.h"

namespace fs = std::filesystem;

namespace tlab::features {
namespace {

std::string extension(const std::string& path) { return fs::path(path).extension().string(); }

std::string stem_path(const std::string& path, const std::string& suffix) {
  return (fs::path(path).parent_path() / (fs::path(path).stem().string() + suffix)).string();
}

std::string raw_bytes(const torch::Tensor& t) {
  const auto c = t.contiguous();
  return std::string(static_cast<const char*>(c.data_ptr()), size_t(c.numel()) * c.element_size());
}

std::string safetensors_bytes(const torch::Tensor& features, const torch::Tensor& labels,
                              const std::vector<std::string>& classes, const std::string& descriptors) {
  const std::string f = raw_bytes(features), l = raw_bytes(labels);
  nlohmann::json header = {
      {"__metadata__", {{"classes", nlohmann::json(classes).dump()}, {"descriptors", descriptors}}},
      {"features", {{"dtype", "F32"}, {"shape", features.sizes().vec()}, {"data_offsets", {0, f.size()}}}},
      {"labels", {{"dtype", "I64"}, {"shape", labels.sizes().vec()}, {"data_offsets", {f.size(), f.size() + l.size()}}}}};
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // the data starts 8-byte aligned
  std::string out(8, '\0');
  const uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out[size_t(i)] = char((n >> (8 * i)) & 0xff);  // little-endian length
  return out + h + f + l;
}

std::string csv_text(const torch::Tensor& features, const torch::Tensor& labels, const std::vector<std::string>& classes) {
  const auto x = features.contiguous();
  const int64_t n = x.size(0), d = x.size(1);
  std::string out = "label,class";
  for (int64_t j = 0; j < d; ++j) out += ",f" + std::to_string(j);
  out += "\n";
  auto quoted = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  char number[32];
  const float* p = x.data_ptr<float>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t y = labels[i].item<int64_t>();
    out += std::to_string(y) + "," + quoted(y >= 0 && y < int64_t(classes.size()) ? classes[size_t(y)] : "");
    for (int64_t j = 0; j < d; ++j) {
      std::snprintf(number, sizeof number, ",%.9g", double(p[i * d + j]));  // round-trips a float
      out += number;
    }
    out += "\n";
  }
  return out;
}

}  // namespace

std::string npy_bytes(const torch::Tensor& tensor) {
  TLAB_CHECK(tensor.scalar_type() == torch::kFloat32 || tensor.scalar_type() == torch::kInt64,
             "npy: float32 or int64 tensors, got ", tensor.scalar_type());
  std::string shape = "(";
  for (int64_t s : tensor.sizes()) shape += std::to_string(s) + ",";
  if (tensor.dim() > 1) shape.pop_back();
  shape += ")";
  std::string header = std::string("{'descr': '") + (tensor.scalar_type() == torch::kFloat32 ? "<f4" : "<i8") +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // magic (6) + version (2) + length (2) + header + '\n', padded to a multiple of 64
  const size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  return out + header + raw_bytes(tensor);
}

std::vector<std::string> feature_file_paths(const std::string& path) {
  const std::string ext = extension(path);
  if (ext == ".safetensors" || ext == ".csv") return {path};
  if (ext == ".npy") return {path, stem_path(path, ".labels.npy"), stem_path(path, ".classes.txt")};
  throw UsageError(str_cat("--out ", path, ": expected a file ending in .safetensors, .npy or .csv"));
}

std::vector<std::string> write_feature_file(const std::string& path, const torch::Tensor& features,
                                            const torch::Tensor& labels, const std::vector<std::string>& classes,
                                            const std::string& descriptors) {
  const auto files = feature_file_paths(path);
  const auto x = features.to(torch::kCPU, torch::kFloat32).contiguous();
  const auto y = labels.to(torch::kCPU, torch::kInt64).contiguous();
  TLAB_CHECK(x.dim() == 2 && y.dim() == 1 && x.size(0) == y.size(0), "feature file: features ", x.sizes(),
             " and labels ", y.sizes(), " do not match");
  const std::string ext = extension(path);
  if (ext == ".safetensors") {
    write_file_atomic(path, safetensors_bytes(x, y, classes, descriptors));
  } else if (ext == ".csv") {
    write_file_atomic(path, csv_text(x, y, classes));
  } else {
    write_file_atomic(files[0], npy_bytes(x));
    write_file_atomic(files[1], npy_bytes(y));
    std::string names;
    for (const auto& c : classes) names += c + "\n";
    write_file_atomic(files[2], names);
  }
  return files;
}

}  // namespace tlab::features
