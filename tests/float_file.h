#pragma once
// Raw float32 files for the reference runtimes the tests start (tests/js/onnx_check.js,
// tests/export/check_exports.py read them with the shape given beside them).
#include <torch/torch.h>

#include <fstream>
#include <string>

namespace tlab::test {

inline void write_floats(const std::string& path, const torch::Tensor& t) {
  const auto c = t.contiguous().to(torch::kCPU, torch::kFloat);
  std::ofstream(path, std::ios::binary).write(static_cast<const char*>(c.data_ptr()), std::streamsize(c.numel() * 4));
}

}  // namespace tlab::test
