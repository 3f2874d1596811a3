// Loading and compiling a ruleset: files -> rules, filters, correlations -> compiled programs
// per log-source variant, prefilter literals and the variant dispatch index.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <atomic>

#include <fmt/format.h>

#include "core/strings.h"
#include "match/anchor_set.h"
#include "match/regex_set.h"
#include "sigma/ruleset.h"
#include "sigma/values.h"

#include <re2/filtered_re2.h>

namespace lachan::sigma {

namespace {

struct Atom {
  FieldId field;
  std::string lit;     // or, for a regex atom, the RE2 pattern
  bool regex = false;  // a regex without literals, which Vectorscan looks for (match::RegexSet)
  double len = -1;     // the length it is scored as (atoms_cost); < 0: lit's
  // A literal that must be the whole value, or its start or end (`anchor`: a plain, startswith or
  // endswith value of one field): looked up by the variant's AnchorSet instead of scanned for.
  bool anchored = false;
  match::AnchorSet::Kind anchor = match::AnchorSet::whole;
};
// A clause: the node can only be true if one of these literals occurs (in its field), or one of
// its regex atoms may match one of its field's values.
using Clause = std::vector<Atom>;
// A necessary condition for a node, in conjunctive form: every clause must hold. nullopt: no
// condition is known (the node can be true whatever literals the event holds).
using Atoms = std::optional<std::vector<Clause>>;

// Literals inside the strings nearly every Windows event has (system folders, the commonest
// executables and signers) are scored as if they were 3 bytes long, whatever their length:
// "\\windows\\" occurs in most process events, so another clause of the rule is a better filter.
bool common_in_events(const std::string& lit) {
  static const char* const kCommon[] = {
      "c:\\windows\\system32\\", "c:\\windows\\syswow64\\", "c:\\program files (x86)\\", "c:\\program files\\",
      "c:\\users\\", "\\appdata\\local\\temp\\", "\\appdata\\roaming\\", "\\microsoft\\windows\\",
      "microsoft corporation", "microsoft windows", "nt authority\\system", "\\svchost.exe", "\\rundll32.exe",
      "\\powershell.exe", "\\cmd.exe", "\\conhost.exe", "\\explorer.exe", "\\services.exe", "\\msiexec.exe"};
  std::string low = to_lower(lit);
  for (const char* c : kCommon)
    if (std::string_view(c).find(low) != std::string_view::npos) return true;
  return false;
}

// A regex atom without literals is scored as a literal of this many bytes: selective, but run
// over each value of its field rather than found by the literal scan.
constexpr double kRegexAtomLength = 6.0;

// The expected share of events an atom set selects: a literal's chance to occur roughly halves
// with every two bytes it grows (".exe" is in nearly every process event, "\\edrfreeze" in
// almost none), so a few long literals beat one short one. Anchored literals are scored as
// unanchored ones: a whole value is rarer than the same text anywhere in it, but the values
// rules test whole (IntegrityLevel, User, OriginalFileName) are the common ones.
double atoms_cost(const Clause& a) {
  double c = 0;
  for (const auto& x : a) {
    const double len = x.len >= 0 ? x.len : common_in_events(x.lit) ? 3.0 : static_cast<double>(x.lit.size());
    c += 0.01 + std::exp2(-(len - 4.0) / 2.0);
  }
  return c;
}

// Anchored literals this short are left to the regex atoms (as short unanchored ones are): a
// value's first or last two bytes are common.
constexpr size_t kMinAnchoredAffix = 3;

// Atoms shorter than this select too many candidates to be worth scanning for.
constexpr size_t kMinAtom = 4;
// Longer literals are cut to their last kMaxAtom bytes, still a necessary condition (the end is
// where names and extensions sit, e.g. "\\powershell.exe"); shorter literals keep the
// Vectorscan database small and quick to compile.
constexpr size_t kMaxAtom = 16;
std::string cut_atom(const std::string& lit) {
  return lit.size() > kMaxAtom ? lit.substr(lit.size() - kMaxAtom) : lit;
}

struct ModSpec {
  enum Pos { none, contains, startswith, endswith } position = none;
  enum Type { plain, re, cidr, numeric, exists, fieldref, time_part } type = plain;
  ValueMatcher::Cmp cmp = ValueMatcher::eq;
  ValueMatcher::Part part = ValueMatcher::minute;
  bool cased = false, all = false, neq = false, expand = false;
  bool re_i = false, re_m = false, re_s = false;
  std::vector<std::string> transforms;  // windash, base64, base64offset, utf16le, utf16be, utf16
};

bool parse_mods(const std::vector<std::string>& mods, ModSpec& s, std::string& err) {
  auto set_type = [&](ModSpec::Type t, const std::string& m) {
    if (s.type != ModSpec::plain && !(s.type == ModSpec::time_part && t == ModSpec::numeric)) {
      err = fmt::format("modifier '{}' cannot be combined with another type modifier", m);
      return false;
    }
    if (s.type != ModSpec::time_part) s.type = t;
    return true;
  };
  for (const auto& raw : mods) {
    std::string m = to_lower(raw);
    if (m == "contains" || m == "startswith" || m == "endswith") {
      if (s.position != ModSpec::none) {
        err = fmt::format("modifier '{}' cannot be combined with another of contains, startswith, endswith", m);
        return false;
      }
      s.position = m == "contains" ? ModSpec::contains : m == "startswith" ? ModSpec::startswith : ModSpec::endswith;
    } else if (m == "all") {
      s.all = true;
    } else if (m == "cased") {
      s.cased = true;
    } else if (m == "neq") {
      s.neq = true;
    } else if (m == "expand") {
      s.expand = true;
    } else if (m == "windash" || m == "base64" || m == "base64offset" || m == "utf16le" || m == "wide" ||
               m == "utf16be" || m == "utf16") {
      s.transforms.push_back(m == "wide" ? "utf16le" : m);
    } else if (m == "re") {
      if (!set_type(ModSpec::re, m)) return false;
    } else if (m == "i" || m == "ignorecase") {
      s.re_i = true;
    } else if (m == "m" || m == "multiline") {
      s.re_m = true;
    } else if (m == "s" || m == "dotall") {
      s.re_s = true;
    } else if (m == "cidr") {
      if (!set_type(ModSpec::cidr, m)) return false;
    } else if (m == "lt" || m == "lte" || m == "gt" || m == "gte") {
      if (!set_type(ModSpec::numeric, m)) return false;
      s.cmp = m == "lt" ? ValueMatcher::lt : m == "lte" ? ValueMatcher::lte : m == "gt" ? ValueMatcher::gt : ValueMatcher::gte;
    } else if (m == "exists") {
      if (!set_type(ModSpec::exists, m)) return false;
    } else if (m == "fieldref") {
      if (!set_type(ModSpec::fieldref, m)) return false;
    } else if (m == "minute" || m == "hour" || m == "day" || m == "week" || m == "month" || m == "year") {
      if (s.type != ModSpec::plain && s.type != ModSpec::numeric) {
        err = fmt::format("modifier '{}' cannot be combined with another type modifier", m);
        return false;
      }
      bool had_cmp = s.type == ModSpec::numeric;
      s.type = ModSpec::time_part;
      if (!had_cmp) s.cmp = ValueMatcher::eq;
      s.part = m == "minute" ? ValueMatcher::minute : m == "hour" ? ValueMatcher::hour : m == "day" ? ValueMatcher::day
             : m == "week" ? ValueMatcher::week : m == "month" ? ValueMatcher::month : ValueMatcher::year;
    } else {
      err = fmt::format("unknown modifier '{}'", raw);
      return false;
    }
  }
  if ((s.re_i || s.re_m || s.re_s) && s.type != ModSpec::re) {
    err = "the regular-expression flags i, m, s need the 're' modifier";
    return false;
  }
  if (s.type != ModSpec::plain && s.type != ModSpec::fieldref &&
      (s.position != ModSpec::none || !s.transforms.empty())) {
    err = "re, cidr, lt/lte/gt/gte, exists and time modifiers cannot be combined with contains, startswith, endswith "
          "or encoding modifiers";
    return false;
  }
  return true;
}

}  // namespace

class Compiler {
 public:
  Compiler(Ruleset& rs, Diagnostics& d, LoadStats& st, const Placeholders& ph) : rs_(rs), d_(d), st_(st), ph_(ph) {}

  // Compiles a rule for one variant; returns the root node, or nullopt (with diagnostics when
  // `report` is set) if the rule is invalid.
  std::optional<uint32_t> compile_rule(const Rule& r, const LogSourceVariant* var, bool report, Atoms& atoms) {
    rule_ = &r;
    var_ = var;
    report_ = report;
    ok_ = true;
    std::vector<uint32_t> roots;
    std::vector<Atoms> root_atoms;
    for (const auto& c : r.conditions) {
      Atoms a;
      roots.push_back(compile_cond(c, r.detections, a, r.detections));
      root_atoms.push_back(std::move(a));
    }
    if (!ok_) return std::nullopt;
    if (roots.size() == 1) {
      atoms = std::move(root_atoms[0]);
      return roots[0];
    }
    atoms = union_atoms(root_atoms);
    return add_node(Node::op_or, 0, roots);
  }

  std::vector<FieldId> map_field(const std::string& name) {
    if (var_) {
      auto it = var_->fields.find(name);
      if (it != var_->fields.end()) {
        std::vector<FieldId> out;
        for (const auto& f : it->second) out.push_back(intern(f));
        return out;
      }
    }
    return {intern(name)};
  }

  FieldId intern(const std::string& name) {
    if (starts_with(name, "Event.")) rs_.has_event_paths_ = true;
    return rs_.fields_.intern(name);
  }

 private:
  void error(Pos p, const char* code, std::string msg) {
    ok_ = false;
    if (report_) d_.error(rule_->file, p.line, p.col, code, std::move(msg));
  }
  void warn(Pos p, const char* code, std::string msg) {
    if (report_) d_.warning(rule_->file, p.line, p.col, code, std::move(msg));
  }

  uint32_t add_node(Node::Op op, uint32_t arg, const std::vector<uint32_t>& kids) {
    Node n;
    n.op = op;
    n.arg = arg;
    n.first_child = static_cast<uint32_t>(rs_.children_.size());
    n.child_count = static_cast<uint32_t>(kids.size());
    rs_.children_.insert(rs_.children_.end(), kids.begin(), kids.end());
    rs_.nodes_.push_back(n);
    return static_cast<uint32_t>(rs_.nodes_.size() - 1);
  }
  uint32_t node_cost(uint32_t n) const {
    const Node& nd = rs_.nodes_[n];
    if (nd.op == Node::op_match) return rs_.matchers_[nd.arg].cost;
    uint32_t c = 1;
    for (uint32_t k = 0; k < nd.child_count; ++k) c += node_cost(rs_.children_[nd.first_child + k]);
    return c;
  }

  uint32_t add_match(FieldMatcher m) {
    rs_.matchers_.push_back(std::move(m));
    return add_node(Node::op_match, static_cast<uint32_t>(rs_.matchers_.size() - 1), {});
  }

  // The most selective clause of a condition.
  static const Clause& best_clause(const std::vector<Clause>& cnf) {
    size_t best = 0;
    double best_cost = atoms_cost(cnf[0]);
    for (size_t i = 1; i < cnf.size(); ++i)
      if (double c = atoms_cost(cnf[i]); c < best_cost) {
        best = i;
        best_cost = c;
      }
    return cnf[best];
  }
  // Any of the parts. When the parts have few clauses, every clause of the distributed form:
  // (A1 and A2) or B is (A1 or B) and (A2 or B), so that "1 of selection_*" with a common
  // literal in one selection (Image contains '\Windows\') still needs that selection's rarer
  // clause or another selection's literal. Otherwise one clause, the union of each part's most
  // selective clause.
  static Atoms union_atoms(std::vector<Atoms>& parts) {
    size_t combos = 1;
    for (auto& p : parts) {
      if (!p || p->empty()) return std::nullopt;
      combos = std::min(combos * p->size(), kMaxUnionClauses + 1);
    }
    if (combos > 1 && combos <= kMaxUnionClauses) {
      std::vector<Clause> out(1);
      for (auto& p : parts) {
        std::vector<Clause> next;
        for (const auto& acc : out)
          for (const auto& c : *p) {
            Clause u = acc;
            u.insert(u.end(), c.begin(), c.end());
            next.push_back(std::move(u));
          }
        out = std::move(next);
      }
      return out;
    }
    Clause all;
    for (auto& p : parts) {
      const Clause& c = best_clause(*p);
      all.insert(all.end(), c.begin(), c.end());
    }
    if (all.empty()) return std::nullopt;
    return std::vector<Clause>{std::move(all)};
  }
  // Every part: all their clauses, the most selective first. A rule becomes a candidate only
  // when each kept clause has a literal in the event, so an AND of a common literal
  // ("microsoft corporation") and a rare one is no longer evaluated on every event with the
  // common one. A clause that is found often costs a few scan hits; a rule evaluated for
  // nothing costs much more.
  static Atoms and_atoms(std::vector<Atoms>& parts) {
    std::vector<std::pair<double, Clause>> all;
    for (auto& p : parts) {
      if (!p) continue;
      for (auto& c : *p)
        if (!c.empty()) all.emplace_back(atoms_cost(c), std::move(c));
    }
    if (all.empty()) return std::nullopt;
    std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Clause> out;
    for (auto& [cost, c] : all) {
      if (out.size() >= kMaxClauses) break;
      // A clause with a regex atom is kept only as the first: after a literal clause it would
      // run its field's regex set on events the literal already rules out.
      if (!out.empty() && std::any_of(c.begin(), c.end(), [](const Atom& a) { return a.regex; })) continue;
      out.push_back(std::move(c));
    }
    return out;
  }
  static constexpr size_t kMaxClauses = 2;
  static constexpr size_t kMaxUnionClauses = 4;

  uint32_t compile_cond(const CondExpr& e, const std::vector<SearchIdentifier>& dets, Atoms& atoms,
                        const std::vector<SearchIdentifier>& all_dets) {
    switch (e.kind) {
      case CondExpr::ref: {
        for (const auto& d : dets)
          if (d.name == e.name) return compile_search(d, atoms);
        error(rule_->condition_pos, "unknown-identifier", fmt::format("unknown search identifier '{}'", e.name));
        return add_node(Node::op_false, 0, {});
      }
      case CondExpr::op_not: {
        Atoms ignored;
        uint32_t k = compile_cond(e.children[0], dets, ignored, all_dets);
        atoms = std::nullopt;
        return add_node(Node::op_not, 0, {k});
      }
      case CondExpr::op_and:
      case CondExpr::op_or: {
        std::vector<uint32_t> kids;
        std::vector<Atoms> ka;
        for (const auto& c : e.children) {
          Atoms a;
          kids.push_back(compile_cond(c, dets, a, all_dets));
          ka.push_back(std::move(a));
        }
        atoms = e.kind == CondExpr::op_and ? and_atoms(ka) : union_atoms(ka);
        std::stable_sort(kids.begin(), kids.end(), [&](uint32_t a, uint32_t b) { return node_cost(a) < node_cost(b); });
        return add_node(e.kind == CondExpr::op_and ? Node::op_and : Node::op_or, 0, kids);
      }
      case CondExpr::of: {
        std::vector<uint32_t> kids;
        std::vector<Atoms> ka;
        for (const auto& d : dets) {
          bool hit = e.name == "them" ? (d.name.empty() || d.name[0] != '_') : identifier_matches(e.name, d.name);
          if (!hit) continue;
          Atoms a;
          kids.push_back(compile_search(d, a));
          ka.push_back(std::move(a));
        }
        if (kids.empty()) {
          error(rule_->condition_pos, "empty-quantifier", fmt::format("'of {}' matches no search identifier", e.name));
          return add_node(Node::op_false, 0, {});
        }
        if (e.count == 0 || e.count >= kids.size()) {
          if (e.count > kids.size()) {
            atoms = std::nullopt;
            return add_node(Node::op_false, 0, {});
          }
          atoms = and_atoms(ka);
          return add_node(Node::op_and, 0, kids);
        }
        atoms = union_atoms(ka);
        if (e.count == 1) return add_node(Node::op_or, 0, kids);
        return add_node(Node::op_at_least, e.count, kids);
      }
    }
    return add_node(Node::op_false, 0, {});
  }

  uint32_t compile_search(const SearchIdentifier& s, Atoms& atoms) {
    std::vector<uint32_t> alts;
    std::vector<Atoms> alt_atoms;
    for (const auto& alt : s.alternatives) {
      std::vector<uint32_t> items;
      std::vector<Atoms> item_atoms;
      for (const auto& it : alt) {
        Atoms a;
        items.push_back(compile_item(it, a));
        item_atoms.push_back(std::move(a));
      }
      alt_atoms.push_back(and_atoms(item_atoms));
      // Cheap tests first: an AND stops at the first false operand.
      std::stable_sort(items.begin(), items.end(), [&](uint32_t a, uint32_t b) { return node_cost(a) < node_cost(b); });
      alts.push_back(items.size() == 1 ? items[0] : add_node(Node::op_and, 0, items));
    }
    atoms = union_atoms(alt_atoms);
    return alts.size() == 1 ? alts[0] : add_node(Node::op_or, 0, alts);
  }

  // Expands %placeholders% in a raw value (`\%` is a plain percent).
  bool expand_placeholders(const RawValue& v, std::vector<std::string>& out) {
    std::vector<std::string> acc{""};
    const std::string& t = v.text;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '\\' && i + 1 < t.size() && t[i + 1] == '%') {
        for (auto& a : acc) a += '%';
        ++i;
        continue;
      }
      if (t[i] == '%') {
        size_t j = t.find('%', i + 1);
        if (j != std::string::npos && j > i + 1) {
          std::string name = t.substr(i + 1, j - i - 1);
          const auto* vals = ph_.find(name);
          if (!vals) {
            error(v.pos, "unknown-placeholder",
                  fmt::format("placeholder '%{}%' has no values (define it in the placeholders file)", name));
            return false;
          }
          std::vector<std::string> next;
          for (const auto& a : acc)
            for (const auto& r : *vals) next.push_back(a + r);
          acc = std::move(next);
          i = j;
          continue;
        }
      }
      for (auto& a : acc) a += t[i];
    }
    out.insert(out.end(), acc.begin(), acc.end());
    return true;
  }

  // Turns one raw string value into patterns, applying transformations in the written order.
  bool string_patterns(const std::string& text, const ModSpec& ms, Pos pos, std::vector<ValueMatcher>& out) {
    std::vector<std::vector<match::Token>> cur{match::tokenize_sigma_string(text)};
    for (const auto& t : ms.transforms) {
      std::vector<std::vector<match::Token>> next;
      for (auto& toks : cur) {
        if (t == "windash") {
          auto v = windash_variants(toks);
          next.insert(next.end(), v.begin(), v.end());
          continue;
        }
        std::string lit;
        if (!match::tokens_literal(toks, lit)) {
          error(pos, "wildcard-in-encoded-value",
                fmt::format("'{}' cannot encode a value with wildcards ('{}')", t, match::render_tokens(toks)));
          return false;
        }
        std::vector<std::string> encoded;
        if (t == "base64") encoded.push_back(base64_encode(lit));
        else if (t == "base64offset") encoded = base64_offset_variants(lit);
        else if (t == "utf16le") encoded.push_back(to_utf16(lit, Utf16::le));
        else if (t == "utf16be") encoded.push_back(to_utf16(lit, Utf16::be));
        else encoded.push_back(to_utf16(lit, Utf16::bom));
        for (auto& e : encoded) {
          std::vector<match::Token> tk;
          for (char c : e) tk.push_back({match::Token::literal, c});
          next.push_back(std::move(tk));
        }
      }
      cur = std::move(next);
    }
    for (auto& toks : cur) {
      if (ms.position == ModSpec::contains || ms.position == ModSpec::endswith)
        if (toks.empty() || toks.front().kind != match::Token::star) toks.insert(toks.begin(), {match::Token::star, 0});
      if (ms.position == ModSpec::contains || ms.position == ModSpec::startswith)
        if (toks.empty() || toks.back().kind != match::Token::star) toks.push_back({match::Token::star, 0});
      ValueMatcher vm;
      vm.kind = ValueMatcher::pattern;
      vm.pat = match::Pattern(toks, ms.cased);
      out.push_back(std::move(vm));
    }
    return true;
  }

  // Moves many case-insensitive `contains` values of an any-of matcher into one literal set:
  // returns them, for finish_accelerated() to compile with the prefilter's sets (on all cores)
  // and take out of the matcher's values; empty when the matcher keeps its values.
  std::vector<std::string> accelerate(FieldMatcher& m) {
    uint32_t cost = 0;
    for (const auto& v : m.vals) cost += v.kind == ValueMatcher::regex ? 50 : v.kind == ValueMatcher::pattern ? 1 : 2;
    if (m.kind == FieldMatcher::keyword) cost *= 8;
    m.cost = std::max<uint32_t>(cost, 1);
    if (m.all || m.negate || m.kind != FieldMatcher::values) return {};
    merge_regexes(m);
    std::vector<std::string> lits;
    for (const auto& v : m.vals)
      if (contains_coverable(v)) lits.push_back(v.pat.text());
    if (lits.size() < kAccelerateMin) lits.clear();
    using K = match::Pattern::Kind;
    auto affixable = [](const ValueMatcher& v) {
      if (v.kind != ValueMatcher::pattern || v.pat.case_sensitive()) return false;
      K k = v.pat.kind();
      return (k == K::equals || k == K::starts_with || k == K::ends_with) && !v.pat.text().empty();
    };
    if (static_cast<size_t>(std::count_if(m.vals.begin(), m.vals.end(), affixable)) >= kAffixMin) {
      auto a = std::make_shared<AffixSet>();
      for (const auto& v : m.vals) {
        if (!affixable(v)) continue;
        const std::string& t = v.pat.text();
        auto& set = v.pat.kind() == K::equals ? a->equals : v.pat.kind() == K::starts_with ? a->prefixes : a->suffixes;
        set.intern(t);
      }
      auto lengths = [](const FieldRegistry& set) {  // distinct, ascending
        std::vector<uint32_t> out;
        for (FieldId id = 0; id < set.size(); ++id) out.push_back(static_cast<uint32_t>(set.name(id).size()));
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        return out;
      };
      a->prefix_lengths = lengths(a->prefixes);
      a->suffix_lengths = lengths(a->suffixes);
      m.affix = std::move(a);
      m.vals.erase(std::remove_if(m.vals.begin(), m.vals.end(), affixable), m.vals.end());
    }
    if (!lits.empty() || m.affix) m.cost = 3 + static_cast<uint32_t>(m.vals.size() - lits.size());
    return lits;
  }
  static bool contains_coverable(const ValueMatcher& v) {
    return v.kind == ValueMatcher::pattern && !v.pat.case_sensitive() && v.pat.kind() == match::Pattern::Kind::contains &&
           v.pat.text().find('\0') == std::string::npos && !v.pat.text().empty();
  }
  // Gives the matchers accelerate() chose their literal sets (compiled by prebuild() by now) and
  // takes the values the sets answer out of them; a set that failed to compile leaves its
  // matcher's values as they were.
  void finish_accelerated() {
    for (size_t i = 0; i < contains_lits_.size(); ++i) {
      if (contains_lits_[i].empty()) continue;
      FieldMatcher& m = rs_.matchers_[i];
      auto set = cached_set(contains_lits_[i]);
      if (!set.ok()) continue;
      m.contains_set = *set;
      m.vals.erase(std::remove_if(m.vals.begin(), m.vals.end(), contains_coverable), m.vals.end());
      rs_.accelerated_.push_back(m.contains_set);
    }
    contains_lits_.clear();
  }
  static constexpr size_t kAccelerateMin = 12;
  static constexpr size_t kAffixMin = 6;

  // Any-of regexes on the same fields become one alternation: one pass over a value instead of
  // one per regex. (Inline flags such as (?i) stay scoped to their own group.)
  static void merge_regexes(FieldMatcher& m) {
    auto is_regex = [](const ValueMatcher& v) { return v.kind == ValueMatcher::regex; };
    if (std::count_if(m.vals.begin(), m.vals.end(), is_regex) < 2) return;
    std::string pat;
    for (const auto& v : m.vals) {
      if (!is_regex(v)) continue;
      if (!pat.empty()) pat += '|';
      pat += "(?:";
      pat += v.re->pattern();
      pat += ')';
    }
    RE2::Options opt;
    opt.set_log_errors(false);
    auto re = std::make_shared<const RE2>(pat, opt);
    if (!re->ok()) return;  // e.g. over RE2's memory budget: keep them apart
    m.vals.erase(std::remove_if(m.vals.begin(), m.vals.end(), is_regex), m.vals.end());
    ValueMatcher vm;
    vm.kind = ValueMatcher::regex;
    vm.guard = regex_guard(pat, opt);
    vm.re = std::move(re);
    m.vals.push_back(std::move(vm));
  }

  // A case-insensitive regex finding `lit` (ASCII; a case-sensitive value's literal is found too),
  // or "" when there is none.
  static std::string short_literal_regex(const std::string& lit) {
    if (lit.empty()) return {};
    std::string re = "(?i)";
    for (unsigned char ch : lit) {
      if (ch >= 0x80 || ch < 0x20) return {};
      if (!std::isalnum(ch)) re += '\\';
      re += static_cast<char>(ch);
    }
    return re;
  }
  // match::RegexSet::supported, once per pattern.
  bool regex_atom_ok(const std::string& pattern) {
    auto [it, fresh] = regex_ok_.emplace(pattern, false);
    if (fresh) it->second = match::RegexSet::supported(pattern);
    return it->second;
  }
  std::unordered_map<std::string, bool> regex_ok_;

  // The cache key of a literal or regex set: its items in order.
  static std::string set_key(const std::vector<std::string>& items) {
    std::string key;
    for (const auto& l : items) {
      key += l;
      key += '\x01';
    }
    return key;
  }
  // Variants of one rule (and rules sharing a list) need the same literal set: compile it once.
  Result<std::shared_ptr<const match::LiteralSet>> cached_set(const std::vector<std::string>& lits) {
    std::string key = set_key(lits);
    auto it = set_cache_.find(key);
    if (it != set_cache_.end()) return it->second;
    auto set = match::LiteralSet::build(lits);
    if (set.ok()) set_cache_.emplace(std::move(key), *set);
    return set;
  }
  std::unordered_map<std::string, std::shared_ptr<const match::LiteralSet>> set_cache_;
  // Compiles the literal and regex sets not yet cached, on all cores; the cache then holds them
  // (a set that fails to compile is left out, and fails again with its error when asked for).
  void prebuild(const std::vector<const std::vector<std::string>*>& lit_lists,
                const std::vector<const std::vector<std::string>*>& regex_lists) {
    struct Job {
      std::string key;
      const std::vector<std::string>* items;
      bool regex;
      std::shared_ptr<const match::LiteralSet> lit;
      std::shared_ptr<const match::RegexSet> re;
    };
    std::vector<Job> jobs;
    std::set<std::pair<bool, std::string>> queued;
    auto queue = [&](const std::vector<std::string>* v, bool regex) {
      std::string key = set_key(*v);
      if ((regex ? regex_cache_.count(key) : set_cache_.count(key)) || !queued.emplace(regex, key).second) return;
      jobs.push_back({std::move(key), v, regex, nullptr, nullptr});
    };
    for (const auto* v : lit_lists) queue(v, false);
    for (const auto* v : regex_lists) queue(v, true);
    // Largest first, so that the longest compile does not start last.
    std::sort(jobs.begin(), jobs.end(), [](const Job& a, const Job& b) { return a.items->size() > b.items->size(); });
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
        Job& j = jobs[i];
        if (j.regex) {
          if (auto r = match::RegexSet::build(*j.items); r.ok()) j.re = *r;
        } else {
          if (auto r = match::LiteralSet::build(*j.items); r.ok()) j.lit = *r;
        }
      }
    };
    const size_t n = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), jobs.size());
    std::vector<std::thread> pool;
    for (size_t t = 1; t < n; ++t) pool.emplace_back(work);
    work();
    for (auto& th : pool) th.join();
    for (auto& j : jobs) {
      if (j.lit) set_cache_.emplace(j.key, j.lit);
      if (j.re) {
        regex_cache_.emplace(j.key, j.re);
        rs_.regex_sets_.push_back(j.re);
      }
    }
  }
  // The same for regex sets (the variants of process_creation share theirs).
  Result<std::shared_ptr<const match::RegexSet>> cached_regexes(const std::vector<std::string>& patterns) {
    std::string key = set_key(patterns);
    auto it = regex_cache_.find(key);
    if (it != regex_cache_.end()) return it->second;
    auto set = match::RegexSet::build(patterns);
    if (set.ok()) {
      regex_cache_.emplace(std::move(key), *set);
      rs_.regex_sets_.push_back(*set);
    }
    return set;
  }
  std::unordered_map<std::string, std::shared_ptr<const match::RegexSet>> regex_cache_;

  // The literals one of which every match of the regex must contain, each at least `min_len`
  // bytes (lowercase, as RE2's FilteredRE2 gives them: look for them in lowercased text);
  // empty if there is no such set. Atoms outside ASCII are refused: RE2 lowercases them by
  // Unicode rules, the scans compare ASCII case only.
  static std::vector<std::string> regex_atoms(const std::string& pattern, const RE2::Options& opt,
                                              size_t min_len = kMinAtom) {
    re2::FilteredRE2 f(static_cast<int>(min_len));
    int id = 0;
    if (f.Add(pattern, opt, &id) != RE2::NoError) return {};
    std::vector<std::string> atoms;
    f.Compile(&atoms);
    if (atoms.empty()) return {};
    for (const auto& a : atoms)
      for (unsigned char ch : a)
        if (ch >= 0x80) return {};
    std::vector<int> potential;
    f.AllPotentials({}, &potential);  // regexes that pass with no atom found: unfiltered
    if (!potential.empty()) return {};
    // An atom without which the regex cannot pass is in every match: the longest such atom alone
    // is a necessary condition that selects fewer events than the union of all atoms.
    int best = -1;
    for (int i = 0; i < static_cast<int>(atoms.size()); ++i) {
      std::vector<int> others;
      for (int j = 0; j < static_cast<int>(atoms.size()); ++j)
        if (j != i) others.push_back(j);
      potential.clear();
      f.AllPotentials(others, &potential);
      if (potential.empty() && (best < 0 || atoms[static_cast<size_t>(i)].size() > atoms[static_cast<size_t>(best)].size()))
        best = i;
    }
    if (best >= 0) return {atoms[static_cast<size_t>(best)]};
    return atoms;
  }

  // A cheap test run before the regex itself: literals of any length one of which every match
  // contains (a regex whose literals are too short for the prefilter, such as a backtick or
  // "/c", is otherwise run on every event of its log source). Few literals, or none.
  static std::vector<std::string> regex_guard(const std::string& pattern, const RE2::Options& opt) {
    auto atoms = regex_atoms(pattern, opt, 1);
    if (atoms.size() > kMaxGuardAtoms) return {};
    return atoms;
  }
  static constexpr size_t kMaxGuardAtoms = 6;

  uint32_t compile_item(const DetectionItem& it, Atoms& atoms) {
    atoms = std::nullopt;
    ModSpec ms;
    std::string err;
    if (!parse_mods(it.modifiers, ms, err)) {
      error(it.pos, err.rfind("unknown modifier", 0) == 0 ? "unknown-modifier" : "incompatible-modifiers", err);
      return add_node(Node::op_false, 0, {});
    }
    if (ms.all && it.values.size() == 1 && !it.values_were_list && it.field)
      warn(it.pos, "all-single-value", "'all' on a single value has no effect");
    FieldMatcher m;
    m.all = ms.all;
    m.negate = ms.neq;
    if (it.field) m.fields = map_field(*it.field);
    else {
      // A keyword is searched anywhere in a value, with or without wildcards ('Trojan*FOUND').
      if (ms.position == ModSpec::none) ms.position = ModSpec::contains;
      m.kind = FieldMatcher::keyword;
      rs_.needs_keywords_ = true;
      if (ms.type != ModSpec::plain && ms.type != ModSpec::re) {
        error(it.pos, "invalid-keyword-modifier", "keyword searches only take string modifiers and 're'");
        return add_node(Node::op_false, 0, {});
      }
    }

    if (ms.type == ModSpec::exists) {
      if (!it.field || it.values.size() != 1 || it.values[0].is_null) {
        error(it.pos, "invalid-exists", "'exists' needs a field and one value, true or false");
        return add_node(Node::op_false, 0, {});
      }
      std::string v = to_lower(it.values[0].text);
      if (v != "true" && v != "false" && v != "yes" && v != "no") {
        error(it.values[0].pos, "invalid-exists", fmt::format("'exists' takes true or false, not '{}'", it.values[0].text));
        return add_node(Node::op_false, 0, {});
      }
      m.kind = FieldMatcher::exists;
      m.exists_value = v == "true" || v == "yes";
      return add_match(std::move(m));
    }

    // A null among the values: the field is absent or null. Split it from the other values.
    bool has_null = false;
    std::vector<const RawValue*> vals;
    for (const auto& v : it.values) {
      if (v.is_null) has_null = true;
      else vals.push_back(&v);
    }
    std::optional<uint32_t> null_node;
    if (has_null) {
      if (!it.field) {
        error(it.pos, "invalid-value", "a keyword cannot be null");
        return add_node(Node::op_false, 0, {});
      }
      FieldMatcher nm;
      nm.kind = FieldMatcher::null_value;
      nm.fields = m.fields;
      null_node = add_match(std::move(nm));
      if (vals.empty()) return ms.neq ? add_node(Node::op_not, 0, {*null_node}) : *null_node;
    }

    for (const RawValue* v : vals) {
      std::vector<std::string> texts;
      if (ms.expand) {
        if (!expand_placeholders(*v, texts)) return add_node(Node::op_false, 0, {});
      } else {
        texts.push_back(v->text);
      }
      for (const auto& text : texts) {
        switch (ms.type) {
          case ModSpec::plain:
            if (!string_patterns(text, ms, v->pos, m.vals)) return add_node(Node::op_false, 0, {});
            break;
          case ModSpec::re: {
            std::string pat;
            if (ms.re_i) pat += "(?i)";
            if (ms.re_m) pat += "(?m)";
            if (ms.re_s) pat += "(?s)";
            pat += text;
            // `.{N,}` (RE2 is very slow on large counted repetitions): some line of N or more
            // characters. Only the unanchored form without flags is rewritten.
            if (!ms.re_s && !ms.re_m && text.size() > 4 && text.rfind(".{", 0) == 0 && text.back() == '}' &&
                text[text.size() - 2] == ',') {
              std::string digits = text.substr(2, text.size() - 4);
              if (!digits.empty() && digits.size() < 7 && digits.find_first_not_of("0123456789") == std::string::npos) {
                ValueMatcher vm;
                vm.kind = ValueMatcher::min_line;
                vm.number = std::stod(digits);
                m.vals.push_back(std::move(vm));
                break;
              }
            }
            RE2::Options opt;
            opt.set_log_errors(false);
            auto re = std::make_shared<const RE2>(pat, opt);
            if (!re->ok()) {
              error(v->pos, "invalid-regex", fmt::format("regular expression '{}' is not valid: {}", text, re->error()));
              return add_node(Node::op_false, 0, {});
            }
            ValueMatcher vm;
            vm.kind = ValueMatcher::regex;
            vm.required = regex_atoms(pat, opt);
            vm.guard = regex_guard(pat, opt);
            vm.re = std::move(re);
            m.vals.push_back(std::move(vm));
            break;
          }
          case ModSpec::cidr: {
            auto c = match::Cidr::parse(text);
            if (!c) {
              error(v->pos, "invalid-cidr", fmt::format("'{}' is not an IPv4 or IPv6 network", text));
              return add_node(Node::op_false, 0, {});
            }
            ValueMatcher vm;
            vm.kind = ValueMatcher::cidr;
            vm.net = c;
            m.vals.push_back(std::move(vm));
            break;
          }
          case ModSpec::numeric:
          case ModSpec::time_part: {
            double num = 0;
            auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), num);
            if (ec != std::errc() || p != text.data() + text.size()) {
              error(v->pos, "invalid-number", fmt::format("'{}' is not a number", text));
              return add_node(Node::op_false, 0, {});
            }
            ValueMatcher vm;
            vm.kind = ms.type == ModSpec::numeric ? ValueMatcher::compare : ValueMatcher::time_part;
            vm.cmp = ms.cmp;
            vm.part = ms.part;
            vm.number = num;
            m.vals.push_back(std::move(vm));
            break;
          }
          case ModSpec::fieldref: {
            ValueMatcher vm;
            vm.kind = ValueMatcher::fieldref;
            auto ids = map_field(text);
            vm.ref = ids.front();
            vm.ref_pos = ms.position == ModSpec::contains     ? ValueMatcher::ref_contains
                       : ms.position == ModSpec::startswith ? ValueMatcher::ref_starts
                       : ms.position == ModSpec::endswith   ? ValueMatcher::ref_ends
                                                            : ValueMatcher::ref_equals;
            vm.cased = ms.cased;
            m.vals.push_back(std::move(vm));
            break;
          }
          case ModSpec::exists: break;
        }
      }
    }
    if (m.vals.empty() && !null_node) {
      // e.g. an expanded placeholder with no values: nothing can match.
      return add_node(Node::op_false, 0, {});
    }

    // Prefilter atoms: only for positive string tests (keywords: in any field).
    if ((m.kind == FieldMatcher::values || m.kind == FieldMatcher::keyword) && !m.negate && !m.vals.empty() && !null_node) {
      std::vector<Atoms> per_value;
      auto bind = [&](const std::string& lit, std::vector<Atom>& a) {  // a literal in the matcher's fields
        if (m.kind == FieldMatcher::keyword) a.push_back({kAnyField, lit});
        for (FieldId f : m.fields) a.push_back({f, lit});
      };
      for (const auto& vm : m.vals) {
        if (vm.kind == ValueMatcher::regex && !vm.required.empty()) {
          std::vector<Atom> a;
          for (const auto& lit : vm.required) bind(cut_atom(lit), a);
          per_value.push_back(std::vector<Clause>{std::move(a)});
          continue;
        }
        if (vm.kind == ValueMatcher::regex && m.kind == FieldMatcher::values && regex_atom_ok(vm.re->pattern())) {
          // No literal every match holds: the regex itself, which Vectorscan runs over the
          // field's values (prefilter mode; RE2 confirms).
          std::vector<Atom> a;
          for (FieldId f : m.fields) a.push_back({f, vm.re->pattern(), true, kRegexAtomLength});
          per_value.push_back(std::vector<Clause>{std::move(a)});
          continue;
        }
        if (vm.kind != ValueMatcher::pattern) {
          per_value.push_back(std::nullopt);
          continue;
        }
        using K = match::Pattern::Kind;
        if (const K k = vm.pat.kind(); m.kind == FieldMatcher::values && anchors_ &&
                                       (k == K::equals || k == K::starts_with || k == K::ends_with)) {
          // A whole value, a start or an end: a lookup in the variant's AnchorSet.
          const auto kind = k == K::equals ? match::AnchorSet::whole : k == K::starts_with ? match::AnchorSet::prefix
                                                                                           : match::AnchorSet::suffix;
          // Cut as the set will keep it, so that the atom is scored by what is looked up.
          std::string text(match::AnchorSet::cut(kind, vm.pat.text()));
          if (vm.pat.case_sensitive()) text = to_lower(text);
          if (!text.empty() && (kind == match::AnchorSet::whole || text.size() >= kMinAnchoredAffix)) {
            std::vector<Atom> a;
            for (FieldId f : m.fields) a.push_back({f, text, false, -1, true, kind});
            per_value.push_back(std::vector<Clause>{std::move(a)});
            continue;
          }
        }
        std::string lit = vm.pat.longest_literal();
        if (vm.pat.case_sensitive()) lit = to_lower(lit);
        lit = cut_atom(lit);
        size_t weight = 0;  // bytes outside ASCII are rare in logs: count them double
        for (unsigned char ch : lit) weight += ch >= 0x80 ? 2 : 1;
        bool usable = weight >= kMinAtom && lit.find('\0') == std::string::npos;
        if (!usable) {
          // Too short for the literal sets (it would be found everywhere in every event), but
          // still a test of this one field: a regex atom, in the field's regex set.
          std::string re = short_literal_regex(lit);
          if (m.kind == FieldMatcher::values && !re.empty() && regex_atom_ok(re)) {
            std::vector<Atom> a;
            for (FieldId f : m.fields) a.push_back({f, re, true, static_cast<double>(weight)});
            per_value.push_back(std::vector<Clause>{std::move(a)});
            continue;
          }
          per_value.push_back(std::nullopt);
          continue;
        }
        std::vector<Atom> a;
        bind(lit, a);
        per_value.push_back(std::vector<Clause>{std::move(a)});
      }
      atoms = m.all ? and_atoms(per_value) : union_atoms(per_value);
    }

    // The same test (fields after mapping, modifiers, values) in another rule or variant shares
    // its matcher, whose result is then computed once per event (Node::memo).
    std::string key = it.field ? "f" : "k";
    for (FieldId f : m.fields) key += fmt::format("{},", f);
    for (const auto& mod : it.modifiers) key += fmt::format("|{}:{}", mod.size(), mod);
    for (const RawValue* v : vals) key += fmt::format("#{}:{}", v->text.size(), v->text);
    uint32_t node;
    if (auto same = matcher_ids_.find(key); same != matcher_ids_.end()) {
      node = add_node(Node::op_match, same->second, {});
    } else {
      std::vector<std::string> contains = accelerate(m);
      node = add_match(std::move(m));
      const uint32_t mi = rs_.nodes_[node].arg;
      matcher_ids_.emplace(std::move(key), mi);
      if (!contains.empty()) {
        if (contains_lits_.size() <= mi) contains_lits_.resize(mi + 1);
        contains_lits_[mi] = std::move(contains);
      }
    }
    if (null_node) {
      uint32_t both = add_node(Node::op_or, 0, {*null_node, node});
      return both;
    }
    return node;
  }

  std::unordered_map<std::string, uint32_t> matcher_ids_;  // a test's key -> its matcher
  std::vector<std::vector<std::string>> contains_lits_;    // by matcher: accelerate()'s literals
  Ruleset& rs_;
  Diagnostics& d_;
  LoadStats& st_;
  const Placeholders& ph_;
  const Rule* rule_ = nullptr;
  const LogSourceVariant* var_ = nullptr;
  bool report_ = true;
  bool ok_ = true;

 public:
  bool anchors_ = true;  // RulesetOptions::prefilter_anchors

  // Builds everything from parsed documents.
  void build(std::vector<Rule>& rules, std::vector<Filter>& filters, std::vector<CorrelationRule>& corrs,
             const LogSourceMap& map, bool use_prefilter, size_t split_literals);
};

namespace {

void collect_files(const std::string& path, std::vector<std::string>& out, Diagnostics& d) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (auto it = fs::recursive_directory_iterator(path, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (!it->is_regular_file(ec)) continue;
      auto ext = it->path().extension().string();
      if (ext == ".yml" || ext == ".yaml") files.push_back(it->path().string());
    }
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  } else if (fs::exists(path, ec)) {
    out.push_back(path);
  } else {
    d.error(path, 0, 0, "file-not-found", "no such rule file or folder");
  }
}

// Renames a filter's identifiers with a prefix so they cannot clash with the rule's.
CondExpr prefix_refs(const CondExpr& e, const std::string& prefix) {
  CondExpr out = e;
  if (e.kind == CondExpr::ref) out.name = prefix + e.name;
  else if (e.kind == CondExpr::of) out.name = e.name == "them" ? prefix + "*" : prefix + e.name;
  out.children.clear();
  for (const auto& c : e.children) out.children.push_back(prefix_refs(c, prefix));
  return out;
}

bool rule_referenced(const Rule& r, const std::string& ref) {
  return (!r.id.empty() && r.id == ref) || (!r.name.empty() && r.name == ref);
}

}  // namespace

void Compiler::build(std::vector<Rule>& rules, std::vector<Filter>& filters, std::vector<CorrelationRule>& corrs,
                     const LogSourceMap& map, bool use_prefilter, size_t split_literals) {
  // Filters: (rule condition) and (filter condition), as pySigma applies them.
  for (size_t fi = 0; fi < filters.size(); ++fi) {
    const Filter& f = filters[fi];
    size_t applied = 0;
    for (auto& r : rules) {
      if (!logsource_contains(f.logsource, r.logsource)) continue;
      bool named = f.any_rule;
      for (const auto& ref : f.rules) named = named || rule_referenced(r, ref);
      if (!named) continue;
      std::string prefix = fmt::format("_filter{}_", fi);
      for (auto d : f.detections) {
        d.name = prefix + d.name;
        r.detections.push_back(std::move(d));
      }
      CondExpr fc = prefix_refs(f.condition, prefix);
      for (auto& c : r.conditions) {
        CondExpr both;
        both.kind = CondExpr::op_and;
        both.children.push_back(std::move(c));
        both.children.push_back(fc);
        c = std::move(both);
      }
      ++applied;
    }
    if (applied == 0)
      d_.warning(f.file, f.pos.line, f.pos.col, "filter-unused", fmt::format("filter '{}' applies to no loaded rule", f.title));
  }

  // Time fields, interned first so every event extracts them.
  for (const char* n : {"TimeCreated_SystemTime", "@timestamp", "timestamp", "ts", "time", "UtcTime", "EventTime",
                        "event.created", "date"})
    rs_.time_fields_.push_back(intern(n));

  // Variants: from the mapping, plus one unrestricted variant for unmapped rules.
  std::map<const LogSourceVariant*, uint32_t> var_index;
  auto variant_id = [&](const LogSourceVariant* v) -> uint32_t {
    auto it = var_index.find(v);
    if (it != var_index.end()) return it->second;
    CompiledVariant cv;
    cv.name = v ? v->name : "*";
    if (v) {
      for (const auto& w : v->when) {
        CompiledWhen cw;
        cw.field = intern(w.field);
        cw.exists_test = w.exists_test;
        cw.exists_value = w.exists_value;
        cw.values = w.values;
        cv.when.push_back(std::move(cw));
      }
    }
    rs_.variants_.push_back(std::move(cv));
    uint32_t id = static_cast<uint32_t>(rs_.variants_.size() - 1);
    var_index[v] = id;
    return id;
  };

  // Correlation references: which rules feed which correlation, and whether they still emit.
  std::vector<std::vector<std::pair<uint32_t, uint32_t>>> feeds(rules.size());
  std::vector<bool> suppressed(rules.size(), false), generated(rules.size(), false);
  for (size_t ci = 0; ci < corrs.size(); ++ci) {
    for (size_t pos = 0; pos < corrs[ci].rules.size(); ++pos) {
      const std::string& ref = corrs[ci].rules[pos];
      bool found = false;
      for (size_t ri = 0; ri < rules.size(); ++ri) {
        if (!rule_referenced(rules[ri], ref)) continue;
        found = true;
        feeds[ri].push_back({static_cast<uint32_t>(ci), static_cast<uint32_t>(pos)});
        if (corrs[ci].generate) generated[ri] = true;
        else suppressed[ri] = true;
      }
      for (const auto& other : corrs)
        if ((!other.id.empty() && other.id == ref) || (!other.name.empty() && other.name == ref)) found = true;
      if (!found)
        d_.error(corrs[ci].file, corrs[ci].line, corrs[ci].column, "unknown-rule-reference",
                 fmt::format("correlation '{}' references '{}', which is not a loaded rule (by id or name)",
                             corrs[ci].title, ref));
    }
  }

  struct Pending {
    uint32_t compiled;
    std::vector<Clause> clauses;
  };
  std::vector<Pending> pending;
  for (size_t ri = 0; ri < rules.size(); ++ri) {
    const Rule& r = rules[ri];
    auto vars = map.variants_for(r.logsource);
    std::vector<const LogSourceVariant*> use(vars.begin(), vars.end());
    if (use.empty()) {
      use.push_back(nullptr);
      ++st_.unmapped_rules;
    }
    // Compile once with diagnostics; reject the rule if that fails.
    size_t nodes_before = rs_.nodes_.size(), matchers_before = rs_.matchers_.size(), children_before = rs_.children_.size();
    std::vector<std::pair<uint32_t, Atoms>> roots;
    bool ok = true;
    for (size_t vi = 0; vi < use.size() && ok; ++vi) {
      Atoms atoms;
      auto root = compile_rule(r, use[vi], vi == 0, atoms);
      if (!root) ok = false;
      else roots.push_back({*root, std::move(atoms)});
    }
    if (!ok) {
      rs_.nodes_.resize(nodes_before);
      rs_.matchers_.resize(matchers_before);
      std::erase_if(matcher_ids_, [&](const auto& kv) { return kv.second >= matchers_before; });
      if (contains_lits_.size() > matchers_before) contains_lits_.resize(matchers_before);
      rs_.children_.resize(children_before);
      ++st_.rules_rejected;
      continue;
    }
    RuleInfo info;
    info.id = r.id;
    info.name = r.name;
    info.title = r.title;
    info.status = r.status;
    info.author = r.author;
    info.file = r.file;
    info.description = r.description;
    info.level = r.level;
    info.tags = r.tags;
    info.logsource = r.logsource;
    info.feeds = feeds[ri];
    info.emit = !suppressed[ri] || generated[ri];
    rs_.rules_.push_back(std::move(info));
    uint32_t rule_idx = static_cast<uint32_t>(rs_.rules_.size() - 1);
    ++st_.rules_loaded;
    for (size_t vi = 0; vi < use.size(); ++vi) {
      CompiledRule cr;
      cr.rule = rule_idx;
      cr.variant = variant_id(use[vi]);
      cr.root = roots[vi].first;
      var_ = use[vi];
      for (const auto& [ci, pos] : feeds[ri]) {
        std::vector<std::vector<FieldId>> g;
        for (const auto& name : corrs[ci].group_fields(pos)) g.push_back(map_field(name));
        cr.group_fields.push_back(std::move(g));
        auto vf = corrs[ci].value_field(pos);
        cr.value_field.push_back(vf ? map_field(*vf) : std::vector<FieldId>{});
      }
      auto& atoms = roots[vi].second;
      cr.always = !use_prefilter || !atoms || atoms->empty();
      if (!cr.always) cr.clause_mask = static_cast<uint32_t>((uint64_t{1} << atoms->size()) - 1);
      rs_.compiled_.push_back(std::move(cr));
      uint32_t cidx = static_cast<uint32_t>(rs_.compiled_.size() - 1);
      auto& var = rs_.variants_[rs_.compiled_[cidx].variant];
      ++var.rule_count;
      if (rs_.compiled_[cidx].always) var.always_rules.push_back(cidx);
      else pending.push_back({cidx, std::move(*atoms)});
    }
  }
  // Rules no mapping entry covers run on the events no entry covers. Which events those are
  // must not depend on which other rules are loaded: compile every entry's conditions.
  if (st_.unmapped_rules > 0)
    for (const auto& entry : map.entries())
      for (const auto& v : entry.variants) variant_id(&v);
  st_.compiled_instances = rs_.compiled_.size();
  st_.prefiltered_instances = pending.size();

  // One prefilter per variant: a smaller literal set, scanned over that variant's fields only.
  std::map<uint32_t, std::vector<const Pending*>> by_variant;
  for (const auto& p : pending) by_variant[rs_.compiled_[p.compiled].variant].push_back(&p);
  // Each variant's sets are gathered first, then the distinct ones compiled on all cores at once
  // (Vectorscan compiles most of the load time), then given to the variants.
  struct Staged {
    uint32_t vi;
    const std::vector<const Pending*>* list;
    Prefilter pf;
    std::vector<std::string> lits[3];
    // Regex atoms, by field: their patterns, each pattern's position, and its targets.
    struct Regexes {
      std::vector<std::string> patterns;
      std::unordered_map<std::string, uint32_t> pos;
      PrefilterRegexes pr;
    };
    std::map<FieldId, Regexes> regexes;
  };
  std::vector<Staged> staged;
  staged.reserve(by_variant.size());
  for (auto& [vi_, list_] : by_variant) {
    Staged& sg = staged.emplace_back();
    sg.vi = vi_;
    sg.list = &list_;
    const auto& list = list_;
    Prefilter& pf = sg.pf;
    pf.field.assign(rs_.fields_.size(), Prefilter::unbound);
    // The main field: the one most distinct literals are bound to, kept apart when the set is large.
    FieldId main = kNoField;
    {
      std::set<std::pair<FieldId, std::string_view>> distinct;
      std::map<FieldId, size_t> per_field;
      for (const Pending* p : list)
        for (const auto& c : p->clauses)
          for (const auto& a : c)
            if (a.field != kAnyField && !a.regex && !a.anchored && distinct.emplace(a.field, a.lit).second)
              ++per_field[a.field];
      if (distinct.size() >= split_literals)
        for (const auto& [f, count] : per_field)
          if (main == kNoField || count > per_field[main]) main = f;
    }
    // Indexed by Prefilter::Scan: keyword literals, other field-bound ones, the main field's.
    std::unordered_map<std::string, uint32_t> ids[3];
    auto& lits = sg.lits;
    PrefilterSet* sets[3] = {&pf.keywords, &pf.fields, &pf.main};
    auto add_target = [](std::vector<PrefilterTarget>& tg, const PrefilterTarget& t) {
      auto same = std::find_if(tg.begin(), tg.end(), [&](const PrefilterTarget& x) { return x.field == t.field && x.rule == t.rule; });
      if (same == tg.end()) tg.push_back(t);
      else same->clauses |= t.clauses;  // one literal in several clauses of a rule
    };
    for (const Pending* p : list) {
      for (uint32_t ci = 0; ci < p->clauses.size(); ++ci)
        for (const auto& a : p->clauses[ci]) {
          const PrefilterTarget t{a.field, p->compiled, uint32_t{1} << ci, rs_.compiled_[p->compiled].clause_mask};
          if (a.regex) {
            auto& rx = sg.regexes[a.field];
            auto [it, fresh] = rx.pos.emplace(a.lit, static_cast<uint32_t>(rx.patterns.size()));
            if (fresh) {
              rx.patterns.push_back(a.lit);
              rx.pr.field = a.field;
              rx.pr.targets.emplace_back();
            }
            add_target(rx.pr.targets[it->second], t);
            continue;
          }
          if (a.anchored) {
            PrefilterAnchors& an = pf.anchors;
            auto group = std::find(an.fields.begin(), an.fields.end(), a.field);
            if (group == an.fields.end()) group = an.fields.insert(an.fields.end(), a.field);
            uint32_t id;
            if (!an.set.add(static_cast<uint32_t>(group - an.fields.begin()), a.anchor, a.lit, id)) continue;  // never: atoms are not empty
            if (id == an.targets.size()) an.targets.emplace_back();
            add_target(an.targets[id], t);
            continue;
          }
          const uint8_t k = a.field == kAnyField ? Prefilter::unbound : a.field == main ? Prefilter::main_field : Prefilter::other;
          PrefilterSet& ps = *sets[k];
          auto [it, fresh] = ids[k].emplace(a.lit, static_cast<uint32_t>(lits[k].size()));
          if (fresh) {
            lits[k].push_back(a.lit);
            ps.targets.emplace_back();
            ps.literal_len.push_back(static_cast<uint32_t>(a.lit.size()));
            if (ps.min_len == 0 || a.lit.size() < ps.min_len) ps.min_len = static_cast<uint32_t>(a.lit.size());
          }
          add_target(ps.targets[it->second], t);
          if (k != Prefilter::unbound) pf.field[a.field] = k;
        }
    }
    st_.literals += lits[0].size() + lits[1].size() + lits[2].size();
    st_.anchored_literals += pf.anchors.set.size();
  }
  {
    std::vector<const std::vector<std::string>*> lit_lists, regex_lists;
    for (const auto& sg : staged) {
      for (const auto& l : sg.lits)
        if (!l.empty()) lit_lists.push_back(&l);
      for (const auto& [f, rx] : sg.regexes) regex_lists.push_back(&rx.patterns);
    }
    for (const auto& l : contains_lits_)
      if (!l.empty()) lit_lists.push_back(&l);
    prebuild(lit_lists, regex_lists);
    finish_accelerated();
  }
  for (auto& sg : staged) {
    const uint32_t vi = sg.vi;
    const auto& list = *sg.list;
    Prefilter& pf = sg.pf;
    auto& lits = sg.lits;
    PrefilterSet* sets[3] = {&pf.keywords, &pf.fields, &pf.main};
    std::string failure;
    for (size_t k = 0; k < 3; ++k) {
      if (lits[k].empty()) continue;
      auto set = cached_set(lits[k]);
      if (set.ok()) sets[k]->set = *set;
      else failure = set.error().message;
    }
    for (auto& [f, rx] : sg.regexes) {
      auto set = cached_regexes(rx.patterns);
      if (!set.ok()) {
        failure = set.error().message;
        break;
      }
      rx.pr.set = *set;
      st_.prefilter_regexes += rx.patterns.size();
      pf.regexes.push_back(std::move(rx.pr));
    }
    if (!failure.empty()) {
      d_.error("", 0, 0, "prefilter-failed", failure + "; these rules are evaluated without prefilter");
      for (const Pending* p : list) {
        rs_.compiled_[p->compiled].always = true;
        rs_.variants_[vi].always_rules.push_back(p->compiled);
      }
      continue;
    }
    if (pf.main.set && pf.fields.set) ++st_.split_prefilters;
    if (pf.keywords.set) rs_.keyword_min_len_ = std::min(rs_.keyword_min_len_, pf.keywords.min_len);
    rs_.variants_[vi].prefilter = static_cast<int32_t>(rs_.prefilters_.size());
    rs_.prefilters_.push_back(std::move(pf));
  }
  for (auto& v : rs_.variants_) std::sort(v.always_rules.begin(), v.always_rules.end());

  // Matchers that several op_match nodes use keep their result per event in a memo slot.
  {
    std::vector<uint32_t> uses(rs_.matchers_.size(), 0), slot(rs_.matchers_.size(), Node::kNoMemo);
    for (const Node& n : rs_.nodes_)
      if (n.op == Node::op_match) ++uses[n.arg];
    for (Node& n : rs_.nodes_) {
      if (n.op != Node::op_match || uses[n.arg] < 2) continue;
      if (slot[n.arg] == Node::kNoMemo) slot[n.arg] = rs_.memo_slots_++;
      n.memo = slot[n.arg];
    }
  }

  // Variant dispatch: key on the first two value tests of each variant (on different fields),
  // so that an event's lookup finds the few variants it can belong to.
  auto slot_of = [&](FieldId f) {  // the key field's index in key_fields_, added when new
    for (uint32_t s = 0; s < rs_.key_fields_.size(); ++s)
      if (rs_.key_fields_[s].field == f) return s;
    rs_.key_fields_.push_back({f, {}});
    return static_cast<uint32_t>(rs_.key_fields_.size() - 1);
  };
  auto intern = [&](uint32_t slot, const std::string& value) {  // ids from 1: 0 is "no second key"
    return rs_.key_fields_[slot].ids.intern(value) + 1;
  };
  for (uint32_t vi = 0; vi < rs_.variants_.size(); ++vi) {
    auto& v = rs_.variants_[vi];
    if (v.name == "*") {
      rs_.fallback_variant_ = vi;
      continue;
    }
    // Value tests first: the order of tests does not matter, all must hold.
    auto is_value_test = [](const CompiledWhen& w) { return !w.exists_test && !w.values.empty(); };
    std::stable_partition(v.when.begin(), v.when.end(), is_value_test);
    size_t tests = 0;
    while (tests < v.when.size() && tests < 2 && is_value_test(v.when[tests])) ++tests;
    if (tests == 2 && v.when[1].field == v.when[0].field) tests = 1;
    if (tests == 0) {
      FieldId need = kNoField;
      for (const auto& w : v.when)
        if (w.exists_test && w.exists_value) {
          need = w.field;
          break;
        }
      auto g = std::find_if(rs_.unkeyed_.begin(), rs_.unkeyed_.end(), [&](const auto& x) { return x.first == need; });
      if (g == rs_.unkeyed_.end()) g = rs_.unkeyed_.insert(rs_.unkeyed_.end(), {need, {}});
      g->second.push_back(vi);
      continue;
    }
    v.key_tests = static_cast<uint32_t>(tests);
    const uint32_t s1 = slot_of(v.when[0].field), s2 = tests == 2 ? slot_of(v.when[1].field) : Ruleset::kNoSlot;
    Ruleset::KeyIndex* ki = nullptr;
    for (auto& k : rs_.key_index_)
      if (k.slot == s1 && k.slot2 == s2) ki = &k;
    if (!ki) {
      rs_.key_index_.push_back({s1, s2, {}});
      ki = &rs_.key_index_.back();
    }
    for (const auto& a : v.when[0].values) {
      const uint32_t id1 = intern(s1, a);
      auto add = [&](uint32_t id2) {
        auto& list = ki->by_key[Ruleset::key_of(id1, id2)];
        if (std::find(list.begin(), list.end(), vi) == list.end()) list.push_back(vi);
      };
      if (tests == 1) add(0);
      else
        for (const auto& b : v.when[1].values) add(intern(s2, b));
    }
  }

  rs_.correlations_ = std::move(corrs);
}

std::vector<std::string> split_yaml_documents(const std::string& text) {
  std::vector<std::string> docs;
  std::string cur;
  size_t line = 0, start_line = 0;
  size_t i = 0;
  auto flush = [&] {
    bool blank = cur.find_first_not_of(" \t\r\n") == std::string::npos;
    if (!blank) docs.push_back(std::string(start_line, '\n') + cur);
    cur.clear();
  };
  while (i < text.size()) {
    size_t nl = text.find('\n', i);
    size_t end = nl == std::string::npos ? text.size() : nl;
    std::string_view l(text.data() + i, end - i);
    bool marker = l.substr(0, 3) == "---" && (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
    bool doc_end = l.substr(0, 3) == "..." && (l.size() == 3 || l[3] == ' ' || l[3] == '\r');
    if (marker || doc_end) {
      flush();
      start_line = line + 1;
      if (marker && l.size() > 3) {
        // Content after the marker on the same line ("--- !tag" or a flow node) stays in the document.
        cur.append(l.substr(3));
        start_line = line;
        cur.push_back('\n');
      }
    } else {
      cur.append(l);
      cur.push_back('\n');
    }
    ++line;
    i = end + 1;
  }
  flush();
  return docs;
}

std::shared_ptr<const Ruleset> Ruleset::load(const RulesetOptions& opt, Diagnostics& d, LoadStats& st) {
  auto rs = std::shared_ptr<Ruleset>(new Ruleset());
  LogSourceMap map;
  if (!opt.mapping_paths.empty() && !map.load(opt.mapping_paths, d)) st.mapping_failed = true;
  if (!opt.mapping_text.empty()) map.load_text(opt.mapping_text, "<mapping>", d);
  Placeholders ph;
  if (!opt.placeholders_path.empty()) ph.load(opt.placeholders_path, d);

  std::vector<std::string> files;
  for (const auto& p : opt.rule_paths) collect_files(p, files, d);
  std::vector<Rule> rules;
  std::vector<Filter> filters;
  std::vector<CorrelationRule> corrs;
  std::vector<std::pair<std::string, std::string>> sources;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) {
      d.error(f, 0, 0, "file-unreadable", "cannot read the file");
      continue;
    }
    std::stringstream ss;
    ss << in.rdbuf();
    sources.emplace_back(f, ss.str());
  }
  for (const auto& t : opt.rule_texts) sources.push_back(t);
  // Parse files in parallel (yaml-cpp dominates loading); results are merged in file order so
  // diagnostics and rule order do not depend on the thread count.
  struct Parsed {
    std::vector<Rule> rules;
    std::vector<Filter> filters;
    std::vector<CorrelationRule> corrs;
    Diagnostics diags;
    LoadStats st;
  };
  std::vector<Parsed> parsed(sources.size());
  auto parse_one = [&](size_t idx) {
    const std::string& f = sources[idx].first;
    const std::string& text = sources[idx].second;
    Diagnostics& d = parsed[idx].diags;
    LoadStats& st = parsed[idx].st;
    std::vector<Rule>& rules = parsed[idx].rules;
    std::vector<Filter>& filters = parsed[idx].filters;
    std::vector<CorrelationRule>& corrs = parsed[idx].corrs;
    ++st.files;
    std::vector<YAML::Node> docs;
    for (const auto& piece : split_yaml_documents(text)) {
      try {
        docs.push_back(YAML::Load(piece));
      } catch (const YAML::Exception& e) {
        d.error(f, static_cast<uint32_t>(e.mark.line + 1), static_cast<uint32_t>(e.mark.column + 1), "yaml-syntax", e.msg);
        ++st.rules_rejected;
      }
    }
    YAML::Node global;
    for (auto& doc : docs) {
      ++st.documents;
      if (!doc || doc.IsNull()) continue;
      if (!doc.IsMap()) {
        d.error(f, static_cast<uint32_t>(doc.Mark().line + 1), 1, "not-a-rule", "a rule document must be a YAML map");
        ++st.rules_rejected;
        continue;
      }
      try {
        // Sigma 1.x rule collections: `action: global` documents are merged into the following ones.
        if (doc["action"]) {
          std::string action = doc["action"].Scalar();
          if (action == "global") {
            global = YAML::Clone(doc);
            global.remove("action");
            continue;
          }
          if (action == "reset") {
            global = YAML::Node();
            continue;
          }
          d.error(f, static_cast<uint32_t>(doc.Mark().line + 1), 1, "unsupported-action",
                  fmt::format("rule collection action '{}' is not supported", action));
          ++st.rules_rejected;
          continue;
        }
        if (global) {
          YAML::Node merged = YAML::Clone(global);
          for (const auto& kv : doc) {
            std::string k = kv.first.Scalar();
            if (merged[k] && merged[k].IsMap() && kv.second.IsMap()) {
              YAML::Node sub = merged[k];
              for (const auto& kv2 : kv.second) sub[kv2.first.Scalar()] = kv2.second;
            } else {
              merged[k] = kv.second;
            }
          }
          doc = merged;
        }
        if (doc["correlation"]) {
          ++st.correlations;
          if (auto c = parse_correlation(doc, f, d)) corrs.push_back(std::move(*c));
          else ++st.rules_rejected;
        } else if (doc["filter"]) {
          ++st.filters;
          if (auto fl = parse_filter(doc, f, d)) filters.push_back(std::move(*fl));
          else ++st.rules_rejected;
        } else if (doc["detection"]) {
          if (auto r = parse_rule(doc, f, d)) rules.push_back(std::move(*r));
          else ++st.rules_rejected;
        } else {
          d.error(f, static_cast<uint32_t>(doc.Mark().line + 1), 1, "not-a-rule",
                  "the document has none of 'detection', 'correlation' or 'filter'");
          ++st.rules_rejected;
        }
      } catch (const YAML::Exception& e) {
        d.error(f, static_cast<uint32_t>(e.mark.line + 1), static_cast<uint32_t>(e.mark.column + 1), "yaml-structure", e.msg);
        ++st.rules_rejected;
      }
    }
    };
  size_t nthreads = std::min<size_t>(std::max(1u, std::thread::hardware_concurrency()), sources.size());
  if (nthreads <= 1) {
    for (size_t i = 0; i < sources.size(); ++i) parse_one(i);
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> pool;
    for (size_t t = 0; t < nthreads; ++t)
      pool.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < sources.size();) parse_one(i);
      });
    for (auto& th : pool) th.join();
  }
  for (auto& p : parsed) {
    d.append(p.diags);
    st.files += p.st.files;
    st.documents += p.st.documents;
    st.rules_rejected += p.st.rules_rejected;
    st.filters += p.st.filters;
    st.correlations += p.st.correlations;
    for (auto& r : p.rules) rules.push_back(std::move(r));
    for (auto& f : p.filters) filters.push_back(std::move(f));
    for (auto& c : p.corrs) corrs.push_back(std::move(c));
  }
  // Duplicate ids are reported: references by id become ambiguous.
  std::map<std::string, const Rule*> ids;
  for (const auto& r : rules) {
    if (r.id.empty()) continue;
    auto [it, fresh] = ids.emplace(r.id, &r);
    if (!fresh)
      d.warning(r.file, r.pos.line, r.pos.col, "duplicate-id", fmt::format("rule id {} is also used by {}", r.id, it->second->file));
  }
  Compiler c(*rs, d, st, ph);
  c.anchors_ = opt.prefilter_anchors;
  c.build(rules, filters, corrs, map, opt.use_prefilter, opt.prefilter_split_literals);
  for (const auto& diag : d.items())
    if (diag.severity == Severity::error) ++st.rejected_by_code[diag.code];
  return rs;
}

}  // namespace lachan::sigma
