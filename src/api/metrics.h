// Prometheus metrics: a registry of counters, gauges (set or computed by a callback) and
// histograms with fixed buckets, with labels, rendered in the text exposition format 0.0.4.
//
// Registering takes a lock and is meant for start-up (or for a new label set); the returned
// reference stays valid for the registry's lifetime, and updating it is a relaxed atomic
// operation with no lock. Asking again for the same name and labels returns the same metric.
// Misuse is a programming error: a name or label name that Prometheus does not allow, or a
// name registered before with another type, asserts in debug builds; in release builds such
// a metric works but is not exported.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lachan::api::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  void inc() noexcept { add(1); }
  void dec() noexcept { add(-1); }
  double value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

class Histogram {
 public:
  // `bounds`: upper bounds, sorted ascending, finite; +Inf is implicit.
  explicit Histogram(std::vector<double> bounds);
  void observe(double v) noexcept;
  const std::vector<double>& bounds() const noexcept { return bounds_; }
  // Per-bucket counts (not cumulative), bounds().size() + 1 of them (the last is +Inf).
  std::vector<uint64_t> bucket_counts() const;
  double sum() const noexcept { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// Request-latency buckets in seconds: 1 ms .. 10 s.
std::vector<double> default_seconds_buckets();

class Registry {
 public:
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  // A gauge read when rendering (e.g. a queue depth). Registering the same name and labels
  // again replaces the callback. The callback runs under the registry lock: it must not
  // register metrics.
  void gauge_callback(std::string_view name, std::string_view help, const Labels& labels, std::function<double()> fn);
  // Buckets are fixed by the first registration of `name`; later ones reuse them.
  Histogram& histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                       const Labels& labels = {});

  // Text exposition format 0.0.4: families sorted by name, series by label text.
  std::string render() const;

  static bool valid_name(std::string_view name) noexcept;
  static bool valid_label_name(std::string_view name) noexcept;

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::function<double()> callback;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    Type type = Type::counter;
    std::string help;
    std::vector<double> bounds;  // histograms: fixed by the first registration
    bool has_bounds = false;
    std::map<std::string, Series> series;  // key: rendered labels, e.g. `a="1",b="2"`
  };
  Series* series(std::string_view name, std::string_view help, Type type, const Labels& labels);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  std::vector<Series> orphans_;  // misused registrations (release builds): live but not exported
};

}  // namespace lachan::api::metrics
