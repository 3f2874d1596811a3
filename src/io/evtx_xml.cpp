// Event XML (as libevtx renders a record) → JSON in the shape of the Rust evtx_dump tool.
//
// A small non-validating XML parser for the subset event XML uses (elements, attributes,
// text, CDATA, character and the five predefined entity references, comments, processing
// instructions and the XML declaration) builds a compact tree; a renderer then writes the
// tree as JSON following evtx_dump's conventions:
//   - every element becomes a key; an element with no child elements, no text and no
//     non-empty attribute is null, one with text only is a scalar, otherwise an object with
//     "#attributes" (non-empty attributes), "#text" and the child elements;
//   - repeated child names get evtx_dump's suffixes: Header, Header_1, Header_2, ...;
//   - in EventData/UserData, <Data Name="X">v</Data> becomes "X": v (an empty one ""); when no
//     Data child has a Name, the Data children become "Data": {"#text": v} or
//     {"#text": [v1, v2, ...]}.
// libevtx renders typed values differently from evtx_dump; normalize_value() maps them back
// (trailing white space, timestamps, zero-padded hex, braced GUIDs), and integers become JSON numbers where
// evtx_dump writes numbers (see render_scalar).
#include "io/evtx_xml.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/strings.h"
#include "io/evtx_reader.h"

namespace lachan::io {

namespace evtx_xml {
namespace {

constexpr uint32_t kNone = UINT32_MAX;

struct Attr {
  std::string_view name;
  std::string value;
};

struct Element {
  std::string_view name;
  std::vector<Attr> attrs;
  std::vector<uint32_t> children;
  std::string text;           // all direct character data, entities decoded
  bool significant = false;   // text holds something other than XML white space (or CDATA)
  uint32_t parent = kNone;
};

bool is_xml_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_name_char(char c) {
  switch (c) {
    case ' ': case '\t': case '\n': case '\r':
    case '<': case '>': case '/': case '=': case '"': case '\'':
    case '&': case ';': case '!': case '?':
      return false;
    default:
      return c != '\0';
  }
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  Parser(std::string_view in, const Limits& limits) : in_(in), limits_(limits) {}

  Result<bool> parse() {
    if (in_.size() > limits_.max_input_bytes)
      return make_error(Errc::limit, "event XML too large: " + std::to_string(in_.size()) +
                                         " bytes (limit " + std::to_string(limits_.max_input_bytes) + ")");
    if (in_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
    if (auto r = skip_misc(); !r) return r;
    if (pos_ >= in_.size()) return fail("no root element");
    if (in_[pos_] != '<') return fail("text before the root element");

    uint32_t current = kNone;
    size_t depth = 0;
    for (;;) {
      if (pos_ >= in_.size()) {
        if (current == kNone) break;
        return fail("unexpected end of input inside <" + std::string(els_[current].name) + ">");
      }
      if (in_[pos_] != '<') {
        if (current == kNone) return fail("content after the root element");
        if (auto r = parse_text(els_[current]); !r) return r;
        continue;
      }
      std::string_view rest = in_.substr(pos_);
      if (rest.starts_with("</")) {
        if (current == kNone) return fail("end tag without a start tag");
        size_t at = pos_;
        pos_ += 2;
        std::string_view name = parse_name();
        skip_space();
        if (pos_ >= in_.size() || in_[pos_] != '>') return fail("unterminated end tag");
        ++pos_;
        if (name != els_[current].name)
          return fail_at(at, "end tag </" + std::string(name) + "> does not match <" +
                                 std::string(els_[current].name) + ">");
        current = els_[current].parent;
        --depth;
        if (current == kNone) break;
      } else if (rest.starts_with("<!--")) {
        if (auto r = skip_comment(); !r) return r;
        if (current == kNone) return fail("comment before the root element");
      } else if (rest.starts_with("<![CDATA[")) {
        if (current == kNone) return fail("CDATA outside the root element");
        size_t end = in_.find("]]>", pos_ + 9);
        if (end == std::string_view::npos) return fail("unterminated CDATA section");
        Element& e = els_[current];
        e.text.append(in_.substr(pos_ + 9, end - pos_ - 9));
        e.significant = true;
        pos_ = end + 3;
      } else if (rest.starts_with("<?")) {
        if (auto r = skip_pi(); !r) return r;
      } else if (rest.starts_with("<!")) {
        return fail("unexpected markup declaration");
      } else {
        if (depth >= limits_.max_depth)
          return make_error(Errc::limit, "event XML nested deeper than " + std::to_string(limits_.max_depth) +
                                             " elements (at byte " + std::to_string(pos_) + ")");
        bool empty = false;
        auto id = parse_start_tag(current, empty);
        if (!id) return id.error();
        if (!empty) {
          current = *id;
          ++depth;
        } else if (current == kNone) {
          break;  // the root element is empty
        }
      }
    }
    if (auto r = skip_misc(); !r) return r;
    if (pos_ != in_.size()) return fail("content after the root element");
    return true;
  }

  const std::vector<Element>& elements() const { return els_; }

 private:
  Error fail(std::string what) const { return fail_at(pos_, std::move(what)); }
  Error fail_at(size_t at, std::string what) const {
    return make_error(Errc::malformed, "invalid event XML at byte " + std::to_string(at) + ": " + what);
  }

  void skip_space() {
    while (pos_ < in_.size() && is_xml_space(in_[pos_])) ++pos_;
  }

  std::string_view parse_name() {
    size_t start = pos_;
    while (pos_ < in_.size() && is_name_char(in_[pos_])) ++pos_;
    return in_.substr(start, pos_ - start);
  }

  Result<bool> skip_comment() {
    size_t end = in_.find("-->", pos_ + 4);
    if (end == std::string_view::npos) return fail("unterminated comment");
    pos_ = end + 3;
    return true;
  }

  Result<bool> skip_pi() {
    size_t end = in_.find("?>", pos_ + 2);
    if (end == std::string_view::npos) return fail("unterminated processing instruction");
    pos_ = end + 2;
    return true;
  }

  // White space, comments and processing instructions (the XML declaration among them).
  Result<bool> skip_misc() {
    for (;;) {
      skip_space();
      std::string_view rest = in_.substr(pos_);
      if (rest.starts_with("<?")) {
        if (auto r = skip_pi(); !r) return r;
      } else if (rest.starts_with("<!--")) {
        if (auto r = skip_comment(); !r) return r;
      } else if (rest.starts_with("<!DOCTYPE")) {
        return make_error(Errc::unsupported, "event XML with a DOCTYPE is not supported");
      } else {
        return true;
      }
    }
  }

  // At '&': decodes a reference into `out`. A predefined entity or a character reference is
  // decoded; anything else (a bare '&', an unknown entity) is kept literally, as libevtx
  // writes it.
  void parse_reference(std::string& out) {
    // Look for the ';' in a short window only: a scan to the end for every bare '&' would
    // make hostile input quadratic.
    size_t semi = in_.substr(pos_, 16).find(';');
    if (semi != std::string_view::npos) semi += pos_;
    if (semi == std::string_view::npos) {
      out.push_back('&');
      ++pos_;
      return;
    }
    std::string_view ref = in_.substr(pos_ + 1, semi - pos_ - 1);
    if (ref == "lt") out.push_back('<');
    else if (ref == "gt") out.push_back('>');
    else if (ref == "amp") out.push_back('&');
    else if (ref == "quot") out.push_back('"');
    else if (ref == "apos") out.push_back('\'');
    else if (ref.size() >= 2 && ref[0] == '#') {
      bool hex = ref[1] == 'x' || ref[1] == 'X';
      std::string_view digits = ref.substr(hex ? 2 : 1);
      uint32_t cp = 0;
      bool ok = !digits.empty();
      for (char c : digits) {
        uint32_t d;
        if (c >= '0' && c <= '9') d = static_cast<uint32_t>(c - '0');
        else if (hex && c >= 'a' && c <= 'f') d = static_cast<uint32_t>(c - 'a' + 10);
        else if (hex && c >= 'A' && c <= 'F') d = static_cast<uint32_t>(c - 'A' + 10);
        else { ok = false; break; }
        cp = cp * (hex ? 16 : 10) + d;
        if (cp > 0x10FFFF) cp = 0x110000;  // saturate: invalid, becomes U+FFFD
      }
      if (!ok) {
        out.push_back('&');
        ++pos_;
        return;
      }
      append_utf8(out, cp);
    } else {
      out.push_back('&');
      ++pos_;
      return;
    }
    pos_ = semi + 1;
  }

  Result<bool> parse_text(Element& e) {
    while (pos_ < in_.size() && in_[pos_] != '<') {
      char c = in_[pos_];
      if (c == '&') {
        parse_reference(e.text);
        e.significant = true;
        continue;
      }
      size_t start = pos_;
      while (pos_ < in_.size() && in_[pos_] != '<' && in_[pos_] != '&') {
        if (!is_xml_space(in_[pos_])) e.significant = true;
        ++pos_;
      }
      e.text.append(in_.substr(start, pos_ - start));
    }
    return true;
  }

  Result<uint32_t> parse_start_tag(uint32_t parent, bool& empty) {
    size_t at = pos_;
    ++pos_;  // '<'
    std::string_view name = parse_name();
    if (name.empty()) return fail("expected an element name");
    if (els_.size() >= limits_.max_elements)
      return make_error(Errc::limit, "event XML has more than " + std::to_string(limits_.max_elements) + " elements");
    auto id = static_cast<uint32_t>(els_.size());
    els_.emplace_back();
    els_.back().name = name;
    els_.back().parent = parent;
    if (parent != kNone) els_[parent].children.push_back(id);
    for (;;) {
      size_t before = pos_;
      skip_space();
      if (pos_ >= in_.size()) return fail_at(at, "unterminated start tag <" + std::string(name) + ">");
      char c = in_[pos_];
      if (c == '>') {
        ++pos_;
        empty = false;
        return id;
      }
      if (c == '/') {
        if (pos_ + 1 >= in_.size() || in_[pos_ + 1] != '>') return fail("expected '/>'");
        pos_ += 2;
        empty = true;
        return id;
      }
      if (before == pos_) return fail("expected white space before an attribute");
      std::string_view aname = parse_name();
      if (aname.empty()) return fail("expected an attribute name");
      skip_space();
      if (pos_ >= in_.size() || in_[pos_] != '=') return fail("expected '=' after attribute " + std::string(aname));
      ++pos_;
      skip_space();
      if (pos_ >= in_.size() || (in_[pos_] != '"' && in_[pos_] != '\''))
        return fail("expected a quoted value for attribute " + std::string(aname));
      char quote = in_[pos_++];
      std::string value;
      for (;;) {
        if (pos_ >= in_.size()) return fail("unterminated value of attribute " + std::string(aname));
        char v = in_[pos_];
        if (v == quote) {
          ++pos_;
          break;
        }
        if (v == '<') return fail("'<' in the value of attribute " + std::string(aname));
        if (v == '&') {
          parse_reference(value);
        } else {
          value.push_back(v);
          ++pos_;
        }
      }
      auto& attrs = els_[id].attrs;
      for (const auto& a : attrs)
        if (a.name == aname) return fail("duplicate attribute " + std::string(aname));
      if (attrs.size() >= limits_.max_attributes)
        return make_error(Errc::limit, "element <" + std::string(name) + "> has more than " +
                                           std::to_string(limits_.max_attributes) + " attributes");
      attrs.push_back(Attr{aname, std::move(value)});
    }
  }

  std::string_view in_;
  const Limits& limits_;
  size_t pos_ = 0;
  std::vector<Element> els_;
};

// ---- rendering ------------------------------------------------------------------------

enum class Ctx { other, system, data };

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_xml_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_xml_space(s.back())) s.remove_suffix(1);
  return s;
}

// A decimal integer as evtx_dump writes a number: no sign but '-', no leading zero, and it
// fits in int64 (negative) or uint64.
bool is_plain_integer(std::string_view v) {
  bool neg = !v.empty() && v[0] == '-';
  std::string_view d = neg ? v.substr(1) : v;
  if (d.empty() || d.size() > 20) return false;
  if (d.size() > 1 && d[0] == '0') return false;
  if (neg && d == "0") return false;
  uint64_t n = 0;
  for (char c : d) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (UINT64_MAX - digit) / 10) return false;
    n = n * 10 + digit;
  }
  if (neg && n > static_cast<uint64_t>(INT64_MAX) + 1) return false;
  return true;
}

bool system_numeric_key(std::string_view key) {
  static constexpr std::array<std::string_view, 9> kKeys = {
      "EventID", "Version", "Level", "Task", "Opcode", "EventRecordID", "ProcessID", "ThreadID", "Qualifiers"};
  for (auto k : kKeys)
    if (k == key) return true;
  return false;
}

// Scalars: evtx_dump writes integer-typed BinXML values as JSON numbers and everything else
// as strings. The XML does not carry the type, so: in System, the integer-typed fields are
// numbers; in EventData/UserData, a plain decimal integer is a number (integer-typed fields
// like ProcessId, and the few string fields that hold a decimal, e.g. Defender's "Threat ID",
// compare equal as text); elsewhere strings.
void render_scalar(std::string& out, std::string_view key, std::string_view raw, Ctx ctx, bool element_value) {
  std::string v = normalize_value(key, raw);
  bool numeric = false;
  if (ctx == Ctx::system) numeric = system_numeric_key(key);
  else if (ctx == Ctx::data) numeric = element_value && key != "Binary";  // Binary: hex bytes
  if (numeric && is_plain_integer(v)) {
    out.append(v);
  } else {
    append_json_string(out, v);
  }
}

class Renderer {
 public:
  explicit Renderer(const std::vector<Element>& els) : els_(els) {}

  std::string render() {
    const Element& root = els_[0];
    out_.reserve(256);
    out_.push_back('{');
    append_json_string(out_, root.name);
    out_.push_back(':');
    value(root, Ctx::other);
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  static bool has_text(const Element& e) { return e.children.empty() ? !e.text.empty() : e.significant; }
  static std::string_view text_of(const Element& e) {
    return e.children.empty() ? std::string_view(e.text) : trim(e.text);
  }
  static bool has_attr_value(const Element& e) {
    for (const auto& a : e.attrs)
      if (!a.value.empty()) return true;
    return false;
  }
  static const std::string* name_attr(const Element& e) {
    for (const auto& a : e.attrs)
      if (a.name == "Name") return &a.value;
    return nullptr;
  }
  static bool is_container(std::string_view name) { return name == "EventData" || name == "UserData"; }

  void value(const Element& e, Ctx ctx) {
    bool text = has_text(e);
    if (e.children.empty() && !has_attr_value(e)) {
      if (text) render_scalar(out_, e.name, text_of(e), ctx, true);
      else out_.append("null");
      return;
    }
    body(e, ctx, e.name);
  }

  // A Data element of a flattened EventData/UserData: empty → "".
  void data_value(const Element& e, std::string_view key) {
    if (!e.children.empty()) {
      body(e, Ctx::data, key);
    } else if (e.text.empty()) {
      out_.append("\"\"");
    } else {
      render_scalar(out_, key, e.text, Ctx::data, true);
    }
  }

  void key(std::string_view name, uint32_t suffix) {
    if (!first_) out_.push_back(',');
    first_ = false;
    if (suffix == 0) {
      append_json_string(out_, name);
    } else {
      std::string k(name);
      k.push_back('_');
      k.append(std::to_string(suffix));
      append_json_string(out_, k);
    }
    out_.push_back(':');
  }

  void body(const Element& e, Ctx ctx, std::string_view self_key) {
    out_.push_back('{');
    first_ = true;
    if (has_attr_value(e)) {
      key("#attributes", 0);
      out_.push_back('{');
      bool first = true;
      for (const auto& a : e.attrs) {
        if (a.value.empty()) continue;
        if (!first) out_.push_back(',');
        first = false;
        append_json_string(out_, a.name);
        out_.push_back(':');
        render_scalar(out_, a.name, a.value, ctx, false);
      }
      out_.push_back('}');
    }
    if (has_text(e)) {
      key("#text", 0);
      render_scalar(out_, self_key, text_of(e), ctx, true);
    }

    bool container = is_container(e.name);
    bool flatten = false;
    size_t positional = 0;
    if (container) {
      for (uint32_t c : e.children) {
        const Element& ch = els_[c];
        if (ch.name != "Data") continue;
        ++positional;
        const std::string* n = name_attr(ch);
        if (n && !n->empty()) flatten = true;
      }
    }
    bool positional_done = false;
    std::unordered_map<std::string, uint32_t> seen;
    for (uint32_t c : e.children) {
      const Element& ch = els_[c];
      if (container && ch.name == "Data") {
        if (flatten) {
          const std::string* n = name_attr(ch);
          if (!n || n->empty()) continue;
          key(*n, seen_count(seen, *n));
          data_value(ch, *n);
          first_ = false;
        } else if (!positional_done) {
          positional_done = true;
          key("Data", seen_count(seen, "Data"));
          out_.append("{\"#text\":");
          if (positional == 1) {
            data_value(ch, "Data");
          } else {
            out_.push_back('[');
            bool first = true;
            for (uint32_t d : e.children) {
              if (els_[d].name != "Data") continue;
              if (!first) out_.push_back(',');
              first = false;
              data_value(els_[d], "Data");
            }
            out_.push_back(']');
          }
          out_.push_back('}');
          first_ = false;
        }
        continue;
      }
      key(ch.name, seen_count(seen, ch.name));
      Ctx child_ctx = ctx;
      if (ch.name == "System" && e.parent == kNone) child_ctx = Ctx::system;
      else if (is_container(ch.name)) child_ctx = Ctx::data;
      value(ch, child_ctx);
      first_ = false;
    }
    out_.push_back('}');
  }

  static uint32_t seen_count(std::unordered_map<std::string, uint32_t>& seen, std::string_view name) {
    auto [it, inserted] = seen.try_emplace(std::string(name), 0);
    return it->second++;
  }

  const std::vector<Element>& els_;
  std::string out_;
  bool first_ = true;
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool ends_with_guid(std::string_view key) {
  if (key.size() < 4) return false;
  std::string_view t = key.substr(key.size() - 4);
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); };
  return lower(t[0]) == 'g' && lower(t[1]) == 'u' && lower(t[2]) == 'i' && lower(t[3]) == 'd';
}

bool is_braced_guid(std::string_view v) {
  if (v.size() != 38 || v.front() != '{' || v.back() != '}') return false;
  for (size_t i = 1; i < 37; ++i) {
    bool dash = i == 9 || i == 14 || i == 19 || i == 24;
    if (dash ? v[i] != '-' : !is_hex(v[i])) return false;
  }
  return true;
}

// "YYYY-MM-DDTHH:MM:SS.fffffff[ff]Z" → fraction cut to microseconds.
bool is_long_fraction_timestamp(std::string_view v) {
  static constexpr std::string_view kPattern = "dddd-dd-ddTdd:dd:dd.";
  if (v.size() < kPattern.size() + 8 || v.size() > kPattern.size() + 10 || v.back() != 'Z') return false;
  for (size_t i = 0; i < kPattern.size(); ++i) {
    if (kPattern[i] == 'd' ? !is_digit(v[i]) : v[i] != kPattern[i]) return false;
  }
  for (size_t i = kPattern.size(); i + 1 < v.size(); ++i)
    if (!is_digit(v[i])) return false;
  return true;
}

// Strips trailing Unicode White_Space (what Rust's str::trim_end removes; evtx_dump trims
// string values so, e.g. Sysmon's "cmd.exe " command lines lose their trailing blank).
std::string_view trim_end_unicode(std::string_view s) {
  for (;;) {
    size_t n = s.size();
    if (n == 0) return s;
    auto b = [&](size_t back) { return static_cast<unsigned char>(s[n - back]); };
    unsigned char c = b(1);
    if (c == ' ' || (c >= 0x09 && c <= 0x0D)) {
      s.remove_suffix(1);
    } else if (n >= 2 && b(2) == 0xC2 && (c == 0x85 || c == 0xA0)) {
      s.remove_suffix(2);  // U+0085, U+00A0
    } else if (n >= 3 && ((b(3) == 0xE1 && b(2) == 0x9A && c == 0x80) ||                    // U+1680
                          (b(3) == 0xE2 && b(2) == 0x80 && ((c >= 0x80 && c <= 0x8A) || c == 0xA8 || c == 0xA9 ||
                                                             c == 0xAF)) ||               // U+2000-200A, 2028, 2029, 202F
                          (b(3) == 0xE2 && b(2) == 0x81 && c == 0x9F) ||                  // U+205F
                          (b(3) == 0xE3 && b(2) == 0x80 && c == 0x80))) {                 // U+3000
      s.remove_suffix(3);
    } else {
      return s;
    }
  }
}

}  // namespace

std::string normalize_value(std::string_view key, std::string_view value) {
  value = trim_end_unicode(value);
  if (is_long_fraction_timestamp(value)) {
    std::string s(value.substr(0, 26));  // "YYYY-MM-DDTHH:MM:SS." + 6 digits
    s.push_back('Z');
    return s;
  }
  if ((value.size() == 10 || value.size() == 18) && value[0] == '0' && (value[1] == 'x' || value[1] == 'X') &&
      value[2] == '0') {
    bool hex = true;
    for (size_t i = 2; i < value.size(); ++i) hex = hex && is_hex(value[i]);
    if (hex) {
      size_t i = 2;
      while (i + 1 < value.size() && value[i] == '0') ++i;
      std::string s(value.substr(0, 2));
      s.append(value.substr(i));
      return s;
    }
  }
  if (is_braced_guid(value) && (ends_with_guid(key) || key == "ActivityID" || key == "RelatedActivityID"))
    return std::string(value.substr(1, 36));
  return std::string(value);
}

Result<std::string> to_json(std::string_view xml, const Limits& limits) {
  Parser parser(xml, limits);
  if (auto r = parser.parse(); !r) return std::move(r).error();
  if (parser.elements().empty()) return make_error(Errc::malformed, "invalid event XML: no root element");
  return Renderer(parser.elements()).render();
}

}  // namespace evtx_xml

Result<std::string> evtx_xml_to_json(std::string_view xml) { return evtx_xml::to_json(xml); }

}  // namespace lachan::io
