#include "api/metrics.h"

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>

namespace lachan::api::metrics {

namespace {

void append_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else {
    char buf[64];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

void append_escaped(std::string& out, std::string_view s, bool quotes) {
  for (char c : s) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quotes) {
      out += "\\\"";
    } else {
      out += c;
    }
  }
}

std::string label_text(Labels labels) {
  std::sort(labels.begin(), labels.end());
  std::string out;
  for (const auto& [k, v] : labels) {
    if (!out.empty()) out += ',';
    out += k;
    out += "=\"";
    append_escaped(out, v, true);
    out += '"';
  }
  return out;
}

void append_sample(std::string& out, std::string_view name, std::string_view suffix, std::string_view labels,
                   std::string_view extra_label, double value) {
  out += name;
  out += suffix;
  if (!labels.empty() || !extra_label.empty()) {
    out += '{';
    out += labels;
    if (!labels.empty() && !extra_label.empty()) out += ',';
    out += extra_label;
    out += '}';
  }
  out += ' ';
  append_double(out, value);
  out += '\n';
}

void append_sample_u(std::string& out, std::string_view name, std::string_view suffix, std::string_view labels,
                     std::string_view extra_label, uint64_t value) {
  out += name;
  out += suffix;
  if (!labels.empty() || !extra_label.empty()) {
    out += '{';
    out += labels;
    if (!labels.empty() && !extra_label.empty()) out += ',';
    out += extra_label;
    out += '}';
  }
  out += ' ';
  out += std::to_string(value);
  out += '\n';
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  bounds_.erase(std::remove_if(bounds_.begin(), bounds_.end(), [](double b) { return !std::isfinite(b); }),
                bounds_.end());
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  counts_ = std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1);
}

void Histogram::observe(double v) noexcept {
  // Prometheus buckets are "less than or equal".
  size_t i = static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::bucket_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = counts_[i].load(std::memory_order_relaxed);
  return out;
}

std::vector<double> default_seconds_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

bool Registry::valid_name(std::string_view name) noexcept {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool Registry::valid_label_name(std::string_view name) noexcept {
  if (name.empty() || name.starts_with("__")) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

Registry::Series* Registry::series(std::string_view name, std::string_view help, Type type, const Labels& labels) {
  bool ok = valid_name(name);
  for (const auto& [k, v] : labels) ok = ok && valid_label_name(k) && !(type == Type::histogram && k == "le");
  auto it = families_.find(name);
  if (ok && it != families_.end() && it->second.type != type) ok = false;
  assert(ok && "metric misuse: bad name or label, or the name is registered with another type");
  if (!ok) return &orphans_.emplace_back();
  if (it == families_.end()) {
    Family f;
    f.type = type;
    f.help = std::string(help);
    it = families_.emplace(std::string(name), std::move(f)).first;
  }
  return &it->second.series[label_text(labels)];
}

Counter& Registry::counter(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lk(mu_);
  Series* s = series(name, help, Type::counter, labels);
  if (!s->counter) s->counter = std::make_unique<Counter>();
  return *s->counter;
}

Gauge& Registry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lk(mu_);
  Series* s = series(name, help, Type::gauge, labels);
  if (!s->gauge) s->gauge = std::make_unique<Gauge>();
  return *s->gauge;
}

void Registry::gauge_callback(std::string_view name, std::string_view help, const Labels& labels,
                              std::function<double()> fn) {
  std::lock_guard lk(mu_);
  Series* s = series(name, help, Type::gauge, labels);
  s->callback = std::move(fn);
}

Histogram& Registry::histogram(std::string_view name, std::string_view help, std::vector<double> bounds,
                               const Labels& labels) {
  std::lock_guard lk(mu_);
  Series* s = series(name, help, Type::histogram, labels);
  if (!s->histogram) {
    auto fam = families_.find(name);
    if (fam != families_.end() && fam->second.type == Type::histogram) {
      // All series of a family share the buckets of its first registration.
      if (!fam->second.has_bounds) {
        fam->second.bounds = Histogram(std::move(bounds)).bounds();
        fam->second.has_bounds = true;
      }
      s->histogram = std::make_unique<Histogram>(fam->second.bounds);
    } else {
      s->histogram = std::make_unique<Histogram>(std::move(bounds));  // an orphan
    }
  }
  return *s->histogram;
}

std::string Registry::render() const {
  std::lock_guard lk(mu_);
  std::string out;
  for (const auto& [name, fam] : families_) {
    out += "# HELP ";
    out += name;
    out += ' ';
    append_escaped(out, fam.help, false);
    out += "\n# TYPE ";
    out += name;
    out += fam.type == Type::counter ? " counter\n" : fam.type == Type::gauge ? " gauge\n" : " histogram\n";
    for (const auto& [labels, s] : fam.series) {
      if (s.counter) {
        append_sample_u(out, name, "", labels, "", s.counter->value());
      } else if (s.gauge || s.callback) {
        append_sample(out, name, "", labels, "", s.callback ? s.callback() : s.gauge->value());
      } else if (s.histogram) {
        const auto& b = s.histogram->bounds();
        auto counts = s.histogram->bucket_counts();
        uint64_t cum = 0;
        for (size_t i = 0; i <= b.size(); ++i) {
          cum += counts[i];
          std::string le = "le=\"";
          if (i < b.size()) {
            append_double(le, b[i]);
          } else {
            le += "+Inf";
          }
          le += '"';
          append_sample_u(out, name, "_bucket", labels, le, cum);
        }
        append_sample(out, name, "_sum", labels, "", s.histogram->sum());
        append_sample_u(out, name, "_count", labels, "", cum);
      }
    }
  }
  return out;
}

}  // namespace lachan::api::metrics
