#pragma once
// Shared helpers for the tests: temporary directories, the ../shared data (which must be present
// in CI), and running the Python reference (/usr/bin/python3 with python3-torch / sklearn).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace tlab::test {

namespace fs = std::filesystem;

// A fresh directory under the system temp dir, removed when the object dies.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("tlab-test-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string str(const std::string& child = "") const { return child.empty() ? path_.string() : (path_ / child).string(); }

 private:
  fs::path path_;
};

inline void write_bytes(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
}

// ../shared beside the checkout. Missing data fails the test (never skips): in CI it must be there.
inline std::string shared_dir() {
  const fs::path p = fs::path(TLAB_SOURCE_DIR).parent_path() / "shared";
  if (!fs::is_directory(p)) {
    ADD_FAILURE() << "the shared data directory " << p << " is missing; tests need ../shared beside the checkout";
  }
  return p.string();
}

// Runs a shell command (fixed strings from the tests only) and returns its exit status.
inline int run_command(const std::string& cmd) {
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Runs `run` expecting std::invalid_argument whose message contains `needle`.
template <typename Run>
void expect_invalid(Run run, const std::string& needle) {
  try {
    run();
    ADD_FAILURE() << "no error mentioning " << needle;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace tlab::test
