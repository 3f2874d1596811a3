// The Sigma rule model: what a rule file says, before it is compiled against a log-source
// mapping. Parsing keeps every position so that problems are reported as file:line:col.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sigma/condition.h"
#include "sigma/diagnostics.h"

namespace YAML {
class Node;
}

namespace lachan::sigma {

struct Pos {
  uint32_t line = 0;
  uint32_t col = 0;
};

enum class Level { informational, low, medium, high, critical };
const char* level_name(Level l) noexcept;
std::optional<Level> parse_level(std::string_view s) noexcept;

struct LogSource {
  std::string product, category, service;
};

// One value as written in the rule: a string (numbers and booleans keep their text) or null.
struct RawValue {
  std::string text;
  bool is_null = false;
  Pos pos;
};

// "field|mod1|mod2: values" — or, with no field, a keyword search over the whole event.
struct DetectionItem {
  std::optional<std::string> field;
  std::vector<std::string> modifiers;
  std::vector<RawValue> values;
  bool values_were_list = false;
  Pos pos;
};

// A search identifier: OR over alternatives, each alternative an AND of items.
// A map gives one alternative; a list of maps gives one per map; a list of plain values gives
// a single keyword item.
struct SearchIdentifier {
  std::string name;
  std::vector<std::vector<DetectionItem>> alternatives;
  Pos pos;
};

struct Rule {
  std::string file;
  Pos pos;
  std::string id, name, title, status, description, author, date, modified;
  Level level = Level::medium;
  bool has_level = false;
  std::vector<std::string> tags, references, falsepositives, fields;
  LogSource logsource;
  std::vector<SearchIdentifier> detections;
  std::vector<CondExpr> conditions;  // OR-ed (a list of conditions)
  std::vector<std::string> condition_texts;
  Pos condition_pos;
};

// A Sigma filter (meta-filter): ANDs its condition onto the rules it names.
struct Filter {
  std::string file;
  Pos pos;
  std::string id, title;
  LogSource logsource;
  bool any_rule = false;            // `rules: any`
  std::vector<std::string> rules;   // ids or names
  std::vector<SearchIdentifier> detections;
  CondExpr condition;
  std::string condition_text;
};

// Parses the `detection` section shared by rules and filters. Returns false on errors.
bool parse_detections(const YAML::Node& detection, const std::string& file, std::vector<SearchIdentifier>& out,
                      Diagnostics& diags, bool allow_condition_keys);

// Parses one YAML document that is a Sigma detection rule (has `detection`).
std::optional<Rule> parse_rule(const YAML::Node& doc, const std::string& file, Diagnostics& diags);
// Parses one YAML document that is a Sigma filter (has `filter`).
std::optional<Filter> parse_filter(const YAML::Node& doc, const std::string& file, Diagnostics& diags);

// True when every set key of `outer` equals (case-insensitively) the same key of `rule`.
bool logsource_contains(const LogSource& outer, const LogSource& rule) noexcept;

}  // namespace lachan::sigma
