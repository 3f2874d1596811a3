// Detection -> warning: attribution to the victim organisation, entities, dedup key, severity,
// TLP and routes. The warning store merges upserts with equal dedup keys within the window
// (store/store.h apply_warnings), so building is a pure function of the detection and the
// constituency snapshot.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "constituency/constituency.h"
#include "store/model.h"
#include "store/store.h"

namespace lachan::warn {

struct WarnOptions {
  store::TimeMs dedup_window_ms = 60 * 60 * 1000;
  std::string tlp = "amber";              // TLP of warnings whose rule does not set one (tag tlp.*)
  std::size_t max_evidence_bytes = 16384; // an evidence event longer than this is cut (marked)
  std::size_t max_entities = 24;
};

// What a detector found in one event.
struct Detection {
  std::string_view detector = "sigma";  // sigma, feed, intel, correlation, anomaly
  std::string_view rule_id;
  std::string_view rule_title;
  store::Severity severity = store::Severity::medium;
  std::span<const std::string> tags;
  std::string_view event_json;  // the normalised event (evidence, entities)
  store::TimeMs event_time = 0; // 0: the time it was received
  store::TimeMs received_at = 0;
  std::string_view sender_org;  // who sent the event
  // Who the event is about when the sender only reports it (CERT feeds); empty otherwise.
  std::span<const std::string> victim_ips;
  std::span<const std::string> victim_domains;
  std::span<const std::uint32_t> victim_asns;
};

// Entities named by well-known fields of Windows, Sysmon, Linux, Zeek, Suricata, web, CEF and
// feed events: host, user, ip, domain, hash, url. Deduplicated, at most `max` of them.
std::vector<store::Entity> extract_entities(simdjson::dom::element event, std::size_t max);

class WarningBuilder {
 public:
  WarningBuilder(std::shared_ptr<const constituency::Constituency> registry, WarnOptions options);

  // The upsert for one detection. The victim is the sender, or for a report about someone else
  // the owner of the first victim address, domain or AS that has one; a report about nobody we
  // know goes to the national centre.
  store::WarningUpsert build(const Detection& d);

  void set_registry(std::shared_ptr<const constituency::Constituency> registry) { registry_ = std::move(registry); }
  const constituency::Constituency& registry() const noexcept { return *registry_; }

 private:
  const store::Organisation* victim_of(const Detection& d) const;

  std::shared_ptr<const constituency::Constituency> registry_;
  WarnOptions options_;
  simdjson::dom::parser parser_;
  std::string padded_;
};

// An event as kept for evidence: itself, or when longer than max_bytes a marker with its size.
std::string evidence_text(std::string_view event_json, std::size_t max_bytes);

// "rule|org|type:value" with the value lowercased: equal keys are one warning.
std::string dedup_key(std::string_view rule_id, std::string_view org_id, const std::vector<store::Entity>& entities);

}  // namespace lachan::warn
