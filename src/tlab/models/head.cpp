#include "tlab/models/head.h"

#include <charconv>
#include <sstream>

#include "tlab/core/error.h"

namespace tlab::models {

HeadOptions HeadOptions::parse(const std::string& spec) {
  HeadOptions h;
  std::stringstream ss(spec);
  std::string part;
  bool first = true;
  while (std::getline(ss, part, ',')) {
    if (first) {
      TLAB_CHECK(part == "gap" || part == "flatten", "--head '", spec, "': starts with gap or flatten, got '", part, "'");
      h.pool = part;
      first = false;
    } else if (part.rfind("dropout=", 0) == 0) {
      try {
        h.dropout = std::stod(part.substr(8));
      } catch (const std::exception&) {
        throw UsageError(str_cat("--head '", spec, "': dropout=P needs a number, got '", part, "'"));
      }
      TLAB_CHECK(h.dropout >= 0 && h.dropout < 1, "--head '", spec, "': dropout must be in [0, 1), got ", h.dropout);
    } else {
      int64_t width = 0;
      try {
        size_t used = 0;
        width = std::stoll(part, &used);
        TLAB_CHECK(used == part.size(), "");
      } catch (const std::exception&) {
        throw UsageError(str_cat("--head '", spec, "': '", part, "' is neither a layer width nor dropout=P"));
      }
      TLAB_CHECK(width > 0, "--head '", spec, "': layer widths must be positive, got ", width);
      h.hidden.push_back(width);
    }
  }
  TLAB_CHECK(!first, "--head: empty; expected gap|flatten[,WIDTH...][,dropout=P]");
  return h;
}

std::string HeadOptions::str() const {
  std::string s = pool;
  for (int64_t w : hidden) s += "," + std::to_string(w);
  if (dropout == HeadOptions{}.dropout) return s;
  char d[32];  // the shortest form that reads back as the same double
  const auto end = std::to_chars(d, d + sizeof d, dropout).ptr;
  return s + ",dropout=" + std::string(d, end);
}

}  // namespace tlab::models
