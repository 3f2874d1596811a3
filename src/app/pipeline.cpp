#include "app/pipeline.h"

#include <simdjson.h>

#include <condition_variable>
#include <vector>

#include <fmt/format.h>

#include "core/strings.h"
#include "core/time.h"
#include "detect/flatten.h"

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
    hits.clear();
    rules->match(ev, ctx, hits);
    if (hits.empty()) return;
    auto ns = rules->event_time(ev);
    int64_t t = ns ? *ns / 1'000'000 : 0;
    for (uint32_t ci : hits) {
      const sigma::RuleInfo& info = rules->rules()[rules->compiled(ci).rule];
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
        if (stopping.load()) return;  // drained
        spool.wait(next - 1, opt.idle_wait);
        continue;
      }
      auto t0 = std::chrono::steady_clock::now();
      builder.set_registry(registry.get());  // a changed registry applies from the next batch
      upserts.clear();
      received.clear();
      for (const auto& r : batch.records) process(r, upserts, received);
      uint64_t last = batch.records.back().offset;
      if (batch.next_offset > last + 1) last = batch.next_offset - 1;
      // Retried until the store takes it: the spool keeps everything meanwhile.
      while (true) {
        auto applied = store.apply_warnings(upserts, store::Checkpoint{opt.consumer, last});
        if (applied.ok()) {
          for (const auto& o : *applied) (o.created ? created : merged).inc();
          set_error("");
          break;
        }
        set_error("store: " + applied.error().message);
        if (stopping.load() && !drain.load()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
      int64_t done = store::system_now();
      for (int64_t r : received) latency.observe(static_cast<double>(done - r) / 1000.0);
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
