// Line decoders: auditd, web access logs (common/combined), CEF, syslog.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "core/time.h"
#include "io/syslog_parse.h"
#include "parse/decoder.h"
#include "parse/json_out.h"

namespace lachan::parse {

using detail::ObjectWriter;

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10; }
bool all_digits(std::string_view s) { return !s.empty() && std::all_of(s.begin(), s.end(), is_digit); }

// Digits only (checked by the caller); saturates rather than overflowing.
int64_t to_int(std::string_view s) {
  int64_t v = 0;
  for (char c : s) {
    if (v > (INT64_MAX - 9) / 10) return INT64_MAX;
    v = v * 10 + (c - '0');
  }
  return v;
}

// "2013-03-28T14:36:03.243000Z" (as core's format_timestamp) without a heap allocation.
void put_time(ObjectWriter& w, std::string_view key, int64_t ns) {
  CivilTime t = civil_from_ns(ns);
  int64_t frac = ns % 1000000000;
  if (frac < 0) frac += 1000000000;
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", t.year, t.month, t.day, t.hour,
                        t.minute, t.second, static_cast<long long>(frac / 1000));
  w.key(key);
  w.out().push_back('"');
  w.out().append(buf, n > 0 ? std::min(static_cast<size_t>(n), sizeof buf - 1) : 0);
  w.out().push_back('"');
}

Error limit_fields(uint32_t max) {
  return make_error(Errc::limit, "more than max_fields (" + std::to_string(max) + ") fields");
}

// Writes the key unless an earlier field of the record had it (first one wins: JSON objects
// with duplicate keys would give the detector two values).
bool fresh_key(std::vector<std::string_view>& seen, std::string_view k) {
  for (auto s : seen)
    if (s == k) return false;
  seen.push_back(k);
  return true;
}

// ---------------------------------------------------------------------------------------------
// auditd
// ---------------------------------------------------------------------------------------------

bool audit_sep(char c) { return c == ' ' || c == '\t' || c == '\x1d'; }

// auditd writes these string fields hex-encoded (unquoted) when they hold spaces, quotes or
// control bytes; Sigma's auditd rules expect the decoded text.
bool hex_encoded_field(std::string_view type, std::string_view key) {
  static constexpr std::string_view kKeys[] = {"proctitle", "name", "comm", "exe", "cwd", "key", "data",
                                               "path",      "ocomm", "cmd", "acct", "dir", "new-root"};
  for (auto k : kKeys)
    if (key == k) return true;
  if (type == "EXECVE" && key.size() >= 2 && key[0] == 'a' && is_digit(key[1])) {
    size_t i = 1;
    while (i < key.size() && is_digit(key[i])) ++i;
    return i == key.size() || key[i] == '[';  // a0, a12, a2[1] (long arguments in pieces)
  }
  return false;
}

bool looks_hex(std::string_view v) {
  return v.size() >= 2 && v.size() % 2 == 0 && std::all_of(v.begin(), v.end(), is_hex);
}

// Decodes hex into `buf`. proctitle's arguments are NUL-separated: they become spaces.
std::string_view hex_decode(std::string_view v, std::string& buf, bool nul_to_space) {
  buf.clear();
  for (size_t i = 0; i + 1 < v.size(); i += 2) {
    char c = static_cast<char>(hex_value(v[i]) * 16 + hex_value(v[i + 1]));
    if (c == '\0' && nul_to_space) c = ' ';
    buf.push_back(c);
  }
  while (nul_to_space && !buf.empty() && buf.back() == ' ') buf.pop_back();
  return buf;
}

struct AuditPair {
  std::string_view key, value;
  bool quoted = false;
};

// The next key=value of an audit record from s[i]; bare words (no '=') come back with an empty
// key. Values in "…" or '…' are returned without their quotes.
bool next_audit_pair(std::string_view s, size_t& i, AuditPair& p) {
  while (i < s.size() && audit_sep(s[i])) ++i;
  if (i >= s.size()) return false;
  size_t start = i;
  while (i < s.size() && !audit_sep(s[i]) && s[i] != '=') ++i;
  p.quoted = false;
  if (i >= s.size() || s[i] != '=') {
    p.key = {};
    p.value = s.substr(start, i - start);
    return true;
  }
  p.key = s.substr(start, i - start);
  ++i;
  if (i < s.size() && (s[i] == '"' || s[i] == '\'')) {
    char q = s[i++];
    size_t close = s.find(q, i);
    if (close == std::string_view::npos) close = s.size();
    p.value = s.substr(i, close - i);
    p.quoted = true;
    i = std::min(close + 1, s.size());
    return true;
  }
  size_t v = i;
  while (i < s.size() && !audit_sep(s[i])) ++i;
  p.value = s.substr(v, i - v);
  return true;
}

// "audit(1364481363.243:24287):" → seconds, milliseconds, serial.
bool parse_audit_stamp(std::string_view v, int64_t& ms, uint64_t& serial, std::string_view& stamp) {
  if (v.substr(0, 6) != "audit(") return false;
  size_t close = v.find(')');
  if (close == std::string_view::npos) return false;
  stamp = v.substr(0, close + 1);
  std::string_view in = v.substr(6, close - 6);
  size_t colon = in.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view t = in.substr(0, colon), ser = in.substr(colon + 1);
  size_t dot = t.find('.');
  std::string_view sec = t.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : t.substr(dot + 1);
  // Seconds up to 9e9 (year 2255) keep ms * 1e6 within int64.
  if (!all_digits(sec) || sec.size() > 10 || !all_digits(ser) || ser.size() > 18) return false;
  if (!frac.empty() && !all_digits(frac)) return false;
  int64_t s = 0;
  for (char c : sec) s = s * 10 + (c - '0');
  if (s > 9000000000) return false;
  int64_t f = 0, scale = 100;
  for (size_t k = 0; k < frac.size() && scale > 0; ++k, scale /= 10) f += (frac[k] - '0') * scale;
  ms = s * 1000 + f;
  serial = 0;
  for (char c : ser) serial = serial * 10 + static_cast<uint64_t>(c - '0');
  return true;
}

// ---------------------------------------------------------------------------------------------
// web access logs
// ---------------------------------------------------------------------------------------------

// A "…"-quoted field starting at s[i] == '"', with Apache's \" and \\ escapes undone into buf.
bool quoted_field(std::string_view s, size_t& i, std::string& buf, std::string_view& out) {
  if (i >= s.size() || s[i] != '"') return false;
  size_t start = ++i;
  bool escaped = false;
  while (i < s.size() && s[i] != '"') {
    if (s[i] == '\\' && i + 1 < s.size()) {
      escaped = true;
      ++i;
    }
    ++i;
  }
  if (i >= s.size()) return false;
  std::string_view raw = s.substr(start, i - start);
  ++i;
  if (!escaped) {
    out = raw;
    return true;
  }
  buf.clear();
  for (size_t k = 0; k < raw.size(); ++k) {
    if (raw[k] == '\\' && k + 1 < raw.size() && (raw[k + 1] == '"' || raw[k + 1] == '\\')) ++k;
    buf.push_back(raw[k]);
  }
  out = buf;
  return true;
}

std::string_view word(std::string_view s, size_t& i) {
  while (i < s.size() && s[i] == ' ') ++i;
  size_t start = i;
  while (i < s.size() && s[i] != ' ') ++i;
  return s.substr(start, i - start);
}

// "10/Oct/2000:13:55:36 -0700" → ns.
std::optional<int64_t> apache_time(std::string_view t) {
  static const char* const kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (t.size() < 20 || t[2] != '/' || t[6] != '/' || t[11] != ':') return std::nullopt;
  int mon = 0;
  for (int k = 0; k < 12; ++k)
    if (t.substr(3, 3) == kMonths[k]) mon = k + 1;
  if (!mon) return std::nullopt;
  // Rewritten as RFC 3339 for parse_timestamp.
  char buf[40];
  std::string_view zone = t.size() >= 26 && t[20] == ' ' ? t.substr(21, 5) : std::string_view("+0000");
  if (zone.size() != 5) return std::nullopt;
  int n = std::snprintf(buf, sizeof buf, "%.4s-%02d-%.2sT%.8s%.3s:%.2s", t.data() + 7, mon, t.data(), t.data() + 12,
                        zone.data(), zone.data() + 3);
  if (n <= 0 || static_cast<size_t>(n) >= sizeof buf) return std::nullopt;
  return parse_timestamp(std::string_view(buf, static_cast<size_t>(n)));
}

// ---------------------------------------------------------------------------------------------
// CEF
// ---------------------------------------------------------------------------------------------

bool cef_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_' || c == '.' || c == '-' ||
         c == '[' || c == ']';
}

// Where the value starting at s[v] ends: before the next " key=" (an unescaped '=').
size_t cef_value_end(std::string_view s, size_t v) {
  for (size_t i = v; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
      continue;
    }
    if (s[i] != ' ') continue;
    size_t k = i + 1;
    while (k < s.size() && cef_key_char(s[k])) ++k;
    if (k > i + 1 && k < s.size() && s[k] == '=') return i;
  }
  return s.size();
}

std::string_view cef_unescape_ext(std::string_view v, std::string& buf) {
  if (v.find('\\') == std::string_view::npos) return v;
  buf.clear();
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      char n = v[++i];
      buf.push_back(n == 'n' ? '\n' : n == 'r' ? '\r' : n);
    } else {
      buf.push_back(v[i]);
    }
  }
  return buf;
}

}  // namespace

// type=SYSCALL msg=audit(1364481363.243:24287): arch=c000003e syscall=2 … key="x"
Result<Decoded> Decoder::decode_auditd(std::string_view line, std::string& out) {
  keys_.clear();
  std::string_view type, stamp;
  int64_t ms = 0;
  uint64_t serial = 0;
  // First pass: the record type and its audit(…) stamp ("node=… type=… msg=audit(…):", or the
  // kernel's "type=… audit(…):" as forwarded to syslog).
  size_t i = 0;
  AuditPair p;
  size_t body = std::string_view::npos;
  while (next_audit_pair(line, i, p)) {
    if (p.key == "type" && type.empty()) {
      type = p.value;
    } else if ((p.key == "msg" || p.key.empty()) && p.value.substr(0, 6) == "audit(") {
      if (!parse_audit_stamp(p.value, ms, serial, stamp))
        return make_error(Errc::malformed, "auditd stamp is not audit(SECONDS.MILLIS:SERIAL)");
      body = i;
      break;
    }
  }
  if (type.empty()) return make_error(Errc::malformed, "auditd record has no type=");
  if (body == std::string_view::npos) return make_error(Errc::malformed, "auditd record has no msg=audit(...) stamp");

  ObjectWriter w(out);
  w.str("type", type);
  w.str("msg", stamp);
  put_time(w, "timestamp", ms * 1000000);
  w.num("serial", static_cast<int64_t>(serial));
  keys_.insert(keys_.end(), {"type", "msg", "timestamp", "serial"});
  // Fields before the stamp other than type (node=…).
  size_t j = 0;
  uint32_t fields = 0;
  auto emit = [&](const AuditPair& f) -> bool {
    if (f.key.empty() || !fresh_key(keys_, f.key)) return true;
    if (++fields > limits_.max_fields) return false;
    std::string_view v = f.value;
    if (!f.quoted && hex_encoded_field(type, f.key) && looks_hex(v))
      v = hex_decode(v, scratch_, f.key == "proctitle");
    w.key_escaped(f.key);
    append_json_string(out, v);
    return true;
  };
  while (j < body && next_audit_pair(line.substr(0, body), j, p))
    if (p.key != "type" && p.key != "msg" && !emit(p)) return limit_fields(limits_.max_fields);
  i = body;
  while (next_audit_pair(line, i, p)) {
    if (p.key == "msg" && p.quoted) {
      // USER_* records: msg='op=PAM:authentication acct="root" … res=failed' holds the fields.
      size_t k = 0;
      AuditPair q;
      while (next_audit_pair(p.value, k, q))
        if (!emit(q)) return limit_fields(limits_.max_fields);
      continue;
    }
    if (!emit(p)) return limit_fields(limits_.max_fields);
  }
  out.push_back('}');
  Decoded d;
  d.time_ms = ms;
  return d;
}

// 127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif?x=1 HTTP/1.0" 200 2326 "ref" "ua"
Result<Decoded> Decoder::decode_web_access(std::string_view line, std::string& out) {
  size_t i = 0;
  std::string_view host = word(line, i);
  std::string_view ident = word(line, i);
  (void)ident;
  std::string_view user = word(line, i);
  while (i < line.size() && line[i] == ' ') ++i;
  if (host.empty() || i >= line.size() || line[i] != '[')
    return make_error(Errc::malformed, "web access line: expected 'host ident user [time]' at the start");
  size_t close = line.find(']', i);
  if (close == std::string_view::npos) return make_error(Errc::malformed, "web access line: unterminated [time]");
  std::string_view when = line.substr(i + 1, close - i - 1);
  auto ns = apache_time(when);
  if (!ns) return make_error(Errc::malformed, "web access line: time is not dd/Mon/yyyy:hh:mm:ss +zzzz");
  i = close + 1;
  while (i < line.size() && line[i] == ' ') ++i;
  std::string_view request;
  if (!quoted_field(line, i, scratch_, request))
    return make_error(Errc::malformed, "web access line: expected the \"request\" after the time");
  std::string request_copy;  // only when unescaping used scratch_, which the next fields reuse
  if (request.data() == scratch_.data()) {
    request_copy.assign(request);
    request = request_copy;
  }
  std::string_view status = word(line, i);
  std::string_view bytes = word(line, i);
  if (!all_digits(status) || status.size() != 3)
    return make_error(Errc::malformed, "web access line: status is not a 3-digit number");
  if (bytes != "-" && !all_digits(bytes))
    return make_error(Errc::malformed, "web access line: response size is not a number or '-'");
  std::string_view referer, agent;
  std::string referer_copy;
  while (i < line.size() && line[i] == ' ') ++i;
  bool combined = quoted_field(line, i, scratch_, referer);
  if (combined) {
    if (referer.data() == scratch_.data()) {
      referer_copy.assign(referer);
      referer = referer_copy;
    }
    while (i < line.size() && line[i] == ' ') ++i;
    if (!quoted_field(line, i, scratch_, agent)) agent = {};
  }

  ObjectWriter w(out);
  w.str("c-ip", host);
  if (user != "-" && !user.empty()) w.str("cs-username", user);
  put_time(w, "timestamp", *ns);
  // "METHOD URI VERSION"; anything else (binary probes, "-") is kept whole in cs-uri-stem.
  size_t sp1 = request.find(' ');
  size_t sp2 = sp1 == std::string_view::npos ? sp1 : request.rfind(' ');
  if (sp1 != std::string_view::npos && sp2 > sp1 && request.substr(sp2 + 1, 5) == "HTTP/") {
    std::string_view uri = request.substr(sp1 + 1, sp2 - sp1 - 1);
    w.str("cs-method", request.substr(0, sp1));
    size_t q = uri.find('?');
    w.str("cs-uri-stem", uri.substr(0, q));
    if (q != std::string_view::npos) w.str("cs-uri-query", uri.substr(q + 1));
    w.str("cs-version", request.substr(sp2 + 1));
  } else if (sp1 != std::string_view::npos && sp1 > 0) {
    w.str("cs-method", request.substr(0, sp1));
    w.str("cs-uri-stem", request.substr(sp1 + 1));
  } else if (!request.empty() && request != "-") {
    w.str("cs-uri-stem", request);
  }
  w.num("sc-status", to_int(status));
  if (bytes != "-") w.num("sc-bytes", to_int(bytes));
  if (combined) {
    if (!referer.empty() && referer != "-") w.str("cs-referer", referer);
    if (!agent.empty() && agent != "-") w.str("cs-user-agent", agent);
  }
  out.push_back('}');
  Decoded d;
  d.time_ms = *ns / 1000000;
  return d;
}

// CEF (with or without a syslog header) and syslog (with CEF decoded when the message is CEF).
Result<Decoded> Decoder::decode_cef_or_syslog(std::string_view line, std::string& out, bool cef_required) {
  Decoded d;
  size_t cef = line.substr(0, 4) == "CEF:" ? 0 : line.find(" CEF:");
  if (cef != 0 && cef != std::string_view::npos) ++cef;
  const size_t base = out.size();

  // Syslog part: the header fields (and the whole message) when there is a syslog header, and
  // always for the syslog type (a bare line becomes {"message": line}).
  const bool with_syslog = cef != 0 || !cef_required;
  if (with_syslog) {
    io::syslog_line_to_json(line, out);
    // Event time from the header: RFC 5424 "<PRI>1 TIMESTAMP", or BSD / RFC 3339 after PRI.
    size_t p = io::syslog_pri_length(line);
    std::string_view rest = line.substr(p);
    size_t n = 0;
    if (p && rest.size() > 2 && is_digit(rest[0]) && rest[1] == ' ') {
      rest.remove_prefix(2);
      n = io::rfc3339_timestamp_length(rest);
    } else {
      n = io::bsd_timestamp_length(rest);
      if (!n) n = io::rfc3339_timestamp_length(rest);
    }
    if (n) {
      auto ns = parse_timestamp(rest.substr(0, n));
      if (ns) d.time_ms = *ns / 1000000;
    }
  }
  if (cef == std::string_view::npos) {
    if (cef_required) {
      out.resize(base);
      return make_error(Errc::malformed, "no CEF: header");
    }
    return d;
  }

  // Header: 7 '|'-separated fields after "CEF:", with \| and \\ escapes.
  std::string_view s = line.substr(cef + 4);
  std::string_view fields[7];
  size_t field_count = 0;
  size_t start = 0, i = 0;
  bool escaped_header = false;
  for (; i < s.size() && field_count < 7; ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) {
      escaped_header = true;
      ++i;
    } else if (s[i] == '|') {
      fields[field_count++] = s.substr(start, i - start);
      start = i + 1;
    }
  }
  std::string_view ext;
  if (field_count == 7) {
    ext = s.substr(start);
  } else if (field_count == 6) {
    fields[field_count++] = s.substr(start);  // 7 fields, no extension
  } else {
    out.resize(base);
    if (!cef_required) {
      if (with_syslog) io::syslog_line_to_json(line, out);
      return d;  // a syslog message that only looks like CEF
    }
    return make_error(Errc::malformed,
                      "CEF header has " + std::to_string(field_count + 1) + " fields, expected 7");
  }
  std::string_view version = fields[0];
  if (!all_digits(version) || version.size() > 3) {
    out.resize(base);
    if (!cef_required) {
      if (with_syslog) io::syslog_line_to_json(line, out);
      return d;
    }
    return make_error(Errc::malformed, "CEF version is not a number");
  }

  if (with_syslog) {
    out.pop_back();  // '}' of the syslog object
    out.append(",\"cef\":");
  } else {
    out.append("{\"cef\":");
  }
  ObjectWriter w(out);
  w.num("version", to_int(version));
  static constexpr std::string_view kHeader[7] = {"version",      "device_vendor", "device_product", "device_version",
                                                  "signature_id", "name",          "severity"};
  for (size_t k = 1; k < 7; ++k) {
    std::string_view v = fields[k];
    if (escaped_header && v.find('\\') != std::string_view::npos) {
      scratch_.clear();
      for (size_t m = 0; m < v.size(); ++m) {
        if (v[m] == '\\' && m + 1 < v.size() && (v[m + 1] == '|' || v[m + 1] == '\\')) ++m;
        scratch_.push_back(v[m]);
      }
      v = scratch_;
    }
    w.str(kHeader[k], v);
  }
  // Extension: key=value pairs, each value up to the next " key=".
  keys_.clear();
  w.begin("extensions");
  size_t e = 0;
  uint32_t count = 0;
  int64_t rt_ms = 0;
  while (e < ext.size()) {
    while (e < ext.size() && ext[e] == ' ') ++e;
    size_t k = e;
    while (k < ext.size() && cef_key_char(ext[k])) ++k;
    if (k == e || k >= ext.size() || ext[k] != '=') {
      out.resize(base);
      if (!cef_required) {
        if (with_syslog) io::syslog_line_to_json(line, out);
        return d;
      }
      return make_error(Errc::malformed, "CEF extension: expected key=value at offset " + std::to_string(e));
    }
    std::string_view key = ext.substr(e, k - e);
    size_t vend = cef_value_end(ext, k + 1);
    std::string_view raw = ext.substr(k + 1, vend - k - 1);
    while (!raw.empty() && raw.back() == ' ') raw.remove_suffix(1);
    e = vend;
    if (!fresh_key(keys_, key)) continue;
    if (++count > limits_.max_fields) {
      out.resize(base);
      return limit_fields(limits_.max_fields);
    }
    std::string_view v = cef_unescape_ext(raw, scratch_);
    if (key == "rt") {
      auto ns = parse_timestamp(v);
      if (ns) rt_ms = *ns / 1000000;
    }
    w.key_escaped(key);
    append_json_string(out, v);
  }
  w.end();
  out.push_back('}');  // cef
  out.push_back('}');  // record
  if (rt_ms) d.time_ms = rt_ms;
  return d;
}

}  // namespace lachan::parse
