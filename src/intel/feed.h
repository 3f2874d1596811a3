// Plain threat-intelligence feeds (CSV, line lists, JSON lines) described declaratively in TOML
// (config/feeds/*.toml) and turned into an ImportBatch of indicators.
//
// A definition says where the feed is (url or file), how to split it into records and fields
// (delimiter, RFC 4180 quotes, comment prefixes, header or skipped lines), which field holds the
// value and of which type (fixed, per-record from a type column, or detected), which fields hold
// tags, description, first/last seen, confidence and TLP, and how to clean values real feeds
// publish ("1.2.3.0/24 ; SBL1" -> cut before ";", DShield's start address + prefix column,
// defanged "hxxp://evil[.]example"). Parsing is all-or-nothing: a record that does not parse is
// skipped with a note, but when too many do (max_invalid_ratio) or the body is too big
// (max_bytes) the whole feed fails, so the caller keeps its last good state.
//
// TOML keys (all but name and url/file optional):
//   name, description, url | file, format = "csv" | "lines" | "json-lines", delimiter (one
//   character, "\t", or "whitespace"), quotes, trim, comment (string or array), header,
//   skip_lines, type ("ip", "domain", …, or "auto"), time_format ("unix", "unix_ms", "rfc3339"),
//   tags_separator, value_before, defang, default_scheme, tlp, confidence, tags, source,
//   schedule ("15m", "1h", "1d"), expire_after, max_bytes, max_invalid_ratio, enabled,
//   [columns] value, type, tags, description, first_seen, last_seen, confidence, tlp, prefix
//   (0-based index, or header / JSON key name), [types] feed type name = our type name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "intel/model.h"

namespace lachan::intel {

enum class FeedFormat : uint8_t { csv, lines, json_lines };
enum class TimeFormat : uint8_t { unix_s, unix_ms, rfc3339 };

// A field by 0-based index, or by name (a header column, a JSON key).
struct FeedColumn {
  int index = -1;  // -1: by name
  std::string name;
  bool operator==(const FeedColumn&) const = default;
};

struct FeedDefinition {
  std::string name;  // letters, digits, '.', '_', '-': part of every indicator's ref
  std::string description;
  std::string url;   // http:// or https://; empty when `file` is set
  std::string file;  // a local path (relative ones resolved against the definitions folder)
  FeedFormat format = FeedFormat::lines;
  char delimiter = ',';         // csv; ' ' with `whitespace` set means runs of blanks
  bool whitespace = false;
  bool quotes = true;           // RFC 4180 double quotes (csv)
  bool trim = true;             // fields lose surrounding blanks
  std::vector<std::string> comment_prefixes{"#"};  // after leading blanks
  bool header = false;          // the first record (after skip_lines) names the columns
  size_t skip_lines = 0;        // physical lines dropped first
  FeedColumn value{0, {}};
  std::optional<ValueType> type;  // nullopt: detected per value (detect_value_type), unless type_column
  std::optional<FeedColumn> type_column;
  std::vector<std::pair<std::string, ValueType>> type_map;  // lowercase feed type name -> ours
  std::optional<FeedColumn> tags_column, description_column, first_seen_column, last_seen_column,
      confidence_column, tlp_column, prefix_column;
  std::string tags_separator = ",";
  TimeFormat time_format = TimeFormat::rfc3339;
  std::string value_before;     // the value is cut at the first occurrence of this (Spamhaus " ;")
  bool defang = true;           // "hxxp://evil[.]example" -> "http://evil.example"
  std::string default_scheme;   // "http": a scheme-less URL value ("host/path") gets "http://"
  Tlp tlp = Tlp::amber;
  int confidence = -1;
  std::vector<std::string> tags;
  std::string source;           // Indicator.source; the name when empty
  int64_t schedule_ms = 3'600'000;
  int64_t expire_after_ms = 0;  // 0: indicators stay valid (no valid_until)
  size_t max_bytes = 64u << 20;
  double max_invalid_ratio = 0.1;
  bool enabled = true;
};

// Errc::invalid_config naming `origin` (a file name) and the key when the TOML is wrong.
Result<FeedDefinition> parse_feed_definition(std::string_view toml, std::string_view origin);
// Every *.toml in `dir`, sorted by file name; relative `file` paths resolved against `dir`;
// duplicate names refused.
Result<std::vector<FeedDefinition>> load_feed_definitions(const std::filesystem::path& dir);

// The feed body as indicators (see the header comment). `now_ms` is valid_from when the feed gives
// no first-seen time, and the base of valid_until (last seen or now, plus expire_after).
Result<ImportBatch> parse_feed(const FeedDefinition& def, std::string_view body, int64_t now_ms);

// Helpers, public for the other importers and tests.
// The type of a bare value: IP address or network, URL (has a scheme), e-mail (has '@'),
// MD5/SHA-1/SHA-256 (hex of 32/40/64 digits), else domain. Does not validate (normalise does).
ValueType detect_value_type(std::string_view v) noexcept;
// "15m", "1h", "2d", "1w", "30s", "1h30m" -> milliseconds; nullopt when not such a duration.
std::optional<int64_t> parse_duration_ms(std::string_view s) noexcept;
// Milliseconds since the epoch (UTC) of "2024-05-01", "2024-05-01 10:00", "2024-05-01T10:00:00.5Z",
// "…+02:00", "… UTC"; nullopt when not such a time.
std::optional<int64_t> parse_time_ms(std::string_view s, TimeFormat f) noexcept;

}  // namespace lachan::intel
