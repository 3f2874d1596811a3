// `lachan demo`: a constituency, people, bundled rules and a replay of sample telemetry, so that
// a newcomer sees warnings arrive in the console and the API within a minute.
#include <boost/json.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <thread>
#include <tuple>
#include <vector>

#include <fmt/format.h>

#include "app/admin.h"
#include "app/intel_service.h"
#include "app/server.h"
#include "intel/stix_import.h"
#include "store/sqlite/sqlite_store.h"

namespace fs = std::filesystem;
namespace json = boost::json;

namespace lachan::app {
namespace {

struct DemoUser {
  const char* username;
  const char* org;
  const char* role;
  const char* name;
  const char* password;
};
// Demo credentials, printed at start: for a demo data dir only.
constexpr DemoUser kUsers[] = {
    {"ncsc.admin", "ncsc", "admin", "Quản trị NCSC", "demo-ncsc-admin"},
    {"nghe-an.analyst", "ca-nghe-an", "analyst", "Phân tích viên Công an Nghệ An", "demo-nghe-an"},
    {"bvhn.viewer", "bvhn-nghe-an", "viewer", "Bệnh viện Hữu nghị Đa khoa Nghệ An", "demo-bvhn"},
};

// The host or address a demo record comes from.
std::vector<std::string> origin_keys(const json::value& v) {
  std::vector<std::string> keys;
  auto take = [&](const json::value* x) {
    if (x && x->is_string()) keys.emplace_back(x->as_string());
  };
  if (!v.is_object()) return keys;
  const auto& o = v.as_object();
  if (const auto* ev = o.if_contains("Event"); ev && ev->is_object())
    if (const auto* sys = ev->as_object().if_contains("System"); sys && sys->is_object())
      take(sys->as_object().if_contains("Computer"));
  for (const char* k : {"@system", "host", "hostname", "src_ip", "id_orig_h", "dest_ip"}) take(o.if_contains(k));
  return keys;
}

std::string owner(const constituency::Constituency& reg, const std::vector<std::string>& keys) {
  for (const auto& k : keys) {
    if (const auto* o = reg.owner_of_host(k)) return o->id;
    std::string shortname = k.substr(0, k.find('.'));
    if (const auto* o = reg.owner_of_host(shortname)) return o->id;
    if (const auto* o = reg.owner_of_ip(k)) return o->id;
  }
  return {};
}

std::string read_all(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// N synthetic warnings spread over every organisation (so every province and sector), the loaded
// rules, severities, statuses and the last 30 days, for the console's scale tests. Deterministic
// but for the times, which follow now: a fixed seed and no std distributions (whose output the
// standard leaves to the library). Inserted once per data dir (named state demo/synthetic).
void insert_synthetic(ServerContext& ctx, int64_t n) {
  if (n <= 0) return;
  if (auto done = ctx.store->get_state("demo", "synthetic_warnings"); done.ok() && *done) {
    fmt::print("demo: synthetic warnings already inserted ({})\n", **done);
    return;
  }
  auto t0 = std::chrono::steady_clock::now();
  auto reg = ctx.registry->get();
  std::vector<const store::Organisation*> orgs;
  // Victims are the constituency's members, not the teams that coordinate them.
  for (const auto& o : reg->organisations())
    if (o.kind != store::OrgKind::national_centre && o.kind != store::OrgKind::provincial_unit &&
        o.kind != store::OrgKind::sector_team)
      orgs.push_back(&o);
  if (orgs.empty() || ctx.rule_catalog.empty()) return;
  static constexpr const char* kTechniques[] = {"t1059.001", "t1003.001", "t1110", "t1021.002", "t1566.001", "t1190",
                                                "t1486", "t1071.001", "t1055", "t1547.001", "t1078", "t1046"};
  static constexpr store::WarningStatus kStatuses[] = {
      store::WarningStatus::new_,     store::WarningStatus::new_,     store::WarningStatus::new_,
      store::WarningStatus::acknowledged, store::WarningStatus::in_progress, store::WarningStatus::resolved,
      store::WarningStatus::resolved, store::WarningStatus::false_positive};
  static constexpr store::Severity kSeverities[] = {
      store::Severity::informational, store::Severity::low,  store::Severity::low,     store::Severity::medium,
      store::Severity::medium,        store::Severity::medium, store::Severity::high,  store::Severity::high,
      store::Severity::critical};
  std::mt19937_64 rng(20260101);
  int64_t now = store::system_now();
  constexpr int64_t k30Days = 30LL * 24 * 3600 * 1000;
  constexpr size_t kBatch = 20'000;
  std::vector<store::Warning> batch;
  batch.reserve(kBatch);
  int64_t inserted = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto& org = *orgs[rng() % orgs.size()];
    const auto& rule = ctx.rule_catalog[rng() % ctx.rule_catalog.size()];
    store::Warning w;
    w.org_id = org.id;
    w.detector = "sigma";
    w.rule_id = rule.id;
    w.rule_title = rule.title;
    w.severity = kSeverities[rng() % std::size(kSeverities)];
    w.status = kStatuses[rng() % std::size(kStatuses)];
    w.tags = rule.tags;
    w.tags.push_back(std::string("attack.") + kTechniques[rng() % std::size(kTechniques)]);
    w.tags.push_back("lachan.synthetic");
    std::string host = fmt::format("host-{:04}.{}", rng() % 2000, org.id);
    w.entities = {{"host", host}};
    w.dedup_key = fmt::format("synthetic:{}", i);
    w.first_seen = now - static_cast<int64_t>(rng() % static_cast<uint64_t>(k30Days));
    w.last_seen = std::min(now, w.first_seen + static_cast<int64_t>(rng() % (6 * 3600 * 1000)));
    w.count = 1 + static_cast<int64_t>(rng() % 50);
    w.province = org.province;
    w.sectors = org.sectors;
    auto routes = reg->routes(org.id);
    w.routed_to.assign(routes.begin(), routes.end());
    w.evidence = {fmt::format(R"({{"synthetic":true,"host":"{}","n":{}}})", host, i)};
    batch.push_back(std::move(w));
    if (batch.size() == kBatch || i + 1 == n) {
      auto r = ctx.store->insert_warnings(batch);
      if (!r.ok()) {
        fmt::print(stderr, "demo: synthetic warnings: {}\n", r.error().message);
        return;
      }
      inserted += *r;
      batch.clear();
    }
  }
  (void)ctx.store->put_state("demo", "synthetic_warnings", std::to_string(inserted), now);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fmt::print("demo: {} synthetic warnings inserted in {:.1f} s\n", inserted, secs);
}

bool replay(ServerContext& ctx, const std::string& demo_dir, const std::string& url, bool exit_after,
            int64_t synthetic) {
  auto reg = ctx.registry->get();
  // The demo CERT's indicators first, so that the replayed telemetry meets them.
  if (fs::exists(fs::path(demo_dir) / "intel.json")) {
    intel::ImportOptions io;
    io.source = "demo";
    auto batch = intel::import_stix(read_all(fs::path(demo_dir) / "intel.json"), io);
    // Published "today": an indicator's score decays with age, and the demo's should be fresh.
    if (batch)
      for (auto& i : batch->indicators) i.created_ms = i.modified_ms = i.valid_from_ms = store::system_now();
    auto sum = batch ? ctx.intel->import(*batch, "national") : Result<intel::ImportSummary>(batch.error());
    if (!sum) fmt::print(stderr, "demo: intel.json: {}\n", sum.error().message);
    else fmt::print("demo: {} indicators imported from intel.json\n", sum->indicators);
    ctx.intel->sync();
  }
  // (org, source) -> body
  std::map<std::pair<std::string, std::string>, std::string> bodies;
  size_t unowned = 0;
  for (const auto& [file, source] : {std::pair<const char*, const char*>{"windows-endpoints.jsonl", "windows"},
                                     {"network-sensors.jsonl", "json"}}) {
    std::istringstream in(read_all(fs::path(demo_dir) / file));
    for (std::string line; std::getline(in, line);) {
      if (line.empty()) continue;
      boost::system::error_code ec;
      json::value v = json::parse(line, ec);
      std::string org = ec ? std::string() : owner(*reg, origin_keys(v));
      if (org.empty()) {
        ++unowned;
        continue;
      }
      bodies[{org, source}] += line + "\n";
    }
  }
  {
    // The file mixes several hosts' logs out of time order (as `lachan scan` input); replayed in
    // time order, as live senders send them, so that correlations see them within their tolerance.
    std::vector<std::tuple<std::string, std::string, std::string>> lines;  // (timestamp, org, line)
    std::istringstream in(read_all(fs::path(demo_dir) / "linux-syslog.log"));
    for (std::string line; std::getline(in, line);) {
      // RFC 5424: <pri>1 timestamp HOST ...
      std::istringstream f(line);
      std::string pri, ts, host;
      f >> pri >> ts >> host;
      std::string org = owner(*reg, {host});
      if (org.empty()) {
        ++unowned;
        continue;
      }
      lines.emplace_back(ts, org, line);
    }
    std::stable_sort(lines.begin(), lines.end(),
                     [](const auto& x, const auto& y) { return std::get<0>(x) < std::get<0>(y); });
    for (const auto& [ts, org, line] : lines) bodies[{org, "syslog"}] += line + "\n";
  }
  size_t accepted = 0;
  int64_t now = store::system_now();
  for (const auto& [key, body] : bodies) {
    auto src = parse::parse_source(key.second);
    if (!src.ok()) continue;
    auto r = ingest_body(ctx, key.first, *src, body, now);
    accepted += r.accepted;
    fmt::print("demo: sent {} {} events as {} ({} rejected)\n", r.accepted, key.second, key.first, r.rejected);
  }
  if (unowned) fmt::print("demo: {} records name no organisation of the demo constituency (skipped)\n", unowned);
  // Wait (bounded) until the pipeline has processed the replay.
  uint64_t target = ctx.spool->stats().last_offset;
  for (int i = 0; i < 300 && ctx.pipeline->processed_offset() < target; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  insert_synthetic(ctx, synthetic);
  store::Caller centre{"demo", reg->national_centre(), store::Role::admin};
  auto n = ctx.store->count_warnings(centre, {});
  fmt::print("\nLachan demo is running at {}\n", url);
  fmt::print("  {} events replayed, {} warnings in the store\n", accepted, n.ok() ? *n : -1);
  if (ctx.web_root.empty())
    fmt::print("  web console: {}/ (not built: run scripts/build-web.sh, then restart)\n", url);
  else
    fmt::print("  web console: {}/\n", url);
  fmt::print("  log in (POST {}/api/v1/auth/login) as:\n", url);
  for (const auto& u : kUsers) fmt::print("    {:<18} password {:<16} ({} of {})\n", u.username, u.password, u.role, u.org);
  fmt::print("  e.g. curl -s -H \"Authorization: Bearer $(curl -s -d '{{\"username\":\"ncsc.admin\",\"password\":\"demo-ncsc-admin\"}}' {}/api/v1/auth/login | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/')\" {}/api/v1/warnings\n",
             url, url);
  if (!exit_after) fmt::print("  Ctrl-C stops it.\n");
  std::fflush(stdout);
  return !exit_after;
}

}  // namespace

int cmd_demo(ServeConfig cfg, const std::string& demo_dir, bool exit_after_replay, int64_t synthetic_warnings) {
  {
    auto st = store::open_sqlite_store((fs::path(cfg.data_dir) / "lachan.db").string());
    if (!st.ok()) {
      std::error_code ec;
      fs::create_directories(cfg.data_dir, ec);
      st = store::open_sqlite_store((fs::path(cfg.data_dir) / "lachan.db").string());
    }
    if (!st.ok()) {
      fmt::print(stderr, "lachan demo: {}\n", st.error().message);
      return 1;
    }
    auto orgs = (*st)->list_organisations();
    bool empty = orgs.ok() && orgs->empty();
    (void)(*st)->close();
    if (empty) {
      if (int rc = cmd_org_import(cfg.data_dir, cfg.config_dir, (fs::path(demo_dir) / "constituency.json").string()))
        return rc;
      for (const auto& u : kUsers)
        if (int rc = cmd_user_add(cfg.data_dir, u.username, u.org, u.role, u.name, u.password)) return rc;
    }
  }
  cfg.on_ready = [demo_dir, exit_after_replay, synthetic_warnings](ServerContext& ctx, const std::string& url) {
    return replay(ctx, demo_dir, url, exit_after_replay, synthetic_warnings);
  };
  return run_serve(std::move(cfg));
}

}  // namespace lachan::app
