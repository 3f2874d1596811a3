// One entry point for every intelligence input (`lachan intel import`, POST /api/v1/intel/import,
// scheduled feeds): the format given or recognised, the right importer, the same ImportBatch.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"
#include "intel/feed.h"
#include "intel/feed_fetch.h"
#include "intel/model.h"
#include "store/store.h"

namespace lachan::intel {

enum class ImportFormat { automatic, stix, misp, misp_feed, feed };
std::optional<ImportFormat> parse_import_format(std::string_view s) noexcept;  // auto, stix, misp, misp-feed, feed
const char* import_format_name(ImportFormat f) noexcept;

// The format of a document: STIX (a bundle, TAXII envelope or STIX object) or a MISP event
// (wrapped, bare or a response list); malformed, naming what was seen, otherwise.
Result<ImportFormat> detect_format(std::string_view body);

// Imports one document. `feed` is required for ImportFormat::feed (the definition saying how to
// read the body); a MISP feed needs its folder or URL (import_location).
Result<ImportBatch> import_document(std::string_view body, ImportFormat format, const ImportOptions& opts,
                                    const FeedDefinition* feed = nullptr, int64_t now_ms = 0);

// A file, a folder (a MISP feed: manifest.json + events) or an http(s) URL (a document, or a MISP
// feed's manifest.json whose events are fetched next to it).
Result<ImportBatch> import_location(const std::string& location, ImportFormat format, const ImportOptions& opts,
                                    const FeedDefinition* feed = nullptr, int64_t now_ms = 0,
                                    size_t max_bytes = 256u << 20);

// ---- Scheduled feeds ----

// A feed's state as kept in the Store (named state, scope "feed", key = feed name), and back.
std::string feed_state_to_json(const FeedState& s);
std::optional<FeedState> feed_state_from_json(std::string_view json);
Result<std::map<std::string, FeedState>> load_feed_states(store::Store& store);

// Pulls a feed, parses it and hands the batch to `sink`; records the outcome in the scheduler and
// the store. An unchanged body (same SHA-256 as the last good one) is not imported again. A feed
// that fails keeps its last good state (its indicators stay) and shows the error.
struct FeedPullOutcome {
  bool ok = false;
  bool unchanged = false;
  size_t indicators = 0;
  std::string error;
};
FeedPullOutcome pull_feed(const FeedDefinition& def, FeedScheduler& sched, store::Store& store, int64_t now_ms,
                          const std::function<Result<void>(const ImportBatch&)>& sink,
                          const FetchOptions& fetch = {});

}  // namespace lachan::intel
