// A compiled, immutable Sigma ruleset: every rule compiled once per log-source variant against
// interned field ids, indexed by log source, with a Vectorscan prefilter over all rules'
// literals. Shared by all threads (std::shared_ptr<const Ruleset>); per-thread state lives in
// MatchContext.
#pragma once

#include <re2/re2.h>

#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/event.h"
#include "match/anchor_set.h"
#include "match/cidr.h"
#include "match/literal_set.h"
#include "match/pattern.h"
#include "match/regex_set.h"
#include "sigma/correlation.h"
#include "sigma/diagnostics.h"
#include "sigma/logsource_map.h"
#include "sigma/rule.h"

namespace lachan::sigma {

// A prefilter target bound to no field: keyword literals, found in any value.
inline constexpr FieldId kAnyField = kNoField - 1;

struct ValueMatcher {
  enum Kind : uint8_t { pattern, regex, cidr, compare, fieldref, time_part, min_line };
  enum Cmp : uint8_t { lt, lte, gt, gte, eq };
  enum Part : uint8_t { minute, hour, day, week, month, year };
  Kind kind = pattern;
  Cmp cmp = eq;
  Part part = minute;
  double number = 0;  // compare/time_part operand; min_line: the length
  FieldId ref = kNoField;
  enum RefPos : uint8_t { ref_equals, ref_contains, ref_starts, ref_ends };
  RefPos ref_pos = ref_equals;  // fieldref with contains/startswith/endswith
  bool cased = false;           // fieldref with `cased`
  match::Pattern pat;
  std::shared_ptr<const re2::RE2> re;
  std::optional<match::Cidr> net;
  // Compile-time only: literals every match of a regex contains (FilteredRE2), or empty.
  std::vector<std::string> required;
  // regex: lowercase literals one of which the lowercased value must contain before the regex
  // runs (empty: no test).
  std::vector<std::string> guard;
};

// Long lists of case-insensitive equals / startswith / endswith values, answered by hash lookups
// of a lowercased value, its prefixes and its suffixes of the lengths the list has, instead of
// one comparison per list value.
// The sets are FieldRegistry tables (interned strings, a cheap hash, open addressing), used as
// sets of strings.
struct AffixSet {
  FieldRegistry equals, prefixes, suffixes;
  std::vector<uint32_t> prefix_lengths, suffix_lengths;  // distinct, ascending
  bool match(std::string_view lower) const {
    if (equals.find(lower) != kNoField) return true;
    for (uint32_t n : prefix_lengths) {
      if (n > lower.size()) break;
      if (prefixes.find(lower.substr(0, n)) != kNoField) return true;
    }
    for (uint32_t n : suffix_lengths) {
      if (n > lower.size()) break;
      if (suffixes.find(lower.substr(lower.size() - n)) != kNoField) return true;
    }
    return false;
  }
};

struct FieldMatcher {
  enum Kind : uint8_t { values, keyword, null_value, exists };
  Kind kind = values;
  bool all = false;     // every value must match (`all`)
  bool negate = false;  // `neq`: the field exists and matches none of the values
  bool exists_value = true;
  std::vector<FieldId> fields;  // the event fields (any of) after mapping
  std::vector<ValueMatcher> vals;
  // Long lists of case-insensitive `contains` values are searched in one pass: `vals` then
  // holds only the values the set does not cover.
  std::shared_ptr<const match::LiteralSet> contains_set;
  std::shared_ptr<const AffixSet> affix;  // likewise for equals / startswith / endswith values
  uint32_t cost = 1;  // rough evaluation cost, to order AND operands
};

struct Node {
  enum Op : uint8_t { op_and, op_or, op_not, op_at_least, op_match, op_true, op_false };
  static constexpr uint32_t kNoMemo = UINT32_MAX;
  Op op = op_true;
  uint32_t arg = 0;          // matcher index (op_match) or count (op_at_least)
  uint32_t first_child = 0;  // into Ruleset::children_
  uint32_t child_count = 0;
  // op_match of a matcher several rules share (the same field, modifiers and values): its slot
  // in MatchContext::memo_, where its result for the current event is kept.
  uint32_t memo = kNoMemo;
};

struct RuleInfo {
  std::string id, name, title, status, author, file, description;
  Level level = Level::medium;
  std::vector<std::string> tags;
  LogSource logsource;
  bool emit = true;  // false for rules only referenced by correlations without `generate`
  std::vector<std::pair<uint32_t, uint32_t>> feeds;  // (correlation, position in its rules)
};

struct CompiledRule {
  uint32_t rule = 0;
  uint32_t variant = 0;
  uint32_t root = 0;
  bool always = false;  // not covered by the prefilter: evaluated for every event of its variant
  // Prefiltered rules: one bit per clause of the rule's necessary condition (every clause must
  // have a literal in the event before the rule is evaluated).
  uint32_t clause_mask = 0;
  // For correlations fed by this rule: group-by fields and value field, per feed.
  std::vector<std::vector<std::vector<FieldId>>> group_fields;
  std::vector<std::vector<FieldId>> value_field;
};

struct CompiledWhen {
  FieldId field = kNoField;
  bool exists_test = false, exists_value = true;
  std::vector<std::string> values;
};

// A literal found in `field` (or in any value: kAnyField) satisfies these clauses of a
// compiled rule.
struct PrefilterTarget {
  FieldId field;
  uint32_t rule;     // compiled rule
  uint32_t clauses;  // bits of CompiledRule::clause_mask
  uint32_t mask;     // the rule's clause_mask, here so that a literal's hit reads no CompiledRule
};

// Per thread and compiled rule: the prefilter clauses seen in the current event (valid where
// `stamp` is the event's), side by side so that a literal's hit touches one cache line per rule.
struct PrefilterSeen {
  uint32_t stamp = 0, clauses = 0;
};

// One literal set of a prefilter and what each literal's occurrence means.
struct PrefilterSet {
  std::shared_ptr<const match::LiteralSet> set;  // null when there is no literal
  std::vector<uint32_t> literal_len;
  uint32_t min_len = 0;  // the shortest literal: shorter values cannot hold one and are not scanned
  std::vector<std::vector<PrefilterTarget>> targets;  // by literal
};

// The regexes of one field that have no literal the literal sets could look for (every rule
// with such a regex alone would otherwise be evaluated on every event of its variant): run by
// Vectorscan in prefilter mode over each value of the field; a regex it reports satisfies its
// targets' clauses as a literal does, and RE2 confirms when the rule is evaluated.
struct PrefilterRegexes {
  FieldId field = kNoField;
  std::shared_ptr<const match::RegexSet> set;
  std::vector<std::vector<PrefilterTarget>> targets;  // by regex
};

// The anchored literals of one variant (whole values, starts and ends of values: their rules'
// plain, startswith and endswith values), looked up in the values of their fields rather than
// scanned for; a literal found satisfies its targets' clauses as a scanned one does.
struct PrefilterAnchors {
  match::AnchorSet set;                               // its groups are positions in `fields`
  std::vector<FieldId> fields;                        // by group
  std::vector<std::vector<PrefilterTarget>> targets;  // by literal id
};

// The prefilter of one variant. Field-bound literals are scanned over the values of the fields
// they are bound to only; keyword literals (found in any value) have a set of their own, scanned
// over every value, so that one keyword rule does not make the large field-bound set scan the
// whole event. A variant with thousands of literals, most of them bound to one field
// (process_creation: CommandLine), keeps that field's literals apart: Vectorscan's cost per
// byte grows with the set, and the large set then reads only that field.
struct Prefilter {
  enum Scan : uint8_t { unbound = 0, other = 1, main_field = 2 };
  PrefilterSet main;      // literals bound to the main field (empty set when not split)
  PrefilterSet fields;    // the other field-bound literals
  PrefilterSet keywords;
  std::vector<PrefilterRegexes> regexes;  // by field
  PrefilterAnchors anchors;
  std::vector<uint8_t> field;  // by FieldId: a Scan
};

struct CompiledVariant {
  std::string name;
  int32_t prefilter = -1;  // index into Ruleset::prefilters_, -1 when no rule of it is prefiltered
  std::vector<CompiledWhen> when;  // the tests the key index answers (key_tests) first
  uint32_t key_tests = 0;
  std::vector<uint32_t> always_rules;  // compiled-rule indices evaluated without prefilter
  size_t rule_count = 0;
};

// Splits a YAML stream into its documents at `---` lines, each document padded with blank
// lines so that yaml-cpp's line numbers stay those of the file. (yaml-cpp 0.7's LoadAll can
// loop forever on some malformed input; Load on one document does not.)
std::vector<std::string> split_yaml_documents(const std::string& text);

struct LoadStats {
  size_t files = 0;
  size_t documents = 0;
  size_t rules_loaded = 0;
  size_t rules_rejected = 0;
  size_t filters = 0;
  size_t correlations = 0;
  size_t unmapped_rules = 0;       // evaluated against every event
  size_t compiled_instances = 0;   // rule x variant
  size_t prefiltered_instances = 0;
  size_t literals = 0;
  size_t split_prefilters = 0;  // variants whose main field's literals have a set of their own
  size_t prefilter_regexes = 0;  // regex atoms (PrefilterRegexes), counted once per variant holding them
  size_t anchored_literals = 0;  // whole-value, prefix and suffix literals (PrefilterAnchors), likewise
  bool mapping_failed = false;  // a log-source mapping named in the options could not be loaded
  std::map<std::string, size_t> rejected_by_code;
};

struct RulesetOptions {
  std::vector<std::string> rule_paths;
  // Rules given as text: (name used in diagnostics, YAML). For tests, fuzzing and the API.
  std::vector<std::pair<std::string, std::string>> rule_texts;
  std::string mapping_text;                // a log-source mapping given as text (tests)
  std::vector<std::string> mapping_paths;  // log-source mappings; empty = none (all rules unrestricted)
  std::string placeholders_path;           // for `expand`; empty = none
  bool use_prefilter = true;
  // Plain, startswith and endswith values are looked up at their value's ends (PrefilterAnchors)
  // rather than scanned for; false scans for them all (tests compare the two).
  bool prefilter_anchors = true;
  // A variant's field-bound literals are split in two sets (see Prefilter) from this many on.
  size_t prefilter_split_literals = 2000;
};

class MatchContext;

class Ruleset {
 public:
  static std::shared_ptr<const Ruleset> load(const RulesetOptions& options, Diagnostics& diags, LoadStats& stats);

  const FieldRegistry& fields() const noexcept { return fields_; }
  const std::vector<RuleInfo>& rules() const noexcept { return rules_; }
  const std::vector<CorrelationRule>& correlations() const noexcept { return correlations_; }
  const CompiledRule& compiled(uint32_t i) const noexcept { return compiled_[i]; }
  bool needs_keyword_values() const noexcept { return needs_keywords_; }
  bool has_event_paths() const noexcept { return has_event_paths_; }
  // Matchers several rules (or variants of a rule) share, evaluated once per event.
  size_t shared_matchers() const noexcept { return memo_slots_; }
  const std::vector<FieldId>& time_fields() const noexcept { return time_fields_; }
  // The event's time in ns since the epoch: the first time field (time_fields()) that parses.
  std::optional<int64_t> event_time(const Event& e) const;

  // Evaluates all rules on one flattened event; appends the indices of matching compiled rules
  // (at most one per rule, in rule order) to `out`.
  void match(const Event& e, MatchContext& ctx, std::vector<uint32_t>& out) const;

 private:
  friend class Compiler;
  friend class MatchContext;
  bool eval(uint32_t node, const Event& e, MatchContext& c) const;
  bool eval_matcher(const FieldMatcher& m, const Event& e, MatchContext& c) const;
  bool value_matches(const ValueMatcher& v, const Event& e, uint32_t idx) const;
  void active_variants(const Event& e, MatchContext& ctx) const;

  FieldRegistry fields_;
  std::vector<RuleInfo> rules_;
  std::vector<CorrelationRule> correlations_;
  std::vector<CompiledRule> compiled_;
  std::vector<CompiledVariant> variants_;
  std::vector<FieldMatcher> matchers_;
  std::vector<Node> nodes_;
  std::vector<uint32_t> children_;
  std::vector<FieldId> time_fields_;
  bool needs_keywords_ = false;
  bool has_event_paths_ = false;

  // Variant dispatch: a variant is keyed on its first two value tests (e.g. Channel and EventID).
  // The values those tests name are interned per key field (lowercased value -> id from 1:
  // its FieldRegistry id + 1); an index maps the ids of one value or a pair of values (key_of)
  // to the variants they select.
  struct KeyField {
    FieldId field;
    FieldRegistry ids;
  };
  static constexpr uint32_t kNoSlot = UINT32_MAX;
  struct KeyIndex {
    uint32_t slot;             // into key_fields_
    uint32_t slot2 = kNoSlot;  // kNoSlot: keyed on one field
    std::unordered_map<uint64_t, std::vector<uint32_t>> by_key;
  };
  static uint64_t key_of(uint32_t id1, uint32_t id2) { return (uint64_t{id1} << 32) | id2; }  // id2 0: none
  std::vector<KeyField> key_fields_;
  std::vector<KeyIndex> key_index_;
  // Variants without a value test, grouped by a field they require (kNoField: none): only the
  // groups of fields the event has are checked.
  std::vector<std::pair<FieldId, std::vector<uint32_t>>> unkeyed_;
  // Rules whose log source no mapping entry covers: evaluated on events no variant covers.
  uint32_t fallback_variant_ = UINT32_MAX;

  std::vector<Prefilter> prefilters_;
  uint32_t keyword_min_len_ = UINT32_MAX;  // the shortest keyword literal of any prefilter
  std::vector<std::shared_ptr<const match::LiteralSet>> accelerated_;  // for scratch sizing
  std::vector<std::shared_ptr<const match::RegexSet>> regex_sets_;     // likewise
  uint32_t memo_slots_ = 0;  // matchers several op_match nodes share (Node::memo)
};

// Per-thread scratch for Ruleset::match.
class MatchContext {
 public:
  explicit MatchContext(const Ruleset& rs);
  MatchContext(const MatchContext&) = delete;
  MatchContext& operator=(const MatchContext&) = delete;

 private:
  friend class Ruleset;
  match::LiteralSet::Scratch scratch_;
  // Values copied one after another (each followed by NUL) for a prefilter scan: where each
  // starts and its field.
  struct ScanBuffer {
    std::string text;
    std::vector<uint32_t> seg_start;
    std::vector<FieldId> seg_field;
    size_t pos = 0, segs = 0;
    void reset(size_t bytes, size_t values);  // empties it, with room for that much
    void add(const FieldValue& v) {
      seg_start[segs] = static_cast<uint32_t>(pos);
      seg_field[segs++] = v.field;
      std::memcpy(text.data() + pos, v.text.data(), v.text.size());
      pos += v.text.size();
      text[pos++] = '\0';
    }
  };
  // The prefilter's buffers: the main field's values, the other bound fields' values, and every
  // value (keyword literals; the same for every variant, so built once per event).
  ScanBuffer main_buf_, other_buf_, all_buf_;
  std::vector<uint32_t> variant_stamp_;
  std::vector<uint32_t> active_;
  // By compiled rule: the prefilter clauses seen in this event.
  std::vector<PrefilterSeen> seen_;
  std::vector<uint32_t> candidates_;
  std::vector<uint32_t> rule_stamp_;
  std::vector<uint64_t> memo_;  // by Node::memo: (stamp << 1) | result of a shared matcher
  std::string value_buf_;  // a value copied for a contains-set scan
  // The event's values of each key field, as ids (unknown values left out): key_ids_ from
  // key_begin_[slot] to key_begin_[slot + 1].
  std::vector<uint32_t> key_ids_, key_begin_;
  uint32_t stamp_ = 0;
  const Ruleset* rs_ = nullptr;
};

}  // namespace lachan::sigma
