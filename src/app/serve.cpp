// `lachan serve`: opens the store, the spool and the constituency in the data dir, loads the
// rules, starts the pipeline, the HTTP server and the syslog listeners, and on SIGTERM/SIGINT
// stops taking input, drains the pipeline and exits 0.
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "api/http_server.h"
#include "api/syslog_listener.h"
#include "app/incident_service.h"
#include "app/intel_service.h"
#include "app/notifier.h"
#include "app/server.h"
#include "bus/local/local_spool.h"
#include "constituency/reference.h"
#include "sigma/ruleset.h"
#include "store/sqlite/sqlite_store.h"

namespace fs = std::filesystem;

namespace lachan::app {
namespace {

// host:port, [v6]:port
bool split_host_port(const std::string& s, std::string& host, uint16_t& port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  host = s.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned p = 0;
  try {
    size_t used = 0;
    p = static_cast<unsigned>(std::stoul(s.substr(colon + 1), &used));
    if (used != s.size() - colon - 1 || p > 65535) return false;
  } catch (const std::exception&) {
    return false;
  }
  port = static_cast<uint16_t>(p);
  return !host.empty();
}

}  // namespace

Result<void> load_serve_toml(const std::string& path, ServeConfig& cfg) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return make_error(Errc::invalid_config, fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                                        e.source().begin.column, e.description()));
  }
  std::vector<std::string> problems;
  auto str = [&](const char* key, std::string& out) {
    if (auto n = t[key]) {
      if (auto v = n.value<std::string>()) out = *v;
      else problems.push_back(fmt::format("{}: '{}' must be a string", path, key));
    }
  };
  auto num = [&](const char* key, auto& out, int64_t lo, int64_t hi) {
    if (auto n = t[key]) {
      auto v = n.value<int64_t>();
      if (!v || *v < lo || *v > hi) problems.push_back(fmt::format("{}: '{}' must be an integer in {}..{}", path, key, lo, hi));
      else out = static_cast<std::remove_reference_t<decltype(out)>>(*v);
    }
  };
  for (auto&& [k, v] : t) {
    static const std::vector<std::string> known{"data_dir", "listen", "syslog_udp", "syslog_tcp", "syslog_address",
                                                "tls_cert", "tls_key", "rules", "http_threads", "max_body_bytes",
                                                "max_batch_records", "max_record_bytes", "max_sample_bytes", "dedup_window_s",
                                                "correlation_tolerance_s", "correlation_idle_flush_s",
                                                "session_ttl_s", "max_spool_lag_bytes", "syslog_source", "url_file",
                                                "intel_retro_hunt_days", "intel_feeds_dir", "intel_pull_feeds",
                                                "sla_config", "sla_scan_interval_ms", "max_evidence_bytes",
                                                "notify_config", "web_root"};
    (void)v;
    if (std::find(known.begin(), known.end(), std::string(k.str())) == known.end())
      problems.push_back(fmt::format("{}: unknown key '{}'", path, k.str()));
  }
  str("data_dir", cfg.data_dir);
  str("listen", cfg.listen);
  str("syslog_address", cfg.syslog_address);
  str("tls_cert", cfg.tls_cert);
  str("tls_key", cfg.tls_key);
  str("url_file", cfg.url_file);
  str("web_root", cfg.web_root);
  num("syslog_udp", cfg.syslog_udp, -1, 65535);
  num("syslog_tcp", cfg.syslog_tcp, -1, 65535);
  num("http_threads", cfg.http_threads, 1, 256);
  num("max_body_bytes", cfg.max_body_bytes, 1024, int64_t{1} << 34);
  num("max_batch_records", cfg.max_batch_records, 1, 10'000'000);
  num("max_record_bytes", cfg.max_record_bytes, 256, int64_t{1} << 28);
  num("max_sample_bytes", cfg.max_sample_bytes, 1, int64_t{1} << 32);
  num("dedup_window_s", cfg.dedup_window_s, 0, int64_t{1} << 32);
  num("correlation_tolerance_s", cfg.correlation_tolerance_s, 0, 86400);
  num("correlation_idle_flush_s", cfg.correlation_idle_flush_s, 1, 86400);
  num("session_ttl_s", cfg.session_ttl_s, 60, int64_t{1} << 32);
  num("max_spool_lag_bytes", cfg.max_spool_lag_bytes, 1 << 20, int64_t{1} << 50);
  num("intel_retro_hunt_days", cfg.intel_retro_hunt_days, 0, 3650);
  str("intel_feeds_dir", cfg.intel_feeds_dir);
  str("sla_config", cfg.sla_config);
  num("sla_scan_interval_ms", cfg.sla_scan_interval_ms, 0, int64_t{1} << 32);
  num("max_evidence_bytes", cfg.max_evidence_bytes, 1, int64_t{1} << 34);
  str("notify_config", cfg.notify_config);
  if (auto b = t["intel_pull_feeds"]) {
    if (auto v = b.value<bool>()) cfg.intel_pull_feeds = *v;
    else problems.push_back(fmt::format("{}: 'intel_pull_feeds' must be true or false", path));
  }
  if (auto r = t["rules"]) {
    if (auto arr = r.as_array()) {
      cfg.rules.clear();
      for (auto& x : *arr)
        if (auto s = x.value<std::string>()) cfg.rules.push_back(*s);
        else problems.push_back(fmt::format("{}: 'rules' must be a list of paths", path));
    } else if (auto s = r.value<std::string>()) {
      cfg.rules = {*s};
    } else {
      problems.push_back(fmt::format("{}: 'rules' must be a path or a list of paths", path));
    }
  }
  if (auto srcs = t["syslog_source"].as_array()) {
    for (auto& x : *srcs) {
      auto tbl = x.as_table();
      auto net = tbl ? (*tbl)["network"].value<std::string>() : std::nullopt;
      auto org = tbl ? (*tbl)["org"].value<std::string>() : std::nullopt;
      if (!net || !org) problems.push_back(fmt::format("{}: each [[syslog_source]] needs network and org", path));
      else cfg.syslog_sources.emplace_back(*net, *org);
    }
  }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) msg += (msg.empty() ? "" : "\n") + p;
    return make_error(Errc::invalid_config, msg);
  }
  return {};
}

namespace {

volatile std::sig_atomic_t g_signal = 0;
extern "C" void on_signal(int sig) { g_signal = sig; }

// Syslog lines -> decoded JSON -> spool, for the organisation that owns the sender.
class SyslogIngest {
 public:
  explicit SyslogIngest(ServerContext& ctx)
      : ctx_(ctx),
        unattributed_(ctx.metrics->counter("lachan_syslog_unattributed_total",
                                           "Syslog messages from a sender no organisation owns (dropped)")),
        malformed_(ctx.metrics->counter("lachan_syslog_malformed_total", "Syslog messages that could not be decoded")),
        accepted_(*ctx.ingest_metrics->received[static_cast<size_t>(parse::SourceType::syslog)]) {}

  bool operator()(std::span<const api::SyslogMessage> batch) {
    thread_local parse::Decoder dec(parse::Source{parse::SourceType::syslog, {}});
    thread_local std::string out;
    thread_local std::vector<std::pair<size_t, size_t>> spans;
    thread_local std::vector<std::string> orgs;
    out.clear();
    spans.clear();
    orgs.clear();
    auto reg = ctx_.registry->get();
    std::vector<bus::Record> recs;
    recs.reserve(batch.size());
    int64_t at = batch.empty() ? store::system_now() : batch.front().received_at_ms;
    for (const auto& msg : batch) {
      std::string org = sender_org(*reg, msg.sender_ip);
      if (org.empty()) {
        unattributed_.inc();
        continue;
      }
      auto d = dec.decode(msg.text, out);
      if (!d.ok()) {
        malformed_.inc();
        (void)ctx_.store->add_dead_letter("syslog", org, d.error().message, msg.text, msg.received_at_ms);
        continue;
      }
      spans.emplace_back(d->offset, d->length);
      orgs.push_back(std::move(org));
    }
    for (size_t i = 0; i < spans.size(); ++i)
      recs.push_back(bus::Record{"syslog", orgs[i], at, std::string_view(out.data() + spans[i].first, spans[i].second)});
    if (recs.empty()) return true;
    auto a = ctx_.spool->append(recs);
    if (!a.ok()) return false;  // UDP: counted as dropped; TCP: offered again (backpressure)
    accepted_.inc(recs.size());
    return true;
  }

 private:
  std::string sender_org(const constituency::Constituency& reg, std::string_view ip) {
    auto addr = match::parse_ip(ip);
    if (!addr) return {};
    const SyslogSource* best = nullptr;
    for (const auto& s : ctx_.syslog_sources)
      if (s.net.contains(*addr) && (!best || s.net.prefix_bits() > best->net.prefix_bits())) best = &s;
    if (best) return best->org;
    if (const auto* o = reg.owner_of_ip(*addr)) return o->id;
    return {};
  }

  ServerContext& ctx_;
  api::metrics::Counter& unattributed_;
  api::metrics::Counter& malformed_;
  api::metrics::Counter& accepted_;
};

}  // namespace

int run_serve(ServeConfig cfg) {
  std::error_code ec;
  fs::create_directories(cfg.data_dir, ec);
  if (ec) {
    fmt::print(stderr, "lachan serve: cannot create data dir {}: {}\n", cfg.data_dir, ec.message());
    return 2;
  }
  api::HttpServerConfig http;
  if (!split_host_port(cfg.listen, http.address, http.port)) {
    fmt::print(stderr, "lachan serve: --listen '{}' is not HOST:PORT\n", cfg.listen);
    return 2;
  }
  ServerContext ctx;
  ctx.cfg = cfg;
  for (const auto& [net, org] : cfg.syslog_sources) {
    auto c = match::Cidr::parse(net);
    if (!c) {
      fmt::print(stderr, "lachan serve: syslog source network '{}' is not a CIDR\n", net);
      return 2;
    }
    ctx.syslog_sources.push_back(SyslogSource{*c, org});
  }

  // Store and constituency.
  auto st = store::open_sqlite_store((fs::path(cfg.data_dir) / "lachan.db").string());
  if (!st.ok()) {
    fmt::print(stderr, "lachan serve: {}\n", st.error().message);
    return 1;
  }
  auto ref = constituency::load_reference(cfg.config_dir + "/reference");
  if (!ref.ok()) {
    fmt::print(stderr, "lachan serve: {}\n", ref.error().message);
    return 1;
  }
  auto orgs = (*st)->list_organisations();
  if (!orgs.ok() || orgs->empty()) {
    fmt::print(stderr, "lachan serve: no organisations in {}; load them first with `lachan org import --data-dir {} FILE`\n",
               cfg.data_dir, cfg.data_dir);
    return 2;
  }
  auto snap = constituency::Constituency::build(std::move(*orgs), *ref);
  if (!snap.ok()) {
    fmt::print(stderr, "lachan serve: the stored organisations are inconsistent:\n{}\n", snap.error().message);
    return 1;
  }
  RegistryHolder registry(*snap);

  // Rules.
  sigma::RulesetOptions ro;
  ro.rule_paths = cfg.rules;
  ro.mapping_paths = {cfg.config_dir + "/logsources"};
  if (fs::exists(cfg.config_dir + "/placeholders.yml")) ro.placeholders_path = cfg.config_dir + "/placeholders.yml";
  sigma::Diagnostics diags;
  sigma::LoadStats stats;
  auto rules = sigma::Ruleset::load(ro, diags, stats);
  if (stats.mapping_failed) {  // without it every rule would run on every event
    for (const auto& d : diags.items())
      if (d.severity == sigma::Severity::error && d.file.rfind(cfg.config_dir + "/logsources", 0) == 0)
        fmt::print(stderr, "{}\n", sigma::format_diagnostic(d));
    fmt::print(stderr, "lachan serve: the log-source mapping {}/logsources could not be loaded\n", cfg.config_dir);
    return 2;
  }
  if (stats.rules_loaded == 0) {
    fmt::print(stderr, "lachan serve: no rules loaded from {}\n", fmt::join(cfg.rules, ", "));
    return 2;
  }
  for (const auto& r : rules->rules()) {
    if (!r.emit) continue;
    ctx.rule_catalog.push_back(RuleMeta{r.id, r.title, sigma::level_name(r.level), r.status, r.file, r.logsource.product,
                                        r.logsource.category, r.logsource.service, r.tags});
  }
  for (const auto& d : diags.items())
    ctx.rule_diagnostics.push_back(RuleDiagnostic{d.file, d.line, d.column,
                                                  d.severity == sigma::Severity::error ? "error" : d.severity == sigma::Severity::warning ? "warning" : "info", d.code,
                                                  d.message});
  {
    std::string why;
    ctx.web_root = resolve_web_root(cfg.web_root, why);
    if (ctx.web_root.empty())
      fmt::print("lachan serve: no web console files (build them with scripts/build-web.sh, or --web-root DIR)\n");
    else
      fmt::print("lachan serve: web console from {} ({})\n", ctx.web_root, why);
  }
  ctx.tls = !cfg.tls_cert.empty();

  // Spool.
  bus::LocalSpoolOptions so;
  so.max_lag_bytes = cfg.max_spool_lag_bytes;  // beyond it appends answer busy: ingest says 503, syslog pushes back
  auto spool = bus::open_local_spool((fs::path(cfg.data_dir) / "spool").string(), so);
  if (!spool.ok()) {
    fmt::print(stderr, "lachan serve: spool: {}\n", spool.error().message);
    return 1;
  }

  api::metrics::Registry metrics;
  IngestMetrics ingest_metrics(metrics);
  ctx.ingest_metrics = &ingest_metrics;
  ctx.store = st->get();
  ctx.spool = spool->get();
  ctx.registry = &registry;
  ctx.metrics = &metrics;

  IntelOptions io;
  io.retro_hunt_days = cfg.intel_retro_hunt_days;
  io.warn.dedup_window_ms = cfg.dedup_window_s * 1000;
  if (fs::exists(cfg.config_dir + "/warninglists")) io.warninglists_dir = cfg.config_dir + "/warninglists";
  io.feeds_dir = !cfg.intel_feeds_dir.empty() ? cfg.intel_feeds_dir
                 : fs::exists(cfg.config_dir + "/feeds") ? cfg.config_dir + "/feeds" : std::string();
  io.pull_feeds = cfg.intel_pull_feeds;
  IntelService intel(**st, spool->get(), registry, io, metrics);
  if (auto r = intel.start(); !r.ok()) {
    fmt::print(stderr, "lachan serve: intel: {}\n", r.error().message);
    return 1;
  }
  ctx.intel = &intel;
  IncidentService incidents(ctx);
  if (auto r = incidents.start(); !r.ok()) {
    fmt::print(stderr, "lachan serve: incidents: {}\n", r.error().message);
    intel.stop();
    return 1;
  }
  ctx.incidents = &incidents;

  NotifyConfig nc;
  std::string notify_toml = cfg.notify_config;
  if (notify_toml.empty() && fs::exists(cfg.config_dir + "/notify.toml")) notify_toml = cfg.config_dir + "/notify.toml";
  if (!notify_toml.empty()) {
    if (auto r = load_notify_toml(notify_toml, nc); !r.ok()) {
      fmt::print(stderr, "lachan serve: {}\n", r.error().message);
      return 2;
    }
  }
  Notifier notifier(ctx, nc);
  if (auto r = notifier.start(); !r.ok()) {
    fmt::print(stderr, "lachan serve: notify: {}\n", r.error().message);
    return 1;
  }
  ctx.notifier = &notifier;
  // An SLA breach reaches the subscribers of the responsible team, its parent and everyone routed.
  incidents.set_breach_hook([&ctx, &notifier](const SlaEscalation& e) {
    store::Caller sys{"system:sla", ctx.registry->get()->national_centre(), store::Role::analyst};
    auto inc = ctx.store->get_incident(sys, e.breach.incident_id);
    if (!inc) {
      fmt::print(stderr, "lachan serve: SLA breach of {}: {}\n", e.breach.ref, inc.error().message);
      return;
    }
    std::string kind = fmt::format("sla.{}", store::to_string(e.breach.kind));
    if (auto r = notifier.notify_incident_event(kind, *inc); !r)
      fmt::print(stderr, "lachan serve: SLA breach of {}: {}\n", e.breach.ref, r.error().message);
  });

  PipelineOptions po;
  po.on_applied = [&notifier](const auto& upserts, const auto& outcomes) { notifier.on_warnings(upserts, outcomes); };
  po.warn.dedup_window_ms = cfg.dedup_window_s * 1000;
  po.intel = &intel.snapshot();
  po.is_listed = [&intel](intel::ValueType t, std::string_view v) { return intel.is_listed(t, v); };
  po.correlation_tolerance = std::chrono::seconds(cfg.correlation_tolerance_s);
  po.correlation_idle_flush = std::chrono::seconds(cfg.correlation_idle_flush_s);
  Pipeline pipeline(**spool, **st, rules, registry, po, metrics);
  if (auto r = pipeline.start(); !r.ok()) {
    fmt::print(stderr, "lachan serve: pipeline: {}\n", r.error().message);
    return 1;
  }
  ctx.pipeline = &pipeline;
  bus::Spool* sp = spool->get();
  store::Store* sto = st->get();
  metrics.gauge_callback("lachan_spool_lag_records", "Records accepted but not yet processed", {},
                         [sp] { return static_cast<double>(sp->lag_records()); });
  metrics.gauge_callback("lachan_spool_lag_bytes", "Bytes accepted but not yet processed", {},
                         [sp] { return static_cast<double>(sp->lag_bytes()); });
  metrics.gauge_callback("lachan_spool_stored_bytes", "Bytes in the spool's segments", {},
                         [sp] { return static_cast<double>(sp->stats().stored_bytes); });
  metrics.gauge_callback("lachan_pipeline_processed_offset", "Last spool offset processed by the pipeline", {},
                         [&pipeline] { return static_cast<double>(pipeline.processed_offset()); });
  for (auto s : {store::WarningStatus::new_, store::WarningStatus::acknowledged, store::WarningStatus::in_progress,
                 store::WarningStatus::resolved, store::WarningStatus::false_positive})
    metrics.gauge_callback("lachan_warnings", "Warnings in the store by status", {{"status", std::string(store::to_string(s))}},
                           [sto, s] {
                             auto x = sto->stats();
                             return x.ok() ? static_cast<double>(x->warnings_by_status[static_cast<size_t>(s)]) : 0.0;
                           });

  api::Router router;
  add_routes(router, ctx);
  add_sample_routes(router, ctx);
  add_intel_routes(router, ctx);
  add_incident_routes(router, ctx);
  add_notify_routes(router, ctx);
  add_console_routes(router, ctx);
  if (auto r = add_taxii_routes(router, ctx); !r.ok()) {
    fmt::print(stderr, "lachan serve: taxii: {}\n", r.error().message);
    pipeline.stop(false);
    return 1;
  }
  http.threads = cfg.http_threads;
  http.max_body_bytes = cfg.max_body_bytes;
  // Evidence uploads (POST /api/v1/incidents/{id}/evidence) may be as large as max_evidence_bytes.
  http.body_limit_for = [limit = cfg.max_evidence_bytes](std::string_view method, std::string_view target) -> size_t {
    std::string_view path = target.substr(0, target.find('?'));
    constexpr std::string_view prefix = "/api/v1/incidents/", suffix = "/evidence";
    if (method == "POST" && path.size() > prefix.size() + suffix.size() && path.substr(0, prefix.size()) == prefix &&
        path.substr(path.size() - suffix.size()) == suffix)
      return limit;
    return 0;
  };
  http.tls_cert_file = cfg.tls_cert;
  http.tls_key_file = cfg.tls_key;
  http.fallback = web_console_fallback(ctx.web_root);
  auto server = api::HttpServer::start(http, std::move(router));
  if (!server.ok()) {
    fmt::print(stderr, "lachan serve: {}\n", server.error().message);
    pipeline.stop(false);
    return 1;
  }
  std::unique_ptr<api::SyslogListener> syslog;
  if (cfg.syslog_udp >= 0 || cfg.syslog_tcp >= 0) {
    api::SyslogListenerConfig sc;
    sc.address = cfg.syslog_address;
    sc.udp = cfg.syslog_udp >= 0;
    sc.udp_port = static_cast<uint16_t>(std::max(cfg.syslog_udp, 0));
    sc.tcp = cfg.syslog_tcp >= 0;
    sc.tcp_port = static_cast<uint16_t>(std::max(cfg.syslog_tcp, 0));
    auto l = api::SyslogListener::start(sc, SyslogIngest(ctx));
    if (!l.ok()) {
      fmt::print(stderr, "lachan serve: syslog: {}\n", l.error().message);
      (*server)->stop();
      pipeline.stop(false);
      return 1;
    }
    syslog = std::move(*l);
    api::SyslogListener* sl = syslog.get();
    metrics.gauge_callback("lachan_syslog_dropped", "Syslog messages dropped (UDP refused under overload)", {},
                           [sl] { return static_cast<double>(sl->counters().dropped); });
    metrics.gauge_callback("lachan_syslog_received", "Syslog messages read", {},
                           [sl] { return static_cast<double>(sl->counters().received); });
  }

  std::string scheme = (*server)->tls() ? "https" : "http";
  std::string host = http.address.find(':') != std::string::npos ? "[" + http.address + "]" : http.address;
  std::string url = fmt::format("{}://{}:{}", scheme, host, (*server)->port());
  fmt::print("lachan serve: listening on {} ({} rules, {} organisations, data in {})\n", url, stats.rules_loaded,
             registry.get()->organisations().size(), cfg.data_dir);
  if (syslog)
    fmt::print("lachan serve: syslog on {} udp {} tcp {}\n", cfg.syslog_address, syslog->udp_port(), syslog->tcp_port());
  std::fflush(stdout);
  if (!cfg.url_file.empty()) {
    std::string tmp = cfg.url_file + ".tmp";
    {
      std::ofstream f(tmp);
      f << url << "\n";
      if (syslog) f << "syslog_udp=" << syslog->udp_port() << "\nsyslog_tcp=" << syslog->tcp_port() << "\n";
    }
    fs::rename(tmp, cfg.url_file, ec);
  }
  ctx.ready.store(true);

  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);
  bool keep = !cfg.on_ready || cfg.on_ready(ctx, url);
  while (keep && g_signal == 0) std::this_thread::sleep_for(std::chrono::milliseconds(100));

  if (g_signal) fmt::print("lachan serve: signal {}: stopping intake, draining the pipeline\n", static_cast<int>(g_signal));
  std::fflush(stdout);
  ctx.stopping.store(true);
  if (syslog) syslog->stop();
  (*server)->stop();
  pipeline.stop(true);
  incidents.stop();
  notifier.stop();
  intel.stop();
  (*spool)->close();
  (void)(*st)->close();
  fmt::print("lachan serve: stopped cleanly (processed up to offset {})\n", pipeline.processed_offset());
  return 0;
}

}  // namespace lachan::app
