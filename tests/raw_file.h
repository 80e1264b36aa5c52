#pragma once
// Raw binary files shared with the Python references the tests run (NumPy's tofile / fromfile),
// without torch: the OpenCV-only tests use them too (tests/float_file.h writes tensors).
#include <opencv2/core.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace tlab::test {

// Every float64 of the file, as NumPy's tofile wrote them.
inline std::vector<double> read_f64(const std::string& path) {
  std::vector<double> v(size_t(std::filesystem::file_size(path) / 8));
  std::ifstream(path, std::ios::binary).read(reinterpret_cast<char*>(v.data()), std::streamsize(v.size() * 8));
  return v;
}

// A continuous matrix's bytes, for np.fromfile with its dtype and shape.
inline void write_raw(const std::string& path, const cv::Mat& m) {
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(m.data), std::streamsize(m.total() * m.elemSize()));
}

}  // namespace tlab::test
