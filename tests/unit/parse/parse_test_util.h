// Helpers shared by the parse unit tests.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "parse/decoder.h"

namespace lachan::parse::test {

inline std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline std::string data_path(const std::string& name) { return std::string(LACHAN_SOURCE_DIR) + "/tests/unit/parse/data/" + name; }
inline std::string shared_path(const std::string& name) { return std::string(LACHAN_SHARED_DATA) + "/" + name; }
inline bool exists(const std::string& path) { return std::ifstream(path).good(); }

struct BodyResult {
  std::vector<std::string> events;
  std::vector<int64_t> times;
  std::vector<uint64_t> lines;
  std::vector<Error> errors;
  std::vector<uint64_t> error_lines;
  std::vector<VictimHints> hints;
};

inline BodyResult decode_body(const std::string& source, std::string_view body, Limits limits = {}) {
  auto src = parse_source(source);
  EXPECT_TRUE(src.ok());
  Decoder dec(src.value(), limits);
  BodyResult r;
  std::string out;
  dec.decode_body(
      body, out,
      [&](const Decoded& d, uint64_t line) {
        r.events.emplace_back(out.substr(d.offset, d.length));
        r.times.push_back(d.time_ms);
        r.lines.push_back(line);
        r.hints.push_back(dec.hints());
      },
      [&](uint64_t line, const Error& e) {
        r.errors.push_back(e);
        r.error_lines.push_back(line);
      });
  return r;
}

// The event's fields as the detector names them (detect/flatten.h): every leaf by its dotted
// path (array elements without index), and for the evtx_dump shape also System values by element
// name, System attributes as Element_Attribute, EventData/UserData values by their own name.
// Values as text (numbers as written, booleans true/false).
class Fields {
 public:
  explicit Fields(const std::string& json) : padded_(json) {
    simdjson::dom::element root;
    auto err = parser_.parse(padded_).get(root);
    EXPECT_FALSE(err) << "not valid JSON: " << json;
    if (err) return;
    walk(root, "");
    simdjson::dom::element sys, ev;
    if (!root["Event"].get(ev) && !ev["System"].get(sys)) {
      for (auto [section, body] : simdjson::dom::object(ev)) {
        if (!body.is_object()) continue;
        if (section == "UserData") {
          for (auto [wrapper, inner] : simdjson::dom::object(body))
            if (inner.is_object()) named(inner, "", true);
        } else {
          named(body, "", true);
        }
      }
    }
  }
  bool has(const std::string& k) const { return map_.count(k) > 0; }
  std::string get(const std::string& k) const {
    auto it = map_.find(k);
    return it == map_.end() ? "<absent>" : it->second.front();
  }
  const std::map<std::string, std::vector<std::string>>& all() const { return map_; }

 private:
  static std::string text(simdjson::dom::element v) {
    switch (v.type()) {
      case simdjson::dom::element_type::STRING: return std::string(v.get_string().value());
      case simdjson::dom::element_type::BOOL: return v.get_bool().value() ? "true" : "false";
      case simdjson::dom::element_type::NULL_VALUE: return "";
      default: return simdjson::to_string(v);
    }
  }
  void walk(simdjson::dom::element v, const std::string& path) {
    if (v.is_object()) {
      for (auto [k, c] : simdjson::dom::object(v)) walk(c, path.empty() ? std::string(k) : path + "." + std::string(k));
    } else if (v.is_array()) {
      for (auto c : simdjson::dom::array(v)) walk(c, path);
    } else {
      map_[path].push_back(text(v));
    }
  }
  void named(simdjson::dom::element v, const std::string& name, bool top) {
    if (v.is_object()) {
      for (auto [k, c] : simdjson::dom::object(v)) {
        if (k == "#text") {
          named(c, name, false);
        } else if (k == "#attributes") {
          if (top || !c.is_object()) continue;
          for (auto [ak, av] : simdjson::dom::object(c)) named(av, name + "_" + std::string(ak), false);
        } else {
          named(c, top ? std::string(k) : name + "_" + std::string(k), false);
        }
      }
    } else if (!v.is_array()) {
      map_[name].push_back(text(v));
    }
  }
  simdjson::padded_string padded_;
  simdjson::dom::parser parser_;
  std::map<std::string, std::vector<std::string>> map_;
};

}  // namespace lachan::parse::test
