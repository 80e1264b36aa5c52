#include "tlab/select/grid.h"

#include <algorithm>
#include <map>
#include <sstream>

#include "tlab/core/error.h"

namespace tlab::select {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t"), e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(trim(part));
  if (!s.empty() && s.back() == sep) out.push_back("");
  return out;
}

// The config's path of a key: nested fields of the optimizer and the schedule have short names.
std::vector<std::string> path_of(std::string key) {
  std::replace(key.begin(), key.end(), '-', '_');
  static const std::map<std::string, std::vector<std::string>> nested = {
      {"lr", {"optimizer", "lr"}},
      {"optimizer", {"optimizer", "name"}},
      {"momentum", {"optimizer", "momentum"}},
      {"weight_decay", {"optimizer", "weight_decay"}},
      {"schedule", {"schedule", "name"}},
      {"warmup_epochs", {"schedule", "warmup_epochs"}}};
  if (auto it = nested.find(key); it != nested.end()) return it->second;
  return {key};
}

// `value` as the JSON type of the field it replaces.
nlohmann::json typed(const std::string& key, const std::string& value, const nlohmann::json& current) {
  auto bad = [&](const char* what) {
    return UsageError(str_cat("--grid: ", key, "=", value, ": expected ", what));
  };
  if (current.is_boolean()) {
    if (value == "true" || value == "1") return true;
    if (value == "false" || value == "0") return false;
    throw bad("true or false");
  }
  if (current.is_number_integer() || current.is_number_unsigned()) {
    size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(value, &used);
    } catch (const std::exception&) {
    }
    if (used != value.size() || value.empty()) throw bad("an integer");
    return v;
  }
  if (current.is_number()) {
    size_t used = 0;
    double v = 0;
    try {
      v = std::stod(value, &used);
    } catch (const std::exception&) {
    }
    if (used != value.size() || value.empty()) throw bad("a number");
    return v;
  }
  if (current.is_string()) return value;
  throw bad("a plain option (this one cannot be set from a grid)");
}

}  // namespace

std::string Candidate::name() const {
  std::string out;
  for (const auto& [k, v] : params) out += (out.empty() ? "" : " ") + k + "=" + v;
  return out;
}

namespace {

std::vector<Candidate> expand_one(const std::string& grid, const train::RunOptions& base) {
  const nlohmann::json config = train::to_json(base);
  std::map<std::string, std::vector<std::string>> axes;  // sorted by key, as ParameterGrid sorts
  for (const auto& axis : split(grid, ';')) {
    if (axis.empty()) continue;
    const auto eq = axis.find('=');
    TLAB_CHECK(eq != std::string::npos && eq > 0, "--grid: expected KEY=V1,V2,... between ';', got '", axis, "'");
    const std::string key = trim(axis.substr(0, eq));
    auto values = split(axis.substr(eq + 1), ',');
    TLAB_CHECK(!values.empty() && std::none_of(values.begin(), values.end(), [](auto& v) { return v.empty(); }),
               "--grid: ", key, " has an empty value in '", axis, "'");
    TLAB_CHECK(!axes.count(key), "--grid: ", key, " is given twice");
    const auto path = path_of(key);
    const nlohmann::json* field = &config;
    for (const auto& p : path) {
      TLAB_CHECK(field->is_object() && field->contains(p), "--grid: unknown key '", key,
                 "'; keys are run options as config.json names them (model, strategy, weights, epochs, batch_size, "
                 "probe_c, ...) or lr, optimizer, momentum, weight_decay, schedule, warmup_epochs");
      field = &(*field)[p];
    }
    TLAB_CHECK(!(path.size() == 1 && (path[0] == "out" || path[0] == "augmentation")), "--grid: '", key,
               "' cannot vary between candidates");
    for (const auto& v : values) typed(key, v, *field);  // fail before anything runs
    axes[key] = values;
  }
  TLAB_CHECK(!axes.empty(), "--grid: no KEY=VALUES given");

  std::vector<Candidate> out;
  std::vector<size_t> at(axes.size(), 0);
  while (true) {
    Candidate c;
    nlohmann::json j = config;
    size_t a = 0;
    for (const auto& [key, values] : axes) {
      const std::string& v = values[at[a++]];
      c.params.emplace_back(key, v);
      const auto path = path_of(key);
      nlohmann::json* field = &j;
      for (const auto& p : path) field = &(*field)[p];
      *field = typed(key, v, *field);
      if (path[0] == "augment") j["augmentation"] = nullptr;  // resolved again from the new preset
    }
    c.options = train::run_options_from_json(j);
    out.push_back(std::move(c));
    // odometer: the last key fastest
    size_t i = axes.size();
    auto it = axes.end();
    while (i > 0) {
      --i;
      --it;
      if (++at[i] < it->second.size()) break;
      at[i] = 0;
      if (i == 0) return out;
    }
  }
}

}  // namespace

std::vector<Candidate> expand_grid(const std::string& grid, const train::RunOptions& base) {
  TLAB_CHECK(!trim(grid).empty(), "--grid: no KEY=VALUES given");
  std::vector<Candidate> out;
  for (const auto& part : split(grid, '|')) {
    TLAB_CHECK(!part.empty(), "--grid: an empty grid between '|' in '", grid, "'");
    for (auto& c : expand_one(part, base)) out.push_back(std::move(c));
  }
  return out;
}

}  // namespace tlab::select
