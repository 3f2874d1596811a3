#include "app/pipeline.h"

#include <simdjson.h>

#include <condition_variable>
#include <deque>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/strings.h"
#include "core/time.h"
#include "detect/flatten.h"
#include "intel/observables.h"
#include "sigma/correlation.h"

namespace lachan::app {
namespace {

store::Severity severity_of(sigma::Level l) {
  switch (l) {
    case sigma::Level::informational: return store::Severity::informational;
    case sigma::Level::low: return store::Severity::low;
    case sigma::Level::medium: return store::Severity::medium;
    case sigma::Level::high: return store::Severity::high;
    case sigma::Level::critical: return store::Severity::critical;
  }
  return store::Severity::medium;
}

store::Severity severity_of(std::string_view level) {
  auto l = sigma::parse_level(level);
  return l ? severity_of(*l) : store::Severity::medium;
}

}  // namespace

struct Pipeline::Impl {
  bus::Spool& spool;
  store::Store& store;
  std::shared_ptr<const sigma::Ruleset> rules;
  const RegistryHolder& registry;
  PipelineOptions opt;
  api::metrics::Registry& m;

  detect::Flattener flat;
  sigma::MatchContext ctx;
  warn::WarningBuilder builder;
  Event ev;
  std::vector<uint32_t> hits;
  std::string padded;
  simdjson::dom::parser feed_parser;
  bus::ReadBatch batch;

  // Correlations: one engine per organisation, and the events that fed them (for evidence).
  struct OrgCorrelation {
    std::unique_ptr<sigma::CorrelationEngine> engine;
    int64_t last_input = 0;  // wall clock, ms
  };
  struct FedEvent {
    std::string payload;
    int64_t received_at = 0;
  };
  std::unordered_map<std::string, OrgCorrelation> corr;
  std::unordered_map<uint64_t, FedEvent> fed;  // by spool offset
  std::deque<uint64_t> fed_order;
  std::size_t fed_bytes = 0;
  std::vector<sigma::CorrelationHit> corr_hits;
  sigma::CorrelationInput corr_in;

  // Indicator matching.
  simdjson::dom::parser intel_parser;
  intel::ObservableExtractor observables;
  std::vector<intel::EventObservable> obs;
  std::vector<intel::Hit> intel_hits;
  std::unordered_map<std::string, store::IntelSighting> sightings;  // by ref + '\n' + org, this batch
  std::shared_ptr<const intel::Snapshot> snapshot;

  std::thread thread;
  std::atomic<bool> stopping{false};
  std::atomic<bool> drain{false};
  mutable std::mutex err_mu;
  std::string last_error;
  uint64_t next = 1;
  int64_t last_spool_commit = 0;

  api::metrics::Counter& events;
  api::metrics::Counter& detections;
  api::metrics::Counter& created;
  api::metrics::Counter& merged;
  api::metrics::Counter& malformed;
  api::metrics::Counter& corrupt;
  api::metrics::Counter& corr_dropped;
  api::metrics::Counter& intel_hits_total;
  api::metrics::Counter& intel_listed_total;
  api::metrics::Histogram& batch_seconds;
  api::metrics::Histogram& latency;

  Impl(bus::Spool& s, store::Store& st, std::shared_ptr<const sigma::Ruleset> rs, const RegistryHolder& reg,
       PipelineOptions o, api::metrics::Registry& metrics)
      : spool(s),
        store(st),
        rules(std::move(rs)),
        registry(reg),
        opt(std::move(o)),
        m(metrics),
        flat(rules->fields(), rules->needs_keyword_values(), rules->has_event_paths()),
        ctx(*rules),
        builder(reg.get(), opt.warn),
        events(m.counter("lachan_pipeline_events_total", "Events processed by the detection pipeline")),
        detections(m.counter("lachan_detections_total", "Detections (rule matches and feed reports)")),
        created(m.counter("lachan_warnings_created_total", "Warnings created")),
        merged(m.counter("lachan_warnings_merged_total", "Detections merged into an existing warning (deduplicated)")),
        malformed(m.counter("lachan_pipeline_malformed_total", "Spooled records the pipeline could not parse (dead-lettered)")),
        corrupt(m.counter("lachan_spool_corrupt_regions_total", "Damaged spool regions skipped by the pipeline")),
        corr_dropped(m.counter("lachan_correlation_inputs_dropped_total",
                               "Correlation inputs dropped: later than the tolerance, or over the state limits")),
        intel_hits_total(m.counter("lachan_intel_hits_total", "Events that matched an indicator (one per indicator)")),
        intel_listed_total(m.counter("lachan_intel_listed_total",
                                     "Indicator hits on a value of a warning list: recorded as sightings, not raised")),
        batch_seconds(m.histogram("lachan_stage_seconds", "Time per batch in a pipeline stage",
                                  api::metrics::default_seconds_buckets(), {{"stage", "detect_warn_store"}})),
        latency(m.histogram("lachan_acceptance_to_warning_seconds",
                            "From acceptance of an event to its warning being readable over the API",
                            api::metrics::default_seconds_buckets())) {}

  void set_error(std::string e) {
    std::lock_guard<std::mutex> lk(err_mu);
    last_error = std::move(e);
  }

  // One spooled record -> zero or more upserts.
  void process(const bus::StoredRecord& r, std::vector<store::WarningUpsert>& out, std::vector<int64_t>& received) {
    const auto& rec = r.record;
    padded.assign(rec.payload);
    padded.resize(rec.payload.size() + simdjson::SIMDJSON_PADDING);
    std::string_view json(padded.data(), rec.payload.size());
    events.inc();
    if (rec.source_type == "cert_feed") {
      process_feed(rec, json, out, received);
      return;
    }
    auto ok = flat.flatten(json, ev);
    if (!ok.ok()) {
      malformed.inc();
      (void)store.add_dead_letter(fmt::format("spool:{}", rec.source_type), rec.org_id, ok.error().message,
                                  rec.payload, store::system_now());
      return;
    }
    if (snapshot && snapshot->size() > 0) match_intel(rec, json, out, received);
    hits.clear();
    rules->match(ev, ctx, hits);
    if (hits.empty()) return;
    auto ns = rules->event_time(ev);
    int64_t t = ns ? *ns / 1'000'000 : 0;
    for (uint32_t ci : hits) {
      const sigma::CompiledRule& cr = rules->compiled(ci);
      const sigma::RuleInfo& info = rules->rules()[cr.rule];
      if (!info.feeds.empty()) feed_correlations(r, cr, info, ns ? *ns : rec.received_at_ms * 1'000'000, out, received);
      if (!info.emit) continue;
      detections.inc();
      warn::Detection d;
      d.detector = "sigma";
      d.rule_id = info.id;
      d.rule_title = info.title;
      d.severity = severity_of(info.level);
      d.tags = info.tags;
      d.event_json = rec.payload;
      d.event_time = t;
      d.received_at = rec.received_at_ms;
      d.sender_org = rec.org_id;
      out.push_back(builder.build(d));
      received.push_back(rec.received_at_ms);
    }
  }

  // Every observable of the event against the indicators: a hit is a warning for the sender
  // (unless the value is on a warning list) and a sighting either way.
  void match_intel(const bus::Record& rec, std::string_view json, std::vector<store::WarningUpsert>& out,
                   std::vector<int64_t>& received) {
    simdjson::dom::element root;
    if (intel_parser.parse(json.data(), json.size(), false).get(root) != simdjson::SUCCESS) return;
    observables.extract(root, obs);
    if (obs.empty()) return;
    const int64_t now = store::system_now();
    snapshot->match(obs, now, intel_hits);
    if (intel_hits.empty()) return;
    auto ns = rules->event_time(ev);
    const int64_t t = ns ? *ns / 1'000'000 : rec.received_at_ms;
    for (const intel::Hit& h : intel_hits) {
      intel_hits_total.inc();
      const intel::IndicatorView v = snapshot->indicator(h.indicator);
      const intel::EventObservable& o = obs[h.observable];
      const bool listed = opt.is_listed && opt.is_listed(o.type, o.value);
      std::string key = std::string(v.ref);
      key += '\n';
      key += rec.org_id;
      auto [it, fresh] = sightings.try_emplace(std::move(key));
      store::IntelSighting& s = it->second;
      if (fresh) {
        s.ref = std::string(v.ref);
        s.org_id = std::string(rec.org_id);
        s.first_seen = s.last_seen = t;
      }
      ++s.count;
      s.first_seen = std::min(s.first_seen, t);
      s.last_seen = std::max(s.last_seen, t);
      if (listed) {
        ++s.listed;
        intel_listed_total.inc();
        continue;
      }
      detections.inc();
      intel::HitText text = intel::describe_hit(v, o, false);
      warn::Detection d;
      d.detector = "intel";
      d.rule_id = text.rule_id;
      d.rule_title = text.title;
      d.severity = intel::severity_for_score(
          intel::decayed_score(v.confidence, snapshot->first_type(h.indicator), v.modified_ms, now));
      d.tags = text.tags;
      d.event_json = rec.payload;
      d.event_time = t;
      d.received_at = rec.received_at_ms;
      d.sender_org = rec.org_id;
      out.push_back(builder.build(d));
      received.push_back(rec.received_at_ms);
    }
  }

  // Sightings of this batch, after its warnings are stored. A crash between the two counts the
  // sightings of that batch again when it is reprocessed (counts are "at least").
  void write_sightings() {
    if (sightings.empty()) return;
    std::vector<store::IntelSighting> v;
    v.reserve(sightings.size());
    for (auto& [k, s] : sightings) v.push_back(std::move(s));
    sightings.clear();
    if (auto r = store.add_sightings(v); !r) set_error("store: sightings: " + r.error().message);
  }

  // A CERT feed row is itself a report about its victim: one detection per row.
  void process_feed(const bus::Record& rec, std::string_view json, std::vector<store::WarningUpsert>& out,
                    std::vector<int64_t>& received) {
    simdjson::dom::object row;
    if (feed_parser.parse(json.data(), json.size(), false).get(row) != simdjson::SUCCESS) {
      malformed.inc();
      (void)store.add_dead_letter("spool:cert_feed", rec.org_id, "not a JSON object", rec.payload, store::system_now());
      return;
    }
    std::string type = "report";
    for (const char* k : {"type", "tag", "infection", "category", "report_type"}) {
      std::string_view v;
      if (row[k].get_string().get(v) == simdjson::SUCCESS && !v.empty()) {
        type = to_lower(v);
        break;
      }
    }
    store::Severity sev = store::Severity::medium;
    std::string_view sv;
    if (row["severity"].get_string().get(sv) == simdjson::SUCCESS) {
      std::string l = to_lower(sv);
      if (l == "info") l = "informational";
      if (auto s = store::parse_severity(l)) sev = *s;
    }
    std::vector<std::string> ips, domains;
    std::vector<uint32_t> asns;
    simdjson::dom::object victim;
    if (row["lachan_victim"].get_object().get(victim) == simdjson::SUCCESS) {
      simdjson::dom::array a;
      if (victim["ips"].get_array().get(a) == simdjson::SUCCESS)
        for (auto x : a)
          if (x.is_string()) ips.emplace_back(std::string_view(x));
      if (victim["domains"].get_array().get(a) == simdjson::SUCCESS)
        for (auto x : a)
          if (x.is_string()) domains.emplace_back(std::string_view(x));
      if (victim["asns"].get_array().get(a) == simdjson::SUCCESS)
        for (auto x : a)
          if (x.is_uint64()) asns.push_back(static_cast<uint32_t>(uint64_t(x)));
    }
    int64_t t = 0;
    std::string_view ts;
    if (row["timestamp"].get_string().get(ts) == simdjson::SUCCESS)
      if (auto ns = parse_timestamp(ts)) t = *ns / 1'000'000;
    std::string rule_id = "feed/" + type;
    std::string title = "CERT feed report: " + type;
    std::vector<std::string> tags{"lachan.feed"};
    detections.inc();
    warn::Detection d;
    d.detector = "feed";
    d.rule_id = rule_id;
    d.rule_title = title;
    d.severity = sev;
    d.tags = tags;
    d.event_json = rec.payload;
    d.event_time = t;
    d.received_at = rec.received_at_ms;
    d.sender_org = rec.org_id;
    d.victim_ips = ips;
    d.victim_domains = domains;
    d.victim_asns = asns;
    out.push_back(builder.build(d));
    received.push_back(rec.received_at_ms);
  }

  // A match of a rule that correlations reference: an input of its organisation's engine.
  void feed_correlations(const bus::StoredRecord& r, const sigma::CompiledRule& cr, const sigma::RuleInfo& info,
                         int64_t ts_ns, std::vector<store::WarningUpsert>& out, std::vector<int64_t>& received) {
    const auto& rec = r.record;
    OrgCorrelation& oc = corr[std::string(rec.org_id)];
    if (!oc.engine) {
      sigma::CorrelationLimits lim;
      lim.max_entries_total = opt.correlation_max_entries;
      lim.max_entries_per_group = std::min<size_t>(lim.max_entries_per_group, opt.correlation_max_entries);
      oc.engine = std::make_unique<sigma::CorrelationEngine>(
          rules->correlations(), std::chrono::nanoseconds(opt.correlation_tolerance).count(), lim);
    }
    oc.last_input = store::system_now();
    if (fed.find(r.offset) == fed.end()) {
      fed.emplace(r.offset, FedEvent{std::string(rec.payload), rec.received_at_ms});
      fed_order.push_back(r.offset);
      fed_bytes += rec.payload.size();
      while (fed_bytes > opt.correlation_evidence_bytes && fed_order.size() > 1) {
        auto f = fed.find(fed_order.front());
        fed_bytes -= f->second.payload.size();
        fed.erase(f);
        fed_order.pop_front();
      }
    }
    for (size_t k = 0; k < info.feeds.size(); ++k) {
      corr_in.correlation = info.feeds[k].first;
      corr_in.rule_pos = info.feeds[k].second;
      corr_in.ts_ns = ts_ns;
      corr_in.group.clear();
      for (const auto& g : cr.group_fields[k]) corr_in.group.push_back(detect::first_text(ev, g));
      corr_in.value.reset();
      if (!cr.value_field[k].empty()) corr_in.value = detect::first_text(ev, cr.value_field[k]);
      corr_in.event = r.offset;
      auto before = dropped_inputs(*oc.engine);
      corr_hits.clear();
      oc.engine->add(corr_in, corr_hits);
      corr_dropped.inc(dropped_inputs(*oc.engine) - before);
      raise(rec.org_id, *oc.engine, out, received);
    }
  }

  static uint64_t dropped_inputs(const sigma::CorrelationEngine& e) {
    const auto& s = e.stats();
    return s.late + s.dropped_group_cap + s.dropped_total_cap;
  }

  // corr_hits -> warnings of `org`: the last event of a hit names its entities, and the first
  // of its events (as many as a warning keeps) are the evidence.
  void raise(std::string_view org, const sigma::CorrelationEngine& engine, std::vector<store::WarningUpsert>& out,
             std::vector<int64_t>& received) {
    for (const auto& h : corr_hits) {
      if (!engine.reports(h.correlation)) continue;
      const sigma::CorrelationRule& c = engine.rules()[h.correlation];
      const FedEvent* last = nullptr;
      for (auto it = h.events.rbegin(); it != h.events.rend() && !last; ++it)
        if (auto f = fed.find(*it); f != fed.end()) last = &f->second;
      detections.inc();
      warn::Detection d;
      d.detector = "correlation";
      d.rule_id = c.id.empty() ? std::string_view(c.name) : std::string_view(c.id);
      d.rule_title = c.title;
      d.severity = severity_of(c.level);
      d.tags = c.tags;
      d.event_json = last ? std::string_view(last->payload) : std::string_view("{}");
      d.event_time = h.ts_ns / 1'000'000;
      d.received_at = last ? last->received_at : store::system_now();
      d.sender_org = org;
      store::WarningUpsert u = builder.build(d);
      u.warning.evidence.clear();
      for (uint64_t e : h.events) {
        if (u.warning.evidence.size() >= store::kMaxEvidence) break;
        auto f = fed.find(e);
        if (f == fed.end()) continue;
        u.warning.evidence.push_back(warn::evidence_text(f->second.payload, opt.warn.max_evidence_bytes));
      }
      out.push_back(std::move(u));
      received.push_back(d.received_at);
    }
  }

  // Organisations quiet for correlation_idle_flush (all of them when draining at shutdown): their
  // open windows close now.
  void flush_idle(std::vector<store::WarningUpsert>& out, std::vector<int64_t>& received, bool all = false) {
    int64_t now = store::system_now();
    for (auto& [org, oc] : corr) {
      if (oc.engine->state_entries() == 0) continue;
      if (!all && now - oc.last_input < opt.correlation_idle_flush.count()) continue;
      corr_hits.clear();
      oc.engine->flush(corr_hits);
      raise(org, *oc.engine, out, received);
    }
  }

  // Writes upserts with the checkpoint `last`, retrying until the store takes them.
  bool apply(std::vector<store::WarningUpsert>& upserts, std::vector<int64_t>& received, uint64_t last) {
    while (true) {
      auto applied = store.apply_warnings(upserts, store::Checkpoint{opt.consumer, last});
      if (applied.ok()) {
        for (const auto& o : *applied) (o.created ? created : merged).inc();
        if (opt.on_applied) opt.on_applied(upserts, *applied);
        set_error("");
        break;
      }
      set_error("store: " + applied.error().message);
      if (stopping.load() && !drain.load()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    int64_t done = store::system_now();
    for (int64_t r : received) latency.observe(static_cast<double>(done - r) / 1000.0);
    return true;
  }

  void run() {
    std::vector<store::WarningUpsert> upserts;
    std::vector<int64_t> received;
    while (true) {
      if (stopping.load() && !drain.load()) return;
      auto rd = spool.read(next, opt.batch_records, opt.batch_bytes, batch);
      if (!rd.ok()) {
        set_error("spool read: " + rd.error().message);
        if (spool.wait(next - 1, opt.idle_wait) == bus::WaitStatus::closed && stopping.load()) return;
        continue;
      }
      corrupt.inc(batch.corrupt.size());
      if (batch.records.empty()) {
        if (batch.next_offset > next) {  // only damaged records: skip past them
          next = batch.next_offset;
          continue;
        }
        if (!corr.empty()) {
          upserts.clear();
          received.clear();
          flush_idle(upserts, received, stopping.load());
          if (!upserts.empty() && !apply(upserts, received, next - 1)) return;
        }
        if (stopping.load()) return;  // drained
        spool.wait(next - 1, opt.idle_wait);
        continue;
      }
      auto t0 = std::chrono::steady_clock::now();
      builder.set_registry(registry.get());  // a changed registry applies from the next batch
      if (opt.intel) snapshot = opt.intel->get();  // so do new indicators
      upserts.clear();
      received.clear();
      for (const auto& r : batch.records) process(r, upserts, received);
      uint64_t last = batch.records.back().offset;
      if (batch.next_offset > last + 1) last = batch.next_offset - 1;
      flush_idle(upserts, received);
      // Retried until the store takes it: the spool keeps everything meanwhile.
      if (!apply(upserts, received, last)) return;
      write_sightings();
      int64_t done = store::system_now();
      batch_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      next = last + 1;
      owner->processed_.store(last);
      if (done - last_spool_commit >= 1000) {
        (void)spool.commit(opt.consumer, last);
        last_spool_commit = done;
      }
    }
  }

  Pipeline* owner = nullptr;
};

Pipeline::Pipeline(bus::Spool& spool, store::Store& store, std::shared_ptr<const sigma::Ruleset> rules,
                   const RegistryHolder& registry, PipelineOptions options, api::metrics::Registry& metrics)
    : impl_(std::make_unique<Impl>(spool, store, std::move(rules), registry, std::move(options), metrics)) {
  impl_->owner = this;
}

Pipeline::~Pipeline() { stop(false); }

Result<void> Pipeline::start() {
  auto cp = impl_->store.get_checkpoint(impl_->opt.consumer);
  if (!cp.ok()) return cp.error();
  impl_->next = *cp + 1;
  processed_.store(*cp);
  // Register with the spool so that retention keeps what is not processed yet.
  auto committed = impl_->spool.committed(impl_->opt.consumer);
  if (!committed.ok()) (void)impl_->spool.commit(impl_->opt.consumer, std::min<uint64_t>(*cp, impl_->spool.stats().last_offset));
  impl_->thread = std::thread([this] { impl_->run(); });
  return {};
}

void Pipeline::stop(bool drain) {
  if (!impl_ || !impl_->thread.joinable()) return;
  impl_->drain.store(drain);
  impl_->stopping.store(true);
  impl_->thread.join();
  uint64_t p = processed_.load();
  if (p > 0) (void)impl_->spool.commit(impl_->opt.consumer, p);
}

std::string Pipeline::last_error() const {
  std::lock_guard<std::mutex> lk(impl_->err_mu);
  return impl_->last_error;
}

}  // namespace lachan::app
