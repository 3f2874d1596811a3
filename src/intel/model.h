// What every importer (STIX 2.1, MISP, plain feeds) produces and the repository stores: indicators
// with their provenance and handling, and the other intelligence objects (malware, threat actors,
// campaigns, attack patterns, relationships, …) kept as STIX 2.1 JSON and linked by id.
//
// An importer turns one input into an ImportBatch, whole or not at all: on the first error it
// returns that error (naming the object and what is wrong) and nothing of the input is kept.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intel/indicator_index.h"

namespace lachan::intel {

// Traffic Light Protocol 2.0, least to most restricted.
enum class Tlp : uint8_t { clear = 0, green = 1, amber = 2, amber_strict = 3, red = 4 };
const char* tlp_name(Tlp t) noexcept;                          // "clear", "amber+strict", …
std::optional<Tlp> parse_tlp(std::string_view s) noexcept;     // also "white" (TLP 1.0), "tlp:amber", any case

// STIX 2.1 marking-definition ids of the TLP 2.0 (and 1.0) levels; nullopt when `id` is none of them.
std::optional<Tlp> tlp_from_marking_ref(std::string_view id) noexcept;
const char* tlp_marking_ref(Tlp t) noexcept;  // the TLP 2.0 marking-definition id

// One observable value: its type and its normal form (intel::normalise).
struct Observable {
  ValueType type = ValueType::ip;
  std::string value;
  bool operator==(const Observable&) const = default;
};

struct Indicator {
  // Stable identity across imports: the STIX id ("indicator--<uuid>"), else
  // "misp-attribute--<uuid>", else "feed--<feed name>--<type>--<value>". Re-importing the same
  // ref updates the record (the newer `modified` wins).
  std::string ref;
  std::string name;
  std::string description;
  // The STIX pattern: as given by STIX, generated ("[ipv4-addr:value = '1.2.3.4']") otherwise.
  std::string pattern;
  // What the matcher looks for, in disjunctive normal form: the indicator matches an event when
  // every observable of any one conjunction is seen in that event. Empty when the pattern has no
  // indexable comparison (only MATCHES/LIKE/…, or object types we do not observe): kept, not matched.
  std::vector<std::vector<Observable>> any_of;
  std::string source;          // feed or import name ("abuse.ch urlhaus", "misp:CIRCL", file name)
  std::string source_ref;      // the provider's own id, URL or line, when there is one
  Tlp tlp = Tlp::amber;        // the default when the input marks none: restrictive, not open
  int confidence = -1;         // 0..100, -1 unknown
  int64_t created_ms = 0, modified_ms = 0;            // 0 unknown
  int64_t valid_from_ms = 0, valid_until_ms = 0;      // 0 open-ended
  std::vector<std::string> tags;                      // labels, MISP tags and galaxies, feed tags
  std::vector<std::string> attack;                    // ATT&CK technique ids ("T1566.001")
  std::vector<std::string> kill_chain;                // "<kill chain name>:<phase>"
  bool revoked = false;
};

// Any other STIX object (or one built from MISP/feeds: a malware family, a threat actor), kept
// whole so it can be exported and linked: relationships point at indicators and these by id.
struct IntelObject {
  std::string id;     // "malware--<uuid>"
  std::string type;   // "malware"
  std::string name;   // its name, when it has one
  std::string json;   // the STIX 2.1 object, serialised
  int64_t modified_ms = 0;
  Tlp tlp = Tlp::amber;
};

struct ImportBatch {
  std::vector<Indicator> indicators;
  std::vector<IntelObject> objects;  // relationships included
  // Things skipped that do not make the input wrong (an unknown object type, a MISP attribute of
  // a type we do not index), each naming the object; shown to whoever imported.
  std::vector<std::string> notes;
};

// What an importer is told about the input (not read from it).
struct ImportOptions {
  std::string source;              // used where the input names none
  std::optional<Tlp> default_tlp;  // when the input marks none; Tlp::amber otherwise
  size_t max_objects = 5'000'000;  // an input with more is refused (Errc::limit)
};

}  // namespace lachan::intel
