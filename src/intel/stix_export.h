// STIX 2.1 export: indicators and kept objects as one bundle that import_stix reads back to
// the same indicators.
#pragma once

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "intel/model.h"

namespace lachan::intel {

// A STIX 2.1 bundle, deterministic for the same input (bundle and generated ids are UUIDv5).
// Each indicator becomes an indicator object: id = ref when ref is a STIX indicator id, else
// derived from ref; the pattern as stored, or built from any_of when empty (an indicator with
// neither is left out); valid_from = created when unknown; TLP as the TLP 2.0 marking ref;
// ATT&CK ids as mitre-attack external references; tags as labels; source as the name of a
// generated identity (created_by_ref). Objects are written verbatim (those whose json is not a
// JSON object are left out). The TLP 2.0 marking definitions used are included.
std::string export_stix_bundle(const std::vector<Indicator>& indicators, const std::vector<IntelObject>& objects);

// The indicator object export_stix_bundle writes for `ind` (created_by_ref: the identity named
// after its source; object_marking_refs: its TLP 2.0 marking); nullopt when it has neither a
// pattern nor observables.
std::optional<boost::json::object> stix_indicator_object(const Indicator& ind);

// UUIDv5 (RFC 4122, SHA-1) of `name` in a Lachan namespace: "xxxxxxxx-xxxx-5xxx-yxxx-xxxxxxxxxxxx".
std::string stix_uuid5(std::string_view name);

}  // namespace lachan::intel
