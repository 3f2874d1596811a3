// lachan: the command. Subcommands: scan, rules check, serve, demo, key create|list|revoke,
// user add|disable|enable, org import|export, intel import|feeds, mail-in, version.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include <fmt/format.h>

#include "app/admin.h"
#include "app/server.h"
#include "core/time.h"
#include "detect/scan.h"
#include "sigma/correlation.h"
#include "sigma/ruleset.h"

namespace fs = std::filesystem;
using namespace lachan;

namespace {

// The folder with the bundled configuration (log-source mappings, placeholders).
std::string config_dir() {
  if (const char* env = std::getenv("LACHAN_CONFIG_DIR")) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    for (fs::path p = exe.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
      if (fs::exists(p / "config" / "logsources", ec)) return (p / "config").string();
      if (fs::exists(p / "share" / "lachan" / "config", ec)) return (p / "share" / "lachan" / "config").string();
    }
  }
#ifdef LACHAN_SOURCE_DIR
  if (fs::exists(fs::path(LACHAN_SOURCE_DIR) / "config", ec)) return (fs::path(LACHAN_SOURCE_DIR) / "config").string();
#endif
  return "/usr/share/lachan/config";
}

struct RuleArgs {
  std::vector<std::string> rules;
  std::vector<std::string> mappings;
  std::string placeholders;
  bool no_mapping = false;
  bool no_prefilter = false;

  void add_to(CLI::App* app, bool rules_required_as_option) {
    auto* r = app->add_option("--rules,-r", rules, "Sigma rule files or folders (searched recursively)");
    if (rules_required_as_option) r->required();
    app->add_option("--mapping", mappings, "log-source mapping files or folders (default: the bundled config/logsources)");
    app->add_flag("--no-mapping", no_mapping, "ignore log sources: evaluate every rule against every event");
    app->add_option("--placeholders", placeholders, "values for the `expand` modifier (default: bundled config/placeholders.yml)");
    app->add_flag("--no-prefilter", no_prefilter, "evaluate every rule of an event's log source (for testing the prefilter)");
  }

  sigma::RulesetOptions options() const {
    sigma::RulesetOptions o;
    o.rule_paths = rules;
    std::string cfg = config_dir();
    if (!no_mapping) o.mapping_paths = mappings.empty() ? std::vector<std::string>{cfg + "/logsources"} : mappings;
    o.placeholders_path = placeholders.empty() ? (fs::exists(cfg + "/placeholders.yml") ? cfg + "/placeholders.yml" : "") : placeholders;
    o.use_prefilter = !no_prefilter;
    return o;
  }
};

void print_diagnostics(const sigma::Diagnostics& d, bool warnings, size_t limit) {
  size_t shown = 0;
  for (const auto& x : d.items()) {
    if (x.severity != sigma::Severity::error && !warnings) continue;
    if (shown++ >= limit) {
      fmt::print(stderr, "… {} more diagnostics not shown (use `lachan rules check` to list all)\n",
                 d.items().size() - limit);
      break;
    }
    fmt::print(stderr, "{}\n", sigma::format_diagnostic(x));
  }
}

long peak_rss_mb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss / 1024;  // ru_maxrss is in KiB on Linux
}

std::optional<int64_t> parse_duration(const std::string& s) {
  if (s.empty()) return std::nullopt;
  return sigma::parse_timespan(s);
}

int cmd_scan(const RuleArgs& ra, const std::vector<std::string>& inputs, const std::string& format,
             const std::string& min_level, size_t threads, const std::string& input_format, size_t batch,
             const std::string& tolerance, bool quiet, const std::string& color) {
  detect::ScanOptions so;
  so.inputs = inputs;
  so.threads = threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : threads;
  so.batch_size = batch;
  auto fmt_r = io::parse_format(input_format);
  if (!fmt_r.ok()) {
    fmt::print(stderr, "error: --input-format: {}\n", fmt_r.error().message);
    return 2;
  }
  so.reader.format = *fmt_r;
  if (format == "jsonl" || format == "json") so.format = detect::OutputFormat::jsonl;
  else if (format == "table") so.format = detect::OutputFormat::table;
  else if (format == "csv") so.format = detect::OutputFormat::csv;
  else if (format == "none") so.format = detect::OutputFormat::none;
  else {
    fmt::print(stderr, "error: --format must be jsonl, table, csv or none, not '{}'\n", format);
    return 2;
  }
  auto lvl = sigma::parse_level(min_level);
  if (!lvl) {
    fmt::print(stderr, "error: --min-level must be informational, low, medium, high or critical, not '{}'\n", min_level);
    return 2;
  }
  so.min_level = *lvl;
  if (!tolerance.empty()) {
    auto t = parse_duration(tolerance);
    if (!t) {
      fmt::print(stderr, "error: --correlation-tolerance '{}' is not a duration like 30s, 5m, 1h\n", tolerance);
      return 2;
    }
    so.correlation_tolerance_ns = *t;
  }
  so.color = color == "always" || (color == "auto" && isatty(STDOUT_FILENO));

  auto t0 = std::chrono::steady_clock::now();
  sigma::Diagnostics diags;
  sigma::LoadStats st;
  auto rs = sigma::Ruleset::load(ra.options(), diags, st);
  double compile_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!quiet) print_diagnostics(diags, false, 20);
  if (st.mapping_failed) {
    // Without it every rule would run on every event: slower, and with detections the mapping
    // would not give.
    fmt::print(stderr,
               "error: the log-source mapping could not be loaded; name one with --mapping, or pass --no-mapping to "
               "evaluate every rule against every event\n");
    return 2;
  }
  if (st.rules_loaded == 0 && st.correlations == 0) {
    fmt::print(stderr, "error: no rule could be loaded from {}\n", fmt::join(ra.rules, ", "));
    return 2;
  }
  auto sum = detect::run_scan(*rs, so, stdout, stderr);
  if (!quiet) {
    double eps = sum.seconds > 0 ? static_cast<double>(sum.events) / sum.seconds : 0;
    fmt::print(stderr,
               "lachan scan: {} events, {} detections ({} from correlations), {} malformed records, "
               "{} rules loaded ({} rejected, {} correlations), compiled in {:.2f} s, scanned in {:.2f} s, "
               "{:.0f} events/s on {} thread{}, peak memory {} MB\n",
               sum.events, sum.detections, sum.correlation_detections, sum.malformed, st.rules_loaded,
               st.rules_rejected, rs->correlations().size(), compile_s, sum.seconds, eps, so.threads,
               so.threads == 1 ? "" : "s", peak_rss_mb());
  }
  return sum.inputs_failed > 0 ? 1 : 0;
}

int cmd_rules_check(const RuleArgs& ra, bool warnings) {
  sigma::Diagnostics diags;
  sigma::LoadStats st;
  auto t0 = std::chrono::steady_clock::now();
  auto rs = sigma::Ruleset::load(ra.options(), diags, st);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& d : diags.items())
    if (d.severity == sigma::Severity::error || warnings) fmt::print("{}\n", sigma::format_diagnostic(d));
  std::map<std::string, size_t> warn_codes;
  for (const auto& d : diags.items())
    if (d.severity == sigma::Severity::warning) ++warn_codes[d.code];
  fmt::print("\n{} files, {} documents: {} rules loaded, {} rejected, {} correlations, {} filters\n", st.files,
             st.documents, st.rules_loaded, st.rules_rejected, rs->correlations().size(), st.filters);
  fmt::print("{} rules without a log-source mapping (evaluated against every event)\n", st.unmapped_rules);
  fmt::print("{} compiled rule instances, {} behind the prefilter ({} literals); compiled in {:.2f} s\n",
             st.compiled_instances, st.prefiltered_instances, st.literals, secs);
  if (!st.rejected_by_code.empty()) {
    fmt::print("errors by code:\n");
    for (const auto& [code, n] : st.rejected_by_code) fmt::print("  {:<28} {}\n", code, n);
  }
  if (!warn_codes.empty()) {
    fmt::print("warnings by code{}:\n", warnings ? "" : " (use --warnings to list them)");
    for (const auto& [code, n] : warn_codes) fmt::print("  {:<28} {}\n", code, n);
  }
  return diags.error_count() > 0 ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Lachan (lá chắn số): national cyber-security operations platform"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("lachan ") + LACHAN_VERSION);

  RuleArgs scan_rules;
  std::vector<std::string> inputs;
  std::string format = "jsonl", min_level = "informational", input_format = "auto", tolerance, color = "auto";
  size_t threads = 1, batch = 1024;
  bool quiet = false;
  auto* scan = app.add_subcommand("scan", "detect with Sigma rules over log files (offline)");
  scan_rules.add_to(scan, true);
  scan->add_option("--format,-f", format, "jsonl (default), table, csv or none");
  scan->add_option("--min-level", min_level, "lowest rule level to report (informational, low, medium, high, critical)");
  scan->add_option("--threads,-t", threads, "worker threads (0 = all cores)");
  scan->add_option("--input-format", input_format, "auto (default), ndjson, json, evtx, syslog or csv");
  scan->add_option("--batch-size", batch, "events per batch")->check(CLI::Range(1, 1 << 20));
  scan->add_option("--correlation-tolerance", tolerance,
                   "how far out of time order events may arrive for correlations (e.g. 5m); default: unlimited, "
                   "exact whatever the order, evaluated at the end of the scan");
  scan->add_option("--color", color, "auto, always or never");
  scan->add_flag("--quiet,-q", quiet, "no summary on stderr");
  scan->add_option("inputs", inputs, "log files ('-' for standard input)")->required();

  auto* rules = app.add_subcommand("rules", "work with Sigma rules");
  rules->require_subcommand(1);
  RuleArgs check_rules;
  bool warnings = false;
  auto* check = rules->add_subcommand("check", "load rules and print every problem with file:line:col");
  check_rules.add_to(check, false);
  check->add_option("paths", check_rules.rules, "rule files or folders");
  check->add_flag("--warnings,-w", warnings, "list warnings too");

  // ---- serve and demo ----
  app::ServeConfig serve_cfg;
  std::string config_file;
  auto add_serve_options = [&](CLI::App* cmd) {
    cmd->add_option("--config", config_file, "TOML file with any of these settings (flags given here win)");
    cmd->add_option("--data-dir", serve_cfg.data_dir, "where the store, spool and state live");
    cmd->add_option("--listen", serve_cfg.listen, "HTTP(S) address, HOST:PORT (port 0: any free port)");
    cmd->add_option("--syslog-udp", serve_cfg.syslog_udp, "syslog UDP port (0: any free port; default off)");
    cmd->add_option("--syslog-tcp", serve_cfg.syslog_tcp, "syslog TCP port (0: any free port; default off)");
    cmd->add_option("--syslog-address", serve_cfg.syslog_address, "address the syslog listeners bind");
    cmd->add_option("--tls-cert", serve_cfg.tls_cert, "PEM certificate (chain): serve HTTPS");
    cmd->add_option("--tls-key", serve_cfg.tls_key, "PEM private key for --tls-cert");
    cmd->add_option("--rules,-r", serve_cfg.rules, "Sigma rule files or folders (default: the bundled rules)");
    cmd->add_option("--http-threads", serve_cfg.http_threads, "HTTP io threads");
    cmd->add_option("--max-body-bytes", serve_cfg.max_body_bytes, "largest request body accepted (413 beyond)");
    cmd->add_option("--max-batch-records", serve_cfg.max_batch_records, "most records in one ingest request (413 beyond)");
    cmd->add_option("--dedup-window", serve_cfg.dedup_window_s, "seconds within which equal detections are one warning");
    cmd->add_option("--correlation-tolerance", serve_cfg.correlation_tolerance_s,
                    "seconds (event time) correlation inputs may arrive out of order");
    cmd->add_option("--correlation-idle-flush", serve_cfg.correlation_idle_flush_s,
                    "seconds without events after which an organisation's correlation windows close");
    cmd->add_option("--intel-retro-hunt-days", serve_cfg.intel_retro_hunt_days,
                    "days of archived events new indicators are searched for (0: off)");
    cmd->add_option("--intel-feeds-dir", serve_cfg.intel_feeds_dir, "feed definitions folder (default: the bundled ones)");
    cmd->add_flag("--intel-pull-feeds", serve_cfg.intel_pull_feeds, "pull the enabled feeds on their schedules");
    cmd->add_option("--sla-config", serve_cfg.sla_config, "incident SLA policy, TOML (default: the bundled config/sla.toml)");
    cmd->add_option("--sla-scan-interval-ms", serve_cfg.sla_scan_interval_ms, "how often SLA breaches are looked for (0: never)");
    cmd->add_option("--max-evidence-bytes", serve_cfg.max_evidence_bytes, "largest incident evidence file accepted (413 beyond)");
    cmd->add_option("--notify-config", serve_cfg.notify_config, "notify.toml: SMTP, templates, console link, retries");
    cmd->add_option("--url-file", serve_cfg.url_file, "write the base URL (and syslog ports) to this file once listening");
    cmd->add_option("--web-root", serve_cfg.web_root,
                    "the web console's files (default: $LACHAN_WEB_ROOT, <exe>/../share/lachan/web, web/dist)");
  };
  auto* serve = app.add_subcommand("serve", "run the platform: ingest, detection, warnings, REST API");
  add_serve_options(serve);
  auto* demo = app.add_subcommand("demo", "serve a demo: constituency, people, rules and replayed sample telemetry");
  add_serve_options(demo);
  std::string demo_dir;
  bool demo_once = false;
  demo->add_option("--demo-dir", demo_dir, "the demo data (default: the bundled demo/)");
  demo->add_flag("--exit-after-replay", demo_once, "stop once the replay is processed (smoke test)");
  int64_t demo_synthetic = 0;
  demo->add_option("--synthetic-warnings", demo_synthetic,
                   "also insert N synthetic warnings (deterministic) over the demo organisations")
      ->check(CLI::Range(int64_t{0}, int64_t{10'000'000}));

  // ---- administration ----
  std::string admin_dir = "lachan-data", org_id, role, label, username, display_name, password, org_file,
              export_format = "json", export_out, key_id;
  auto* key = app.add_subcommand("key", "API keys");
  key->require_subcommand(1);
  auto* key_create = key->add_subcommand("create", "print a new API key (stored hashed)");
  key_create->add_option("--data-dir", admin_dir, "data dir")->required();
  key_create->add_option("--org", org_id, "organisation id")->required();
  key_create->add_option("--role", role, "admin, analyst, responder, reporter or viewer")->required();
  key_create->add_option("--label", label, "what the key is for");
  auto* key_list = key->add_subcommand("list", "list an organisation's keys, revoked ones included (never secrets)");
  key_list->add_option("--data-dir", admin_dir, "data dir")->required();
  key_list->add_option("--org", org_id, "organisation id")->required();
  auto* key_revoke = key->add_subcommand("revoke", "revoke a key: it is refused from then on");
  key_revoke->add_option("--data-dir", admin_dir, "data dir")->required();
  key_revoke->add_option("id", key_id, "key id (as listed; the part after lk_)")->required();
  auto* user = app.add_subcommand("user", "people");
  user->require_subcommand(1);
  auto* user_add = user->add_subcommand("add", "add a person (Argon2id password)");
  user_add->add_option("--data-dir", admin_dir, "data dir")->required();
  user_add->add_option("--username", username, "login name")->required();
  user_add->add_option("--org", org_id, "organisation id")->required();
  user_add->add_option("--role", role, "admin, analyst, responder, reporter or viewer")->required();
  user_add->add_option("--name", display_name, "display name");
  user_add->add_option("--password", password, "password (default: generated and printed; env LACHAN_PASSWORD also works)");
  auto* user_disable = user->add_subcommand("disable", "stop a person logging in and end their sessions");
  user_disable->add_option("--data-dir", admin_dir, "data dir")->required();
  user_disable->add_option("username", username, "login name")->required();
  auto* user_enable = user->add_subcommand("enable", "let a disabled person log in again");
  user_enable->add_option("--data-dir", admin_dir, "data dir")->required();
  user_enable->add_option("username", username, "login name")->required();
  auto* org = app.add_subcommand("org", "organisations of the constituency");
  org->require_subcommand(1);
  auto* org_import = org->add_subcommand("import", "load organisations from JSON or CSV (validated as a whole)");
  org_import->add_option("--data-dir", admin_dir, "data dir")->required();
  org_import->add_option("file", org_file, "JSON ([...] or {\"organisations\":[...]}) or CSV file")->required();
  auto* org_export = org->add_subcommand("export", "write every organisation as JSON or CSV");
  org_export->add_option("--data-dir", admin_dir, "data dir")->required();
  org_export->add_option("--format", export_format, "json (default) or csv")->check(CLI::IsMember({"json", "csv"}));
  org_export->add_option("--output,-o", export_out, "file (default: standard output)");

  app::IntelImportArgs intel_args;
  std::string feeds_pull;
  auto* intel_cmd = app.add_subcommand("intel", "threat intelligence: indicators, feeds");
  intel_cmd->require_subcommand(1);
  auto* intel_import = intel_cmd->add_subcommand(
      "import", "import STIX 2.1, MISP events or feeds, or a CSV/line feed, from a file, folder or URL (all or nothing)");
  intel_import->add_option("--data-dir", intel_args.data_dir, "data dir")->required();
  intel_import->add_option("location", intel_args.location, "file, folder (MISP feed) or http(s) URL")->required();
  intel_import->add_option("--format", intel_args.format, "auto (default), stix, misp, misp-feed or feed");
  intel_import->add_option("--feed", intel_args.feed, "feed definition name (config/feeds) for a CSV/line feed");
  intel_import->add_option("--source", intel_args.source, "source name where the input names none");
  intel_import->add_option("--tlp", intel_args.tlp, "TLP where the input marks none (default amber)");
  intel_import->add_option("--collection", intel_args.collection, "collection to add to (default national)");
  intel_import->add_option("--feeds-dir", intel_args.feeds_dir, "feed definitions folder for --feed (default: the bundled ones)");
  auto* intel_feeds = intel_cmd->add_subcommand("feeds", "list the feed definitions and their state; --pull pulls now");
  intel_feeds->add_option("--data-dir", intel_args.data_dir, "data dir")->required();
  intel_feeds->add_option("--pull", feeds_pull, "pull this feed now ('all': every enabled one)");
  intel_feeds->add_option("--feeds-dir", intel_args.feeds_dir, "feed definitions folder (default: the bundled ones)");

  app::MailInArgs mail_args;
  auto* mail_in = app.add_subcommand(
      "mail-in", "one e-mail on standard input (an MTA's pipe transport): a report, a reply's comment, evidence; "
                 "exit codes per sysexits.h");
  mail_in->add_option("--data-dir", mail_args.data_dir, "data dir (default: the --config file's)");
  mail_in->add_option("--config", mail_args.config_file, "the serve TOML file (data_dir, sla_config, max_evidence_bytes)");
  mail_in->add_option("--max-bytes", mail_args.max_bytes, "largest message accepted (default 25 MiB; EX_DATAERR beyond)");
  mail_in->add_option("--category", mail_args.category, "RSIT category of incidents reported by mail (default other:other)");
  mail_in->add_option("--sla-config", mail_args.sla_config, "incident SLA policy, TOML (default: the bundled config/sla.toml)");
  mail_in->add_flag("--match-domain", mail_args.match_domain,
                    "accept a sender who is no contact when an organisation owns the address's domain");

  auto* version = app.add_subcommand("version", "print the version");

  CLI11_PARSE(app, argc, argv);
  if (serve->parsed() || demo->parsed()) {
    CLI::App* cmd = serve->parsed() ? serve : demo;
    app::ServeConfig flags = serve_cfg;
    if (!config_file.empty()) {
      // The file first, then every flag given on the command line over it.
      serve_cfg = app::ServeConfig{};
      if (auto r = app::load_serve_toml(config_file, serve_cfg); !r.ok()) {
        fmt::print(stderr, "lachan: {}\n", r.error().message);
        return 2;
      }
      auto given = [&](const char* name) { return cmd->get_option(name)->count() > 0; };
      if (given("--data-dir")) serve_cfg.data_dir = flags.data_dir;
      if (given("--listen")) serve_cfg.listen = flags.listen;
      if (given("--syslog-udp")) serve_cfg.syslog_udp = flags.syslog_udp;
      if (given("--syslog-tcp")) serve_cfg.syslog_tcp = flags.syslog_tcp;
      if (given("--syslog-address")) serve_cfg.syslog_address = flags.syslog_address;
      if (given("--tls-cert")) serve_cfg.tls_cert = flags.tls_cert;
      if (given("--tls-key")) serve_cfg.tls_key = flags.tls_key;
      if (given("--rules")) serve_cfg.rules = flags.rules;
      if (given("--http-threads")) serve_cfg.http_threads = flags.http_threads;
      if (given("--max-body-bytes")) serve_cfg.max_body_bytes = flags.max_body_bytes;
      if (given("--max-batch-records")) serve_cfg.max_batch_records = flags.max_batch_records;
      if (given("--dedup-window")) serve_cfg.dedup_window_s = flags.dedup_window_s;
      if (given("--correlation-tolerance")) serve_cfg.correlation_tolerance_s = flags.correlation_tolerance_s;
      if (given("--correlation-idle-flush")) serve_cfg.correlation_idle_flush_s = flags.correlation_idle_flush_s;
      if (given("--url-file")) serve_cfg.url_file = flags.url_file;
      if (given("--web-root")) serve_cfg.web_root = flags.web_root;
      if (given("--notify-config")) serve_cfg.notify_config = flags.notify_config;
      if (given("--intel-feeds-dir")) serve_cfg.intel_feeds_dir = flags.intel_feeds_dir;
      if (given("--intel-pull-feeds")) serve_cfg.intel_pull_feeds = flags.intel_pull_feeds;
      if (given("--sla-config")) serve_cfg.sla_config = flags.sla_config;
      if (given("--sla-scan-interval-ms")) serve_cfg.sla_scan_interval_ms = flags.sla_scan_interval_ms;
      if (given("--max-evidence-bytes")) serve_cfg.max_evidence_bytes = flags.max_evidence_bytes;
      if (given("--intel-retro-hunt-days")) serve_cfg.intel_retro_hunt_days = flags.intel_retro_hunt_days;
    }
    serve_cfg.config_dir = config_dir();
    if (serve_cfg.rules.empty()) serve_cfg.rules = {(fs::path(serve_cfg.config_dir).parent_path() / "rules").string()};
    if (demo->parsed()) {
      if (demo_dir.empty()) demo_dir = (fs::path(serve_cfg.config_dir).parent_path() / "demo").string();
      return app::cmd_demo(serve_cfg, demo_dir, demo_once, demo_synthetic);
    }
    return app::run_serve(serve_cfg);
  }
  if (key_create->parsed()) return app::cmd_key_create(admin_dir, org_id, role, label);
  if (key_list->parsed()) return app::cmd_key_list(admin_dir, org_id);
  if (key_revoke->parsed()) return app::cmd_key_revoke(admin_dir, key_id);
  if (user_disable->parsed()) return app::cmd_user_set_disabled(admin_dir, username, true);
  if (user_enable->parsed()) return app::cmd_user_set_disabled(admin_dir, username, false);
  if (user_add->parsed()) {
    if (password.empty())
      if (const char* env = std::getenv("LACHAN_PASSWORD")) password = env;
    return app::cmd_user_add(admin_dir, username, org_id, role, display_name, password);
  }
  if (org_import->parsed()) return app::cmd_org_import(admin_dir, config_dir(), org_file);
  if (org_export->parsed()) return app::cmd_org_export(admin_dir, export_format, export_out);
  if (intel_import->parsed() || intel_feeds->parsed()) {
    if (intel_args.feeds_dir.empty()) intel_args.feeds_dir = config_dir() + "/feeds";
    if (intel_import->parsed()) return app::cmd_intel_import(intel_args);
    return app::cmd_intel_feeds(intel_args.data_dir, intel_args.feeds_dir, feeds_pull);
  }
  if (mail_in->parsed()) {
    mail_args.config_dir = config_dir();
    return app::cmd_mail_in(mail_args);
  }
  if (version->parsed()) {
    fmt::print("lachan {}\n", LACHAN_VERSION);
    return 0;
  }
  if (scan->parsed())
    return cmd_scan(scan_rules, inputs, format, min_level, threads, input_format, batch, tolerance, quiet, color);
  if (check->parsed()) {
    if (check_rules.rules.empty()) {
      fmt::print(stderr, "error: give rule files or folders to check\n");
      return 2;
    }
    return cmd_rules_check(check_rules, warnings);
  }
  return 0;
}
