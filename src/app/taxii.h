// TAXII 2.1 server (OASIS TAXII 2.1, sections 4 and 5) over the intelligence records of the
// Store, and the collections it serves (config/taxii.toml).
//
//   GET  /taxii2/                                         discovery
//   GET  /taxii2/lachan/                                  the one API root
//   GET  /taxii2/lachan/collections/                      collections the caller may read or write
//   GET  /taxii2/lachan/collections/{id}/                 one (id or alias)
//   GET  /taxii2/lachan/collections/{id}/objects/         envelope; added_after, limit, next,
//   match[id|type|version|spec_version] POST /taxii2/lachan/collections/{id}/objects/         envelope in -> 202 +
//   status resource GET  /taxii2/lachan/collections/{id}/objects/{oid}/   versions of one object (match[version]
//   default last) GET  /taxii2/lachan/collections/{id}/objects/{oid}/versions/ GET
//   /taxii2/lachan/collections/{id}/manifest/ GET  /taxii2/lachan/status/{status-id}/ DELETE .../objects/{oid}/: 405
//   (intelligence is revoked by a newer version, never deleted)
//
// Access: every route needs a Lachan API key or session (401 otherwise). A collection the
// caller's organisation may neither read nor write is not listed and answers 404 as if it did
// not exist; one it may write but not read answers 403 to reads. Adding needs a writer
// organisation and the admin or analyst role (403). TLP: the national centre receives every
// level, other organisations at most amber; a collection's max_tlp lowers that, and objects
// above it are refused on POST. A status resource is visible only to the organisation that
// POSTed (404 for others).
//
// Media types: answers are application/taxii+json;version=2.1; a request whose Accept allows
// neither that nor a wildcard gets 406, a POST whose Content-Type is not application/taxii+json
// gets 415, a body over max_content_length 413. Errors are TAXII error messages
// {title, description, http_status}.
//
// Adding is all or nothing (intel::import_stix, then IntelService::import): the status is
// "complete" with every object a success, or with every object a failure naming the cause.
// `next` is the Store's cursor; limit defaults to 100 and is capped at 1000. date_added is the
// time the version was stored, RFC 3339 with milliseconds; added_after compares to it.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "app/server.h"
#include "constituency/constituency.h"
#include "core/result.h"
#include "intel/model.h"

namespace lachan::app {

// Selectors of readers/writers: "*", "national", "org:<id>", "sector:<id>", "kind:<kind>",
// "province:<id>"; "a+b" holds when both a and b hold.
struct TaxiiCollection {
  std::string id;     // UUID
  std::string alias;  // also the IntelRecord collection
  std::string title, description;
  std::vector<std::string> readers, writers;
  intel::Tlp max_tlp = intel::Tlp::red;
};

struct TaxiiCollections {
  std::vector<TaxiiCollection> items;
  // By id or alias; nullptr when none.
  const TaxiiCollection* find(std::string_view id_or_alias) const noexcept;
};

// Parses taxii.toml ([[collection]] tables). Errc::invalid_config naming the collection and
// field: a missing or non-UUID id, a missing alias, a duplicate id or alias, a bad selector or
// max_tlp.
Result<TaxiiCollections> parse_taxii_toml(std::string_view text, std::string_view origin);
Result<TaxiiCollections> load_taxii_toml(const std::string& path);
// config_dir/taxii.toml when present, else the source tree's config/taxii.toml.
std::string taxii_config_path(const ServeConfig& cfg);
// Every sector:/org:/province: selector names something the constituency knows.
Result<void> check_taxii_collections(const TaxiiCollections& cols, const constituency::Constituency& reg);

// Does `org` satisfy one selector (or a+b conjunction)?
bool selector_matches(std::string_view selector, const store::Organisation& org, std::string_view national_centre);
bool may_read(const TaxiiCollection& c, const constituency::Constituency& reg, std::string_view org_id);
bool may_write(const TaxiiCollection& c, const constituency::Constituency& reg, std::string_view org_id);
// The most restricted TLP `org_id` may receive from `c`.
intel::Tlp max_tlp_for(const TaxiiCollection& c, const constituency::Constituency& reg, std::string_view org_id);

// The /api/v1/intel/export* routes (intel_export.cpp), filtered by the same rights.
void add_intel_export_routes(api::Router& router, ServerContext& ctx, std::shared_ptr<const TaxiiCollections> cols);

}  // namespace lachan::app
