// STIX 2.1 import: a bundle, a TAXII 2.1 envelope ({"objects": […]}) or one object, to an
// ImportBatch (intel/model.h), whole or not at all.
//
// Indicators with pattern_type "stix" (or none, as in STIX 2.0) become Indicator records: the
// pattern is parsed and its indexable comparisons become any_of (intel/stix_pattern.h). Every
// other object (SDOs, SROs, SCOs, marking definitions, custom x-… types, indicators in another
// pattern language) is kept whole as an IntelObject. TLP comes from object_marking_refs (the
// well-known TLP 1.0/2.0 ids, or TLP marking definitions in the same input), else
// ImportOptions::default_tlp, else amber. ATT&CK techniques come from `indicates` relationships
// to attack-patterns in the input, the indicator's own mitre-attack external references, and
// labels that are technique ids.
#pragma once

#include <string_view>

#include "core/result.h"
#include "intel/model.h"

namespace lachan::intel {

// Errc::malformed (not JSON, wrong shape, an object without a valid type/id, a field of the
// wrong type or out of range, a bad timestamp, an unparsable STIX pattern: each naming the
// object's index and id and the field), Errc::unsupported (a spec_version other than 2.0/2.1),
// Errc::limit (more than opts.max_objects objects; a pattern over the pattern limits).
Result<ImportBatch> import_stix(std::string_view json, const ImportOptions& opts);

}  // namespace lachan::intel
