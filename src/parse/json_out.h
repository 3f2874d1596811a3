// Internal: a minimal JSON object writer into a reusable std::string (no allocation once the
// string has grown). Keys and values are escaped with append_json_string (invalid UTF-8 is
// replaced by U+FFFD, so the output is always valid JSON).
#pragma once

#include <simdjson.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

#include "io/source.h"

namespace lachan::parse::detail {

class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_.push_back('{'); }
  // A key known to need no escaping (a literal in our code).
  void key(std::string_view k) {
    comma();
    out_.push_back('"');
    out_.append(k);
    out_.append("\":");
  }
  // A key taken from the input.
  void key_escaped(std::string_view k) {
    comma();
    append_json_string(out_, k);
    out_.push_back(':');
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    append_json_string(out_, v);
  }
  void num(std::string_view k, int64_t v) {
    key(k);
    append_int(out_, v);
  }
  void raw(std::string_view k, std::string_view json) {
    key(k);
    out_.append(json);
  }
  // Opens a nested object under `k`; close it with end().
  void begin(std::string_view k) {
    key(k);
    out_.push_back('{');
    first_ = true;
  }
  void end() {
    out_.push_back('}');
    first_ = false;
  }
  std::string& out() { return out_; }
  // After writing a value by hand through out().
  void wrote_value() { first_ = false; }

  static void append_int(std::string& out, int64_t v) {
    char buf[24];
    auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, static_cast<size_t>(r.ptr - buf));
  }

 private:
  void comma() {
    if (!first_) out_.push_back(',');
    first_ = false;
  }
  std::string& out_;
  bool first_ = true;
};

// Serialises a parsed simdjson element back to compact JSON.
void write_element(std::string& out, simdjson::dom::element v);

}  // namespace lachan::parse::detail
