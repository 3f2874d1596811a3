// Prometheus text exposition format 0.0.4, compared byte for byte.
#include <gtest/gtest.h>

#include <limits>
#include <thread>
#include <vector>

#include "api/metrics.h"

using namespace lachan::api::metrics;

TEST(Metrics, CounterAndGaugeText) {
  Registry r;
  auto& ok = r.counter("lachan_http_requests_total", "HTTP requests answered.", {{"code", "200"}, {"method", "GET"}});
  auto& bad =
      r.counter("lachan_http_requests_total", "ignored: first help wins", {{"method", "POST"}, {"code", "413"}});
  ok.inc();
  ok.inc(41);
  bad.inc();
  auto& g = r.gauge("lachan_spool_lag_seconds", "How far the spool is behind.");
  g.set(1.5);
  g.add(-0.25);
  EXPECT_EQ(r.render(),
            "# HELP lachan_http_requests_total HTTP requests answered.\n"
            "# TYPE lachan_http_requests_total counter\n"
            "lachan_http_requests_total{code=\"200\",method=\"GET\"} 42\n"
            "lachan_http_requests_total{code=\"413\",method=\"POST\"} 1\n"
            "# HELP lachan_spool_lag_seconds How far the spool is behind.\n"
            "# TYPE lachan_spool_lag_seconds gauge\n"
            "lachan_spool_lag_seconds 1.25\n");
}

TEST(Metrics, SameNameAndLabelsGiveTheSameMetric) {
  Registry r;
  auto& a = r.counter("c_total", "h", {{"x", "1"}, {"y", "2"}});
  auto& b = r.counter("c_total", "h", {{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &r.counter("c_total", "h", {{"x", "2"}}));
}

TEST(Metrics, HistogramText) {
  Registry r;
  // Bounds given unsorted; values chosen exactly representable so the sum prints exactly.
  auto& h = r.histogram("lachan_ingest_seconds", "Ingest latency.", {0.1, 0.005, 1}, {{"source", "http"}});
  h.observe(0.00390625);
  h.observe(0.00390625);
  h.observe(0.5);
  h.observe(3);
  EXPECT_EQ(r.render(),
            "# HELP lachan_ingest_seconds Ingest latency.\n"
            "# TYPE lachan_ingest_seconds histogram\n"
            "lachan_ingest_seconds_bucket{source=\"http\",le=\"0.005\"} 2\n"
            "lachan_ingest_seconds_bucket{source=\"http\",le=\"0.1\"} 2\n"
            "lachan_ingest_seconds_bucket{source=\"http\",le=\"1\"} 3\n"
            "lachan_ingest_seconds_bucket{source=\"http\",le=\"+Inf\"} 4\n"
            "lachan_ingest_seconds_sum{source=\"http\"} 3.5078125\n"
            "lachan_ingest_seconds_count{source=\"http\"} 4\n");
}

TEST(Metrics, HistogramBucketsAreInclusiveUpperBounds) {
  Histogram h({0.005, 0.1});
  h.observe(0.005);
  h.observe(0.1);
  h.observe(0.1000001);
  EXPECT_EQ(h.bucket_counts(), (std::vector<uint64_t>{1, 1, 1}));
}

TEST(Metrics, HistogramWithoutLabelsAndLaterSeriesShareBuckets) {
  Registry r;
  r.histogram("h_seconds", "h", {1}).observe(2);
  // A later registration's buckets are ignored: a family has one bucket layout.
  r.histogram("h_seconds", "h", {5, 10}, {{"k", "v"}}).observe(0.5);
  EXPECT_EQ(r.render(),
            "# HELP h_seconds h\n"
            "# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"1\"} 0\n"
            "h_seconds_bucket{le=\"+Inf\"} 1\n"
            "h_seconds_sum 2\n"
            "h_seconds_count 1\n"
            "h_seconds_bucket{k=\"v\",le=\"1\"} 1\n"
            "h_seconds_bucket{k=\"v\",le=\"+Inf\"} 1\n"
            "h_seconds_sum{k=\"v\"} 0.5\n"
            "h_seconds_count{k=\"v\"} 1\n");
}

TEST(Metrics, EscapingOfHelpAndLabelValues) {
  Registry r;
  r.counter("esc_total", "line one\nback\\slash \"quoted\"", {{"path", "C:\\dir\n\"x\""}}).inc();
  EXPECT_EQ(r.render(),
            "# HELP esc_total line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE esc_total counter\n"
            "esc_total{path=\"C:\\\\dir\\n\\\"x\\\"\"} 1\n");
}

TEST(Metrics, CallbackGaugeIsReadAtRenderTime) {
  Registry r;
  double depth = 3;
  r.gauge_callback("queue_depth", "Queued batches.", {{"queue", "spool"}}, [&] { return depth; });
  depth = 7;
  EXPECT_EQ(r.render(),
            "# HELP queue_depth Queued batches.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth{queue=\"spool\"} 7\n");
}

TEST(Metrics, SpecialFloatValues) {
  Registry r;
  r.gauge("g_inf", "x").set(std::numeric_limits<double>::infinity());
  r.gauge("g_nan", "x").set(std::numeric_limits<double>::quiet_NaN());
  r.gauge("g_neg", "x").set(-2e-7);
  EXPECT_EQ(r.render(),
            "# HELP g_inf x\n# TYPE g_inf gauge\ng_inf +Inf\n"
            "# HELP g_nan x\n# TYPE g_nan gauge\ng_nan NaN\n"
            "# HELP g_neg x\n# TYPE g_neg gauge\ng_neg -2e-07\n");
}

TEST(Metrics, NameValidation) {
  EXPECT_TRUE(Registry::valid_name("lachan:http_requests_total"));
  EXPECT_FALSE(Registry::valid_name("1abc"));
  EXPECT_FALSE(Registry::valid_name("a-b"));
  EXPECT_FALSE(Registry::valid_name(""));
  EXPECT_TRUE(Registry::valid_label_name("code"));
  EXPECT_FALSE(Registry::valid_label_name("__reserved"));
  EXPECT_FALSE(Registry::valid_label_name("a:b"));
}

TEST(Metrics, ConcurrentIncrementsAreNotLost) {
  Registry r;
  auto& c = r.counter("hits_total", "h");
  auto& h = r.histogram("lat_seconds", "h", {1});
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.inc();
        h.observe(0.5);
      }
    });
  for (auto& t : ts) t.join();
  EXPECT_EQ(c.value(), 40000u);
  EXPECT_EQ(h.bucket_counts()[0], 40000u);
  EXPECT_EQ(h.sum(), 20000.0);
}
