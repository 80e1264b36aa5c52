#pragma once
// A small metrics registry that renders the Prometheus text exposition format (version 0.0.4):
// counters, gauges and histograms, each a family of series told apart by labels. Thread-safe; the
// server's routes and its inference worker write to it, GET /metrics reads it.
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace tlab::serve {

// Label name -> value pairs of one series, e.g. {{"route", "/v1/predict"}, {"code", "200"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

class MetricsRegistry {
 public:
  // Declare a family before writing to it; `name` follows Prometheus' rules ([a-zA-Z_:][a-zA-Z0-9_:]*),
  // `help` is one line. Throws UsageError for a bad name or a name declared twice.
  void counter(const std::string& name, const std::string& help);
  void gauge(const std::string& name, const std::string& help);
  // `buckets`: the upper bounds, increasing; +Inf is added.
  void histogram(const std::string& name, const std::string& help, std::vector<double> buckets);

  // counter or gauge += value (a counter only goes up: value >= 0).
  void add(const std::string& name, double value, const Labels& labels = {});
  // gauge = value.
  void set(const std::string& name, double value, const Labels& labels = {});
  // One observation into a histogram.
  void observe(const std::string& name, double value, const Labels& labels = {});

  // A counter's or gauge's value, a histogram's observation count; 0 for a series never written.
  double value(const std::string& name, const Labels& labels = {}) const;

  // Every family, in declaration order: # HELP, # TYPE, then one line per series (histograms:
  // cumulative _bucket{le=...} lines, _sum and _count).
  std::string text() const;

 private:
  enum class Kind { kCounter, kGauge, kHistogram };
  struct Series {
    double value = 0;                // counter, gauge; a histogram's sum
    uint64_t count = 0;              // histogram: observations
    std::vector<uint64_t> in_bucket; // histogram: observations per bucket (not cumulative), last = +Inf
  };
  struct Family {
    Kind kind;
    std::string help;
    std::vector<double> buckets;
    std::map<Labels, Series> series;
  };
  void declare(const std::string& name, Family family);
  Series& series_of(const std::string& name, Kind kind, const Labels& labels);  // mutex_ held

  mutable std::mutex mutex_;
  std::vector<std::string> order_;
  std::map<std::string, Family> families_;
};

}  // namespace tlab::serve
