// Import and export of organisations as JSON and CSV. Import reads untrusted files written by
// administrators: it checks shapes and types, normalises domains and hosts (lowercase, no
// trailing dot), and reports every problem with the record, the org id when known and the
// field. Whether the set is consistent (parents, references, overlaps) is validate.h's job.
//
// JSON: an array of organisation objects, or {"organisations": [...]} (other top-level keys are
// ignored). Fields: id, name, kind (store::to_string(OrgKind)), parent, province, sectors,
// criticality, contacts [{name, email, phone, role}], it_providers, networks, asns, domains,
// hosts. id, name and kind are required; criticality defaults to 1; unknown fields are errors.
//
// CSV (RFC 4180): a header row naming the columns (any order, same names as JSON; id, name and
// kind required); multi-valued columns separated by ';' (blanks around items are dropped);
// contacts as `name|email|phone|role` items separated by ';'.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "constituency/problem.h"
#include "core/result.h"
#include "store/model.h"

namespace lachan::constituency {

struct ImportLimits {
  std::size_t max_bytes = 64u << 20;   // the whole input
  std::size_t max_orgs = 100000;       // records
  std::size_t max_items = 100000;      // entries of one multi-valued field
  std::size_t max_field_bytes = 4096;  // one string value
};

// Fails with Errc::malformed listing every problem (also appended to `problems` when given), or
// Errc::limit when the input exceeds `limits` as a whole.
Result<std::vector<store::Organisation>> parse_orgs_json(std::string_view text,
                                                         std::vector<Problem>* problems = nullptr,
                                                         const ImportLimits& limits = {});
Result<std::vector<store::Organisation>> parse_orgs_csv(std::string_view text, std::vector<Problem>* problems = nullptr,
                                                        const ImportLimits& limits = {});

// {"organisations": [...]} with every field; parse_orgs_json reads it back unchanged.
std::string write_orgs_json(const std::vector<store::Organisation>& orgs);

// CSV with all columns in the order of kCsvColumns. Fails with Errc::unsupported naming the org
// and field when a value cannot be written so that it reads back the same (a list item
// containing ';', a contact part containing '|' or ';', an empty item, blanks around an item).
Result<std::string> write_orgs_csv(const std::vector<store::Organisation>& orgs);

inline constexpr std::string_view kCsvColumns[] = {"id",      "name",        "kind",     "parent",       "province",
                                                   "sectors", "criticality", "contacts", "it_providers", "networks",
                                                   "asns",    "domains",     "hosts"};

}  // namespace lachan::constituency
