// The metrics registry's Prometheus text (exposition format 0.0.4).
#include "tlab/serve/metrics.h"

#include "../test_util.h"

namespace tlab::test {
namespace {

TEST(ServeMetrics, RendersCountersGaugesAndCumulativeHistograms) {
  serve::MetricsRegistry m;
  m.counter("t_requests_total", "Requests by route");
  m.gauge("t_depth", "Queue depth");
  m.histogram("t_seconds", "Latency", {0.1, 1});
  m.add("t_requests_total", 1, {{"route", "/v1/predict"}, {"code", "200"}});
  m.add("t_requests_total", 2, {{"route", "/v1/predict"}, {"code", "200"}});
  m.add("t_requests_total", 1, {{"route", "a\"b\\c\nd"}, {"code", "404"}});
  m.set("t_depth", 3);
  m.set("t_depth", 2);
  for (const double v : {0.05, 0.1, 0.5, 7.0}) m.observe("t_seconds", v);
  EXPECT_EQ(m.value("t_requests_total", {{"route", "/v1/predict"}, {"code", "200"}}), 3);
  EXPECT_EQ(m.value("t_seconds"), 4);
  EXPECT_EQ(m.text(),
            "# HELP t_requests_total Requests by route\n"
            "# TYPE t_requests_total counter\n"
            "t_requests_total{route=\"/v1/predict\",code=\"200\"} 3\n"
            "t_requests_total{route=\"a\\\"b\\\\c\\nd\",code=\"404\"} 1\n"
            "# HELP t_depth Queue depth\n"
            "# TYPE t_depth gauge\n"
            "t_depth 2\n"
            "# HELP t_seconds Latency\n"
            "# TYPE t_seconds histogram\n"
            "t_seconds_bucket{le=\"0.1\"} 2\n"  // le is inclusive: 0.1 counts in the 0.1 bucket
            "t_seconds_bucket{le=\"1\"} 3\n"
            "t_seconds_bucket{le=\"+Inf\"} 4\n"
            "t_seconds_sum 7.65\n"
            "t_seconds_count 4\n");
}

TEST(ServeMetrics, RefusesBadNamesKindsAndDecrements) {
  serve::MetricsRegistry m;
  m.counter("c", "a counter");
  expect_invalid([&] { m.counter("c", "again"); }, "declared twice");
  expect_invalid([&] { m.gauge("9lives", "bad"); }, "not a Prometheus metric name");
  expect_invalid([&] { m.histogram("h", "bad", {1, 0.5}); }, "increasing");
  expect_invalid([&] { m.observe("c", 1); }, "another kind");
  expect_invalid([&] { m.add("c", -1); }, "cannot go down");
  expect_invalid([&] { m.add("nothing", 1); }, "never declared");
}

}  // namespace
}  // namespace tlab::test
