#include "intel/feed.h"

#include "intel/stix_pattern.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/strings.h"
#include "core/time.h"
#include "core/toml.h"
#include "match/cidr.h"

namespace lachan::intel {
namespace {

constexpr size_t kMaxNotes = 20;

bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (is_blank(s.front()) || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (is_blank(s.back()) || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

bool all_hex(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  });
}

template <typename T>
bool parse_int(std::string_view s, T& out) noexcept {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}


// Replaces every occurrence of `from` (ASCII case-insensitive) by `to`.
void replace_all_ci(std::string& s, std::string_view from, std::string_view to) {
  for (size_t i = 0; i + from.size() <= s.size();) {
    if (iequals(std::string_view(s).substr(i, from.size()), from)) {
      s.replace(i, from.size(), to);
      i += to.size();
    } else {
      ++i;
    }
  }
}

std::string refang(std::string_view v) {
  std::string s(v);
  if (s.find_first_of("[({") != std::string::npos) {
    for (auto [from, to] : {std::pair{"[.]", "."}, {"(.)", "."}, {"{.}", "."}, {"[dot]", "."}, {"[:]", ":"},
                            {"[://]", "://"}, {"[@]", "@"}, {"[at]", "@"}})
      replace_all_ci(s, from, to);
  }
  for (auto [from, to] : {std::pair{"hxxps://", "https://"}, {"hxxp://", "http://"}, {"hxxps[:]//", "https://"},
                          {"fxp://", "ftp://"}})
    if (s.size() >= std::string_view(from).size() && iequals(std::string_view(s).substr(0, std::string_view(from).size()), from)) {
      s.replace(0, std::string_view(from).size(), to);
      break;
    }
  return s;
}

// ---- Records ------------------------------------------------------------------------------------

// Splits a body into records (one per line, or more lines where a quoted field holds a newline)
// and records into fields.
class RecordReader {
 public:
  RecordReader(const FeedDefinition& d, std::string_view body) : d_(d), body_(body) {
    if (body_.substr(0, 3) == "\xEF\xBB\xBF") body_.remove_prefix(3);
  }
  bool done() const noexcept { return pos_ >= body_.size(); }
  size_t line() const noexcept { return line_; }

  // The next physical line, without its end of line.
  std::string_view next_line() {
    size_t nl = body_.find('\n', pos_);
    std::string_view l = body_.substr(pos_, nl == std::string_view::npos ? std::string_view::npos : nl - pos_);
    pos_ = nl == std::string_view::npos ? body_.size() : nl + 1;
    ++line_;
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    return l;
  }

  // Fields of the record starting here; false when a quote is not closed (the rest of the body
  // is then consumed).
  bool next_fields(std::vector<std::string>& fields) {
    fields.clear();
    if (d_.format != FeedFormat::csv) {
      fields.emplace_back(next_line());
      return true;
    }
    std::string cur;
    bool quoted_field = false;
    const char delim = d_.delimiter;
    auto finish = [&] {
      std::string_view v = cur;
      if (d_.trim && !quoted_field) v = trim(v);
      fields.emplace_back(v);
      cur.clear();
      quoted_field = false;
    };
    ++line_;
    while (pos_ < body_.size()) {
      char c = body_[pos_];
      if (c == '\n' || (c == '\r' && pos_ + 1 < body_.size() && body_[pos_ + 1] == '\n') ||
          (c == '\r' && pos_ + 1 == body_.size())) {
        pos_ += c == '\r' ? 2 : 1;
        pos_ = std::min(pos_, body_.size());
        finish();
        return true;
      }
      if (d_.whitespace ? is_blank(c) : c == delim) {
        ++pos_;
        if (d_.whitespace) {
          while (pos_ < body_.size() && is_blank(body_[pos_]) && body_[pos_] != '\r') ++pos_;
          if (cur.empty() && fields.empty() && !quoted_field) continue;  // leading blanks
          if (pos_ >= body_.size() || body_[pos_] == '\n' || body_[pos_] == '\r') continue;  // trailing blanks
        }
        finish();
        continue;
      }
      if (c == '"' && d_.quotes && trim(cur).empty() && !quoted_field) {
        cur.clear();
        quoted_field = true;
        ++pos_;
        for (;;) {
          size_t q = body_.find('"', pos_);
          if (q == std::string_view::npos) {
            line_ += static_cast<size_t>(std::count(body_.begin() + static_cast<ptrdiff_t>(pos_), body_.end(), '\n'));
            pos_ = body_.size();
            return false;
          }
          std::string_view chunk = body_.substr(pos_, q - pos_);
          line_ += static_cast<size_t>(std::count(chunk.begin(), chunk.end(), '\n'));
          cur.append(chunk);
          pos_ = q + 1;
          if (pos_ < body_.size() && body_[pos_] == '"') {
            cur.push_back('"');
            ++pos_;
            continue;
          }
          break;
        }
        continue;
      }
      cur.push_back(c);
      ++pos_;
    }
    finish();
    return true;
  }

  // Whether the record starting here is blank or a comment; if so, consumes its line.
  bool skip_blank_or_comment() {
    size_t nl = body_.find('\n', pos_);
    std::string_view l = trim(body_.substr(pos_, nl == std::string_view::npos ? std::string_view::npos : nl - pos_));
    bool skip = l.empty();
    for (const auto& p : d_.comment_prefixes)
      if (!skip && !p.empty() && starts_with(l, p)) skip = true;
    if (skip) next_line();
    return skip;
  }

 private:
  const FeedDefinition& d_;
  std::string_view body_;
  size_t pos_ = 0;
  size_t line_ = 0;  // physical lines consumed
};

// A FeedColumn resolved to a field index.
struct Cols {
  int value = -1, type = -1, tags = -1, description = -1, first_seen = -1, last_seen = -1, confidence = -1,
      tlp = -1, prefix = -1;
};

Result<int> resolve(const FeedDefinition& d, const std::optional<FeedColumn>& c, const std::vector<std::string>& names,
                    bool by_key, const char* key) {
  if (!c) return -1;
  if (c->index >= 0 && !by_key) return c->index;
  if (by_key && c->index >= 0)
    return make_error(Errc::malformed, fmt::format("feed {}: column '{}' must be a key name for json-lines", d.name, key));
  for (size_t i = 0; i < names.size(); ++i)
    if (iequals(trim(names[i]), c->name)) return static_cast<int>(i);
  return make_error(Errc::malformed, fmt::format("feed {}: the header has no column '{}' (columns.{})", d.name, c->name, key));
}

struct Pending {
  ImportBatch batch;
  std::unordered_map<std::string, size_t> seen;  // type tag + value -> indicator
  std::vector<int64_t> last_seen;                // per indicator, for valid_until
};

std::optional<std::string_view> field(const std::vector<std::string>& f, int i) {
  if (i < 0 || static_cast<size_t>(i) >= f.size()) return std::nullopt;
  return std::string_view(f[static_cast<size_t>(i)]);
}

}  // namespace

// ---- Helpers ------------------------------------------------------------------------------------

ValueType detect_value_type(std::string_view v) noexcept {
  v = trim(v);
  if (match::Cidr::parse(v)) return ValueType::ip;
  if (v.find("://") != std::string_view::npos) return ValueType::url;
  if (v.find('@') != std::string_view::npos && v.find('/') == std::string_view::npos) return ValueType::email;
  if (all_hex(v)) {
    if (v.size() == 32) return ValueType::md5;
    if (v.size() == 40) return ValueType::sha1;
    if (v.size() == 64) return ValueType::sha256;
  }
  if (v.find('/') != std::string_view::npos) return ValueType::url;  // "host/path": a URL without its scheme
  return ValueType::domain;
}


std::optional<int64_t> parse_duration_ms(std::string_view s) noexcept {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  while (!s.empty()) {
    size_t n = 0;
    while (n < s.size() && s[n] >= '0' && s[n] <= '9') ++n;
    int64_t v = 0;
    if (n == 0 || n > 9 || !parse_int(s.substr(0, n), v) || n == s.size()) return std::nullopt;
    int64_t unit = 0;
    size_t ulen = 1;
    switch (s[n]) {
      case 's': unit = 1000; break;
      case 'm': unit = 60'000; break;
      case 'h': unit = 3'600'000; break;
      case 'd': unit = 86'400'000; break;
      case 'w': unit = 7 * 86'400'000LL; break;
      default: return std::nullopt;
    }
    if (s.substr(n, 2) == "ms") unit = 1, ulen = 2;
    total += v * unit;
    if (total > 100 * 366 * 86'400'000LL) return std::nullopt;  // a century: bounds the sum, and the schedule
    s.remove_prefix(n + ulen);
  }
  return total;
}

std::optional<int64_t> parse_time_ms(std::string_view s, TimeFormat f) noexcept {
  s = trim(s);
  if (f != TimeFormat::rfc3339) {
    int64_t v = 0;
    if (auto dot = s.find('.'); dot != std::string_view::npos && f == TimeFormat::unix_s) s = s.substr(0, dot);
    if (!parse_int(s, v) || v < 0 || v > 253402300799000LL) return std::nullopt;
    return f == TimeFormat::unix_s ? (v > 253402300799LL ? std::nullopt : std::optional<int64_t>(v * 1000)) : v;
  }
  auto num = [&](size_t at, size_t len, int& out) {
    return at + len <= s.size() && std::all_of(s.begin() + static_cast<ptrdiff_t>(at), s.begin() + static_cast<ptrdiff_t>(at + len),
                                               [](char c) { return c >= '0' && c <= '9'; }) &&
           parse_int(s.substr(at, len), out);
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!num(0, 4, y) || s.size() < 10 || s[4] != '-' || !num(5, 2, mo) || s[7] != '-' || !num(8, 2, d)) return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return std::nullopt;
  size_t p = 10;
  int64_t ms = 0;
  if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
    if (!num(p + 1, 2, h) || p + 3 >= s.size() || s[p + 3] != ':' || !num(p + 4, 2, mi)) return std::nullopt;
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!num(p + 1, 2, sec)) return std::nullopt;
      p += 3;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        size_t q = p + 1;
        int64_t scale = 100;
        while (q < s.size() && s[q] >= '0' && s[q] <= '9') {
          ms += (s[q] - '0') * scale;
          scale /= 10;
          ++q;
        }
        if (q == p + 1) return std::nullopt;
        p = q;
      }
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
  }
  std::string_view zone = trim(s.substr(p));
  int64_t offset_min = 0;
  if (!zone.empty() && zone != "Z" && zone != "z" && zone != "UTC" && zone != "GMT") {
    if (zone[0] != '+' && zone[0] != '-') return std::nullopt;
    int oh = 0, om = 0;
    std::string_view z = zone.substr(1);
    if (z.size() == 5 && z[2] == ':') {
      if (!parse_int(z.substr(0, 2), oh) || !parse_int(z.substr(3, 2), om)) return std::nullopt;
    } else if (z.size() == 4) {
      if (!parse_int(z.substr(0, 2), oh) || !parse_int(z.substr(2, 2), om)) return std::nullopt;
    } else if (z.size() == 2) {
      if (!parse_int(z, oh)) return std::nullopt;
    } else {
      return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_min = (oh * 60 + om) * (zone[0] == '-' ? -1 : 1);
  }
  int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return ((days * 86400 + h * 3600 + mi * 60 + sec) - offset_min * 60) * 1000 + ms;
}

// ---- Definitions --------------------------------------------------------------------------------

Result<FeedDefinition> parse_feed_definition(std::string_view text, std::string_view origin) {
  auto parsed = parse_toml(text, origin);
  if (!parsed) return parsed.error();
  toml::table& t = *parsed;
  FeedDefinition d;
  std::string problem;
  auto bad = [&](std::string_view key, std::string_view what) {
    if (problem.empty()) problem = fmt::format("{}: '{}' {}", origin, key, what);
  };
  auto str = [&](const toml::node_view<toml::node>& n, std::string_view key, std::string& out) {
    if (!n) return false;
    if (auto v = n.value<std::string>()) {
      out = *v;
      return true;
    }
    bad(key, "must be a string");
    return false;
  };
  auto boolean = [&](std::string_view key, bool& out) {
    if (auto n = t[key]) {
      if (auto v = n.value<bool>()) out = *v;
      else bad(key, "must be true or false");
    }
  };
  auto duration = [&](std::string_view key, int64_t& out) {
    if (auto n = t[key]) {
      std::string s;
      if (auto i = n.value<int64_t>(); i && n.is_integer() && *i > 0) out = *i * 1000;
      else if (str(n, key, s)) {
        if (auto ms = parse_duration_ms(s); ms && *ms > 0) out = *ms;
        else bad(key, "must be a duration like \"15m\", \"1h\", \"7d\"");
      } else bad(key, "must be a duration like \"15m\", \"1h\", \"7d\"");
    }
  };
  auto strings = [&](std::string_view key, std::vector<std::string>& out) {
    auto n = t[key];
    if (!n) return;
    out.clear();
    if (auto s = n.value<std::string>()) {
      out.push_back(*s);
    } else if (auto* arr = n.as_array()) {
      for (auto& e : *arr) {
        if (auto s = e.value<std::string>()) out.push_back(*s);
        else bad(key, "must be a string or an array of strings");
      }
    } else {
      bad(key, "must be a string or an array of strings");
    }
  };

  static constexpr std::string_view kKnown[] = {
      "name", "description", "url", "file", "format", "delimiter", "quotes", "trim", "comment", "header",
      "skip_lines", "type", "time_format", "tags_separator", "value_before", "defang", "default_scheme", "tlp",
      "confidence", "tags", "source", "schedule", "expire_after", "max_bytes", "max_invalid_ratio", "enabled",
      "columns", "types"};
  for (auto&& [k, v] : t) {
    (void)v;
    if (std::find(std::begin(kKnown), std::end(kKnown), k.str()) == std::end(kKnown)) bad(k.str(), "is not a known key");
  }

  if (!str(t["name"], "name", d.name) && problem.empty()) bad("name", "is required");
  if (problem.empty() && (d.name.empty() || d.name.size() > 100 ||
                          !std::all_of(d.name.begin(), d.name.end(), [](char c) {
                            return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
                          })))
    bad("name", "must be 1-100 letters, digits, '.', '_' or '-'");
  str(t["description"], "description", d.description);
  bool has_url = str(t["url"], "url", d.url), has_file = str(t["file"], "file", d.file);
  if (has_url && has_file) bad("url", "and 'file' cannot both be set");
  else if (!has_url && !has_file) bad("url", "or 'file' is required");
  else if (has_url && !starts_with(to_lower(d.url), "http://") && !starts_with(to_lower(d.url), "https://"))
    bad("url", "must start with http:// or https://");
  else if (has_file && d.file.empty()) bad("file", "must not be empty");

  std::string s;
  if (str(t["format"], "format", s)) {
    if (s == "csv") d.format = FeedFormat::csv;
    else if (s == "lines") d.format = FeedFormat::lines;
    else if (s == "json-lines") d.format = FeedFormat::json_lines;
    else bad("format", "must be \"csv\", \"lines\" or \"json-lines\"");
  }
  if (str(t["delimiter"], "delimiter", s)) {
    if (s == "whitespace") d.whitespace = true, d.delimiter = ' ';
    else if (s == "\\t" || s == "tab") d.delimiter = '\t';
    else if (s.size() == 1 && s[0] != '"' && s[0] != '\n' && s[0] != '\r') d.delimiter = s[0];
    else bad("delimiter", "must be one character (not a quote or newline), \"\\t\" or \"whitespace\"");
  }
  boolean("quotes", d.quotes);
  boolean("trim", d.trim);
  boolean("header", d.header);
  boolean("defang", d.defang);
  boolean("enabled", d.enabled);
  strings("comment", d.comment_prefixes);
  if (auto n = t["skip_lines"]) {
    if (auto v = n.value<int64_t>(); v && n.is_integer() && *v >= 0 && *v <= 1'000'000) d.skip_lines = static_cast<size_t>(*v);
    else bad("skip_lines", "must be an integer in 0..1000000");
  }
  if (str(t["type"], "type", s)) {
    if (s == "auto") d.type.reset();
    else if (auto vt = parse_value_type(s)) d.type = *vt;
    else bad("type", "must be \"auto\" or one of ip, domain, url, email, md5, sha1, sha256, ja3, ja4, file_name");
  }
  if (str(t["time_format"], "time_format", s)) {
    if (s == "unix") d.time_format = TimeFormat::unix_s;
    else if (s == "unix_ms") d.time_format = TimeFormat::unix_ms;
    else if (s == "rfc3339") d.time_format = TimeFormat::rfc3339;
    else bad("time_format", "must be \"unix\", \"unix_ms\" or \"rfc3339\"");
  }
  if (str(t["tags_separator"], "tags_separator", d.tags_separator) && d.tags_separator.empty())
    bad("tags_separator", "must not be empty");
  str(t["value_before"], "value_before", d.value_before);
  if (str(t["default_scheme"], "default_scheme", d.default_scheme) &&
      (d.default_scheme.empty() || !std::all_of(d.default_scheme.begin(), d.default_scheme.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0;
      })))
    bad("default_scheme", "must be a scheme name like \"http\"");
  if (str(t["tlp"], "tlp", s)) {
    if (auto tl = parse_tlp(s)) d.tlp = *tl;
    else bad("tlp", "must be a TLP level (clear, green, amber, amber+strict, red)");
  }
  if (auto n = t["confidence"]) {
    if (auto v = n.value<int64_t>(); v && n.is_integer() && *v >= 0 && *v <= 100) d.confidence = static_cast<int>(*v);
    else bad("confidence", "must be an integer in 0..100");
  }
  strings("tags", d.tags);
  str(t["source"], "source", d.source);
  duration("schedule", d.schedule_ms);
  duration("expire_after", d.expire_after_ms);
  if (auto n = t["max_bytes"]) {
    if (auto v = n.value<int64_t>(); v && n.is_integer() && *v > 0) d.max_bytes = static_cast<size_t>(*v);
    else bad("max_bytes", "must be a positive integer");
  }
  if (auto n = t["max_invalid_ratio"]) {
    auto v = n.value<double>();
    if (v && *v >= 0 && *v <= 1) d.max_invalid_ratio = *v;
    else bad("max_invalid_ratio", "must be a number in 0..1");
  }

  bool by_key = d.format == FeedFormat::json_lines;
  if (auto n = t["columns"]) {
    auto* cols = n.as_table();
    if (!cols) {
      bad("columns", "must be a table");
    } else {
      std::pair<const char*, std::optional<FeedColumn>*> slots[] = {
          {"type", &d.type_column},          {"tags", &d.tags_column},
          {"description", &d.description_column}, {"first_seen", &d.first_seen_column},
          {"last_seen", &d.last_seen_column}, {"confidence", &d.confidence_column},
          {"tlp", &d.tlp_column},            {"prefix", &d.prefix_column}};
      for (auto&& [k, v] : *cols) {
        std::string key = "columns." + std::string(k.str());
        FeedColumn c;
        if (auto i = v.value<int64_t>(); i && v.is_integer() && *i >= 0 && *i < 100'000) c.index = static_cast<int>(*i);
        else if (auto name = v.value<std::string>(); name && !name->empty()) c.name = *name;
        else {
          bad(key, "must be a 0-based column index or a column name");
          continue;
        }
        if (c.index < 0 && !d.header && !by_key) bad(key, "names a column but the feed has no header (header = true)");
        if (c.index >= 0 && by_key) bad(key, "must be a key name for json-lines");
        if (k.str() == "value") {
          d.value = c;
          continue;
        }
        auto it = std::find_if(std::begin(slots), std::end(slots), [&](auto& p) { return k.str() == p.first; });
        if (it == std::end(slots)) bad(key, "is not a known column (value, type, tags, description, first_seen, last_seen, confidence, tlp, prefix)");
        else *it->second = c;
      }
    }
  }
  if (by_key && d.value.index >= 0) bad("columns.value", "must name the JSON key of the value");
  if (d.format == FeedFormat::lines && (d.value.index != 0 || d.type_column || d.tags_column || d.description_column ||
                                        d.first_seen_column || d.last_seen_column || d.confidence_column ||
                                        d.tlp_column || d.prefix_column))
    bad("columns", "cannot be set for format \"lines\" (the whole line is the value): use format \"csv\"");
  if (auto n = t["types"]) {
    if (auto* types = n.as_table()) {
      for (auto&& [k, v] : *types) {
        auto name = v.value<std::string>();
        auto vt = name ? parse_value_type(*name) : std::nullopt;
        if (!vt) bad("types." + std::string(k.str()), "must be one of ip, domain, url, email, md5, sha1, sha256, ja3, ja4, file_name");
        else d.type_map.emplace_back(to_lower(k.str()), *vt);
      }
    } else {
      bad("types", "must be a table");
    }
  }
  if (d.type_column && d.type_map.empty()) bad("types", "is required with columns.type (the feed's type names mapped to ours)");
  if (!d.type_column && !d.type_map.empty()) bad("types", "needs columns.type");
  if (d.type_column && d.type) bad("type", "cannot be fixed when columns.type is set");
  if (!problem.empty()) return make_error(Errc::invalid_config, problem);
  return d;
}

Result<std::vector<FeedDefinition>> load_feed_definitions(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  for (auto it = std::filesystem::directory_iterator(dir, ec); !ec && it != std::filesystem::directory_iterator();
       it.increment(ec))
    if (it->path().extension() == ".toml" && it->is_regular_file()) files.push_back(it->path());
  if (ec) return make_error(Errc::io, fmt::format("{}: cannot list feed definitions: {}", dir.string(), ec.message()));
  std::sort(files.begin(), files.end());
  std::vector<FeedDefinition> out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) return make_error(Errc::io, fmt::format("{}: cannot be read", f.string()));
    auto d = parse_feed_definition(ss.str(), f.string());
    if (!d) return std::move(d).error();
    if (!d->file.empty() && std::filesystem::path(d->file).is_relative()) d->file = (dir / d->file).string();
    for (const auto& o : out)
      if (o.name == d->name)
        return make_error(Errc::invalid_config, fmt::format("{}: 'name' {} is already used by another definition", f.string(), d->name));
    out.push_back(std::move(d.value()));
  }
  return out;
}

// ---- Parsing ------------------------------------------------------------------------------------

Result<ImportBatch> parse_feed(const FeedDefinition& d, std::string_view body, int64_t now_ms) {
  if (body.size() > d.max_bytes)
    return make_error(Errc::limit, fmt::format("feed {}: {} bytes, more than max_bytes {}", d.name, body.size(), d.max_bytes));
  RecordReader rd(d, body);
  for (size_t i = 0; i < d.skip_lines && !rd.done(); ++i) rd.next_line();

  const bool by_key = d.format == FeedFormat::json_lines;
  std::vector<std::string> fields, names;
  // json-lines: the keys the definition uses, in order; a record's fields are their values.
  if (by_key) {
    for (const auto* c : {&d.type_column, &d.tags_column, &d.description_column, &d.first_seen_column,
                          &d.last_seen_column, &d.confidence_column, &d.tlp_column, &d.prefix_column})
      if (*c) names.push_back((*c)->name);
    names.push_back(d.value.name);
  } else if (d.header) {
    while (!rd.done() && rd.skip_blank_or_comment()) {
    }
    if (rd.done()) return ImportBatch{};  // no header, no data: an empty feed
    if (!rd.next_fields(names))
      return make_error(Errc::malformed, fmt::format("feed {}: line {}: the header has an unclosed quote", d.name, rd.line()));
  }
  Cols col;
  {
    auto r = [&](const std::optional<FeedColumn>& c, const char* key, int& out) -> Result<void> {
      auto i = resolve(d, c, names, by_key, key);
      if (!i) return std::move(i).error();
      out = *i;
      return {};
    };
    for (auto res : {r(std::optional<FeedColumn>(d.value), "value", col.value), r(d.type_column, "type", col.type),
                     r(d.tags_column, "tags", col.tags), r(d.description_column, "description", col.description),
                     r(d.first_seen_column, "first_seen", col.first_seen), r(d.last_seen_column, "last_seen", col.last_seen),
                     r(d.confidence_column, "confidence", col.confidence), r(d.tlp_column, "tlp", col.tlp),
                     r(d.prefix_column, "prefix", col.prefix)})
      if (!res) return res.error();
  }

  Pending out;
  size_t data = 0, invalid = 0, skipped_notes = 0;
  auto note = [&](size_t line, std::string_view what) {
    if (out.batch.notes.size() < kMaxNotes) out.batch.notes.push_back(fmt::format("line {}: {}", line, what));
    else ++skipped_notes;
  };
  const std::string& source = d.source.empty() ? d.name : d.source;
  const std::string& source_ref = d.url.empty() ? d.file : d.url;

  while (!rd.done()) {
    if (rd.skip_blank_or_comment()) continue;
    const size_t line = rd.line() + 1;
    ++data;
    auto invalid_line = [&](std::string_view what) {
      ++invalid;
      note(line, what);
    };
    if (!rd.next_fields(fields)) {
      invalid_line("unclosed quote");
      continue;
    }
    if (by_key) {
      boost::system::error_code jec;
      auto jv = boost::json::parse(fields[0], jec);
      if (jec || !jv.is_object()) {
        invalid_line("not a JSON object");
        continue;
      }
      const auto& obj = jv.get_object();
      fields.assign(names.size(), std::string());
      for (size_t i = 0; i < names.size(); ++i) {
        auto it = obj.find(names[i]);
        if (it == obj.end() || it->value().is_null()) continue;
        if (it->value().is_string()) fields[i] = std::string(it->value().get_string());
        else if (it->value().is_array()) {
          for (const auto& e : it->value().get_array()) {
            if (!fields[i].empty()) fields[i] += d.tags_separator;
            fields[i] += e.is_string() ? std::string(e.get_string()) : boost::json::serialize(e);
          }
        } else fields[i] = boost::json::serialize(it->value());
      }
    }
    auto raw = field(fields, col.value);
    if (!raw) {
      invalid_line(fmt::format("has {} fields, no value column {}", fields.size(), col.value));
      continue;
    }
    std::string value(trim(*raw));
    if (!d.value_before.empty())
      if (auto cut = value.find(d.value_before); cut != std::string::npos) value = std::string(trim(std::string_view(value).substr(0, cut)));
    if (value.empty()) {
      note(line, "no value");  // an optional field left empty: not wrong
      continue;
    }
    if (d.defang) value = refang(value);
    if (col.prefix >= 0) {
      auto p = field(fields, col.prefix);
      int bits = 0;
      if (!p || !parse_int(trim(*p), bits) || bits < 0 || bits > 128) {
        invalid_line(fmt::format("prefix length '{}' is not a number in 0..128", p ? *p : ""));
        continue;
      }
      value += "/" + std::to_string(bits);
    }
    ValueType type = ValueType::domain;
    if (col.type >= 0) {
      auto tn = field(fields, col.type);
      std::string key = to_lower(trim(tn.value_or("")));
      auto it = std::find_if(d.type_map.begin(), d.type_map.end(), [&](const auto& p) { return p.first == key; });
      if (it == d.type_map.end()) {
        note(line, fmt::format("type '{}' is not mapped: skipped", key));  // valid, only not ours
        continue;
      }
      type = it->second;
    } else {
      type = d.type ? *d.type : detect_value_type(value);
    }
    if (type == ValueType::url && !d.default_scheme.empty() && value.find("://") == std::string::npos)
      value = d.default_scheme + "://" + value;
    auto norm = normalise(type, value);
    if (!norm) {
      invalid_line(fmt::format("'{}' is not a valid {}", value.substr(0, 200), value_type_name(type)));
      continue;
    }
    int64_t first_seen = 0, last_seen = 0;
    bool bad_field = false;
    for (auto [c, slot, what] : {std::tuple{col.first_seen, &first_seen, "first_seen"}, {col.last_seen, &last_seen, "last_seen"}}) {
      auto f = field(fields, c);
      if (!f || trim(*f).empty()) continue;
      if (auto ms = parse_time_ms(*f, d.time_format)) *slot = *ms;
      else {
        invalid_line(fmt::format("{} '{}' is not a time", what, f->substr(0, 100)));
        bad_field = true;
        break;
      }
    }
    if (bad_field) continue;
    int confidence = d.confidence;
    if (auto f = field(fields, col.confidence); f && !trim(*f).empty()) {
      if (!parse_int(trim(*f), confidence) || confidence < 0 || confidence > 100) {
        invalid_line(fmt::format("confidence '{}' is not an integer in 0..100", f->substr(0, 100)));
        continue;
      }
    }
    Tlp tlp = d.tlp;
    if (auto f = field(fields, col.tlp); f && !trim(*f).empty()) {
      auto t = parse_tlp(trim(*f));
      if (!t) {
        invalid_line(fmt::format("tlp '{}' is not a TLP level", f->substr(0, 100)));
        continue;
      }
      tlp = *t;
    }
    std::vector<std::string> tags;
    if (auto f = field(fields, col.tags)) {
      std::string_view rest = *f;
      while (!rest.empty()) {
        size_t sep = rest.find(d.tags_separator);
        std::string_view tag = trim(rest.substr(0, sep));
        if (!tag.empty() && std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.emplace_back(tag);
        if (sep == std::string_view::npos) break;
        rest.remove_prefix(sep + d.tags_separator.size());
      }
    }

    std::string key(1, static_cast<char>('a' + static_cast<int>(type)));
    key += *norm;
    auto [it, fresh] = out.seen.try_emplace(std::move(key), out.batch.indicators.size());
    if (!fresh) {
      Indicator& ind = out.batch.indicators[it->second];
      for (auto& tg : tags)
        if (std::find(ind.tags.begin(), ind.tags.end(), tg) == ind.tags.end()) ind.tags.push_back(std::move(tg));
      if (first_seen && first_seen < ind.valid_from_ms) ind.valid_from_ms = ind.created_ms = first_seen;
      int64_t& ls = out.last_seen[it->second];
      ls = std::max(ls, last_seen);
      ind.confidence = std::max(ind.confidence, confidence);
      ind.tlp = std::max(ind.tlp, tlp);  // the more restrictive marking wins
      continue;
    }
    Indicator ind;
    ind.ref = fmt::format("feed--{}--{}--{}", d.name, value_type_name(type), *norm);
    Observable o{type, std::move(*norm)};
    ind.name = o.value;
    if (auto f = field(fields, col.description)) ind.description = std::string(trim(*f));
    if (ind.description.empty()) ind.description = d.description;
    ind.pattern = pattern_for(o);
    ind.any_of = {{std::move(o)}};
    ind.source = source;
    ind.source_ref = source_ref;
    ind.tlp = tlp;
    ind.confidence = confidence;
    ind.created_ms = ind.valid_from_ms = first_seen ? first_seen : now_ms;
    ind.modified_ms = now_ms;
    ind.tags = d.tags;
    for (auto& tg : tags)
      if (std::find(ind.tags.begin(), ind.tags.end(), tg) == ind.tags.end()) ind.tags.push_back(std::move(tg));
    out.batch.indicators.push_back(std::move(ind));
    out.last_seen.push_back(last_seen);
  }
  if (data > 0 && static_cast<double>(invalid) > d.max_invalid_ratio * static_cast<double>(data))
    return make_error(Errc::malformed,
                      fmt::format("feed {}: {} of {} records are invalid (more than max_invalid_ratio {}); first: {}", d.name,
                                  invalid, data, d.max_invalid_ratio,
                                  out.batch.notes.empty() ? std::string() : out.batch.notes.front()));
  if (d.expire_after_ms > 0)
    for (size_t i = 0; i < out.batch.indicators.size(); ++i)
      out.batch.indicators[i].valid_until_ms = (out.last_seen[i] ? out.last_seen[i] : now_ms) + d.expire_after_ms;
  if (skipped_notes) out.batch.notes.push_back(fmt::format("… and {} more lines skipped", skipped_notes));
  return std::move(out.batch);
}

}  // namespace lachan::intel
