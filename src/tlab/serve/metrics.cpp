#include "tlab/serve/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

#include "tlab/core/error.h"

namespace tlab::serve {
namespace {

bool valid_name(const std::string& name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Label values escape backslash, double quote and newline; HELP text backslash and newline.
std::string escape(const std::string& s, bool quote) {
  std::string out;
  for (const char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else if (c == '"' && quote) out += "\\\"";
    else out += c;
  }
  return out;
}

// Integers as integers (counts stay exact and readable), others with 9 significant digits.
std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15) std::snprintf(buf, sizeof buf, "%.0f", v);
  else std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// {a="x",b="y"} with `extra` (le="...") last; empty when there are no labels at all.
std::string label_text(const Labels& labels, const std::string& extra = "") {
  std::string out;
  for (const auto& [k, v] : labels) out += (out.empty() ? "" : ",") + k + "=\"" + escape(v, true) + "\"";
  if (!extra.empty()) out += (out.empty() ? "" : ",") + extra;
  return out.empty() ? "" : "{" + out + "}";
}

}  // namespace

void MetricsRegistry::declare(const std::string& name, Family family) {
  std::lock_guard<std::mutex> lock(mutex_);
  TLAB_CHECK(valid_name(name), "metrics: '", name, "' is not a Prometheus metric name");
  TLAB_CHECK(!families_.count(name), "metrics: '", name, "' is declared twice");
  order_.push_back(name);
  families_.emplace(name, std::move(family));
}

void MetricsRegistry::counter(const std::string& name, const std::string& help) {
  declare(name, Family{Kind::kCounter, help, {}, {}});
}

void MetricsRegistry::gauge(const std::string& name, const std::string& help) {
  declare(name, Family{Kind::kGauge, help, {}, {}});
}

void MetricsRegistry::histogram(const std::string& name, const std::string& help, std::vector<double> buckets) {
  TLAB_CHECK(std::is_sorted(buckets.begin(), buckets.end()) &&
                 std::adjacent_find(buckets.begin(), buckets.end()) == buckets.end(),
             "metrics: histogram '", name, "' needs increasing bucket bounds");
  declare(name, Family{Kind::kHistogram, help, std::move(buckets), {}});
}

MetricsRegistry::Series& MetricsRegistry::series_of(const std::string& name, Kind kind, const Labels& labels) {
  const auto it = families_.find(name);
  TLAB_CHECK(it != families_.end(), "metrics: '", name, "' was never declared");
  TLAB_CHECK(it->second.kind == kind || (kind == Kind::kCounter && it->second.kind == Kind::kGauge),
             "metrics: '", name, "' is of another kind");
  Series& s = it->second.series[labels];
  if (it->second.kind == Kind::kHistogram && s.in_bucket.empty()) s.in_bucket.assign(it->second.buckets.size() + 1, 0);
  return s;
}

void MetricsRegistry::add(const std::string& name, double value, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  Series& s = series_of(name, Kind::kCounter, labels);
  TLAB_CHECK(value >= 0 || families_.at(name).kind == Kind::kGauge, "metrics: counter '", name, "' cannot go down");
  s.value += value;
}

void MetricsRegistry::set(const std::string& name, double value, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  series_of(name, Kind::kGauge, labels).value = value;
}

void MetricsRegistry::observe(const std::string& name, double value, const Labels& labels) {
  std::lock_guard<std::mutex> lock(mutex_);
  Series& s = series_of(name, Kind::kHistogram, labels);
  const auto& bounds = families_.at(name).buckets;
  // Prometheus buckets are "less than or equal": the first bound >= value.
  s.in_bucket[size_t(std::lower_bound(bounds.begin(), bounds.end(), value) - bounds.begin())] += 1;
  s.value += value;
  s.count += 1;
}

double MetricsRegistry::value(const std::string& name, const Labels& labels) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto f = families_.find(name);
  if (f == families_.end()) return 0;
  const auto s = f->second.series.find(labels);
  if (s == f->second.series.end()) return 0;
  return f->second.kind == Kind::kHistogram ? double(s->second.count) : s->second.value;
}

std::string MetricsRegistry::text() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::ostringstream out;
  for (const auto& name : order_) {
    const Family& f = families_.at(name);
    const char* type = f.kind == Kind::kCounter ? "counter" : f.kind == Kind::kGauge ? "gauge" : "histogram";
    out << "# HELP " << name << " " << escape(f.help, false) << "\n# TYPE " << name << " " << type << "\n";
    for (const auto& [labels, s] : f.series) {
      if (f.kind != Kind::kHistogram) {
        out << name << label_text(labels) << " " << number(s.value) << "\n";
        continue;
      }
      uint64_t cumulative = 0;
      for (size_t b = 0; b <= f.buckets.size(); ++b) {
        cumulative += s.in_bucket[b];
        const std::string le = b < f.buckets.size() ? number(f.buckets[b]) : "+Inf";
        out << name << "_bucket" << label_text(labels, "le=\"" + le + "\"") << " " << cumulative << "\n";
      }
      out << name << "_sum" << label_text(labels) << " " << number(s.value) << "\n";
      out << name << "_count" << label_text(labels) << " " << s.count << "\n";
    }
  }
  return out.str();
}

}  // namespace tlab::serve
