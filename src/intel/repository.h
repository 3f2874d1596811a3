// The indicator repository: what importers produce, stored in the platform's Store as versioned
// intelligence records (store::IntelRecord, body = the JSON below), and the snapshot the matcher
// uses, built from the latest version of every indicator.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "intel/model.h"
#include "intel/snapshot.h"
#include "store/store.h"

namespace lachan::intel {

// The JSON kept as an indicator record's body (every Indicator field), and back.
std::string indicator_to_json(const Indicator& ind);
Result<Indicator> indicator_from_json(std::string_view json);

store::IntelRecord to_record(const Indicator& ind, std::string_view collection);
store::IntelRecord to_record(const IntelObject& obj, std::string_view collection);

struct ImportSummary {
  int64_t indicators = 0;       // in the input
  int64_t objects = 0;
  int64_t added = 0;            // new versions stored
  int64_t unchanged = 0;        // already stored
  std::vector<std::string> notes;
  std::vector<std::string> new_refs;  // indicators with a new version (for the retro-hunt)
};

class Repository {
 public:
  explicit Repository(store::Store& store) : store_(store) {}
  // Stores the batch in one transaction (all or nothing) into `collection`; when anything is new,
  // changes the intel generation (named state "intel"/"generation") that servers watch.
  Result<ImportSummary> put(const ImportBatch& batch, std::string_view collection, int64_t now_ms);
  // A snapshot of every current (latest, not revoked, not expired at now) indicator.
  Result<std::shared_ptr<const Snapshot>> snapshot(int64_t now_ms);
  // The latest version of these indicators (those not found are left out).
  Result<std::vector<Indicator>> indicators(const std::vector<std::string>& refs);

 private:
  store::Store& store_;
};

}  // namespace lachan::intel
