// Syslog lines (RFC 5424, RFC 3164 with or without PRI) turned into JSON objects. A line that
// is not syslog still becomes a record, {"message": line}, so no data is lost.
#include <string>

#include "io/line_reader.h"
#include "core/strings.h"
#include "io/readers.h"
#include "io/stream_buffer.h"
#include "io/syslog_parse.h"

namespace lachan::io {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Parses "<PRI>" at the start; returns its length (0 if absent) and sets pri.
size_t parse_pri(std::string_view s, int& pri) {
  if (s.size() < 3 || s[0] != '<') return 0;
  size_t i = 1;
  int v = 0;
  while (i < s.size() && i <= 3 && is_digit(s[i])) v = v * 10 + (s[i++] - '0');
  if (i == 1 || i >= s.size() || s[i] != '>' || v > 191) return 0;
  pri = v;
  return i + 1;
}

void add_key(std::string& out, bool& first, const char* key) {
  if (!first) out.push_back(',');
  first = false;
  out.push_back('"');
  out.append(key);
  out.append("\":");
}

void add_str(std::string& out, bool& first, const char* key, std::string_view v) {
  add_key(out, first, key);
  append_json_string(out, v);
}

void add_num(std::string& out, bool& first, const char* key, int v) {
  add_key(out, first, key);
  out.append(std::to_string(v));
}

// Next space-delimited token from s[i]; advances i past one following space.
std::string_view token(std::string_view s, size_t& i) {
  size_t start = i;
  while (i < s.size() && s[i] != ' ') ++i;
  std::string_view t = s.substr(start, i - start);
  if (i < s.size()) ++i;
  return t;
}

// RFC 5424 STRUCTURED-DATA starting at s[i] == '['. Renders it as a JSON object into `json`
// and advances i past it; false if it is not well formed.
bool parse_sd(std::string_view s, size_t& i, std::string& json) {
  json.assign("{");
  bool first_el = true;
  std::string value;
  while (i < s.size() && s[i] == '[') {
    ++i;
    size_t id_start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != ']' && s[i] != '=' && s[i] != '"') ++i;
    if (i == id_start || i >= s.size()) return false;
    if (!first_el) json.push_back(',');
    first_el = false;
    append_json_string(json, s.substr(id_start, i - id_start));
    json.append(":{");
    bool first_p = true;
    while (i < s.size() && s[i] == ' ') {
      ++i;
      size_t name_start = i;
      while (i < s.size() && s[i] != '=' && s[i] != ' ' && s[i] != ']' && s[i] != '"') ++i;
      if (i == name_start || i + 1 >= s.size() || s[i] != '=' || s[i + 1] != '"') return false;
      std::string_view name = s.substr(name_start, i - name_start);
      i += 2;
      value.clear();
      bool closed = false;
      while (i < s.size()) {
        char c = s[i];
        if (c == '\\' && i + 1 < s.size() && (s[i + 1] == '"' || s[i + 1] == '\\' || s[i + 1] == ']')) {
          value.push_back(s[i + 1]);
          i += 2;
        } else if (c == '"') {
          ++i;
          closed = true;
          break;
        } else {
          value.push_back(c);
          ++i;
        }
      }
      if (!closed) return false;
      if (!first_p) json.push_back(',');
      first_p = false;
      append_json_string(json, name);
      json.push_back(':');
      append_json_string(json, value);
    }
    if (i >= s.size() || s[i] != ']') return false;
    ++i;
    json.push_back('}');
  }
  json.push_back('}');
  return true;
}

bool rfc5424(std::string_view s, size_t p, int pri, std::string& out) {
  // VERSION: 1-2 digits, nonzero, then a space.
  size_t i = p;
  int version = 0;
  while (i < s.size() && i - p < 3 && is_digit(s[i])) version = version * 10 + (s[i++] - '0');
  if (i == p || i - p > 2 || version == 0 || i >= s.size() || s[i] != ' ') return false;
  ++i;
  std::string_view f[5];
  for (auto& t : f) {
    if (i >= s.size()) return false;
    t = token(s, i);
    if (t.empty()) return false;
  }
  std::string sd;
  bool has_sd = false;
  std::string_view msg;
  if (i < s.size() && s[i] == '-' && (i + 1 == s.size() || s[i + 1] == ' ')) {
    i += 1;
    if (i < s.size()) ++i;
    msg = s.substr(std::min(i, s.size()));
  } else if (i < s.size() && s[i] == '[') {
    size_t j = i;
    if (parse_sd(s, j, sd) && (j == s.size() || s[j] == ' ')) {
      has_sd = true;
      msg = s.substr(std::min(j + 1, s.size()));
    } else {
      msg = s.substr(i);  // not well-formed: keep it all in the message
    }
  } else {
    msg = s.substr(std::min(i, s.size()));
  }
  if (msg.size() >= 3 && msg.substr(0, 3) == "\xEF\xBB\xBF") msg.remove_prefix(3);

  bool first = true;
  out.push_back('{');
  add_num(out, first, "facility", pri / 8);
  add_num(out, first, "severity", pri % 8);
  add_num(out, first, "version", version);
  static const char* const names[5] = {"timestamp", "hostname", "app_name", "procid", "msgid"};
  for (int k = 0; k < 5; ++k)
    if (f[k] != "-") add_str(out, first, names[k], f[k]);
  if (has_sd) {
    add_key(out, first, "structured_data");
    out.append(sd);
  }
  if (!msg.empty()) add_str(out, first, "message", msg);
  out.push_back('}');
  return true;
}

}  // namespace

static bool is_month(std::string_view s) {
  static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  if (s.size() < 3) return false;
  for (auto m : months)
    if (s.substr(0, 3) == m) return true;
  return false;
}

size_t bsd_timestamp_length(std::string_view s) {
  // "Mmm dd hh:mm:ss" (day space-padded or not: "Jun  4", "Jun 04", "Jun 4").
  if (s.size() < 14 || !is_month(s) || s[3] != ' ') return 0;
  size_t i = 4;
  if (s[i] == ' ') ++i;
  size_t d0 = i;
  while (i < s.size() && is_digit(s[i]) && i - d0 < 2) ++i;
  if (i == d0 || i >= s.size() || s[i] != ' ') return 0;
  ++i;
  if (s.size() < i + 8) return 0;
  auto t = s.substr(i, 8);
  if (!is_digit(t[0]) || !is_digit(t[1]) || t[2] != ':' || !is_digit(t[3]) || !is_digit(t[4]) || t[5] != ':' ||
      !is_digit(t[6]) || !is_digit(t[7]))
    return 0;
  i += 8;
  if (i < s.size() && s[i] != ' ') return 0;
  return i;
}

size_t rfc3339_timestamp_length(std::string_view s) {
  // YYYY-MM-DDThh:mm:ss then anything up to the next space (fraction, zone).
  static const char pat[] = "dddd-dd-ddTdd:dd:dd";
  if (s.size() < 19) return 0;
  for (size_t i = 0; i < 19; ++i) {
    if (pat[i] == 'd' ? !is_digit(s[i]) : s[i] != pat[i]) return 0;
  }
  size_t i = 19;
  while (i < s.size() && s[i] != ' ') ++i;
  return i;
}

size_t syslog_pri_length(std::string_view s) {
  int pri = 0;
  return parse_pri(s, pri);
}

void syslog_line_to_json(std::string_view s, std::string& out) {
  int pri = -1;
  size_t p = parse_pri(s, pri);
  if (p && p < s.size() && is_digit(s[p]) && rfc5424(s, p, pri, out)) return;

  bool first = true;
  out.push_back('{');
  if (p) {
    add_num(out, first, "facility", pri / 8);
    add_num(out, first, "severity", pri % 8);
  }
  std::string_view rest = s.substr(p);
  size_t ts = bsd_timestamp_length(rest);
  if (!ts) ts = rfc3339_timestamp_length(rest);
  if (!ts) {
    add_str(out, first, "message", p ? rest : s);
    out.push_back('}');
    return;
  }
  add_str(out, first, "timestamp", rest.substr(0, ts));
  size_t i = ts;
  while (i < rest.size() && rest[i] == ' ') ++i;
  // HOSTNAME, unless the next word is already the tag ("sshd[12]:" or "kernel:").
  size_t w = i;
  while (w < rest.size() && rest[w] != ' ') ++w;
  std::string_view word = rest.substr(i, w - i);
  if (!word.empty() && word.find('[') == std::string_view::npos && word.back() != ':') {
    add_str(out, first, "hostname", word);
    i = w;
    while (i < rest.size() && rest[i] == ' ') ++i;
  }
  // TAG[PID]: MSG
  size_t t = i;
  while (t < rest.size() && rest[t] != ' ' && rest[t] != '[' && rest[t] != ':') ++t;
  if (t > i && t < rest.size() && (rest[t] == '[' || rest[t] == ':')) {
    std::string_view tag = rest.substr(i, t - i);
    std::string_view pid;
    size_t k = t;
    bool ok = true;
    if (rest[k] == '[') {
      size_t close = rest.find(']', k);
      if (close == std::string_view::npos) {
        ok = false;
      } else {
        pid = rest.substr(k + 1, close - k - 1);
        k = close + 1;
      }
    }
    if (ok) {
      if (k < rest.size() && rest[k] == ':') ++k;
      if (k < rest.size() && rest[k] == ' ') ++k;
      add_str(out, first, "app_name", tag);
      if (!pid.empty()) add_str(out, first, "procid", pid);
      i = k;
    }
  }
  add_str(out, first, "message", rest.substr(std::min(i, rest.size())));
  out.push_back('}');
}

std::unique_ptr<RecordReader> make_syslog_reader(std::unique_ptr<ByteSource> src, const ReaderOptions& o,
                                                 const ReaderTuning& t) {
  return make_line_reader(std::move(src), o, t, Format::syslog,
                          [](std::string_view line, std::string& out) { syslog_line_to_json(line, out); });
}

}  // namespace lachan::io
