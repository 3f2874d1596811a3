#include "app/intel_service.h"

#include <simdjson.h>

#include <fmt/format.h>

#include <unordered_map>

#include "core/strings.h"
#include "core/time.h"
#include "intel/observables.h"
#include "store/common.h"

namespace lachan::app {

IntelHitText describe_hit(const intel::IndicatorView& v, const intel::EventObservable& o, bool retro) {
  IntelHitText t;
  t.rule_id = retro ? "retro:" + std::string(v.ref) : std::string(v.ref);
  t.title = fmt::format("{}hreat intelligence: {} {} ({})", retro ? "Retrospective t" : "T", intel::value_type_name(o.type),
                        o.value, v.source.empty() ? "unknown source" : v.source);
  t.tags = {"lachan.intel"};
  if (retro) t.tags.emplace_back("lachan.retro");
  t.tags.push_back(std::string("tlp.") + intel::tlp_name(v.tlp));
  t.tags.push_back("intel.source:" + std::string(v.source));
  for (const auto& tag : v.tags) t.tags.push_back(tag.rfind("attack:", 0) == 0 ? "attack." + to_lower(tag.substr(7)) : tag);
  return t;
}

Result<void> bump_intel_generation(store::Store& store) {
  auto now = store::system_now();
  auto id = store::random_hex(8);
  return store.put_state("intel", "generation", fmt::format("{}-{}", now, id.ok() ? *id : std::string("x")), now);
}

IntelService::IntelService(store::Store& store, bus::Spool* spool, const RegistryHolder& registry,
                           IntelOptions options, api::metrics::Registry& metrics)
    : store_(store),
      spool_(spool),
      registry_(registry),
      opt_(std::move(options)),
      repo_(store),
      rebuilds_(metrics.counter("lachan_intel_snapshot_builds_total", "Indicator snapshots built")),
      retro_warnings_(metrics.counter("lachan_intel_retro_warnings_total",
                                      "Warnings raised by retro-hunts over archived events")) {
  metrics.gauge_callback("lachan_intel_indicators", "Indicators in the matcher's snapshot", {},
                         [this] { return static_cast<double>(snapshot_size_.load()); });
}

IntelService::~IntelService() { stop(); }

Result<void> IntelService::rebuild() {
  auto s = repo_.snapshot(store::system_now());
  if (!s) return std::move(s).error();
  snapshot_size_.store(static_cast<int64_t>((*s)->size()));
  holder_.set(std::move(*s));
  rebuilds_.inc();
  return {};
}

Result<void> IntelService::start() {
  if (auto g = store_.get_state("intel", "generation"); g.ok() && g->has_value()) seen_generation_ = **g;
  if (auto r = rebuild(); !r) return r;
  thread_ = std::thread([this] { run(); });
  return {};
}

void IntelService::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<intel::ImportSummary> IntelService::import(const intel::ImportBatch& batch, std::string_view collection) {
  auto s = repo_.put(batch, collection, store::system_now());
  if (!s) return s;
  if (s->added > 0) {
    (void)bump_intel_generation(store_);
    std::lock_guard lk(mu_);
    dirty_ = true;
    ++wanted_;
    if (opt_.retro_hunt_days > 0 && spool_ && !s->new_refs.empty()) retro_queue_.push_back(s->new_refs);
  }
  cv_.notify_all();
  return s;
}

size_t IntelService::retro_pending() const {
  std::lock_guard lk(mu_);
  return retro_queue_.size() + (retro_running_ ? 1 : 0);
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
      auto refs = std::move(retro_queue_.front());
      retro_queue_.pop_front();
      retro_running_ = true;
      lk.unlock();
      retro_hunt(refs);
      lk.lock();
      retro_running_ = false;
    }
    cv_.notify_all();
  }
  cv_.notify_all();
}

// The spool's events of the last retro_hunt_days against only the new indicators: a hit is a
// warning marked retrospective (tag lachan.retro) for the organisation that sent the event.
void IntelService::retro_hunt(const std::vector<std::string>& refs) {
  auto inds = repo_.indicators(refs);
  if (!inds) {
    fmt::print(stderr, "lachan serve: retro-hunt: {}\n", inds.error().message);
    return;
  }
  intel::SnapshotBuilder b;
  for (const auto& i : *inds)
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
        IntelHitText text = describe_hit(v, o, true);
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
      retro_raised_ += static_cast<int64_t>(upserts.size());
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
