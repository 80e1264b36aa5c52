#include "tlab/weights/safetensors.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <map>

#include "tlab/core/error.h"
#include "tlab/core/io.h"

namespace tlab::weights {
namespace {

torch::ScalarType dtype_of(const std::string& name, const std::string& what, const std::string& tensor) {
  static const std::map<std::string, torch::ScalarType> types = {
      {"F64", torch::kFloat64}, {"F32", torch::kFloat32}, {"F16", torch::kFloat16}, {"BF16", torch::kBFloat16},
      {"I64", torch::kInt64},   {"I32", torch::kInt32},   {"I16", torch::kInt16},   {"I8", torch::kInt8},
      {"U8", torch::kUInt8},    {"BOOL", torch::kBool}};
  auto it = types.find(name);
  if (it == types.end())
    throw WeightsError(str_cat("safetensors file '", what, "': tensor '", tensor, "' has unsupported dtype '",
                                     name, "'"));
  return it->second;
}

}  // namespace

StateDict parse_safetensors(const std::string& bytes, const std::string& what) {
  auto fail = [&](const std::string& msg) { return WeightsError(str_cat("safetensors file '", what, "': ", msg)); };
  if (bytes.size() < 8) throw fail(str_cat("only ", bytes.size(), " bytes; too short for the header length"));
  uint64_t header_len = 0;
  for (int k = 7; k >= 0; --k) header_len = (header_len << 8) | uint8_t(bytes[size_t(k)]);
  if (header_len > bytes.size() - 8) throw fail(str_cat("header length ", header_len, " runs past the end of the file"));
  nlohmann::json header = nlohmann::json::parse(bytes.begin() + 8, bytes.begin() + 8 + long(header_len), nullptr, false);
  if (header.is_discarded() || !header.is_object()) throw fail("the header is not a JSON object");
  const size_t data_start = 8 + size_t(header_len);
  const uint64_t data_size = bytes.size() - data_start;

  StateDict out;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") continue;
    if (!info.is_object() || !info.contains("dtype") || !info.contains("shape") || !info.contains("data_offsets") ||
        !info["dtype"].is_string() || !info["shape"].is_array() || !info["data_offsets"].is_array() ||
        info["data_offsets"].size() != 2)
      throw fail(str_cat("tensor '", name, "' lacks dtype, shape or data_offsets"));
    const torch::ScalarType dtype = dtype_of(info["dtype"].get<std::string>(), what, name);
    if (info["shape"].size() > 64) throw fail(str_cat("tensor '", name, "' has more than 64 dimensions"));
    std::vector<int64_t> shape;
    // The product of the non-zero sizes is bounded too: LibTorch refuses shapes whose element
    // count overflows even when another size is 0 (and throws its own error type).
    uint64_t nonzero_numel = 1;
    bool empty = false;
    for (const auto& d : info["shape"]) {
      if (!d.is_number_unsigned()) throw fail(str_cat("tensor '", name, "' has a bad shape entry"));
      const uint64_t v = d.get<uint64_t>();
      if (v > (uint64_t(1) << 40) || (v && nonzero_numel > (uint64_t(1) << 50) / v))
        throw fail(str_cat("tensor '", name, "' is absurdly large"));
      if (v) nonzero_numel *= v;
      else empty = true;
      shape.push_back(int64_t(v));
    }
    const uint64_t numel = empty ? 0 : nonzero_numel;
    const auto& off = info["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      throw fail(str_cat("tensor '", name, "' has bad data_offsets"));
    const uint64_t begin = off[0].get<uint64_t>(), end = off[1].get<uint64_t>();
    if (begin > end || end > data_size)
      throw fail(str_cat("tensor '", name, "' data [", begin, ", ", end, ") lies outside the ", data_size,
                         " data bytes (truncated?)"));
    if (end - begin != numel * c10::elementSize(dtype))
      throw fail(str_cat("tensor '", name, "' of shape ", c10::IntArrayRef(shape), " needs ",
                         numel * c10::elementSize(dtype), " bytes, its offsets give ", end - begin));
    auto t = torch::empty(shape, torch::TensorOptions().dtype(dtype));
    if (numel) std::memcpy(t.data_ptr(), bytes.data() + data_start + begin, size_t(end - begin));
    out.emplace_back(name, t);
  }
  if (out.empty()) throw fail("holds no tensors");
  return out;
}

StateDict read_safetensors(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    throw WeightsError(str_cat("safetensors file '", path, "' does not exist"));
  return parse_safetensors(read_file(path), path);
}

}  // namespace tlab::weights
