// `lachan serve`: configuration, the shared state of the running server, ingest, and the REST
// routes. Wiring only: the work is done by the modules (parse, bus, store, constituency, warn,
// api).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "api/metrics.h"
#include "api/router.h"
#include "app/pipeline.h"
#include "bus/spool.h"
#include "match/cidr.h"
#include "parse/decoder.h"
#include "store/store.h"

namespace lachan::app {

struct ServeConfig {
  std::string data_dir = "lachan-data";
  std::string listen = "127.0.0.1:8080";
  std::string syslog_address = "127.0.0.1";
  int syslog_udp = -1;  // port; -1: off, 0: any free port
  int syslog_tcp = -1;
  std::string tls_cert, tls_key;
  std::vector<std::string> rules;      // rule files/folders; empty: the bundled rules/
  std::string config_dir;              // bundled config (logsources, placeholders, reference)
  unsigned http_threads = 4;
  std::size_t max_body_bytes = 16u << 20;
  std::size_t max_batch_records = 100'000;
  std::size_t max_record_bytes = 1u << 20;
  std::size_t max_sample_bytes = 32u << 20;  // malware samples (POST /api/v1/samples); max_body_bytes applies first
  int64_t dedup_window_s = 3600;
  int64_t correlation_tolerance_s = 30;    // out-of-order tolerance of correlation inputs (event time)
  int64_t correlation_idle_flush_s = 5;    // an organisation quiet this long: its correlation windows close
  int64_t session_ttl_s = 12 * 3600;
  uint64_t max_spool_lag_bytes = 1ull << 30;  // the spool refuses appends beyond it: 503 + Retry-After
  // Syslog senders: network -> organisation. A sender in none of them is looked up in the
  // constituency's ownership of addresses.
  std::vector<std::pair<std::string, std::string>> syslog_sources;
  int64_t intel_retro_hunt_days = 30;
  std::string intel_feeds_dir;         // feed definitions; empty: the bundled config/feeds
  bool intel_pull_feeds = false;       // pull enabled feeds on schedule (off: no outbound traffic)  // new indicators are searched for in this many days of events; 0: off
  // Incidents (incident_api.cpp): the SLA policy file (empty: config_dir/sla.toml), how often the
  // SLA scanner looks for breaches (0: never), and the largest evidence file accepted.
  std::string sla_config;
  int64_t sla_scan_interval_ms = 30'000;
  std::size_t max_evidence_bytes = 64u << 20;  // evidence uploads (held in memory while received): their body limit
  std::string notify_config;  // notify.toml (SMTP, templates, retries); empty: <config_dir>/notify.toml if any
  // The web console's files (index.html, assets/…); empty: LACHAN_WEB_ROOT, else
  // <exe dir>/../share/lachan/web, else the source tree's web/dist, whichever has index.html
  // (resolve_web_root); none: GET / says how to build it.
  std::string web_root;
  std::string url_file;  // when set, the base URL is written there once listening (tests, scripts)
  // Called once the server listens (the demo replays its telemetry here); false: shut down.
  std::function<bool(struct ServerContext&, const std::string& url)> on_ready;
};

// Reads a TOML file into `cfg` (keys as the flags: data_dir, listen, syslog_udp, syslog_tcp,
// syslog_address, tls_cert, tls_key, rules, http_threads, max_body_bytes, max_batch_records,
// max_record_bytes, max_sample_bytes, dedup_window_s, correlation_tolerance_s, correlation_idle_flush_s, session_ttl_s,
// max_spool_lag_bytes, intel_retro_hunt_days, intel_feeds_dir, intel_pull_feeds, sla_config,
// sla_scan_interval_ms, max_evidence_bytes, notify_config, web_root, [[syslog_source]] network/org).
Result<void> load_serve_toml(const std::string& path, ServeConfig& cfg);

struct SyslogSource {
  match::Cidr net;
  std::string org;
};

// Ingest counters, registered once (registering takes the registry's lock).
struct IngestMetrics {
  explicit IngestMetrics(api::metrics::Registry& m);
  api::metrics::Counter* received[parse::kSourceTypeCount];
  api::metrics::Counter* rejected[parse::kSourceTypeCount];
  api::metrics::Counter& refused;
};

// What the REST API shows of the loaded Sigma rules (GET /api/v1/rules): the rules' metadata and
// the problems found while loading them, kept from serve's start.
struct RuleMeta {
  std::string id, title, level, status, file;
  std::string product, category, service;  // logsource
  std::vector<std::string> tags;
};
struct RuleDiagnostic {
  std::string file;
  uint32_t line = 0, column = 0;
  std::string severity;  // "error" or "warning"
  std::string code, message;
};

class IntelService;
class IncidentService;
class Notifier;

// Everything the handlers share. Owned by run_serve.
struct ServerContext {
  ServeConfig cfg;
  store::Store* store = nullptr;
  bus::Spool* spool = nullptr;
  RegistryHolder* registry = nullptr;
  Pipeline* pipeline = nullptr;
  IntelService* intel = nullptr;
  IncidentService* incidents = nullptr;
  Notifier* notifier = nullptr;  // subscriptions, outbox dispatch, live stream (notifier.h)
  api::metrics::Registry* metrics = nullptr;
  IngestMetrics* ingest_metrics = nullptr;
  std::vector<SyslogSource> syslog_sources;
  std::vector<RuleMeta> rule_catalog;
  std::vector<RuleDiagnostic> rule_diagnostics;
  std::string web_root;  // resolved at start; empty: no console files
  bool tls = false;      // the listener speaks HTTPS: session cookies are Secure
  std::atomic<bool> ready{false};
  std::atomic<bool> stopping{false};
};

struct IngestError {
  uint64_t line = 0;
  std::string error;
};
struct IngestResult {
  std::size_t accepted = 0;
  std::size_t rejected = 0;
  std::vector<IngestError> errors;  // the first 100
  int status = 200;                 // 200, or 400/413/503 for the whole batch
  std::string message;              // why the whole batch was refused
};

// Decodes a body of one source type sent by `org` and appends the good records to the spool;
// returns only when they are durable. Bad records are counted and reported, never stop the rest.
IngestResult ingest_body(ServerContext& ctx, std::string_view org, const parse::Source& source, std::string_view body,
                         int64_t received_at_ms);

// The caller of a request: Authorization: Bearer <API key or session token>, or the
// lachan_session cookie. nullopt (and a 401 in `err`) otherwise.
std::optional<store::Caller> authenticate(ServerContext& ctx, const api::Request& req, api::Response& err);
// The caller's credential: the bearer token, else the lachan_session cookie ("" when neither);
// *from_cookie says which.
std::string_view request_token(const api::Request& req, bool* from_cookie);
// Set-Cookie value of the session cookie (Max-Age 0 and an empty token: clears it); Secure under TLS.
std::string session_cookie(const ServerContext& ctx, std::string_view token, int64_t max_age_s);
// What the caller's organisation oversees, from its kind: {"kind":"national"|"province"|"sector"|
// "organisation","province":code|null,"province_id":id|null,"sector":id|null} (GET /api/v1/me, stats).
boost::json::value caller_scope(const constituency::Constituency& reg, const store::Caller& c);
// The JSON error answer for a store or module error: 404 not_found (no detail), 409 conflict,
// 403 denied, 400 malformed/invalid/unsupported, 413 limit, 503 busy, 500 otherwise.
api::Response error_response_for(const Error& e);
// A time query parameter: "2026-01-02T03:04:05Z" (RFC 3339) or milliseconds since the epoch.
std::optional<int64_t> parse_time_param(std::string_view s);
// Appends to the audit log for `c` (detail: a JSON object's text).
void audit_action(ServerContext& ctx, const store::Caller& c, std::string action, std::string target,
                  std::string detail_json = "{}");

// Registers every REST route (under /api/v1), /healthz, /readyz and /metrics.
void add_routes(api::Router& router, ServerContext& ctx);
// Threat intelligence under /api/v1/intel: import, indicators, feeds (intel_api.cpp).
void add_intel_routes(api::Router& router, ServerContext& ctx);
// Registers the TAXII 2.1 routes (/taxii2/…) and the intel exports (taxii.h), loading taxii.toml.
Result<void> add_taxii_routes(api::Router& router, ServerContext& ctx);
// Incident response under /api/v1/incidents and /api/v1/evidence, and
// POST /api/v1/warnings/{id}/escalate (incident_api.cpp); needs ctx.incidents.
void add_incident_routes(api::Router& router, ServerContext& ctx);
// The malware repository's routes under /api/v1/samples (samples_api.cpp).
void add_sample_routes(api::Router& router, ServerContext& ctx);

// Subscriptions, notifications and their deliveries, the VAPID key and the live stream
// (GET /api/v1/stream, Server-Sent Events) (notify_api.cpp).
void add_notify_routes(api::Router& router, ServerContext& ctx);

// GET /api/v1/reference, /api/v1/stats/overview, /api/v1/rules and POST /api/v1/warnings/bulk: what
// the web console needs beyond the plain resources (console_api.cpp).
void add_console_routes(api::Router& router, ServerContext& ctx);
// The web root to serve: `configured` when set, else LACHAN_WEB_ROOT, else <exe dir>/../share/lachan/web,
// else the source tree's web/dist, the first with an index.html ("" when none). `why` says which.
std::string resolve_web_root(const std::string& configured, std::string& why);
// The HTTP server's fallback for paths no route has: the console's files, the SPA's index.html
// for app paths, or (no web root) a page saying how to build the console (web_console.cpp).
std::function<std::optional<api::Response>(api::Request&)> web_console_fallback(const std::string& web_root);

// The OpenAPI 3.1 document of the REST API.
const char* openapi_document();

int run_serve(ServeConfig cfg);

}  // namespace lachan::app
