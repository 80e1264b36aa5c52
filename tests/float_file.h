#pragma once
// Raw tensor files for the reference runtimes the tests start (tests/js/onnx_check.js,
// tests/export/check_exports.py, the scikit-learn scripts read them with the shape given beside them).
#include <torch/torch.h>

#include "raw_file.h"

#include <fstream>
#include <string>

namespace tlab::test {

inline void write_floats(const std::string& path, const torch::Tensor& t) {
  const auto c = t.contiguous().to(torch::kCPU, torch::kFloat);
  std::ofstream(path, std::ios::binary).write(static_cast<const char*>(c.data_ptr()), std::streamsize(c.numel() * 4));
}

// The tensor's bytes in its own dtype (NumPy's fromfile with that dtype).
inline void write_tensor(const std::string& path, const torch::Tensor& t) {
  const auto c = t.contiguous().to(torch::kCPU);
  std::ofstream(path, std::ios::binary)
      .write(static_cast<const char*>(c.data_ptr()), std::streamsize(c.numel() * int64_t(c.element_size())));
}

// A float64 file (NumPy's tofile) as a tensor of `shape`.
inline torch::Tensor read_f64_tensor(const std::string& path, c10::IntArrayRef shape) {
  return torch::tensor(read_f64(path), torch::kFloat64).reshape(shape);
}

}  // namespace tlab::test
