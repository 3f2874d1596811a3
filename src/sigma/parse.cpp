// YAML → Rule / Filter, collecting every problem with its position.
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include "core/strings.h"
#include "sigma/rule.h"

namespace lachan::sigma {
namespace {

Pos pos_of(const YAML::Node& n) {
  auto m = n.Mark();
  if (m.line < 0) return {};
  return {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
}

struct Ctx {
  const std::string& file;
  Diagnostics& diags;
  bool ok = true;
  void error(const YAML::Node& n, const char* code, std::string msg) {
    Pos p = pos_of(n);
    diags.error(file, p.line, p.col, code, std::move(msg));
    ok = false;
  }
  void warn(const YAML::Node& n, const char* code, std::string msg) {
    Pos p = pos_of(n);
    diags.warning(file, p.line, p.col, code, std::move(msg));
  }
};

std::string scalar(const YAML::Node& n) { return n.IsDefined() && n.IsScalar() ? n.Scalar() : std::string(); }

void string_list(Ctx& c, const YAML::Node& doc, const char* key, std::vector<std::string>& out) {
  YAML::Node n = doc[key];
  if (!n || n.IsNull()) return;
  if (n.IsScalar()) {
    out.push_back(n.Scalar());
    return;
  }
  if (!n.IsSequence()) {
    c.warn(n, "invalid-metadata", fmt::format("'{}' should be a list of strings", key));
    return;
  }
  for (const auto& e : n) {
    if (e.IsScalar()) out.push_back(e.Scalar());
    else if (e.IsMap() || e.IsSequence()) c.warn(e, "invalid-metadata", fmt::format("'{}' should contain only strings", key));
  }
}

bool parse_values(Ctx& c, const YAML::Node& v, DetectionItem& item) {
  auto one = [&](const YAML::Node& e) -> bool {
    RawValue rv;
    rv.pos = pos_of(e);
    if (!e || e.IsNull()) {
      rv.is_null = true;
    } else if (e.IsScalar()) {
      rv.text = e.Scalar();
    } else {
      c.error(e, "invalid-value", "a detection value must be a string, number, boolean or null, not a map or list");
      return false;
    }
    item.values.push_back(std::move(rv));
    return true;
  };
  if (v.IsSequence()) {
    item.values_were_list = true;
    bool ok = true;
    for (const auto& e : v) ok &= one(e);
    return ok;
  }
  return one(v);
}

void split_key(const std::string& key, DetectionItem& item) {
  size_t bar = key.find('|');
  std::string field = key.substr(0, bar);
  if (!field.empty()) item.field = field;
  while (bar != std::string::npos) {
    size_t next = key.find('|', bar + 1);
    item.modifiers.push_back(key.substr(bar + 1, next == std::string::npos ? std::string::npos : next - bar - 1));
    bar = next;
  }
}

bool parse_map(Ctx& c, const YAML::Node& m, std::vector<DetectionItem>& out) {
  bool ok = true;
  if (m.size() == 0) {
    c.error(m, "empty-selection", "a selection map must not be empty");
    return false;
  }
  for (const auto& kv : m) {
    DetectionItem item;
    item.pos = pos_of(kv.first);
    std::string key = scalar(kv.first);
    split_key(key, item);
    if (!item.field && item.modifiers.empty()) {
      c.error(kv.first, "empty-field-name", "a detection key must name a field or start with '|' for keywords");
      ok = false;
      continue;
    }
    if (kv.second.IsMap()) {
      c.error(kv.second, "invalid-value", fmt::format("the value of '{}' must be a value or a list, not a map", key));
      ok = false;
      continue;
    }
    if (kv.second.IsSequence() && kv.second.size() == 0) {
      c.error(kv.second, "empty-value-list", fmt::format("'{}' has an empty list of values", key));
      ok = false;
      continue;
    }
    ok &= parse_values(c, kv.second, item);
    out.push_back(std::move(item));
  }
  return ok;
}

bool parse_search(Ctx& c, const std::string& name, const YAML::Node& v, SearchIdentifier& sid) {
  sid.name = name;
  sid.pos = pos_of(v);
  if (v.IsMap()) {
    sid.alternatives.emplace_back();
    return parse_map(c, v, sid.alternatives.back());
  }
  if (v.IsSequence()) {
    if (v.size() == 0) {
      c.error(v, "empty-selection", fmt::format("search identifier '{}' is an empty list", name));
      return false;
    }
    bool maps = false, scalars = false;
    for (const auto& e : v) (e.IsMap() ? maps : scalars) = true;
    if (maps && scalars) {
      c.error(v, "mixed-list", fmt::format("search identifier '{}' mixes maps and plain values in one list", name));
      return false;
    }
    if (maps) {
      bool ok = true;
      for (const auto& e : v) {
        sid.alternatives.emplace_back();
        ok &= parse_map(c, e, sid.alternatives.back());
      }
      return ok;
    }
    DetectionItem kw;
    kw.pos = pos_of(v);
    sid.alternatives.emplace_back();
    bool ok = parse_values(c, v, kw);
    sid.alternatives.back().push_back(std::move(kw));
    return ok;
  }
  if (v.IsScalar()) {
    DetectionItem kw;
    kw.pos = pos_of(v);
    sid.alternatives.emplace_back();
    bool ok = parse_values(c, v, kw);
    sid.alternatives.back().push_back(std::move(kw));
    return ok;
  }
  c.error(v, "invalid-selection", fmt::format("search identifier '{}' must be a map or a list", name));
  return false;
}

LogSource parse_logsource(Ctx& c, const YAML::Node& doc) {
  LogSource ls;
  YAML::Node n = doc["logsource"];
  if (!n) {
    c.error(doc, "missing-logsource", "the rule has no 'logsource'");
    return ls;
  }
  if (!n.IsMap()) {
    c.error(n, "invalid-logsource", "'logsource' must be a map");
    return ls;
  }
  ls.product = to_lower(scalar(n["product"]));
  ls.category = to_lower(scalar(n["category"]));
  ls.service = to_lower(scalar(n["service"]));
  if (ls.product.empty() && ls.category.empty() && ls.service.empty())
    c.warn(n, "empty-logsource", "'logsource' names no product, category or service: the rule applies to every event");
  return ls;
}

// Checks that every identifier a condition uses exists.
void check_refs(Ctx& c, const YAML::Node& where, const CondExpr& e, const std::vector<SearchIdentifier>& dets) {
  if (e.kind == CondExpr::ref) {
    for (const auto& d : dets)
      if (d.name == e.name) return;
    c.error(where, "unknown-identifier",
            fmt::format("the condition uses '{}' (column {}), which is not a search identifier of this detection", e.name,
                        e.offset + 1));
    return;
  }
  if (e.kind == CondExpr::of) {
    for (const auto& d : dets) {
      if (e.name == "them" ? (d.name.empty() || d.name[0] != '_') : identifier_matches(e.name, d.name)) return;
    }
    c.error(where, "empty-quantifier",
            fmt::format("'{} of {}' (column {}) matches no search identifier", e.count == 0 ? "all" : std::to_string(e.count),
                        e.name, e.offset + 1));
    return;
  }
  for (const auto& ch : e.children) check_refs(c, where, ch, dets);
}

bool parse_detection_block(Ctx& c, const YAML::Node& det, std::vector<SearchIdentifier>& out, bool allow_cond) {
  if (!det.IsMap()) {
    c.error(det, "invalid-detection", "'detection' must be a map of search identifiers and a condition");
    return false;
  }
  bool ok = true;
  for (const auto& kv : det) {
    std::string key = scalar(kv.first);
    if (key == "condition" && allow_cond) continue;
    if (key == "timeframe") {
      c.warn(kv.first, "deprecated-timeframe", "'timeframe' in a detection is Sigma 1.x; use a correlation rule");
      continue;
    }
    if (key == "condition") continue;
    SearchIdentifier sid;
    ok &= parse_search(c, key, kv.second, sid);
    out.push_back(std::move(sid));
  }
  return ok;
}

}  // namespace

const char* level_name(Level l) noexcept {
  switch (l) {
    case Level::informational: return "informational";
    case Level::low: return "low";
    case Level::medium: return "medium";
    case Level::high: return "high";
    case Level::critical: return "critical";
  }
  return "medium";
}

std::optional<Level> parse_level(std::string_view s) noexcept {
  if (iequals(s, "informational") || iequals(s, "info")) return Level::informational;
  if (iequals(s, "low")) return Level::low;
  if (iequals(s, "medium")) return Level::medium;
  if (iequals(s, "high")) return Level::high;
  if (iequals(s, "critical")) return Level::critical;
  return std::nullopt;
}

bool logsource_contains(const LogSource& outer, const LogSource& rule) noexcept {
  auto ok = [](const std::string& o, const std::string& r) { return o.empty() || iequals(o, r); };
  return ok(outer.product, rule.product) && ok(outer.category, rule.category) && ok(outer.service, rule.service);
}

bool parse_detections(const YAML::Node& detection, const std::string& file, std::vector<SearchIdentifier>& out,
                      Diagnostics& diags, bool allow_condition_keys) {
  Ctx c{file, diags};
  return parse_detection_block(c, detection, out, allow_condition_keys) && c.ok;
}

std::optional<Rule> parse_rule(const YAML::Node& doc, const std::string& file, Diagnostics& diags) {
  Ctx c{file, diags};
  Rule r;
  r.file = file;
  r.pos = pos_of(doc);
  r.title = scalar(doc["title"]);
  if (r.title.empty()) c.error(doc, "missing-title", "the rule has no 'title'");
  r.id = scalar(doc["id"]);
  r.name = scalar(doc["name"]);
  r.status = scalar(doc["status"]);
  r.description = scalar(doc["description"]);
  r.author = scalar(doc["author"]);
  r.date = scalar(doc["date"]);
  r.modified = scalar(doc["modified"]);
  if (YAML::Node lv = doc["level"]) {
    if (auto l = parse_level(scalar(lv))) {
      r.level = *l;
      r.has_level = true;
    } else {
      c.error(lv, "invalid-level",
              fmt::format("level '{}' is not one of informational, low, medium, high, critical", scalar(lv)));
    }
  }
  string_list(c, doc, "tags", r.tags);
  string_list(c, doc, "references", r.references);
  string_list(c, doc, "falsepositives", r.falsepositives);
  string_list(c, doc, "fields", r.fields);
  r.logsource = parse_logsource(c, doc);

  YAML::Node det = doc["detection"];
  if (!det) {
    c.error(doc, "missing-detection", "the rule has no 'detection'");
    return std::nullopt;
  }
  parse_detection_block(c, det, r.detections, true);
  YAML::Node cond = det.IsMap() ? det["condition"] : YAML::Node();
  if (!cond) {
    c.error(det, "missing-condition", "the detection has no 'condition'");
    return std::nullopt;
  }
  r.condition_pos = pos_of(cond);
  std::vector<YAML::Node> texts;
  if (cond.IsSequence()) {
    for (const auto& e : cond) texts.push_back(e);
  } else {
    texts.push_back(cond);
  }
  if (texts.empty()) c.error(cond, "missing-condition", "the condition list is empty");
  for (const auto& t : texts) {
    if (!t.IsScalar()) {
      c.error(t, "invalid-condition", "a condition must be a string");
      continue;
    }
    auto parsed = parse_condition(t.Scalar());
    if (!parsed.ok()) {
      c.error(t, "invalid-condition", parsed.error().message);
      continue;
    }
    check_refs(c, t, *parsed, r.detections);
    r.conditions.push_back(std::move(*parsed));
    r.condition_texts.push_back(t.Scalar());
  }
  if (!c.ok) return std::nullopt;
  return r;
}

std::optional<Filter> parse_filter(const YAML::Node& doc, const std::string& file, Diagnostics& diags) {
  Ctx c{file, diags};
  Filter f;
  f.file = file;
  f.pos = pos_of(doc);
  f.title = scalar(doc["title"]);
  f.id = scalar(doc["id"]);
  if (f.title.empty()) c.error(doc, "missing-title", "the filter has no 'title'");
  f.logsource = parse_logsource(c, doc);
  YAML::Node fl = doc["filter"];
  if (!fl.IsMap()) {
    c.error(fl ? fl : doc, "invalid-filter", "'filter' must be a map with 'rules', search identifiers and 'condition'");
    return std::nullopt;
  }
  YAML::Node rules = fl["rules"];
  if (!rules) {
    c.error(fl, "missing-filter-rules", "the filter has no 'rules' (a list of rule ids or names, or 'any')");
  } else if (rules.IsScalar() && iequals(rules.Scalar(), "any")) {
    f.any_rule = true;
  } else if (rules.IsScalar()) {
    f.rules.push_back(rules.Scalar());
  } else if (rules.IsSequence()) {
    for (const auto& e : rules)
      if (e.IsScalar()) f.rules.push_back(e.Scalar());
  } else {
    c.error(rules, "missing-filter-rules", "'rules' must be a list of rule ids or names, or 'any'");
  }
  for (const auto& kv : fl) {
    std::string key = scalar(kv.first);
    if (key == "rules" || key == "condition") continue;
    SearchIdentifier sid;
    parse_search(c, key, kv.second, sid);
    f.detections.push_back(std::move(sid));
  }
  YAML::Node cond = fl["condition"];
  if (!cond || !(cond.IsScalar() || (cond.IsSequence() && cond.size() == 1 && cond[0].IsScalar()))) {
    c.error(cond ? cond : fl, "missing-condition", "the filter needs one 'condition' string");
    return std::nullopt;
  }
  f.condition_text = cond.IsScalar() ? cond.Scalar() : cond[0].Scalar();
  auto parsed = parse_condition(f.condition_text);
  if (!parsed.ok()) {
    c.error(cond, "invalid-condition", parsed.error().message);
    return std::nullopt;
  }
  check_refs(c, cond, *parsed, f.detections);
  f.condition = std::move(*parsed);
  if (!c.ok) return std::nullopt;
  return f;
}

}  // namespace lachan::sigma
