#include "app/intel_service.h"

#include <simdjson.h>

#include <fmt/format.h>

#include <chrono>
#include <unordered_map>

#include "core/strings.h"
#include "core/time.h"
#include "intel/observables.h"
#include "store/common.h"

namespace lachan::app {



IntelService::IntelService(store::Store& store, bus::Spool* spool, const RegistryHolder& registry,
                           IntelOptions options, api::metrics::Registry& metrics)
    : store_(store),
      spool_(spool),
      registry_(registry),
      opt_(std::move(options)),
      repo_(store),
      rebuilds_(metrics.counter("lachan_intel_snapshot_builds_total", "Indicator snapshots built")),
      retro_warnings_(metrics.counter("lachan_intel_retro_warnings_total",
                                      "Warnings raised by retro-hunts over archived events")),
      build_seconds_(metrics.histogram("lachan_intel_snapshot_build_seconds",
                                       "Time to build a new indicator snapshot (matching goes on with the old one)",
                                       api::metrics::default_seconds_buckets())) {
  metrics.gauge_callback("lachan_intel_indicators", "Indicators in the matcher's snapshot", {},
                         [this] { return static_cast<double>(snapshot_size_.load()); });
}

IntelService::~IntelService() { stop(); }

Result<void> IntelService::rebuild() {
  auto t0 = std::chrono::steady_clock::now();
  auto s = repo_.snapshot(store::system_now());
  if (!s) return std::move(s).error();
  const size_t n = (*s)->size(), bytes = (*s)->memory_bytes();
  snapshot_size_.store(static_cast<int64_t>(n));
  holder_.set(std::move(*s));
  rebuilds_.inc();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  build_seconds_.observe(secs);
  fmt::print("lachan serve: intel snapshot: {} indicators, {:.1f} MiB, built in {:.2f} s\n", n,
             static_cast<double>(bytes) / (1 << 20), secs);
  std::fflush(stdout);
  return {};
}

Result<void> IntelService::start() {
  if (!opt_.warninglists_dir.empty()) {
    auto l = intel::load_warninglists(opt_.warninglists_dir);
    if (!l) return std::move(l).error();
    lists_ = std::move(*l);
  }
  if (!opt_.feeds_dir.empty()) {
    auto defs = intel::load_feed_definitions(opt_.feeds_dir);
    if (!defs) return std::move(defs).error();
    auto states = intel::load_feed_states(store_);
    if (!states) return std::move(states).error();
    feeds_ = std::make_unique<intel::FeedScheduler>(std::move(*defs), std::move(*states));
  }
  if (auto g = store_.get_state("intel", "generation"); g.ok() && g->has_value()) seen_generation_ = **g;
  if (auto r = rebuild(); !r) return r;
  thread_ = std::thread([this] { run(); });
  if (feeds_ && opt_.pull_feeds) feeds_thread_ = std::thread([this] { run_feeds(); });
  return {};
}

bool IntelService::is_listed(intel::ValueType t, std::string_view value) const {
  if (lists_.size() == 0) return false;
  auto n = intel::normalise(t, value);
  return n && lists_.listed(t, *n).has_value();
}

std::vector<std::pair<intel::FeedDefinition, intel::FeedState>> IntelService::feeds() const {
  std::vector<std::pair<intel::FeedDefinition, intel::FeedState>> out;
  std::lock_guard lk(feeds_mu_);
  if (!feeds_) return out;
  for (const auto& d : feeds_->definitions()) {
    const intel::FeedState* s = feeds_->state(d.name);
    out.emplace_back(d, s ? *s : intel::FeedState{});
  }
  return out;
}

// Pulls each enabled feed when it is due, one at a time; a failure keeps the feed's indicators.
void IntelService::run_feeds() {
  while (true) {
    std::vector<intel::FeedDefinition> due;
    {
      std::lock_guard lk(feeds_mu_);
      for (const auto& name : feeds_->due(store::system_now()))
        for (const auto& d : feeds_->definitions())
          if (d.name == name) due.push_back(d);
    }
    for (const auto& d : due) {
      {
        std::lock_guard lk(mu_);
        if (stopping_) return;
      }
      // The pull happens on a copy of the scheduler's state, so listing never waits for a download.
      intel::FeedScheduler one({d}, [&] {
        std::lock_guard lk(feeds_mu_);
        std::map<std::string, intel::FeedState> m;
        if (const auto* s = feeds_->state(d.name)) m.emplace(d.name, *s);
        return m;
      }());
      intel::FetchOptions fo;
      fo.timeout = std::chrono::seconds(60);
      auto out = intel::pull_feed(d, one, store_, store::system_now(), [&](const intel::ImportBatch& b) -> Result<void> {
        auto s = import(b, "national");
        if (!s) return std::move(s).error();
        return {};
      }, fo);
      if (!out.ok) fmt::print(stderr, "lachan serve: feed {}: {}\n", d.name, out.error);
      std::lock_guard lk(feeds_mu_);
      if (const auto* s = one.state(d.name)) {
        if (!s->last_error.empty()) feeds_->record_failure(d.name, s->last_attempt_ms, s->last_error);
        else if (out.unchanged) feeds_->record_unchanged(d.name, s->last_attempt_ms);
        else feeds_->record_success(d.name, s->last_attempt_ms, s->content_sha256, s->indicator_count);
      }
    }
    std::unique_lock lk(mu_);
    if (cv_.wait_for(lk, std::chrono::seconds(opt_.refresh_s), [&] { return stopping_; })) return;
  }
}

void IntelService::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (feeds_thread_.joinable()) feeds_thread_.join();
}

Result<intel::ImportSummary> IntelService::import(const intel::ImportBatch& batch, std::string_view collection) {
  auto s = repo_.put(batch, collection, store::system_now());
  if (!s) return s;
  if (s->added > 0) {
    std::lock_guard lk(mu_);
    dirty_ = true;
    ++wanted_;
    if (opt_.retro_hunt_days > 0 && spool_ && !batch.indicators.empty()) retro_queue_.push_back(batch.indicators);
  }
  cv_.notify_all();
  return s;
}

void IntelService::sync() {
  std::unique_lock lk(mu_);
  uint64_t want = wanted_;
  cv_.wait(lk, [&] { return stopping_ || (built_ >= want && retro_queue_.empty() && !retro_running_); });
}

void IntelService::run() {
  auto last_build = std::chrono::steady_clock::now();
  std::unique_lock lk(mu_);
  while (!stopping_) {
    cv_.wait_for(lk, std::chrono::seconds(opt_.refresh_s), [&] { return stopping_ || dirty_ || !retro_queue_.empty(); });
    if (stopping_) break;
    bool rebuild_now = dirty_;
    uint64_t target = wanted_;
    dirty_ = false;
    lk.unlock();
    // Another process (a CLI import, another server) may have changed the indicators.
    if (auto g = store_.get_state("intel", "generation"); g.ok() && g->has_value() && **g != seen_generation_) {
      seen_generation_ = **g;
      rebuild_now = true;
    }
    if (std::chrono::steady_clock::now() - last_build > std::chrono::seconds(opt_.rebuild_s)) rebuild_now = true;
    if (rebuild_now) {
      if (auto r = rebuild(); !r) fmt::print(stderr, "lachan serve: intel snapshot: {}\n", r.error().message);
      last_build = std::chrono::steady_clock::now();
    }
    lk.lock();
    built_ = std::max(built_, target);
    if (!retro_queue_.empty()) {
      auto inds = std::move(retro_queue_.front());
      retro_queue_.pop_front();
      retro_running_ = true;
      lk.unlock();
      retro_hunt(inds);
      lk.lock();
      retro_running_ = false;
    }
    cv_.notify_all();
  }
  cv_.notify_all();
}

// The spool's events of the last retro_hunt_days against only the new indicators: a hit is a
// warning marked retrospective (tag lachan.retro) for the organisation that sent the event.
void IntelService::retro_hunt(const std::vector<intel::Indicator>& inds) {
  intel::SnapshotBuilder b;
  for (const auto& i : inds)
    if (!i.revoked) b.add(i);
  const int64_t now = store::system_now();
  auto snap = b.build(now);
  if (snap->size() == 0) return;
  const int64_t since = now - opt_.retro_hunt_days * 86'400'000;
  warn::WarningBuilder builder(registry_.get(), opt_.warn);
  simdjson::dom::parser parser;
  intel::ObservableExtractor extractor;
  std::vector<intel::EventObservable> obs;
  std::vector<intel::Hit> hits;
  std::string padded;
  bus::ReadBatch batch;
  std::vector<store::WarningUpsert> upserts;
  std::unordered_map<std::string, store::IntelSighting> sightings;
  uint64_t next = 0;
  while (true) {
    {
      std::lock_guard lk(mu_);
      if (stopping_) return;
    }
    if (!spool_->read(next, 2048, 8u << 20, batch).ok() || batch.records.empty()) break;
    upserts.clear();
    for (const auto& r : batch.records) {
      const auto& rec = r.record;
      if (rec.received_at_ms < since || rec.source_type == "cert_feed") continue;
      padded.assign(rec.payload);
      padded.resize(rec.payload.size() + simdjson::SIMDJSON_PADDING);
      simdjson::dom::element root;
      if (parser.parse(padded.data(), rec.payload.size(), false).get(root) != simdjson::SUCCESS) continue;
      extractor.extract(root, obs);
      if (obs.empty()) continue;
      snap->match(obs, now, hits);
      for (const auto& h : hits) {
        auto v = snap->indicator(h.indicator);
        const auto& o = obs[h.observable];
        auto& s = sightings[std::string(v.ref) + '\n' + std::string(rec.org_id)];
        if (s.ref.empty()) {
          s.ref = std::string(v.ref);
          s.org_id = std::string(rec.org_id);
          s.first_seen = s.last_seen = rec.received_at_ms;
        }
        ++s.count;
        s.first_seen = std::min(s.first_seen, rec.received_at_ms);
        s.last_seen = std::max(s.last_seen, rec.received_at_ms);
        intel::HitText text = intel::describe_hit(v, o, true);
        warn::Detection d;
        d.detector = "intel";
        d.rule_id = text.rule_id;
        d.rule_title = text.title;
        d.severity = intel::severity_for_score(
            intel::decayed_score(v.confidence, snap->first_type(h.indicator), v.modified_ms, now));
        d.tags = text.tags;
        d.event_json = rec.payload;
        d.event_time = rec.received_at_ms;
        d.received_at = rec.received_at_ms;
        d.sender_org = rec.org_id;
        upserts.push_back(builder.build(d));
      }
    }
    uint64_t last = batch.records.back().offset;
    if (!upserts.empty()) {
      auto applied = store_.apply_warnings(upserts, store::Checkpoint{"retro-hunt", last});
      if (!applied) {
        fmt::print(stderr, "lachan serve: retro-hunt: {}\n", applied.error().message);
        return;
      }
      retro_warnings_.inc(upserts.size());
    }
    next = std::max(batch.next_offset, last + 1);
  }
  if (!sightings.empty()) {
    std::vector<store::IntelSighting> v;
    for (auto& [k, s] : sightings) v.push_back(std::move(s));
    (void)store_.add_sightings(v);
  }
}

}  // namespace lachan::app
