// Internals of the EVTX event-XML → JSON conversion (evtx_xml_to_json in io/evtx_reader.h).
// Exposed so tests can check the limits and the value normalisation rules directly.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lachan::io::evtx_xml {

struct Limits {
  size_t max_input_bytes = 16u << 20;  // longer XML → Errc::limit
  size_t max_depth = 64;               // deeper element nesting → Errc::limit
  size_t max_attributes = 256;         // per element; more → Errc::limit
  size_t max_elements = 1u << 20;      // per document; more → Errc::limit
};

// Parses `xml` (one event) and renders it in the evtx_dump JSON shape.
// Errors: Errc::malformed (with the byte offset) for XML that is not well formed, Errc::limit
// when a limit is exceeded, Errc::unsupported for a DOCTYPE.
Result<std::string> to_json(std::string_view xml, const Limits& limits = {});

// Value normalisation applied to every text and attribute value, to match evtx_dump's
// rendering of typed BinXML values from libevtx's XML rendering of them:
//  - trailing white space (Unicode White_Space) is removed, as evtx_dump trims strings
//  - "2025-11-27T07:40:10.165324000Z" (7-9 fraction digits) → "2025-11-27T07:40:10.165324Z"
//  - "0x0000000000000378" / "0x001fffff" (zero-padded HexInt64/HexInt32) → "0x378" / "0x1fffff"
//  - "{5770385F-…}" → "5770385F-…" when `key` names a GUID-typed field (ends in "Guid",
//    case-insensitively, or is ActivityID / RelatedActivityID)
std::string normalize_value(std::string_view key, std::string_view value);


}  // namespace lachan::io::evtx_xml
