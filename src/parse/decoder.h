// Source decoders: a request body of one source type → records → normalised JSON objects that
// the detector flattens (detect/flatten.h) and the log-source mappings (config/logsources/)
// recognise.
//
//   json        any JSON object, passed through after validation
//   windows     evtx_dump JSON {"Event":{"System":…,"EventData":…}}, validated pass-through
//   winlogbeat  Winlogbeat / Elastic Agent JSON (winlog.*) rewritten into the evtx_dump shape
//   suricata    EVE JSON (must carry event_type), validated pass-through
//   zeek        Zeek JSON logs; `zeek_<log>` (e.g. zeek_conn) adds "_path":"<log>" when the
//               record has neither _path nor @stream
//   auditd      audit.log lines → {"type","msg","timestamp","serial", key=value fields…}
//   web_access  Apache/nginx common/combined lines → the Sigma webserver taxonomy (c-ip, cs-method…)
//   cef         ArcSight CEF lines (optionally after a syslog header) → {"cef":{…}} (+ syslog fields)
//   cert_feed   CSV with a header (Shadowserver style) → one object per row + victim hints
//   syslog      RFC 3164/5424 lines → facility, severity, timestamp, hostname, app_name, procid,
//               message (+ "cef":{…} when the message is CEF)
//
// Nothing here throws; every bad record yields an Error naming its line and what is wrong, and
// the records after it are still decoded. A Decoder is per-thread scratch: it reuses its buffers,
// so decoding does not allocate per record once they have grown.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lachan::parse {

enum class SourceType : uint8_t {
  json,
  windows,
  winlogbeat,
  suricata,
  zeek,
  auditd,
  web_access,
  cef,
  cert_feed,
  syslog,
};
inline constexpr size_t kSourceTypeCount = 10;

// A `?source=` value: the type, and for `zeek_<log>` the Zeek log name.
struct Source {
  SourceType type = SourceType::json;
  std::string zeek_log;  // "conn" for source=zeek_conn; empty otherwise
};

// Accepts the type names above, plus `zeek_<log>` (log: [a-z0-9_]+). Errc::unsupported otherwise.
Result<Source> parse_source(std::string_view name);
const char* source_type_name(SourceType t) noexcept;

struct Limits {
  size_t max_record_bytes = 1u << 20;  // a longer record is rejected (Errc::limit)
  uint32_t max_depth = 64;             // JSON nesting depth (Errc::limit)
  uint32_t max_fields = 4096;          // key=value pairs / CSV columns per record (Errc::limit)
};

// Who a cert_feed row is about (the sender is only a reporter). Empty for every other type:
// there the sender is the victim.
struct VictimHints {
  std::vector<std::string> ips;      // addresses or CIDR prefixes as written
  std::vector<std::string> domains;  // host names and domains
  std::vector<uint32_t> asns;
  void clear() {
    ips.clear();
    domains.clear();
    asns.clear();
  }
  bool empty() const noexcept { return ips.empty() && domains.empty() && asns.empty(); }
};

// One decoded record: its JSON object text is out[offset, offset + length).
struct Decoded {
  size_t offset = 0;
  size_t length = 0;
  int64_t time_ms = 0;  // event time from the record, 0 when it has none
};

// Splits `body` into records the way `type` is sent: NDJSON (one object per line, blank lines
// skipped, \r\n accepted) or a JSON array of objects for the JSON types; one record per line for
// auditd, web_access, cef, syslog; RFC 4180 CSV rows for cert_feed, where the first record
// delivered is the header row (lines before it that start with '#' are comments). `line` is the
// 1-based line where the record starts. Records over the limits, and JSON array syntax errors,
// go to on_error (message "line N: …") and splitting goes on where it can.
using RecordFn = std::function<void(std::string_view record, uint64_t line)>;
using ErrorFn = std::function<void(uint64_t line, const Error& error)>;
void for_each_record(SourceType type, std::string_view body, const Limits& limits, const RecordFn& on_record,
                     const ErrorFn& on_error);

class Decoder {
 public:
  explicit Decoder(Source source, Limits limits = {});

  const Source& source() const noexcept { return source_; }
  const Limits& limits() const noexcept { return limits_; }

  // cert_feed only: the CSV header row that names the columns of the rows that follow.
  Result<void> set_header(std::string_view header_row);

  // Decodes one record as for_each_record yields it and appends its JSON object to `out`
  // (nothing is appended on error). For cert_feed, hints() then holds the row's victim hints.
  Result<Decoded> decode(std::string_view record, std::string& out);
  const VictimHints& hints() const noexcept { return hints_; }

  // Splits and decodes a whole body: on_event for every good record (its JSON is
  // out.substr(d.offset, d.length), hints() is valid during the call), on_error for every bad
  // one, with the line in the message. cert_feed takes the first row as its header. Returns
  // the number of records decoded.
  using EventFn = std::function<void(const Decoded& d, uint64_t line)>;
  size_t decode_body(std::string_view body, std::string& out, const EventFn& on_event, const ErrorFn& on_error);

 private:
  Result<Decoded> decode_json(std::string_view record, std::string& out);
  Result<Decoded> decode_winlogbeat(simdjson::dom::object root, std::string& out);
  Result<Decoded> decode_auditd(std::string_view line, std::string& out);
  Result<Decoded> decode_web_access(std::string_view line, std::string& out);
  Result<Decoded> decode_cef_or_syslog(std::string_view line, std::string& out, bool cef_required);
  Result<Decoded> decode_csv_row(std::string_view row, std::string& out);
  Result<void> split_cells(std::string_view row);

  Source source_;
  Limits limits_;
  simdjson::dom::parser parser_;
  std::string padded_;                   // the record copied with simdjson padding
  std::string scratch_;                  // unescaped values
  std::vector<std::string> header_;      // cert_feed columns
  std::vector<uint8_t> header_role_;     // cert_feed: what each column hints at
  std::vector<std::pair<uint32_t, uint32_t>> cells_;  // cert_feed: the row's cells in cell_text_
  std::string cell_text_;
  std::vector<std::string_view> keys_;   // keys already written (duplicate suppression)
  VictimHints hints_;
};

}  // namespace lachan::parse
