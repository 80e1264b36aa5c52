#pragma once
// File helpers: atomic writes (write to a temporary beside the target, then rename).
#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

namespace tlab {

// Writes `content` to `path` atomically; creates parent directories.
void write_file_atomic(const std::string& path, const std::string& content);
// Calls write(tmp_path) to produce the file, then renames tmp_path over `path`.
void write_atomic_with(const std::string& path, const std::function<void(const std::string&)>& write);
// Pretty-printed JSON, atomically.
void write_json_atomic(const std::string& path, const nlohmann::json& value);
// Reads a whole file; throws IoError naming the file when it cannot.
std::string read_file(const std::string& path);
// A whole file parsed as JSON; throws IoError when unreadable, DataError naming the file when not JSON.
nlohmann::json read_json_file(const std::string& path);
// Appends one line (e.g. a JSON-lines record) and flushes.
void append_line(const std::string& path, const std::string& line);
// The lines of a text (class names, labels): trailing spaces and '\r' trimmed, trailing empty lines
// dropped; empty lines inside are kept, so line i stays entry i.
std::vector<std::string> split_lines(const std::string& text);
// split_lines of a file's contents. Throws IoError when unreadable.
std::vector<std::string> read_lines(const std::string& path);

}  // namespace tlab
