#include "tlab/core/io.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>

#include "tlab/core/error.h"

namespace fs = std::filesystem;

namespace tlab {

void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& write) {
  fs::path target(path);
  if (target.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw IoError(str_cat("cannot create the directory '", target.parent_path().string(), "' for '", path,
                                  "': ", ec.message()));
  }
  const std::string tmp = str_cat(path, ".tmp.", ::getpid());
  try {
    write(tmp);
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) throw IoError(str_cat("cannot move '", tmp, "' to '", path, "': ", ec.message()));
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

void write_file_atomic(const std::string& path, const std::string& content) {
  write_atomic_with(path, [&](const std::string& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw IoError(str_cat("cannot open '", tmp, "' for writing"));
    out << content;
    out.flush();
    if (!out) throw IoError(str_cat("failed writing '", tmp, "' (disk full?)"));
  });
}

void write_json_atomic(const std::string& path, const nlohmann::json& value) {
  write_file_atomic(path, value.dump(2) + "\n");
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(str_cat("cannot open '", path, "' for reading"));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

nlohmann::json read_json_file(const std::string& path) {
  auto j = nlohmann::json::parse(read_file(path), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw DataError(str_cat("'", path, "' is not valid JSON"));
  return j;
}

void append_line(const std::string& path, const std::string& line) {
  std::ofstream out(path, std::ios::app);
  if (!out) throw IoError(str_cat("cannot open '", path, "' for appending"));
  out << line << '\n';
  out.flush();
}

std::vector<std::string> read_lines(const std::string& path) { return split_lines(read_file(path)); }

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    lines.push_back(line);
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

}  // namespace tlab
