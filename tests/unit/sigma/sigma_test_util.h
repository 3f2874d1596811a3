// Helpers shared by the sigma unit tests: load rules from YAML text, build an event from JSON,
// run the ruleset, and read back the titles of the rules that fired or the diagnostic codes.
//
// Events are built by the real detect::Flattener, as `lachan scan` builds them; its Windows
// naming rules have their own tests in tests/unit/detect/.
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
#include "detect/flatten.h"
#include "sigma/ruleset.h"

namespace lachan::sigma::test {

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
      : loaded_(load_rules(yamls, mapping, std::move(options))),
        ctx_(*loaded_.rs),
        flattener_(loaded_.rs->fields(), loaded_.rs->needs_keyword_values(), loaded_.rs->has_event_paths()) {}
  Engine(std::initializer_list<std::string> yamls, const std::string& mapping = {}, RulesetOptions options = {})
      : Engine(std::vector<std::string>(yamls), mapping, std::move(options)) {}
  explicit Engine(const std::string& yaml, const std::string& mapping = {}, RulesetOptions options = {})
      : Engine(std::vector<std::string>{yaml}, mapping, std::move(options)) {}

  // Titles of the rules that fire on `json`, in rule order. An invalid event fails the test.
  std::vector<std::string> titles(std::string_view json) {
    const Ruleset& rs = *loaded_.rs;
    padded_.assign(json);
    padded_.append(simdjson::SIMDJSON_PADDING, ' ');  // the flattener parses in place
    bool ok = flattener_.flatten(std::string_view(padded_.data(), json.size()), event_).ok();
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
  detect::Flattener flattener_;
  std::string padded_;
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
