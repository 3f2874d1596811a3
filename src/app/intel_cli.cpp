// `lachan intel import|feeds`: intelligence into a data dir from the command line. A running
// server on the same data dir sees the change within seconds (the intel generation changes).
#include <filesystem>

#include <fmt/format.h>

#include "app/admin.h"
#include "app/intel_service.h"
#include "core/time.h"
#include "intel/importer.h"
#include "intel/repository.h"

namespace fs = std::filesystem;

namespace lachan::app {
namespace {

void print_summary(const intel::ImportSummary& s, const std::string& what) {
  fmt::print("{}: {} indicators, {} other objects; {} new versions stored, {} already known\n", what, s.indicators,
             s.objects, s.added, s.unchanged);
  size_t shown = 0;
  for (const auto& n : s.notes) {
    if (shown++ == 20) {
      fmt::print("  … and {} more notes\n", s.notes.size() - 20);
      break;
    }
    fmt::print("  note: {}\n", n);
  }
}

const intel::FeedDefinition* find_feed(const std::vector<intel::FeedDefinition>& defs, const std::string& name) {
  for (const auto& d : defs)
    if (d.name == name) return &d;
  return nullptr;
}

}  // namespace

int cmd_intel_import(const IntelImportArgs& a) {
  auto format = intel::parse_import_format(a.format);
  if (!format) {
    fmt::print(stderr, "lachan intel import: --format '{}' is not one of auto, stix, misp, misp-feed, feed\n", a.format);
    return 2;
  }
  intel::ImportOptions opts;
  opts.source = a.source.empty() ? fs::path(a.location).filename().string() : a.source;
  if (!a.tlp.empty()) {
    auto t = intel::parse_tlp(a.tlp);
    if (!t) {
      fmt::print(stderr, "lachan intel import: --tlp '{}' is not one of clear, green, amber, amber+strict, red\n", a.tlp);
      return 2;
    }
    opts.default_tlp = *t;
  }
  std::vector<intel::FeedDefinition> defs;
  const intel::FeedDefinition* feed = nullptr;
  if (!a.feed.empty()) {
    auto d = intel::load_feed_definitions(a.feeds_dir);
    if (!d) {
      fmt::print(stderr, "lachan intel import: {}\n", d.error().message);
      return 1;
    }
    defs = std::move(*d);
    feed = find_feed(defs, a.feed);
    if (!feed) {
      fmt::print(stderr, "lachan intel import: no feed definition '{}' in {}\n", a.feed, a.feeds_dir);
      return 2;
    }
    if (*format == intel::ImportFormat::automatic) format = intel::ImportFormat::feed;
  }
  const int64_t now = store::system_now();
  auto batch = intel::import_location(a.location, *format, opts, feed, now);
  if (!batch) {
    fmt::print(stderr, "lachan intel import: {} (nothing was imported)\n", batch.error().message);
    return 1;
  }
  auto st = open_store(a.data_dir);
  if (!st) {
    fmt::print(stderr, "lachan intel import: {}\n", st.error().message);
    return 1;
  }
  intel::Repository repo(**st);
  auto sum = repo.put(*batch, a.collection, now);
  if (!sum) {
    fmt::print(stderr, "lachan intel import: {} (nothing was imported)\n", sum.error().message);
    return 1;
  }
  cli_audit(**st, "intel.import", "collection:" + a.collection, "",
        fmt::format(R"({{"location":"{}","indicators":{},"added":{}}})", a.location, sum->indicators, sum->added));
  print_summary(*sum, a.location);
  return 0;
}

int cmd_intel_feeds(const std::string& data_dir, const std::string& feeds_dir, const std::string& pull) {
  auto defs = intel::load_feed_definitions(feeds_dir);
  if (!defs) {
    fmt::print(stderr, "lachan intel feeds: {}\n", defs.error().message);
    return 1;
  }
  auto st = open_store(data_dir);
  if (!st) {
    fmt::print(stderr, "lachan intel feeds: {}\n", st.error().message);
    return 1;
  }
  auto states = intel::load_feed_states(**st);
  if (!states) {
    fmt::print(stderr, "lachan intel feeds: {}\n", states.error().message);
    return 1;
  }
  intel::FeedScheduler sched(*defs, *states);
  int rc = 0;
  if (!pull.empty()) {
    intel::Repository repo(**st);
    bool any = false;
    for (const auto& d : *defs) {
      if (pull != "all" && d.name != pull) continue;
      if (pull == "all" && !d.enabled) continue;
      any = true;
      auto out = intel::pull_feed(d, sched, **st, store::system_now(), [&](const intel::ImportBatch& b) -> Result<void> {
        auto s = repo.put(b, "national", store::system_now());
        if (!s) return std::move(s).error();
        return {};
      });
      if (!out.ok) {
        rc = 1;
        fmt::print(stderr, "{}: failed: {}\n", d.name, out.error);
      } else {
        fmt::print("{}: {} indicators{}\n", d.name, out.indicators, out.unchanged ? " (unchanged)" : "");
      }
    }
    if (!any) {
      fmt::print(stderr, "lachan intel feeds: no feed '{}'\n", pull);
      return 2;
    }
    return rc;
  }
  fmt::print("{:<28} {:<8} {:<7} {:>10}  {:<24} {}\n", "FEED", "FORMAT", "ENABLED", "INDICATORS", "LAST SUCCESS",
             "LAST ERROR");
  for (const auto& d : *defs) {
    const intel::FeedState* s = sched.state(d.name);
    std::string last = s && s->last_success_ms ? format_timestamp(s->last_success_ms * 1'000'000).substr(0, 19) : "never";
    fmt::print("{:<28} {:<8} {:<7} {:>10}  {:<24} {}\n", d.name,
               d.format == intel::FeedFormat::csv ? "csv" : d.format == intel::FeedFormat::lines ? "lines" : "jsonl",
               d.enabled ? "yes" : "no", s ? s->indicator_count : 0, last, s ? s->last_error : "");
  }
  return 0;
}

}  // namespace lachan::app
