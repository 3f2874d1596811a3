#include "sigma/correlation.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <fmt/format.h>
#include <limits>
#include <tuple>
#include <unordered_set>

namespace lachan::sigma {

namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

int64_t sat_add(int64_t a, int64_t b) noexcept {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMax : kMin;
  return r;
}
int64_t sat_sub(int64_t a, int64_t b) noexcept {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b > 0 ? kMin : kMax;
  return r;
}

std::optional<double> parse_number(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Names

const char* correlation_type_name(CorrelationType t) noexcept {
  switch (t) {
    case CorrelationType::event_count: return "event_count";
    case CorrelationType::value_count: return "value_count";
    case CorrelationType::temporal: return "temporal";
    case CorrelationType::temporal_ordered: return "temporal_ordered";
    case CorrelationType::value_sum: return "value_sum";
    case CorrelationType::value_avg: return "value_avg";
    case CorrelationType::value_percentile: return "value_percentile";
    case CorrelationType::value_median: return "value_median";
  }
  return "?";
}

std::optional<CorrelationType> parse_correlation_type(std::string_view s) noexcept {
  static constexpr CorrelationType all[] = {
      CorrelationType::event_count,      CorrelationType::value_count, CorrelationType::temporal,
      CorrelationType::temporal_ordered, CorrelationType::value_sum,   CorrelationType::value_avg,
      CorrelationType::value_percentile, CorrelationType::value_median};
  for (auto t : all)
    if (s == correlation_type_name(t)) return t;
  return std::nullopt;
}

bool correlation_needs_field(CorrelationType t) noexcept {
  return t != CorrelationType::event_count && t != CorrelationType::temporal &&
         t != CorrelationType::temporal_ordered;
}

static bool is_temporal(CorrelationType t) noexcept {
  return t == CorrelationType::temporal || t == CorrelationType::temporal_ordered;
}
static bool is_numeric(CorrelationType t) noexcept {
  return correlation_needs_field(t) && t != CorrelationType::value_count;
}

const char* condition_op_name(CorrelationCondition::Op op) noexcept {
  switch (op) {
    case CorrelationCondition::gt: return "gt";
    case CorrelationCondition::gte: return "gte";
    case CorrelationCondition::lt: return "lt";
    case CorrelationCondition::lte: return "lte";
    case CorrelationCondition::eq: return "eq";
    case CorrelationCondition::neq: return "neq";
  }
  return "?";
}

bool CorrelationCondition::holds(double v) const noexcept {
  for (const auto& [op, t] : tests) {
    bool ok = false;
    switch (op) {
      case gt: ok = v > t; break;
      case gte: ok = v >= t; break;
      case lt: ok = v < t; break;
      case lte: ok = v <= t; break;
      case eq: ok = v == t; break;
      case neq: ok = v != t; break;
    }
    if (!ok) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// CorrelationRule helpers

static std::string resolve_alias(const CorrelationRule& r, const std::string& name, size_t pos) {
  auto a = r.aliases.find(name);
  if (a == r.aliases.end() || pos >= r.rules.size()) return name;
  auto f = a->second.find(r.rules[pos]);
  return f == a->second.end() ? name : f->second;
}

std::vector<std::string> CorrelationRule::group_fields(size_t pos) const {
  std::vector<std::string> out;
  out.reserve(group_by.size());
  for (const auto& g : group_by) out.push_back(resolve_alias(*this, g, pos));
  return out;
}

std::optional<std::string> CorrelationRule::value_field(size_t pos) const {
  if (!correlation_needs_field(type) || condition.field.empty()) return std::nullopt;
  return resolve_alias(*this, condition.field, pos);
}

bool CorrelationRule::fires_early() const noexcept {
  switch (type) {
    case CorrelationType::event_count:
    case CorrelationType::value_count:
    case CorrelationType::value_sum:
    case CorrelationType::temporal:
    case CorrelationType::temporal_ordered: break;
    default: return false;
  }
  for (const auto& t : condition.tests)
    if (t.first != CorrelationCondition::gt && t.first != CorrelationCondition::gte) return false;
  return true;
}

std::optional<int64_t> parse_timespan(std::string_view s, bool* nonstandard) noexcept {
  if (nonstandard) *nonstandard = false;
  if (s.size() < 2 || s.size() > 24) return std::nullopt;
  char unit = s.back();
  std::string_view num = s.substr(0, s.size() - 1);
  for (char c : num)
    if (c < '0' || c > '9') return std::nullopt;
  int64_t mult = 0;
  switch (unit) {
    case 's': mult = 1'000'000'000LL; break;
    case 'm': mult = 60'000'000'000LL; break;
    case 'h': mult = 3'600'000'000'000LL; break;
    case 'd': mult = 86'400'000'000'000LL; break;
    case 'w':
      mult = 604'800'000'000'000LL;
      if (nonstandard) *nonstandard = true;
      break;
    default: return std::nullopt;
  }
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), n);
  if (ec != std::errc() || p != num.data() + num.size() || n == 0) return std::nullopt;
  int64_t r = 0;
  if (n > static_cast<uint64_t>(kMax) || __builtin_mul_overflow(static_cast<int64_t>(n), mult, &r))
    return std::nullopt;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Parsing

namespace {

struct Parser {
  const std::string& file;
  Diagnostics& diags;
  bool failed = false;

  static std::pair<uint32_t, uint32_t> where(const YAML::Node& n, const YAML::Node& fallback) {
    YAML::Mark m = YAML::Mark::null_mark();
    if (n.IsDefined()) m = n.Mark();
    if (m.is_null() || m.line < 0) m = fallback.IsDefined() ? fallback.Mark() : YAML::Mark::null_mark();
    if (m.is_null() || m.line < 0) return {0, 0};
    return {static_cast<uint32_t>(m.line + 1), static_cast<uint32_t>(m.column + 1)};
  }
  void error(const YAML::Node& n, const YAML::Node& fb, const char* code, std::string msg) {
    auto [l, c] = where(n, fb);
    diags.error(file, l, c, code, std::move(msg));
    failed = true;
  }
  void warning(const YAML::Node& n, const YAML::Node& fb, const char* code, std::string msg) {
    auto [l, c] = where(n, fb);
    diags.warning(file, l, c, code, std::move(msg));
  }

  // A scalar string attribute; returns false (with an error) when present but not a scalar.
  bool scalar(const YAML::Node& map, const char* key, std::string& out) {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return true;
    if (!n.IsScalar()) {
      error(n, map, "invalid-attribute", fmt::format("'{}' must be a string", key));
      return false;
    }
    out = n.Scalar();
    return true;
  }
  // A list of strings, or a single string.
  void string_list(const YAML::Node& map, const char* key, std::vector<std::string>& out) {
    YAML::Node n = map[key];
    if (!n.IsDefined() || n.IsNull()) return;
    if (n.IsScalar()) {
      out.push_back(n.Scalar());
      return;
    }
    if (!n.IsSequence()) {
      error(n, map, "invalid-attribute", fmt::format("'{}' must be a list of strings", key));
      return;
    }
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        error(item, n, "invalid-attribute", fmt::format("'{}' must be a list of strings", key));
        continue;
      }
      out.push_back(item.Scalar());
    }
  }
  std::optional<bool> boolean(const YAML::Node& n) {
    if (!n.IsScalar()) return std::nullopt;
    const std::string& s = n.Scalar();
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    return std::nullopt;
  }
};

}  // namespace

std::optional<CorrelationRule> parse_correlation(const YAML::Node& doc, const std::string& file,
                                                 Diagnostics& diags) {
  Parser p{file, diags};
  const YAML::Node none;
  if (!doc.IsDefined() || !doc.IsMap()) {
    p.error(doc, none, "invalid-rule-document", "a correlation rule must be a YAML map");
    return std::nullopt;
  }
  CorrelationRule r;
  r.file = file;
  {
    auto [l, c] = Parser::where(doc, none);
    r.line = l;
    r.column = c;
  }

  // Metadata.
  YAML::Node title = doc["title"];
  if (!title.IsDefined() || title.IsNull() || (title.IsScalar() && title.Scalar().empty()))
    p.error(title, doc, "missing-title", "a correlation rule needs a 'title'");
  p.scalar(doc, "title", r.title);
  p.scalar(doc, "id", r.id);
  p.scalar(doc, "name", r.name);
  p.scalar(doc, "description", r.description);
  p.scalar(doc, "author", r.author);
  p.scalar(doc, "date", r.date);
  p.scalar(doc, "modified", r.modified);
  p.scalar(doc, "status", r.status);
  p.scalar(doc, "level", r.level);
  p.string_list(doc, "tags", r.tags);
  p.string_list(doc, "references", r.references);
  p.string_list(doc, "falsepositives", r.falsepositives);
  if (YAML::Node g = doc["generate"]; g.IsDefined() && !g.IsNull()) {
    if (auto b = p.boolean(g)) r.generate = *b;
    else p.error(g, doc, "invalid-generate", "'generate' must be true or false");
  }

  YAML::Node corr = doc["correlation"];
  if (!corr.IsDefined() || corr.IsNull()) {
    p.error(corr, doc, "missing-correlation", "the rule has no 'correlation' section");
    return std::nullopt;
  }
  if (!corr.IsMap()) {
    p.error(corr, doc, "invalid-correlation", "'correlation' must be a map");
    return std::nullopt;
  }

  static const std::unordered_set<std::string> known = {
      "type", "rules", "aliases", "group-by", "timespan", "condition", "generate"};
  for (auto it = corr.begin(); it != corr.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string& k = it->first.Scalar();
    if (k == "timeframe") continue;  // reported below
    if (!known.count(k))
      p.warning(it->first, corr, "unknown-correlation-key",
                fmt::format("unknown key '{}' in the correlation section", k));
  }

  // type
  bool type_ok = false;
  YAML::Node type = corr["type"];
  if (!type.IsDefined() || type.IsNull()) {
    p.error(type, corr, "missing-correlation-type", "the correlation needs a 'type'");
  } else if (!type.IsScalar() || !parse_correlation_type(type.Scalar())) {
    p.error(type, corr, "unknown-correlation-type",
            fmt::format("unknown correlation type '{}' (event_count, value_count, temporal, "
                        "temporal_ordered, value_sum, value_avg, value_percentile, value_median)",
                        type.IsScalar() ? type.Scalar() : std::string("<not a string>")));
  } else {
    r.type = *parse_correlation_type(type.Scalar());
    type_ok = true;
  }

  // rules
  YAML::Node rules = corr["rules"];
  if (!rules.IsDefined() || rules.IsNull()) {
    p.error(rules, corr, "missing-rules", "the correlation needs 'rules' (rule names or ids)");
  } else if (rules.IsScalar()) {
    if (rules.Scalar().empty()) p.error(rules, corr, "invalid-rule-reference", "empty rule reference");
    else r.rules.push_back(rules.Scalar());
  } else if (rules.IsSequence()) {
    if (rules.size() == 0) p.error(rules, corr, "missing-rules", "'rules' is empty");
    for (const auto& item : rules) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        p.error(item, rules, "invalid-rule-reference", "a rule reference must be a non-empty string");
        continue;
      }
      if (std::find(r.rules.begin(), r.rules.end(), item.Scalar()) != r.rules.end()) {
        p.error(item, rules, "duplicate-rule-reference",
                fmt::format("rule '{}' is referenced twice", item.Scalar()));
        continue;
      }
      r.rules.push_back(item.Scalar());
    }
  } else {
    p.error(rules, corr, "invalid-rules", "'rules' must be a list of rule names or ids");
  }

  // generate (pySigma reads it inside the correlation section)
  if (YAML::Node g = corr["generate"]; g.IsDefined() && !g.IsNull()) {
    if (auto b = p.boolean(g)) r.generate = *b;
    else p.error(g, corr, "invalid-generate", "'generate' must be true or false");
  }

  // group-by
  YAML::Node gb = corr["group-by"];
  if (!gb.IsDefined() || gb.IsNull()) {
    p.warning(gb, corr, "missing-group-by",
              "no 'group-by': all matching events form a single group");
  } else if (gb.IsScalar()) {
    if (gb.Scalar().empty()) p.error(gb, corr, "invalid-group-by", "empty group-by field");
    else r.group_by.push_back(gb.Scalar());
  } else if (gb.IsSequence()) {
    for (const auto& item : gb) {
      if (!item.IsScalar() || item.Scalar().empty()) {
        p.error(item, gb, "invalid-group-by", "a group-by entry must be a field or alias name");
        continue;
      }
      if (std::find(r.group_by.begin(), r.group_by.end(), item.Scalar()) != r.group_by.end()) {
        p.error(item, gb, "duplicate-group-by", fmt::format("'{}' is listed twice in group-by", item.Scalar()));
        continue;
      }
      r.group_by.push_back(item.Scalar());
    }
  } else {
    p.error(gb, corr, "invalid-group-by", "'group-by' must be a list of field names");
  }

  // timespan
  YAML::Node ts = corr["timespan"];
  YAML::Node tf = corr["timeframe"];
  if (!ts.IsDefined() || ts.IsNull()) {
    if (tf.IsDefined())
      p.error(tf, corr, "deprecated-timeframe",
              "'timeframe' is the old Sigma v1 name; correlation rules use 'timespan'");
    else
      p.error(ts, corr, "missing-timespan", "the correlation needs a 'timespan' (e.g. 5m)");
  } else {
    if (tf.IsDefined())
      p.warning(tf, corr, "deprecated-timeframe", "'timeframe' is ignored; 'timespan' is used");
    bool nonstandard = false;
    std::optional<int64_t> ns;
    if (ts.IsScalar()) ns = parse_timespan(ts.Scalar(), &nonstandard);
    if (!ns) {
      p.error(ts, corr, "invalid-timespan",
              fmt::format("invalid timespan '{}': expected a positive number and a unit s, m, h or d "
                          "(e.g. 90m)",
                          ts.IsScalar() ? ts.Scalar() : std::string("<not a string>")));
    } else {
      r.timespan_ns = *ns;
      r.timespan_text = ts.Scalar();
      if (nonstandard)
        p.warning(ts, corr, "nonstandard-timespan-unit",
                  "the unit 'w' is a pySigma extension; the specification has s, m, h, d");
    }
  }

  // condition
  YAML::Node cond = corr["condition"];
  bool have_field = false, have_percentile = false;
  YAML::Node field_node, pct_node;
  if (!cond.IsDefined() || cond.IsNull()) {
    if (type_ok && is_temporal(r.type)) {
      r.condition.tests.push_back({CorrelationCondition::gte, static_cast<double>(r.rules.size())});
      r.condition.is_default = true;
    } else if (type_ok) {
      p.error(cond, corr, "missing-condition",
              fmt::format("a {} correlation needs a 'condition'", correlation_type_name(r.type)));
    }
  } else if (cond.IsScalar()) {
    if (type_ok && is_temporal(r.type))
      p.error(cond, corr, "unsupported-extended-condition",
              "extended (boolean expression) correlation conditions are not supported");
    else
      p.error(cond, corr, "invalid-condition", "'condition' must be a map such as {gte: 10}");
  } else if (!cond.IsMap()) {
    p.error(cond, corr, "invalid-condition", "'condition' must be a map such as {gte: 10}");
  } else {
    static const std::pair<const char*, CorrelationCondition::Op> ops[] = {
        {"gt", CorrelationCondition::gt},   {"gte", CorrelationCondition::gte},
        {"lt", CorrelationCondition::lt},   {"lte", CorrelationCondition::lte},
        {"eq", CorrelationCondition::eq},   {"neq", CorrelationCondition::neq}};
    for (auto it = cond.begin(); it != cond.end(); ++it) {
      const YAML::Node k = it->first;
      const YAML::Node v = it->second;
      std::string key = k.IsScalar() ? k.Scalar() : std::string();
      if (key == "field") {
        have_field = true;
        field_node = v;
        if (v.IsScalar() && !v.Scalar().empty()) {
          r.condition.field = v.Scalar();
        } else if (v.IsSequence() && v.size() == 1 && v[0].IsScalar() && !v[0].Scalar().empty()) {
          r.condition.field = v[0].Scalar();
        } else {
          p.error(v, k, "invalid-condition-field", "condition 'field' must be one field name");
        }
        continue;
      }
      if (key == "percentile") {
        have_percentile = true;
        pct_node = v;
        auto n = v.IsScalar() ? parse_number(v.Scalar()) : std::nullopt;
        if (!n) p.error(v, k, "invalid-percentile", "condition 'percentile' must be a number");
        else if (*n < 0 || *n > 100)
          p.error(v, k, "percentile-out-of-range",
                  fmt::format("percentile {} is outside 0..100", v.Scalar()));
        else r.condition.percentile = *n;
        continue;
      }
      const CorrelationCondition::Op* op = nullptr;
      for (const auto& [name, o] : ops)
        if (key == name) op = &o;
      if (!op) {
        p.error(k, cond, "unknown-condition-operator",
                fmt::format("unknown condition operator '{}' (gt, gte, lt, lte, eq, neq)", key));
        continue;
      }
      bool dup = false;
      for (const auto& t : r.condition.tests) dup |= t.first == *op;
      if (dup) {
        p.error(k, cond, "duplicate-condition-operator", fmt::format("operator '{}' given twice", key));
        continue;
      }
      auto n = v.IsScalar() ? parse_number(v.Scalar()) : std::nullopt;
      if (!n) {
        p.error(v, k, "invalid-condition-value",
                fmt::format("condition '{}' needs a number, got '{}'", key,
                            v.IsScalar() ? v.Scalar() : std::string("<not a number>")));
        continue;
      }
      r.condition.tests.push_back({*op, *n});
    }
    bool any_op = false;
    for (auto it = cond.begin(); it != cond.end(); ++it) {
      std::string key = it->first.IsScalar() ? it->first.Scalar() : std::string();
      for (const auto& [name, o] : ops) any_op |= key == name;
    }
    if (!any_op)
      p.error(cond, corr, "missing-condition-operator",
              "the condition needs at least one of gt, gte, lt, lte, eq, neq");
  }
  if (type_ok) {
    if (correlation_needs_field(r.type) && !have_field && cond.IsDefined() && cond.IsMap())
      p.error(cond, corr, "missing-condition-field",
              fmt::format("a {} correlation needs 'field' in its condition", correlation_type_name(r.type)));
    if (!correlation_needs_field(r.type) && have_field)
      p.warning(field_node, cond, "unused-condition-field",
                fmt::format("'field' has no meaning for a {} correlation", correlation_type_name(r.type)));
    if (r.type == CorrelationType::value_percentile && !have_percentile && cond.IsDefined() && cond.IsMap())
      p.error(cond, corr, "missing-percentile", "a value_percentile correlation needs 'percentile' in its condition");
    if (r.type != CorrelationType::value_percentile && have_percentile)
      p.warning(pct_node, cond, "unused-percentile",
                fmt::format("'percentile' has no meaning for a {} correlation", correlation_type_name(r.type)));
    if (r.type == CorrelationType::value_median) r.condition.percentile = 50;
  }

  // aliases
  YAML::Node al = corr["aliases"];
  if (al.IsDefined() && !al.IsNull()) {
    if (!al.IsMap()) {
      p.error(al, corr, "invalid-aliases", "'aliases' must map alias names to {rule: field} maps");
    } else {
      for (auto it = al.begin(); it != al.end(); ++it) {
        if (!it->first.IsScalar() || it->first.Scalar().empty()) {
          p.error(it->first, al, "invalid-aliases", "an alias name must be a string");
          continue;
        }
        const std::string alias = it->first.Scalar();
        const YAML::Node m = it->second;
        if (!m.IsMap()) {
          p.error(m, it->first, "invalid-aliases",
                  fmt::format("alias '{}' must map rule names to field names", alias));
          continue;
        }
        auto& dst = r.aliases[alias];
        for (auto jt = m.begin(); jt != m.end(); ++jt) {
          if (!jt->first.IsScalar() || !jt->second.IsScalar() || jt->second.Scalar().empty()) {
            p.error(jt->second, jt->first, "invalid-aliases",
                    fmt::format("alias '{}': each entry must be 'rule: field'", alias));
            continue;
          }
          const std::string& ref = jt->first.Scalar();
          if (!rules.IsDefined() || std::find(r.rules.begin(), r.rules.end(), ref) == r.rules.end())
            p.error(jt->first, m, "alias-unknown-rule",
                    fmt::format("alias '{}' maps rule '{}', which is not in 'rules'", alias, ref));
          dst[ref] = jt->second.Scalar();
        }
        bool used = std::find(r.group_by.begin(), r.group_by.end(), alias) != r.group_by.end() ||
                    r.condition.field == alias;
        if (!used) {
          p.warning(it->first, al, "unused-alias",
                    fmt::format("alias '{}' is used neither in group-by nor as condition field", alias));
        } else {
          for (const auto& ref : r.rules)
            if (!dst.count(ref))
              p.warning(it->first, al, "incomplete-alias",
                        fmt::format("alias '{}' has no field for rule '{}'; the field '{}' is used", alias,
                                    ref, alias));
        }
      }
    }
  }

  if (p.failed) return std::nullopt;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Reference resolution across correlations

namespace {

// upstream[y][pos] = index of the correlation that reference names, or -1.
std::vector<std::vector<int32_t>> resolve_upstream(const std::vector<CorrelationRule>& rules,
                                                   std::vector<std::pair<size_t, size_t>>* ambiguous) {
  std::vector<std::vector<int32_t>> up(rules.size());
  for (size_t y = 0; y < rules.size(); ++y) {
    up[y].assign(rules[y].rules.size(), -1);
    for (size_t pos = 0; pos < rules[y].rules.size(); ++pos) {
      const std::string& ref = rules[y].rules[pos];
      int matches = 0;
      for (size_t x = 0; x < rules.size(); ++x) {
        if ((!rules[x].name.empty() && rules[x].name == ref) || (!rules[x].id.empty() && rules[x].id == ref)) {
          if (matches++ == 0) up[y][pos] = static_cast<int32_t>(x);
        }
      }
      if (matches > 1 && ambiguous) ambiguous->push_back({y, pos});
    }
  }
  return up;
}

// Kahn's algorithm; edges inside what is left (cycles, and what hangs off them) are removed.
std::vector<uint32_t> topo_order(std::vector<std::vector<int32_t>>& up, std::vector<bool>* cyclic) {
  const size_t n = up.size();
  auto run = [&](std::vector<uint32_t>& order) {
    std::vector<size_t> indeg(n, 0);
    std::vector<std::vector<uint32_t>> out(n);
    for (size_t y = 0; y < n; ++y)
      for (int32_t x : up[y])
        if (x >= 0) {
          ++indeg[y];
          out[static_cast<size_t>(x)].push_back(static_cast<uint32_t>(y));
        }
    std::vector<uint32_t> ready;
    for (size_t i = n; i-- > 0;)
      if (indeg[i] == 0) ready.push_back(static_cast<uint32_t>(i));
    std::vector<bool> done(n, false);
    while (!ready.empty()) {
      uint32_t v = ready.back();
      ready.pop_back();
      order.push_back(v);
      done[v] = true;
      for (uint32_t w : out[v])
        if (--indeg[w] == 0) ready.push_back(w);
    }
    return done;
  };
  std::vector<uint32_t> order;
  auto done = run(order);
  if (order.size() == n) return order;
  if (cyclic) {
    cyclic->assign(n, false);
    for (size_t i = 0; i < n; ++i) (*cyclic)[i] = !done[i];
  }
  for (size_t y = 0; y < n; ++y)
    if (!done[y])
      for (auto& x : up[y])
        if (x >= 0 && !done[static_cast<size_t>(x)]) x = -1;
  order.clear();
  run(order);
  return order;
}

}  // namespace

void check_correlation_references(const std::vector<CorrelationRule>& rules, Diagnostics& diags) {
  std::vector<std::pair<size_t, size_t>> amb;
  auto up = resolve_upstream(rules, &amb);
  for (auto [y, pos] : amb)
    diags.warning(rules[y].file, rules[y].line, rules[y].column, "ambiguous-correlation-reference",
                  fmt::format("reference '{}' names more than one correlation; the first is used",
                              rules[y].rules[pos]));
  std::vector<bool> cyclic;
  topo_order(up, &cyclic);
  for (size_t i = 0; i < cyclic.size(); ++i)
    if (cyclic[i])
      diags.error(rules[i].file, rules[i].line, rules[i].column, "correlation-cycle",
                  fmt::format("correlation '{}' is part of (or depends on) a reference cycle",
                              rules[i].title));
}

// ---------------------------------------------------------------------------------------------
// Engine

struct CorrelationEngine::Entry {
  int64_t ts = 0;
  uint64_t event = 0;
  uint32_t pos = 0;
  double num = 0;
  std::string value;
  std::shared_ptr<const std::vector<uint64_t>> sub;  // events of an upstream hit
};

namespace {
bool entry_less(const CorrelationEngine::Entry& a, const CorrelationEngine::Entry& b) {
  return std::tie(a.ts, a.event, a.pos) < std::tie(b.ts, b.event, b.pos);
}
}  // namespace

struct CorrelationEngine::Group {
  uint64_t id = 0;
  uint32_t corr = 0;
  std::string key;
  std::vector<std::string> values;
  std::deque<Entry> entries;
  size_t fed = 0;  // (A): entries[0, fed) are the current window
  // (A) aggregates over entries[0, fed)
  double sum = 0;
  std::unordered_map<std::string, uint32_t> distinct;
  std::vector<uint32_t> per_rule;
  uint32_t rules_seen = 0;
  int64_t deadline = 0;
  bool scheduled = false;
};

struct CorrelationEngine::Feed {
  uint32_t corr = 0, pos = 0;
  std::vector<int32_t> group_idx;  // into the upstream hit's group; -1 = missing
  int32_t value_idx = -1;
};

CorrelationEngine::CorrelationEngine(std::vector<CorrelationRule> rules, int64_t tolerance_ns,
                                     CorrelationLimits limits)
    : rules_(std::move(rules)), tolerance_(std::max<int64_t>(0, tolerance_ns)), limits_(limits),
      max_seen_(kMin) {
  const size_t n = rules_.size();
  early_.resize(n);
  for (size_t i = 0; i < n; ++i) early_[i] = rules_[i].fires_early();
  upstream_ = resolve_upstream(rules_, nullptr);
  topo_ = topo_order(upstream_, nullptr);
  reports_.assign(n, true);
  std::vector<bool> generated(n, false);
  for (uint32_t y = 0; y < n; ++y)
    for (int32_t x : upstream_[y])
      if (x >= 0) {
        reports_[static_cast<size_t>(x)] = false;
        if (rules_[y].generate) generated[static_cast<size_t>(x)] = true;
      }
  for (size_t i = 0; i < n; ++i) reports_[i] = reports_[i] || generated[i];
  downstream_.resize(n);
  due_.resize(n);
  for (uint32_t y = 0; y < n; ++y) {
    for (uint32_t pos = 0; pos < upstream_[y].size(); ++pos) {
      int32_t x = upstream_[y][pos];
      if (x < 0) continue;
      const auto& ux = rules_[static_cast<size_t>(x)];
      auto index_of = [&](const std::string& f) -> int32_t {
        for (size_t i = 0; i < ux.group_by.size(); ++i)
          if (ux.group_by[i] == f) return static_cast<int32_t>(i);
        return -1;
      };
      Feed f;
      f.corr = y;
      f.pos = pos;
      for (const auto& g : rules_[y].group_fields(pos)) f.group_idx.push_back(index_of(g));
      if (auto vf = rules_[y].value_field(pos)) f.value_idx = index_of(*vf);
      downstream_[static_cast<size_t>(x)].push_back(std::move(f));
    }
  }
}

CorrelationEngine::~CorrelationEngine() = default;

int64_t CorrelationEngine::watermark() const noexcept {
  return any_seen_ ? sat_sub(max_seen_, tolerance_) : kMin;
}

std::optional<uint32_t> CorrelationEngine::upstream(uint32_t correlation, uint32_t pos) const {
  if (correlation >= upstream_.size() || pos >= upstream_[correlation].size()) return std::nullopt;
  int32_t x = upstream_[correlation][pos];
  if (x < 0) return std::nullopt;
  return static_cast<uint32_t>(x);
}

static std::string group_key(uint32_t corr, const std::vector<std::string>& values) {
  std::string k = std::to_string(corr);
  for (const auto& v : values) {
    k += '\x1f';
    k += std::to_string(v.size());
    k += ':';
    k += v;
  }
  return k;
}

void CorrelationEngine::schedule(Group& g) {
  auto& due = due_[g.corr];
  if (g.scheduled) due.erase({g.deadline, g.id});
  g.scheduled = false;
  if (g.entries.empty()) return;
  const int64_t span = rules_[g.corr].timespan_ns;
  int64_t d = kMax;
  if (early_[g.corr]) {
    if (g.fed < g.entries.size()) d = g.entries[g.fed].ts;
    if (g.fed > 0) d = std::min(d, sat_add(g.entries.front().ts, span));
  } else {
    d = sat_add(g.entries.front().ts, span);
  }
  g.deadline = d;
  g.scheduled = true;
  due.insert({d, g.id});
}

void CorrelationEngine::insert(uint32_t corr, const std::string& key, std::vector<std::string>&& values,
                               Entry&& e) {
  if (total_entries_ >= limits_.max_entries_total) {
    ++stats_.dropped_total_cap;
    return;
  }
  Group* g = nullptr;
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    g = groups_.at(it->second).get();
  } else {
    auto ng = std::make_unique<Group>();
    ng->id = next_gid_++;
    ng->corr = corr;
    ng->key = key;
    ng->values = std::move(values);
    ng->per_rule.assign(rules_[corr].rules.size(), 0);
    g = ng.get();
    by_key_.emplace(key, ng->id);
    groups_.emplace(ng->id, std::move(ng));
  }
  if (g->entries.size() >= limits_.max_entries_per_group) {
    ++stats_.dropped_group_cap;
    if (g->entries.empty()) {  // only with a cap of 0
      by_key_.erase(g->key);
      groups_.erase(g->id);
    }
    return;
  }
  // Entries before `fed` are already evaluated; a new entry always sorts after them (it is
  // not late), but stay safe if it does not.
  auto first = g->entries.begin() + static_cast<std::ptrdiff_t>(g->fed);
  auto at = std::upper_bound(first, g->entries.end(), e, entry_less);
  g->entries.insert(at, std::move(e));
  ++total_entries_;
  ++stats_.accepted;
  schedule(*g);
}

void CorrelationEngine::add(const CorrelationInput& in, std::vector<CorrelationHit>& out) {
  if (in.correlation >= rules_.size()) {
    ++stats_.invalid;
    return;
  }
  const CorrelationRule& r = rules_[in.correlation];
  if (in.rule_pos >= r.rules.size() || upstream_[in.correlation][in.rule_pos] >= 0 ||
      in.group.size() != r.group_by.size()) {
    ++stats_.invalid;
    return;
  }
  const int64_t w_prev = watermark();
  if (any_seen_ && in.ts_ns < w_prev) {
    ++stats_.late;
    return;
  }
  bool usable = true;
  std::vector<std::string> values;
  values.reserve(in.group.size());
  for (const auto& v : in.group) {
    if (!v) {
      usable = false;
      ++stats_.missing_group;
      break;
    }
    values.push_back(*v);
  }
  Entry e;
  e.ts = in.ts_ns;
  e.event = in.event;
  e.pos = in.rule_pos;
  if (usable && correlation_needs_field(r.type)) {
    if (!in.value) {
      usable = false;
    } else if (is_numeric(r.type)) {
      auto n = parse_number(*in.value);
      if (n) e.num = *n;
      else usable = false;
    } else {
      e.value = *in.value;
    }
    if (!usable) ++stats_.missing_value;
  }
  std::vector<CorrelationHit> hits;
  if (usable) {
    std::string key = group_key(in.correlation, values);
    insert(in.correlation, key, std::move(values), std::move(e));
  }
  // Time advances with every valid input, used or not.
  if (!any_seen_ || in.ts_ns > max_seen_) {
    max_seen_ = in.ts_ns;
    any_seen_ = true;
  }
  const int64_t w = watermark();
  if (w > w_prev) advance(w, false, hits);
  std::sort(hits.begin(), hits.end(), [](const CorrelationHit& a, const CorrelationHit& b) {
    return std::tie(a.ts_ns, a.correlation, a.group, a.first_ts_ns, a.events) <
           std::tie(b.ts_ns, b.correlation, b.group, b.first_ts_ns, b.events);
  });
  for (auto& h : hits) out.push_back(std::move(h));
}

void CorrelationEngine::flush(std::vector<CorrelationHit>& out) {
  std::vector<CorrelationHit> hits;
  advance(kMax, true, hits);
  std::sort(hits.begin(), hits.end(), [](const CorrelationHit& a, const CorrelationHit& b) {
    return std::tie(a.ts_ns, a.correlation, a.group, a.first_ts_ns, a.events) <
           std::tie(b.ts_ns, b.correlation, b.group, b.first_ts_ns, b.events);
  });
  for (auto& h : hits) out.push_back(std::move(h));
}

void CorrelationEngine::advance(int64_t w, bool flushing, std::vector<CorrelationHit>& out) {
  for (uint32_t corr : topo_) {
    auto& due = due_[corr];
    while (!due.empty() && (flushing || due.begin()->first < w)) {
      const uint64_t gid = due.begin()->second;
      due.erase(due.begin());
      auto it = groups_.find(gid);
      if (it == groups_.end()) continue;
      Group& g = *it->second;  // stable: groups are held by unique_ptr
      g.scheduled = false;
      advance_group(g, w, flushing, out);  // may add groups downstream (rehash)
      if (g.entries.empty()) {
        by_key_.erase(g.key);
        groups_.erase(gid);
      } else {
        schedule(g);
      }
    }
  }
}

namespace {

double percentile_of(std::vector<double>& v, double pct) {
  std::sort(v.begin(), v.end());
  if (v.size() == 1) return v[0];
  double rank = pct / 100.0 * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, v.size() - 1);
  double frac = rank - static_cast<double>(lo);
  return v[lo] + (v[hi] - v[lo]) * frac;
}

// Longest chain of rule positions p1 < p2 < ... matched at strictly increasing times.
template <typename It>
double ordered_chain(It begin, It end, size_t nrules) {
  std::vector<uint32_t> best(nrules, 0), next(nrules, 0);
  for (It i = begin; i != end;) {
    It j = i;
    next = best;
    while (j != end && j->ts == i->ts) {
      uint32_t prefix = 0;
      for (size_t q = 0; q < j->pos && q < nrules; ++q) prefix = std::max(prefix, best[q]);
      if (j->pos < nrules) next[j->pos] = std::max(next[j->pos], prefix + 1);
      ++j;
    }
    best = next;
    i = j;
  }
  uint32_t m = 0;
  for (auto b : best) m = std::max(m, b);
  return m;
}

}  // namespace

void CorrelationEngine::emit(Group& g, size_t n, double value, int64_t ts, std::vector<CorrelationHit>& out) {
  CorrelationHit h;
  h.correlation = g.corr;
  h.group = g.values;
  h.first_ts_ns = g.entries.front().ts;
  h.last_ts_ns = g.entries[n - 1].ts;
  h.ts_ns = ts;
  h.value = value;
  for (size_t i = 0; i < n; ++i) {
    const Entry& e = g.entries[i];
    if (e.sub) h.events.insert(h.events.end(), e.sub->begin(), e.sub->end());
    else h.events.push_back(e.event);
  }
  g.entries.erase(g.entries.begin(), g.entries.begin() + static_cast<std::ptrdiff_t>(n));
  total_entries_ -= n;
  ++stats_.hits;
  if (!downstream_[g.corr].empty()) feed_downstream(h);
  out.push_back(std::move(h));
}

void CorrelationEngine::feed_downstream(const CorrelationHit& h) {
  auto events = std::make_shared<const std::vector<uint64_t>>(h.events);
  for (const Feed& f : downstream_[h.correlation]) {
    const CorrelationRule& r = rules_[f.corr];
    std::vector<std::string> values;
    bool usable = true;
    for (int32_t idx : f.group_idx) {
      if (idx < 0 || static_cast<size_t>(idx) >= h.group.size()) {
        usable = false;
        break;
      }
      values.push_back(h.group[static_cast<size_t>(idx)]);
    }
    if (!usable) {
      ++stats_.missing_group;
      continue;
    }
    Entry e;
    e.ts = h.ts_ns;
    e.event = h.events.empty() ? 0 : h.events.front();
    e.pos = f.pos;
    e.sub = events;
    if (correlation_needs_field(r.type)) {
      if (f.value_idx < 0 || static_cast<size_t>(f.value_idx) >= h.group.size()) {
        ++stats_.missing_value;
        continue;
      }
      const std::string& text = h.group[static_cast<size_t>(f.value_idx)];
      if (is_numeric(r.type)) {
        auto n = parse_number(text);
        if (!n) {
          ++stats_.missing_value;
          continue;
        }
        e.num = *n;
      } else {
        e.value = text;
      }
    }
    std::string key = group_key(f.corr, values);
    insert(f.corr, key, std::move(values), std::move(e));
  }
}

void CorrelationEngine::advance_group(Group& g, int64_t w, bool flushing, std::vector<CorrelationHit>& out) {
  const CorrelationRule& r = rules_[g.corr];
  const int64_t span = r.timespan_ns;
  auto final_ = [&](int64_t ts) { return flushing || ts < w; };
  auto closed = [&](int64_t end) { return flushing || end < w; };

  if (early_[g.corr]) {
    auto agg_add = [&](const Entry& e) {
      switch (r.type) {
        case CorrelationType::value_count: ++g.distinct[e.value]; break;
        case CorrelationType::value_sum: g.sum += e.num; break;
        case CorrelationType::temporal:
        case CorrelationType::temporal_ordered:
          if (e.pos < g.per_rule.size() && g.per_rule[e.pos]++ == 0) ++g.rules_seen;
          break;
        default: break;
      }
    };
    auto agg_remove = [&](const Entry& e) {
      switch (r.type) {
        case CorrelationType::value_count: {
          auto it = g.distinct.find(e.value);
          if (it != g.distinct.end() && --it->second == 0) g.distinct.erase(it);
          break;
        }
        case CorrelationType::value_sum: g.sum -= e.num; break;
        case CorrelationType::temporal:
        case CorrelationType::temporal_ordered:
          if (e.pos < g.per_rule.size() && --g.per_rule[e.pos] == 0) --g.rules_seen;
          break;
        default: break;
      }
    };
    auto reset = [&] {
      g.sum = 0;
      g.distinct.clear();
      std::fill(g.per_rule.begin(), g.per_rule.end(), 0);
      g.rules_seen = 0;
      g.fed = 0;
    };
    auto drop_front = [&] {
      agg_remove(g.entries.front());
      g.entries.pop_front();
      --g.fed;
      --total_entries_;
      if (g.fed == 0) reset();  // also clears rounding left in the sum
    };
    auto current = [&]() -> double {
      switch (r.type) {
        case CorrelationType::event_count: return static_cast<double>(g.fed);
        case CorrelationType::value_count: return static_cast<double>(g.distinct.size());
        case CorrelationType::value_sum: return g.sum;
        case CorrelationType::temporal: return g.rules_seen;
        case CorrelationType::temporal_ordered:
          return ordered_chain(g.entries.begin(), g.entries.begin() + static_cast<std::ptrdiff_t>(g.fed),
                               r.rules.size());
        default: return 0;
      }
    };
    while (g.fed < g.entries.size() && final_(g.entries[g.fed].ts)) {
      const int64_t ts = g.entries[g.fed].ts;
      while (g.fed > 0 && ts > sat_add(g.entries.front().ts, span)) drop_front();
      agg_add(g.entries[g.fed]);
      ++g.fed;
      double v = current();
      if (r.condition.holds(v)) {
        size_t n = g.fed;
        reset();
        emit(g, n, v, ts, out);
      }
    }
    while (g.fed > 0 && closed(sat_add(g.entries.front().ts, span))) drop_front();
    return;
  }

  // (B): judge closed windows; each closed window is consumed.
  std::vector<double> nums;
  while (!g.entries.empty()) {
    const int64_t end = sat_add(g.entries.front().ts, span);
    if (!closed(end)) break;
    size_t k = 0;
    while (k < g.entries.size() && g.entries[k].ts <= end) ++k;
    std::optional<double> v;
    switch (r.type) {
      case CorrelationType::event_count: v = static_cast<double>(k); break;
      case CorrelationType::value_count: {
        std::unordered_set<std::string> s;
        for (size_t i = 0; i < k; ++i) s.insert(g.entries[i].value);
        v = static_cast<double>(s.size());
        break;
      }
      case CorrelationType::temporal: {
        std::vector<bool> seen(r.rules.size(), false);
        size_t c = 0;
        for (size_t i = 0; i < k; ++i)
          if (g.entries[i].pos < seen.size() && !seen[g.entries[i].pos]) {
            seen[g.entries[i].pos] = true;
            ++c;
          }
        v = static_cast<double>(c);
        break;
      }
      case CorrelationType::temporal_ordered:
        v = ordered_chain(g.entries.begin(), g.entries.begin() + static_cast<std::ptrdiff_t>(k), r.rules.size());
        break;
      case CorrelationType::value_sum:
      case CorrelationType::value_avg:
      case CorrelationType::value_percentile:
      case CorrelationType::value_median: {
        nums.clear();
        for (size_t i = 0; i < k; ++i) nums.push_back(g.entries[i].num);
        if (nums.empty()) break;
        if (r.type == CorrelationType::value_sum || r.type == CorrelationType::value_avg) {
          double s = 0;
          for (double x : nums) s += x;
          v = r.type == CorrelationType::value_sum ? s : s / static_cast<double>(nums.size());
        } else {
          v = percentile_of(nums, r.type == CorrelationType::value_median ? 50.0 : r.condition.percentile);
        }
        break;
      }
    }
    if (v && r.condition.holds(*v)) {
      emit(g, k, *v, end, out);
    } else {
      g.entries.erase(g.entries.begin(), g.entries.begin() + static_cast<std::ptrdiff_t>(k));
      total_entries_ -= k;
    }
  }
}

}  // namespace lachan::sigma
