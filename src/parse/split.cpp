// Splitting a request body into records: lines, NDJSON or a JSON array, CSV rows.
#include <cstring>
#include <string>

#include "parse/decoder.h"

namespace lachan::parse {
namespace {

bool is_json_type(SourceType t) {
  return t == SourceType::json || t == SourceType::windows || t == SourceType::winlogbeat ||
         t == SourceType::suricata || t == SourceType::zeek;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

bool blank(std::string_view s) {
  for (char c : s)
    if (!is_space(c)) return false;
  return true;
}

Error at_line(uint64_t line, Errc code, const std::string& what) {
  return make_error(code, "line " + std::to_string(line) + ": " + what);
}

Error too_long(uint64_t line, size_t size, size_t max) {
  return at_line(line, Errc::limit,
                 "record of " + std::to_string(size) + " bytes exceeds max_record_bytes (" + std::to_string(max) + ")");
}

size_t skip_bom(std::string_view body) { return body.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0; }

// One record per line; blank lines skipped; a trailing \r removed.
void split_lines(std::string_view body, const Limits& limits, const RecordFn& on_record, const ErrorFn& on_error) {
  size_t pos = skip_bom(body);
  uint64_t line = 0;
  while (pos < body.size()) {
    ++line;
    const void* nl = std::memchr(body.data() + pos, '\n', body.size() - pos);
    size_t end = nl ? static_cast<size_t>(static_cast<const char*>(nl) - body.data()) : body.size();
    std::string_view rec = body.substr(pos, end - pos);
    pos = end + 1;
    if (!rec.empty() && rec.back() == '\r') rec.remove_suffix(1);
    if (blank(rec)) continue;
    if (rec.size() > limits.max_record_bytes) {
      on_error(line, too_long(line, rec.size(), limits.max_record_bytes));
      continue;
    }
    on_record(rec, line);
  }
}

// A JSON array of values: each element is a record. The scanner tracks strings and nesting only
// to find where each element ends; simdjson validates the element when it is decoded.
void split_array(std::string_view body, size_t pos, uint64_t line, const Limits& limits, const RecordFn& on_record,
                 const ErrorFn& on_error) {
  ++pos;  // '['
  auto skip_ws = [&] {
    while (pos < body.size() && is_space(body[pos])) {
      if (body[pos] == '\n') ++line;
      ++pos;
    }
  };
  skip_ws();
  if (pos < body.size() && body[pos] == ']') {
    ++pos;
    skip_ws();
    if (pos < body.size()) on_error(line, at_line(line, Errc::malformed, "unexpected text after the JSON array"));
    return;
  }
  for (;;) {
    skip_ws();
    if (pos >= body.size()) {
      on_error(line, at_line(line, Errc::malformed, "unterminated JSON array"));
      return;
    }
    const size_t start = pos;
    const uint64_t start_line = line;
    uint32_t depth = 0, max_depth = 0;
    bool in_string = false;
    for (; pos < body.size(); ++pos) {
      char c = body[pos];
      if (in_string) {
        if (c == '\\') {
          ++pos;
        } else if (c == '"') {
          in_string = false;
        } else if (c == '\n') {
          ++line;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        if (++depth > max_depth) max_depth = depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) break;  // the array's own ']'
        if (--depth == 0) {
          ++pos;
          break;
        }
      } else if (c == ',' && depth == 0) {
        break;
      } else if (c == '\n') {
        ++line;
      }
    }
    if (pos > body.size()) pos = body.size();  // a trailing backslash
    if (in_string || depth > 0) {
      on_error(start_line, at_line(start_line, Errc::malformed, "unterminated JSON array element"));
      return;
    }
    std::string_view rec = body.substr(start, pos - start);
    while (!rec.empty() && is_space(rec.back())) rec.remove_suffix(1);
    if (rec.empty()) {
      on_error(start_line, at_line(start_line, Errc::malformed, "empty JSON array element"));
    } else if (rec.size() > limits.max_record_bytes) {
      on_error(start_line, too_long(start_line, rec.size(), limits.max_record_bytes));
    } else if (max_depth > limits.max_depth) {
      on_error(start_line, at_line(start_line, Errc::limit,
                                   "nesting depth exceeds max_depth (" + std::to_string(limits.max_depth) + ")"));
    } else {
      on_record(rec, start_line);
    }
    skip_ws();
    if (pos >= body.size()) {
      on_error(line, at_line(line, Errc::malformed, "unterminated JSON array"));
      return;
    }
    if (body[pos] == ',') {
      ++pos;
      continue;
    }
    if (body[pos] == ']') {
      ++pos;
      skip_ws();
      if (pos < body.size()) on_error(line, at_line(line, Errc::malformed, "unexpected text after the JSON array"));
      return;
    }
    on_error(line, at_line(line, Errc::malformed, "expected ',' or ']' after a JSON array element"));
    return;
  }
}

// RFC 4180 rows: a row ends at a newline outside quotes. Comment lines ('#') and blank lines
// before the header are skipped; blank rows are skipped.
void split_csv(std::string_view body, const Limits& limits, const RecordFn& on_record, const ErrorFn& on_error) {
  size_t pos = skip_bom(body);
  uint64_t line = 1;
  bool header_seen = false;
  while (pos < body.size()) {
    const size_t start = pos;
    const uint64_t start_line = line;
    bool quoted = false, field_start = true;
    for (; pos < body.size(); ++pos) {
      char c = body[pos];
      if (quoted) {
        if (c == '"') {
          if (pos + 1 < body.size() && body[pos + 1] == '"') {
            ++pos;
          } else {
            quoted = false;
          }
        } else if (c == '\n') {
          ++line;
        }
        continue;
      }
      if (c == '\n') break;
      if (c == '"' && field_start) quoted = true;
      field_start = c == ',';
    }
    if (quoted) {
      on_error(start_line, at_line(start_line, Errc::malformed, "unterminated quoted CSV field"));
      return;
    }
    std::string_view rec = body.substr(start, pos - start);
    if (pos < body.size()) {
      ++pos;  // '\n'
      ++line;
    }
    if (!rec.empty() && rec.back() == '\r') rec.remove_suffix(1);
    if (blank(rec)) continue;
    if (!header_seen) {
      size_t k = 0;
      while (k < rec.size() && (rec[k] == ' ' || rec[k] == '\t')) ++k;
      if (k < rec.size() && rec[k] == '#') continue;
    }
    if (rec.size() > limits.max_record_bytes) {
      on_error(start_line, too_long(start_line, rec.size(), limits.max_record_bytes));
      continue;
    }
    header_seen = true;
    on_record(rec, start_line);
  }
}

}  // namespace

void for_each_record(SourceType type, std::string_view body, const Limits& limits, const RecordFn& on_record,
                     const ErrorFn& on_error) {
  if (type == SourceType::cert_feed) return split_csv(body, limits, on_record, on_error);
  if (is_json_type(type)) {
    size_t pos = skip_bom(body);
    uint64_t line = 1;
    while (pos < body.size() && is_space(body[pos])) {
      if (body[pos] == '\n') ++line;
      ++pos;
    }
    if (pos < body.size() && body[pos] == '[') return split_array(body, pos, line, limits, on_record, on_error);
  }
  split_lines(body, limits, on_record, on_error);
}

}  // namespace lachan::parse
