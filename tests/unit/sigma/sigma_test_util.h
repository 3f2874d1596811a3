// Helpers shared by the sigma unit tests: load rules from YAML text, build an event from JSON,
// run the ruleset, and read back the titles of the rules that fired or the diagnostic codes.
//
// The sigma test binary links only the sigma module (not detect), so events are built here by
// a small JSON walker with the generic shape of detect::Flattener (every leaf is a field named
// by its dotted path, array elements without their index, numbers and booleans as their text,
// JSON null as a null value, every non-null leaf also a keyword value). The real flattener,
// including the Windows evtx_dump shape, has its own tests in tests/unit/detect/.
#pragma once

#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/event.h"
#include "sigma/ruleset.h"

namespace lachan::sigma::test {

// Builds an Event from JSON the way the generic part of detect::Flattener does.
class EventBuilder {
 public:
  // Returns false for invalid JSON or a non-object record.
  bool build(const FieldRegistry& fields, bool keywords, std::string_view json, Event& e) {
    fields_ = &fields;
    keywords_ = keywords;
    e.reset(fields.size());
    simdjson::dom::element root;
    if (parser_.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) return false;
    if (root.type() != simdjson::dom::element_type::OBJECT) return false;
    path_.clear();
    walk(root, e);
    return true;
  }

 private:
  void walk(simdjson::dom::element v, Event& e) {
    using T = simdjson::dom::element_type;
    if (v.type() == T::OBJECT) {
      size_t base = path_.size();
      simdjson::dom::object obj = v.get_object().value_unsafe();  // a named object: iterate no temporary
      for (auto [k, child] : obj) {
        if (base) path_.push_back('.');
        path_.append(k);
        walk(child, e);
        path_.resize(base);
      }
    } else if (v.type() == T::ARRAY) {
      simdjson::dom::array arr = v.get_array().value_unsafe();
      for (auto child : arr) walk(child, e);
    } else {
      leaf(v, e);
    }
  }
  void leaf(simdjson::dom::element v, Event& e) {
    using T = simdjson::dom::element_type;
    ValueKind kind = ValueKind::string;
    std::string_view text;
    char buf[40];
    switch (v.type()) {
      case T::STRING: text = v.get_string().value_unsafe(); break;
      case T::INT64: {
        auto r = std::to_chars(buf, buf + sizeof buf, v.get_int64().value_unsafe());
        text = e.arena().copy({buf, static_cast<size_t>(r.ptr - buf)});
        kind = ValueKind::number;
        break;
      }
      case T::UINT64: {
        auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64().value_unsafe());
        text = e.arena().copy({buf, static_cast<size_t>(r.ptr - buf)});
        kind = ValueKind::number;
        break;
      }
      case T::DOUBLE: {
        auto r = std::to_chars(buf, buf + sizeof buf, v.get_double().value_unsafe());
        text = e.arena().copy({buf, static_cast<size_t>(r.ptr - buf)});
        kind = ValueKind::number;
        break;
      }
      case T::BOOL:
        text = v.get_bool().value_unsafe() ? "true" : "false";
        kind = ValueKind::boolean;
        break;
      default: kind = ValueKind::null; break;
    }
    FieldId f = fields_->find(path_);
    if (f != kNoField) {
      e.add(f, text, kind);
      if (keywords_ && kind != ValueKind::null) e.mark_last_keyword();
    } else if (keywords_ && kind != ValueKind::null) {
      e.add_keyword_value(text, kind);
    }
  }

  const FieldRegistry* fields_ = nullptr;
  bool keywords_ = false;
  simdjson::dom::parser parser_;
  std::string path_;
};

struct Loaded {
  std::shared_ptr<const Ruleset> rs;
  Diagnostics diags;
  LoadStats stats;

  std::vector<std::string> codes() const {
    std::vector<std::string> out;
    for (const auto& d : diags.items()) out.push_back(d.code);
    return out;
  }
  std::vector<std::string> error_codes() const {
    std::vector<std::string> out;
    for (const auto& d : diags.items())
      if (d.severity == Severity::error) out.push_back(d.code);
    return out;
  }
};

inline Loaded load_rules(const std::vector<std::string>& yamls, const std::string& mapping = {},
                         RulesetOptions options = {}) {
  Loaded l;
  for (size_t i = 0; i < yamls.size(); ++i)
    options.rule_texts.emplace_back("rule" + std::to_string(i) + ".yml", yamls[i]);
  options.mapping_text = mapping;
  l.rs = Ruleset::load(options, l.diags, l.stats);
  return l;
}

// A loaded ruleset to run events through.
class Engine {
 public:
  explicit Engine(const std::vector<std::string>& yamls, const std::string& mapping = {}, RulesetOptions options = {})
      : loaded_(load_rules(yamls, mapping, std::move(options))), ctx_(*loaded_.rs) {}
  Engine(std::initializer_list<std::string> yamls, const std::string& mapping = {}, RulesetOptions options = {})
      : Engine(std::vector<std::string>(yamls), mapping, std::move(options)) {}
  explicit Engine(const std::string& yaml, const std::string& mapping = {}, RulesetOptions options = {})
      : Engine(std::vector<std::string>{yaml}, mapping, std::move(options)) {}

  // Titles of the rules that fire on `json`, in rule order. An invalid event fails the test.
  std::vector<std::string> titles(std::string_view json) {
    const Ruleset& rs = *loaded_.rs;
    bool ok = builder_.build(rs.fields(), rs.needs_keyword_values(), json, event_);
    EXPECT_TRUE(ok) << "invalid test event: " << json;
    std::vector<std::string> out;
    if (!ok) return out;
    std::vector<uint32_t> hits;
    rs.match(event_, ctx_, hits);
    for (uint32_t h : hits) out.push_back(rs.rules()[rs.compiled(h).rule].title);
    return out;
  }
  bool fires(std::string_view json) { return !titles(json).empty(); }
  bool fires(std::string_view json, const std::string& title) {
    auto t = titles(json);
    return std::find(t.begin(), t.end(), title) != t.end();
  }

  const Loaded& loaded() const { return loaded_; }
  const Ruleset& rs() const { return *loaded_.rs; }
  size_t rule_count() const { return loaded_.rs->rules().size(); }

 private:
  Loaded loaded_;
  MatchContext ctx_;
  EventBuilder builder_;
  Event event_;
};

// A complete rule around a detection body (indented two spaces under `detection:`).
inline std::string make_rule(const std::string& detection, const std::string& title = "t",
                             const std::string& logsource = "  product: test\n", const std::string& extra = {}) {
  return "title: " + title + "\nlogsource:\n" + logsource + "detection:\n" + detection + extra;
}

// The diagnostic codes of loading one rule (all severities, in order).
inline std::vector<std::string> load_codes(const std::string& yaml, const std::string& mapping = {},
                                           RulesetOptions options = {}) {
  return load_rules({yaml}, mapping, std::move(options)).codes();
}

inline bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// A file in a fresh temporary folder, removed with the object.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& content) {
    namespace fs = std::filesystem;
    std::string templ = (fs::temp_directory_path() / "lachan-test-XXXXXX").string();
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    char* d = mkdtemp(buf.data());
    EXPECT_NE(d, nullptr);
    dir_ = d ? d : "";
    path_ = (fs::path(dir_) / name).string();
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
};

}  // namespace lachan::sigma::test
