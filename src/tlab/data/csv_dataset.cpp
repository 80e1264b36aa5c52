#include "tlab/data/csv_dataset.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>
#include <map>
#include <sstream>
#include <utility>

#include "tlab/core/error.h"
#include "tlab/core/io.h"
#include "tlab/data/idx.h"

namespace fs = std::filesystem;

namespace tlab::data {
namespace {

// Without a classes.txt, integer labels make every number up to the largest a class: a cap keeps a
// column of ids mistaken for labels from allocating millions of classes.
constexpr int64_t kMaxNumberedClasses = 100000;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The fields of one line: comma-separated, RFC 4180 quotes ("a, b" is one field, "" inside quotes is
// a quote), whitespace around a field trimmed. `where` names the line in errors.
std::vector<std::string> split_fields(const std::string& line, const std::string& where) {
  std::vector<std::string> fields;
  const size_t n = line.size();
  size_t i = 0;
  while (true) {
    while (i < n && is_space(line[i])) ++i;
    std::string field;
    if (i < n && line[i] == '"') {
      bool closed = false;
      for (++i; i < n; ++i) {
        if (line[i] != '"') {
          field += line[i];
        } else if (i + 1 < n && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          closed = true;
          ++i;
          break;
        }
      }
      TLAB_CHECK_DATA(closed, where, ": a quoted field is not closed (a quoted field must end on its line)");
      while (i < n && is_space(line[i])) ++i;
      TLAB_CHECK_DATA(i == n || line[i] == ',', where, ": text after a closing quote (write a quote inside "
                      "a quoted field as \"\")");
    } else {
      const size_t start = i;
      while (i < n && line[i] != ',') ++i;
      field = trim(line.substr(start, i - start));
    }
    fields.push_back(std::move(field));
    if (i == n) return fields;
    ++i;  // the comma
  }
}

bool is_header(const std::vector<std::string>& fields) {
  const std::string path = lower(fields[0]), label = lower(fields[1]);
  for (const char* name : {"path", "file", "filename", "image", "id"})
    if (path == name) return true;
  return label == "label" || label == "class";
}

// An integer label: an optional '-' and decimal digits.
bool is_integer(const std::string& s) {
  const size_t digits = s.size() - (!s.empty() && s[0] == '-');
  return digits > 0 && std::all_of(s.end() - digits, s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

struct Row {
  size_t line;  // 1-based, in the CSV file
  std::string path, label;
};

// The class names of a classes.txt, one a line (blank lines ignored); empty or duplicated is an error.
std::vector<std::string> read_classes_txt(const std::string& path) {
  std::vector<std::string> names;
  std::map<std::string, size_t> line_of;
  std::istringstream in(read_file(path));
  std::string text;
  for (size_t line = 1; std::getline(in, text); ++line) {
    const std::string name = trim(text);
    if (name.empty()) continue;
    const auto [it, fresh] = line_of.emplace(name, line);
    TLAB_CHECK_DATA(fresh, "class list '", path, "' line ", line, ": class '", name, "' is listed twice (line ",
                    it->second, " too)");
    names.push_back(name);
  }
  TLAB_CHECK_DATA(!names.empty(), "class list '", path, "' lists no classes (expected one class name a line)");
  return names;
}

}  // namespace

CsvDataset::CsvDataset(const std::string& file, ImageFileOptions options)
    : ImageFileDataset(str_cat("csv file '", file, "'"), options), file_(file) {
  auto at = [&](size_t line) { return str_cat("csv file '", file, "' line ", line); };
  TLAB_CHECK_DATA(fs::is_regular_file(file), "csv file '", file, "' does not exist or is not a file");
  std::string content = read_file(file);
  if (content.rfind("\xEF\xBB\xBF", 0) == 0) content.erase(0, 3);  // a UTF-8 BOM (spreadsheet exports)

  std::vector<Row> rows;
  bool first = true;
  std::istringstream in(content);
  std::string text;
  for (size_t line = 1; std::getline(in, text); ++line) {
    if (trim(text).empty()) continue;
    auto fields = split_fields(text, at(line));
    TLAB_CHECK_DATA(fields.size() == 2, at(line), ": expected 2 fields (path,label), found ", fields.size());
    if (std::exchange(first, false) && is_header(fields)) continue;
    TLAB_CHECK_DATA(!fields[0].empty(), at(line), ": the path is empty");
    rows.push_back({line, std::move(fields[0]), std::move(fields[1])});
  }
  TLAB_CHECK_DATA(!rows.empty(), "csv file '", file, "' has no data lines (expected path,label lines, "
                  "optionally after a header line)");

  // Labels -> class indices: all integers or all names, the kind set by the first data line.
  const fs::path dir = fs::path(file).parent_path();
  const fs::path classes_txt = dir / "classes.txt";
  const bool listed = fs::is_regular_file(classes_txt);
  if (listed) classes_ = read_classes_txt(classes_txt.string());
  const bool integers = is_integer(rows.front().label);
  auto unknown = [&](const Row& r, const std::string& why) {
    return DataError(str_cat(at(r.line), ": unknown label '", r.label, "': ", why));
  };
  std::vector<int64_t> labels;
  for (const Row& r : rows) {
    if (r.label.empty()) throw unknown(r, "the label is empty");
    if (is_integer(r.label) != integers)
      throw unknown(r, str_cat("the file's labels are ", integers ? "integers" : "class names", " (line ",
                               rows.front().line, ": '", rows.front().label, "'); integers and names cannot be mixed"));
    if (!integers) continue;  // names are resolved below, once the class list is known
    // Up to 12 characters always fit an int64; more are out of range whatever the class list.
    const int64_t value = r.label.size() <= 12 ? std::stoll(r.label) : r.label[0] == '-' ? -1 : INT64_MAX;
    if (value < 0) throw unknown(r, "integer labels count from 0");
    if (listed && value >= int64_t(classes_.size()))
      throw unknown(r, str_cat("classes.txt ('", classes_txt.string(), "') lists ", classes_.size(),
                               " classes, so integer labels run 0..", classes_.size() - 1));
    if (!listed && value >= kMaxNumberedClasses)
      throw unknown(r, str_cat("without a classes.txt beside the CSV, integer labels must be below ", kMaxNumberedClasses,
                               " (each number up to the largest is a class); list the classes in classes.txt"));
    labels.push_back(value);
  }
  if (integers && !listed) classes_ = numbered_classes(*std::max_element(labels.begin(), labels.end()) + 1);
  if (!integers) {
    if (!listed) {
      for (const Row& r : rows) classes_.push_back(r.label);
      std::sort(classes_.begin(), classes_.end());
      classes_.erase(std::unique(classes_.begin(), classes_.end()), classes_.end());
    }
    std::map<std::string, int64_t> index;
    for (size_t c = 0; c < classes_.size(); ++c) index.emplace(classes_[c], int64_t(c));
    for (const Row& r : rows) {
      const auto it = index.find(r.label);
      if (it == index.end()) throw unknown(r, str_cat("not in classes.txt ('", classes_txt.string(), "')"));
      labels.push_back(it->second);
    }
  }

  // Files: relative to the CSV's directory; missing is an error, undecodable is the skip rule.
  for (size_t i = 0; i < rows.size(); ++i) {
    const fs::path written(rows[i].path);
    const std::string path = (written.is_absolute() ? written : dir / written).string();
    std::error_code ec;
    TLAB_CHECK_DATA(fs::exists(path, ec), at(rows[i].line), ": image '", path, "' does not exist");
    TLAB_CHECK_DATA(fs::is_regular_file(path, ec), at(rows[i].line), ": image '", path, "' is not a file");
    add_if_decodable(path, labels[i], str_cat(" (", file, " line ", rows[i].line, ")"));
  }
  TLAB_CHECK_DATA(size() > 0, "csv file '", file, "': none of its ", rows.size(),
                  " images is one OpenCV can decode (all skipped)");
}

}  // namespace tlab::data
