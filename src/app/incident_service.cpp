#include "app/incident_service.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "app/server.h"
#include "core/files.h"
#include "core/toml.h"
#include "core/time.h"
#include "intel/feed.h"
#include "store/common.h"

namespace fs = std::filesystem;

namespace lachan::app {
namespace json = boost::json;

namespace {

bool is_sha256(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::string clean_evidence_name(std::string_view s) {
  if (auto p = s.find_last_of("/\\"); p != std::string_view::npos) s = s.substr(p + 1);
  std::string out;
  for (char ch : s)
    if (static_cast<unsigned char>(ch) >= 0x20 && ch != 0x7f && ch != '"') out += ch;
  if (out.size() > 200) out.resize(200);
  if (out.empty() || out == "." || out == "..") out = "evidence.bin";
  return out;
}

// ---- RSIT ----

Result<RsitTaxonomy> RsitTaxonomy::parse(std::string_view text, std::string_view origin) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return make_error(Errc::invalid_config, fmt::format("{}: not a JSON object", origin));
  RsitTaxonomy t;
  const auto& o = v.as_object();
  if (auto* values = o.if_contains("values"); values && values->is_array()) {
    for (const auto& pv : values->as_array()) {
      const auto* p = pv.is_object() ? pv.as_object().if_contains("predicate") : nullptr;
      const auto* entries = pv.is_object() ? pv.as_object().if_contains("entry") : nullptr;
      if (!p || !p->is_string() || !entries || !entries->is_array()) continue;
      for (const auto& e : entries->as_array()) {
        const auto* val = e.is_object() ? e.as_object().if_contains("value") : nullptr;
        if (val && val->is_string())
          t.values_.insert(std::string(p->as_string()) + ":" + std::string(val->as_string()));
      }
    }
  }
  if (t.values_.empty()) return make_error(Errc::invalid_config, fmt::format("{}: no predicate values", origin));
  return t;
}

Result<RsitTaxonomy> RsitTaxonomy::load(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text) return make_error(Errc::invalid_config, text.error().message);
  return parse(*text, path);
}

// ---- SLA policy ----

Result<store::SlaPolicy> parse_sla_policy(std::string_view text, std::string_view origin) {
  auto parsed = parse_toml(text, origin);
  if (!parsed) return parsed.error();
  toml::table& t = *parsed;
  store::SlaPolicy p;
  std::vector<std::string> problems;
  for (auto&& [k, node] : t) {
    auto sev = store::parse_severity(k.str());
    auto* tbl = node.as_table();
    if (!sev || !tbl) {
      problems.push_back(fmt::format("{}: [{}] is not a severity table (informational, low, medium, high, critical)",
                                     origin, k.str()));
      continue;
    }
    auto idx = static_cast<std::size_t>(*sev);
    for (auto&& [field, val] : *tbl) {
      auto s = val.value<std::string>();
      auto ms = s ? intel::parse_duration_ms(*s) : std::nullopt;
      if (!ms || *ms <= 0) {
        problems.push_back(
            fmt::format("{}: {}.{} must be a duration such as \"15m\" or \"4h\"", origin, k.str(), field.str()));
        continue;
      }
      if (field.str() == "first_response")
        p.first_response_ms[idx] = *ms;
      else if (field.str() == "resolution")
        p.resolution_ms[idx] = *ms;
      else
        problems.push_back(
            fmt::format("{}: {}.{}: unknown key (first_response, resolution)", origin, k.str(), field.str()));
    }
  }
  for (std::size_t i = 0; i < p.first_response_ms.size(); ++i) {
    if (p.first_response_ms[i] > p.resolution_ms[i])
      problems.push_back(fmt::format("{}: [{}] first_response is longer than resolution", origin,
                                     store::to_string(static_cast<store::Severity>(i))));
  }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& x : problems) msg += (msg.empty() ? "" : "\n") + x;
    return make_error(Errc::invalid_config, msg);
  }
  return p;
}

Result<store::SlaPolicy> load_sla_policy(const std::string& path) {
  auto text = read_whole_file(path);
  if (!text) return make_error(Errc::invalid_config, text.error().message);
  return parse_sla_policy(*text, path);
}

// ---- IncidentService ----

IncidentService::IncidentService(ServerContext& ctx) : ctx_(ctx) {}

IncidentService::~IncidentService() {
  stop();
}

Result<void> IncidentService::start() {
  auto rsit = RsitTaxonomy::load(ctx_.cfg.config_dir + "/taxonomies/rsit.json");
  if (!rsit) return rsit.error();
  rsit_ = std::move(*rsit);
  std::string sla_path = ctx_.cfg.sla_config;
  std::error_code ec;
  if (sla_path.empty() && fs::exists(ctx_.cfg.config_dir + "/sla.toml", ec))
    sla_path = ctx_.cfg.config_dir + "/sla.toml";
  if (!sla_path.empty()) {
    auto p = load_sla_policy(sla_path);
    if (!p) return p.error();
    sla_ = *p;
  }
  if (ctx_.cfg.sla_scan_interval_ms > 0) thread_ = std::thread([this] { run(); });
  return {};
}

void IncidentService::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IncidentService::run() {
  std::unique_lock lk(mu_);
  while (!stopping_) {
    cv_.wait_for(lk, std::chrono::milliseconds(ctx_.cfg.sla_scan_interval_ms), [&] { return stopping_; });
    if (stopping_) break;
    lk.unlock();
    auto r = scan_once(store::system_now());
    if (!r) fmt::print(stderr, "lachan serve: SLA scanner: {}\n", r.error().message);
    lk.lock();
  }
}

std::vector<std::string> IncidentService::routes_for(const std::vector<std::string>& affected_orgs,
                                                     const std::string& team) const {
  auto reg = ctx_.registry->get();
  std::set<std::string> out;
  auto add = [&](const std::string& org) {
    if (org.empty()) return;
    auto r = reg->routes(org);
    out.insert(r.begin(), r.end());
  };
  for (const auto& o : affected_orgs) add(o);
  add(team);
  out.insert(reg->national_centre());
  return {out.begin(), out.end()};
}

Result<int> IncidentService::scan_once(store::TimeMs now) {
  auto breaches = ctx_.store->list_sla_breaches(now, 100);
  if (!breaches) return breaches.error();
  auto reg = ctx_.registry->get();
  store::Caller sys{"system:sla", reg->national_centre(), store::Role::analyst};
  int handled = 0;
  for (const auto& b : *breaches) {
    // One notifier wins: another server on the same store may have taken it.
    if (auto m = ctx_.store->mark_sla_breach_notified(b.incident_id, b.kind, now); !m) {
      if (m.error().code != Errc::conflict)
        fmt::print(stderr, "lachan serve: SLA scanner: incident {}: {}\n", b.ref, m.error().message);
      continue;
    }
    auto inc = ctx_.store->get_incident(sys, b.incident_id);
    if (!inc) continue;
    SlaEscalation e{b, inc->team, inc->team, now};
    if (const auto* t = reg->find(inc->team); t && !t->parent.empty()) e.escalated_to = t->parent;
    if (!e.escalated_to.empty() &&
        std::find(inc->routed_to.begin(), inc->routed_to.end(), e.escalated_to) == inc->routed_to.end()) {
      store::IncidentUpdate u;
      u.routed_to = inc->routed_to;
      u.routed_to->push_back(e.escalated_to);
      if (auto r = ctx_.store->update_incident(sys, b.incident_id, u, sla_, now); !r)
        fmt::print(stderr, "lachan serve: SLA scanner: escalating {}: {}\n", b.ref, r.error().message);
    }
    (void)ctx_.store->add_incident_comment(
        sys, b.incident_id,
        fmt::format("SLA breach: {} was due {}; escalated to {}", store::to_string(b.kind), format_ms(b.due),
                    e.escalated_to.empty() ? std::string("nobody (no team)") : e.escalated_to),
        now);
    fmt::print("lachan serve: SLA breach: incident {} {} was due {}; escalated to {}\n", e.breach.ref,
               store::to_string(e.breach.kind), format_ms(e.breach.due), e.escalated_to);
    std::fflush(stdout);
    SlaBreachHook hook;
    {
      std::lock_guard lk(mu_);
      hook = hook_;
    }
    if (hook) hook(e);
    ++handled;
  }
  return handled;
}

std::string IncidentService::evidence_path(std::string_view sha256) const {
  return hashed_path((fs::path(ctx_.cfg.data_dir) / "evidence").string(), sha256);
}

Result<std::string> IncidentService::store_evidence(std::string_view bytes) {
  std::string sha256 = store::sha256_hex(bytes);
  if (auto w = write_hashed_file((fs::path(ctx_.cfg.data_dir) / "evidence").string(), sha256, bytes, "evidence"); !w)
    return w.error();
  return sha256;
}

Result<std::string> IncidentService::read_evidence(std::string_view sha256) const {
  if (!is_sha256(sha256)) return make_error(Errc::malformed, "not a SHA-256");
  auto bytes = read_whole_file(evidence_path(sha256));
  if (!bytes) return make_error(Errc::internal, fmt::format("the bytes of evidence {} are missing", sha256));
  // What is served is what was recorded: a changed file is an error, never evidence.
  if (store::sha256_hex(*bytes) != sha256)
    return make_error(Errc::internal, fmt::format("the bytes of evidence {} do not match their SHA-256", sha256));
  return bytes;
}

}  // namespace lachan::app
