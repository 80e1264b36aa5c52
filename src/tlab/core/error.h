#pragma once
// Errors by kind. Every error the library throws is one of these, so an app can tell the user's
// mistakes from broken files (the CLI exits with 2 for a UsageError, 1 for the rest). Messages
// say what was expected, what was found, and where: the flag, field, file, line or byte offset.
#include <sstream>
#include <stdexcept>
#include <string>

namespace tlab {

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... Rest>
void append(std::ostringstream& os, const T& first, const Rest&... rest) {
  os << first;
  append(os, rest...);
}
}  // namespace detail

// Concatenates every argument with operator<< into one string.
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream os;
  detail::append(os, args...);
  return os.str();
}

// A bad option or argument: a flag, an option struct's field, a call with impossible values.
// Derives from std::invalid_argument, the standard type for a caller's mistake.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Bad data on disk: an image, IDX, CIFAR or CSV file that is truncated, undecodable or inconsistent.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad model file: weights (.pth, .safetensors), a TorchScript file or a checkpoint that is
// malformed, of another architecture, or of the wrong shapes.
class WeightsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file system or the network failed: a file cannot be read or written, a download failed.
class IoError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Training itself failed on valid inputs: the loss diverged.
class TrainingError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tlab

// TLAB_CHECK(cond, parts...): throws tlab::UsageError with the concatenated parts.
#define TLAB_CHECK(cond, ...)                                             \
  do {                                                                    \
    if (!(cond)) throw ::tlab::UsageError(::tlab::str_cat(__VA_ARGS__));  \
  } while (0)

// TLAB_CHECK_DATA(cond, parts...): throws tlab::DataError for bad data files.
#define TLAB_CHECK_DATA(cond, ...)                                        \
  do {                                                                    \
    if (!(cond)) throw ::tlab::DataError(::tlab::str_cat(__VA_ARGS__));   \
  } while (0)

// TLAB_CHECK_WEIGHTS(cond, parts...): throws tlab::WeightsError for bad model files.
#define TLAB_CHECK_WEIGHTS(cond, ...)                                      \
  do {                                                                     \
    if (!(cond)) throw ::tlab::WeightsError(::tlab::str_cat(__VA_ARGS__)); \
  } while (0)
