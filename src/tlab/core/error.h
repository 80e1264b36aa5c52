#pragma once
// Errors and checks. Caller mistakes throw std::invalid_argument, I/O and environment problems
// throw std::runtime_error; messages say what was expected, what was found, and where.
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

// Bad data on disk: truncated, wrong magic, undecodable, inconsistent.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace tlab

// TLAB_CHECK(cond, parts...): throws std::invalid_argument with the concatenated parts.
#define TLAB_CHECK(cond, ...)                                          \
  do {                                                                 \
    if (!(cond)) throw std::invalid_argument(::tlab::str_cat(__VA_ARGS__)); \
  } while (0)

// TLAB_CHECK_DATA(cond, parts...): throws tlab::DataError for bad files.
#define TLAB_CHECK_DATA(cond, ...)                                \
  do {                                                            \
    if (!(cond)) throw ::tlab::DataError(::tlab::str_cat(__VA_ARGS__)); \
  } while (0)
