// MISP events and feeds, in and out.
//
// Import: an event ({"Event":{…}}, a bare event, or a REST answer {"response":[{"Event":…},…]})
// becomes one Indicator per attribute flagged to_ids (Event.Attribute[] and
// Event.Object[].Attribute[]) of a type we index, and one IntelObject "report--<event uuid>" that
// keeps the event (its info, tags, galaxies, and the attributes that are context only) and links
// the indicators by ref. All or nothing: the first wrong attribute fails the whole input.
//
// Attribute types, and what becomes of them:
//   ip-src, ip-dst (address or CIDR), ip-src|port, ip-dst|port (the address)  -> ip
//   domain, hostname                                                           -> domain
//   domain|ip                              -> two alternatives: [[domain], [ip]]
//   url -> url; email, email-src, email-dst -> email; md5, sha1, sha256 -> the hash
//   filename -> file_name
//   filename|md5, filename|sha1, filename|sha256 -> the hash only: a renamed copy must still
//       match, and a file name alone is too weak to raise on; the name goes into the description
//   ja3-fingerprint-md5 -> ja3; ja4-fingerprint, and a "text" attribute whose object_relation is
//       "ja4-fingerprint" (MISP's ja4-plus object) -> ja4
//   uri (a relative path: nothing to match on its own), and every other type -> a note
// A to_ids attribute of an indexed type whose value does not normalise is malformed.
//
// Indicator fields: ref "misp-attribute--<uuid>"; name = event info; description = attribute
// comment; pattern = STIX pattern of the observables; source = Event.Orgc.name (else
// opts.source); source_ref = the event uuid; tlp from a tlp:* tag (attribute over event, else
// opts.default_tlp, else amber); tags = event then attribute tag names (tlp:* excepted) and galaxy
// clusters as misp-galaxy:<type>="<value>", each once; attack = ATT&CK ids (T1234, T1234.001) in
// mitre-* galaxy clusters and misp-galaxy:mitre-* tags; created/modified = attribute timestamp;
// valid_from/valid_until = first_seen/last_seen.
// Confidence, attribute tag over event tag, else -1:
//   misp:confidence-level="completely-confident" 100, "usually-confident" 75,
//     "fairly-confident" 50, "rarely-confident" 25, "unconfident" 0
//   admiralty-scale:information-credibility="1".."5" -> 90, 70, 50, 30, 10 (STIX 2.1 appendix);
//     "6" (cannot be judged) -> unknown
//   osint:certainty="<0..100>" -> that number
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "intel/model.h"

namespace lachan::intel {

// One event, a bare event, or {"response":[…]} holding several.
Result<ImportBatch> import_misp_event(std::string_view json, const ImportOptions& opts);

// A MISP feed: manifest.json maps event uuids to event summaries; each event is fetched by uuid
// (only uuids of the canonical 8-4-4-4-12 hex form are asked for) and must carry that uuid.
// opts.max_objects counts attributes over the whole feed.
using MispFetch = std::function<Result<std::string>(std::string_view event_uuid)>;
Result<ImportBatch> import_misp_feed(std::string_view manifest_json, const MispFetch& fetch_event,
                                     const ImportOptions& opts);
// dir/manifest.json and dir/<uuid>.json, as MISP writes a feed to disk.
Result<ImportBatch> import_misp_feed_dir(const std::filesystem::path& dir, const ImportOptions& opts);

struct MispExportOptions {
  std::string org;         // Event.Orgc.name; when empty, the first indicator's source, else "Lachan"
  std::string event_uuid;  // when empty, derived from org and info (stix_uuid5: stable across exports)
};

// One event with an attribute (to_ids) per indicator: a single observable as its MISP type
// (ip -> ip-dst, email -> email, ja3 -> ja3-fingerprint-md5, ja4 -> ja4-fingerprint, file_name ->
// filename), [[domain],[ip]] as domain|ip, several alternatives as one attribute each, anything
// else (a conjunction, no observables) as one stix2-pattern attribute holding the pattern.
// Attribute uuid: the indicator's own for a misp-attribute--<uuid> ref, else UUIDv5 of the ref.
// Each attribute is tagged tlp:<level> and with the indicator's tags; an ATT&CK id not already in a
// mitre galaxy tag is added as misp-galaxy:mitre-attack-pattern="<id>". Timestamps: modified
// (else created), valid_from/valid_until as first_seen/last_seen.
std::string export_misp_event(const std::vector<Indicator>& indicators, std::string_view info,
                              const MispExportOptions& opts = {});

struct MispFeedExport {
  std::string manifest;                                     // manifest.json
  std::vector<std::pair<std::string, std::string>> events;  // uuid -> <uuid>.json, by uuid
  std::string hashes_csv;  // hashes.csv: "<md5 of the attribute value>,<event uuid>" per attribute
};
// One event per indicator source (Orgc.name = the source), uuid = UUIDv5 of the source.
MispFeedExport export_misp_feed(const std::vector<Indicator>& indicators);

}  // namespace lachan::intel
