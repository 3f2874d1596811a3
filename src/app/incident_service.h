// Incident response in `lachan serve`: the reference data the incident routes validate against
// (the RSIT taxonomy, the SLA policy), the routes of an incident computed from the constituency
// exactly as a warning's, the evidence files on disk, and the SLA scanner that escalates breaches.
// The routes themselves are in incident_api.cpp.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "app/pipeline.h"
#include "core/result.h"
#include "store/store.h"

namespace lachan::app {

struct ServerContext;

// The RSIT taxonomy (MISP machinetag.json): the valid categories, "predicate:value".
class RsitTaxonomy {
 public:
  static Result<RsitTaxonomy> load(const std::string& path);
  static Result<RsitTaxonomy> parse(std::string_view json, std::string_view origin);
  bool contains(std::string_view category) const { return values_.count(std::string(category)) > 0; }
  std::size_t size() const noexcept { return values_.size(); }

 private:
  std::set<std::string> values_;
};

// The SLA policy from a TOML file: [critical] first_response = "15m", resolution = "4h", … for
// each severity; a severity left out keeps the built-in default (store::SlaPolicy).
Result<store::SlaPolicy> load_sla_policy(const std::string& path);
Result<store::SlaPolicy> parse_sla_policy(std::string_view toml, std::string_view origin);

// What the SLA scanner did about one breach, handed to the notification hook.
struct SlaEscalation {
  store::SlaBreach breach;
  std::string team;          // the responsible team
  std::string escalated_to;  // the parent organisation of the team (the team itself for the centre)
  store::TimeMs at = 0;
};
// Called once per breach, after it was marked notified, escalated and logged (serve hands it to
// the notifier).
using SlaBreachHook = std::function<void(const SlaEscalation&)>;

// An evidence file's name as given, without folders or control characters (it is only metadata);
// "evidence.bin" when nothing is left.
std::string clean_evidence_name(std::string_view name);

class IncidentService {
 public:
  explicit IncidentService(ServerContext& ctx);
  ~IncidentService();

  // Loads the taxonomy (config_dir/taxonomies/rsit.json) and the SLA policy (cfg.sla_config, else
  // config_dir/sla.toml when present, else the defaults), and starts the SLA scanner when
  // cfg.sla_scan_interval_ms > 0.
  Result<void> start();
  void stop();

  const RsitTaxonomy& rsit() const noexcept { return rsit_; }
  const store::SlaPolicy& sla() const noexcept { return sla_; }
  // Replaces the hook, at any time (the default prints a line to stdout). The notifier sets its
  // own here, e.g. in run_serve right after start().
  void set_breach_hook(SlaBreachHook hook) {
    std::lock_guard lk(mu_);
    hook_ = std::move(hook);
  }

  // The routes of an incident: the constituency's warning routes of every affected organisation
  // and of the team (so provincial units, sector teams, parents and the centre see it).
  std::vector<std::string> routes_for(const std::vector<std::string>& affected_orgs, const std::string& team) const;

  // Evidence bytes live under data_dir/evidence/<sha256[0:2]>/<sha256>, written once (temp file,
  // fsync, rename); storing bytes already there changes nothing.
  Result<std::string> store_evidence(std::string_view bytes);
  Result<std::string> read_evidence(std::string_view sha256) const;

  // One pass of the scanner (public for tests): every breach due at `now` is marked notified,
  // escalated and handed to the hook. Returns how many were handled.
  Result<int> scan_once(store::TimeMs now);

 private:
  void run();
  std::string evidence_path(std::string_view sha256) const;

  ServerContext& ctx_;
  RsitTaxonomy rsit_;
  store::SlaPolicy sla_;
  SlaBreachHook hook_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lachan::app
