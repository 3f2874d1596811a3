// Sigma correlation rules (Sigma specification "Sigma Correlation Rules", v2.x, with the
// metric types value_sum / value_avg / value_percentile / value_median as pySigma defines them):
// parsing + validation into CorrelationRule, and a streaming evaluation engine.
//
// ---------------------------------------------------------------------------------------------
// PARSING (parse_correlation)
//   * `correlation:` must be a map with `type`, `rules`, `timespan`; `condition` is required for
//     every type except temporal / temporal_ordered, whose default condition is
//     `gte: <number of rules>` (pySigma), i.e. every referenced rule must match.
//   * `rules`: a list of references (a rule's `name` or `id`) or a single string (pySigma).
//     Duplicates are an error (JSON schema: uniqueItems).
//   * `group-by`: a list or a single string; optional (pySigma) — without it the whole stream is
//     one group (a `missing-group-by` warning is given because the spec lists it as required).
//   * `timespan`: `<positive integer><unit>`, unit one of the spec's s, m, h, d. `w` (weeks, a
//     pySigma extension) is accepted with a `nonstandard-timespan-unit` warning; M and y (not
//     fixed durations) and anything else are `invalid-timespan`. The old name `timeframe` is
//     not accepted (`deprecated-timeframe`).
//   * `condition`: a map of one or more of gt, gte, lt, lte, eq, neq (all must hold: the spec's
//     "range" form `gt: 100` + `lte: 200`), plus `field` (value_* types; required there) and
//     `percentile` (value_percentile; required there, 0..100). Thresholds are numbers.
//     pySigma's "extended" string conditions (`a and not b`) are rejected
//     (`unsupported-extended-condition`).
//   * `aliases`: alias -> { rule reference -> field }; every rule reference must be in `rules`.
//   * `generate`: boolean, read from the correlation section (pySigma) or the top level (spec).
//
// ---------------------------------------------------------------------------------------------
// EVALUATION SEMANTICS (CorrelationEngine)
//   Inputs are kept per (correlation, group) in a buffer sorted by (ts, event, rule_pos), so the
//   result does not depend on arrival order. Time is event time.
//
//   Watermark. W = (largest ts seen by add()) - tolerance. Inputs may arrive out of order by up
//   to `tolerance` (ts >= W at arrival); an input with ts < W is LATE: dropped and counted.
//   An entry is final once ts < W; entries are evaluated strictly in sorted order and only when
//   final, so any arrival order within the tolerance gives exactly the hits of sorted input.
//   Consequence: a hit is emitted by the add() whose input moves W past the time of the entry
//   that completes it (or by flush()), i.e. with up to `tolerance` (+ one more event) latency.
//
//   Windows. A window is [t, t + timespan], both ends inclusive, anchored at the first entry of
//   the group that is still unconsumed. Two kinds of condition:
//   (A) "growing" conditions — every test is gt/gte and the type is event_count, value_count,
//       value_sum, temporal or temporal_ordered (the aggregate can only grow as entries are
//       added; value_sum assumes non-negative values). Entries are added one by one; when an
//       entry lies beyond anchor + timespan the anchor is dropped (sliding window), and the
//       condition is tested on the entries anchor..new entry. It fires as soon as it holds.
//   (B) everything else (any lt/lte/eq/neq test, and value_avg / value_median /
//       value_percentile): a window can only be judged once it is closed, i.e. when
//       W > anchor + timespan, or at flush(). The condition is tested on all entries in
//       [anchor, anchor + timespan]. ("fewer than 5 in 1h" = a group's first unconsumed event
//       opens a 1h window which then held fewer than 5 events.)
//   Consumption. After a hit, all entries of the hit are consumed; the next hit of the group
//   needs new entries in a new window (one incident = one hit). In (B) a closed window is
//   consumed whether it fired or not (tumbling windows that start at the first event after the
//   previous window), so a shrinking tail cannot fire an lt condition over and over.
//
//   Aggregates: event_count = number of entries; value_count = number of distinct values of
//   the field (entries without the field are not counted, like SQL count(distinct));
//   value_sum / value_avg / value_median / value_percentile over the numeric values of the
//   field (entries without a numeric value are ignored — dropped at add() and counted); a
//   window with no numeric value never satisfies a (B) condition. Percentile: linear
//   interpolation between closest ranks (numpy default); median = percentile 50.
//   temporal: the number of distinct referenced rules matched in the window.
//   temporal_ordered: the length of the longest chain of referenced rules, in the order of
//   `rules`, matched at strictly increasing times within the window (equal timestamps cannot
//   establish an order). With the default condition this means "all rules, in order".
//
//   Group-by: an input whose group value is missing (nullopt) is skipped and counted, as
//   aggregation backends drop events lacking a group-by field. An empty string is a value.
//
//   Chaining. A reference in `rules` that equals the `name` or `id` of another correlation
//   given to the engine is fed internally with that correlation's hits (time: the hit's
//   ts_ns; group values taken from the upstream hit by group-by field name, after the
//   downstream rule's aliases; fields that the upstream does not group by count as missing).
//   Callers must not add() inputs for such positions (they are rejected and counted).
//   Correlations are evaluated in dependency order; reference cycles are ignored (see
//   check_correlation_references).
//
//   Memory: at most limits.max_entries_per_group buffered per group and
//   limits.max_entries_total overall; inputs beyond are dropped and counted in stats().
//   Consumed, dropped and closed entries are freed; empty groups are removed.
// ---------------------------------------------------------------------------------------------
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "sigma/diagnostics.h"

namespace YAML {
class Node;
}

namespace lachan::sigma {

enum class CorrelationType {
  event_count,
  value_count,
  temporal,
  temporal_ordered,
  value_sum,
  value_avg,
  value_percentile,
  value_median
};
const char* correlation_type_name(CorrelationType t) noexcept;
std::optional<CorrelationType> parse_correlation_type(std::string_view s) noexcept;
// value_count, value_sum, value_avg, value_percentile, value_median: need condition.field.
bool correlation_needs_field(CorrelationType t) noexcept;

struct CorrelationCondition {
  enum Op { gt, gte, lt, lte, eq, neq };
  std::vector<std::pair<Op, double>> tests;  // all must hold; in the order written
  std::string field;                         // value_* types
  double percentile = 0;                     // value_percentile (0..100)
  bool is_default = false;                   // temporal default (gte: number of rules)
  bool holds(double v) const noexcept;
};
const char* condition_op_name(CorrelationCondition::Op op) noexcept;

struct CorrelationRule {
  std::string file;
  uint32_t line = 0, column = 0;
  std::string id, name, title, description, author, date, modified, level, status;
  std::vector<std::string> tags, references, falsepositives;
  CorrelationType type = CorrelationType::event_count;
  std::vector<std::string> rules;     // references: a rule's `name` or `id`, in order
  std::vector<std::string> group_by;  // alias names or field names
  std::map<std::string, std::map<std::string, std::string>> aliases;  // alias -> (rule ref -> field)
  std::string timespan_text;          // as written, e.g. "5m"
  int64_t timespan_ns = 0;
  CorrelationCondition condition;
  bool generate = false;

  // For the rule at position `pos` in `rules`: the event field names to extract, in group_by
  // order (aliases resolved for that rule), and the value field for value_* types.
  std::vector<std::string> group_fields(size_t pos) const;
  std::optional<std::string> value_field(size_t pos) const;
  // True for the (A) "growing" conditions described above (fire early, sliding windows).
  bool fires_early() const noexcept;
};

// Parses a YAML document with a top-level `correlation:` key. Every problem goes to diags
// (file, 1-based line:col, stable code); returns nullopt when there is any error.
std::optional<CorrelationRule> parse_correlation(const YAML::Node& doc, const std::string& file,
                                                 Diagnostics& diags);

// "5m" -> ns. nullopt when invalid (see above); `nonstandard` set for a `w` unit.
std::optional<int64_t> parse_timespan(std::string_view s, bool* nonstandard = nullptr) noexcept;

// Cross-correlation checks over a set: references that name several correlations
// (`ambiguous-correlation-reference`, warning) and reference cycles (`correlation-cycle`).
void check_correlation_references(const std::vector<CorrelationRule>& rules, Diagnostics& diags);

// --------------------------------------------------------------------------------------------

struct CorrelationInput {  // one match of a referenced (non-correlation) rule
  uint32_t correlation = 0;  // index into the engine's rules vector
  uint32_t rule_pos = 0;     // position of the matched rule in that correlation's `rules`
  int64_t ts_ns = 0;         // event time
  std::vector<std::optional<std::string>> group;  // values of group_fields(rule_pos); nullopt = missing
  std::optional<std::string> value;               // value_field(rule_pos), as text
  uint64_t event = 0;                             // opaque event reference, echoed in hits
};

struct CorrelationHit {
  uint32_t correlation = 0;
  std::vector<std::string> group;  // group values, group_by order
  int64_t first_ts_ns = 0, last_ts_ns = 0;  // first and last entry of the hit
  int64_t ts_ns = 0;  // time of the hit: (A) last_ts_ns; (B) end of the window (first + timespan)
  double value = 0;   // the count / distinct count / sum / avg / percentile / rules that met it
  // The events of the hit's entries, in time order (upstream hits flattened): every entry of
  // the window up to the completing one — for temporal_ordered also entries off the chain.
  std::vector<uint64_t> events;
};

struct CorrelationLimits {
  size_t max_entries_per_group = 10000;
  size_t max_entries_total = 1000000;
};

struct CorrelationStats {
  uint64_t accepted = 0;
  uint64_t late = 0;               // ts < watermark at arrival
  uint64_t missing_group = 0;      // a group-by value missing
  uint64_t missing_value = 0;      // value_* type without a (numeric) value
  uint64_t invalid = 0;            // bad correlation index / rule_pos / group size, or a chained position
  uint64_t dropped_group_cap = 0;  // group buffer full
  uint64_t dropped_total_cap = 0;  // engine buffer full
  uint64_t hits = 0;
};

class CorrelationEngine {
 public:
  CorrelationEngine(std::vector<CorrelationRule> rules, int64_t tolerance_ns,
                    CorrelationLimits limits = {});
  ~CorrelationEngine();
  CorrelationEngine(const CorrelationEngine&) = delete;
  CorrelationEngine& operator=(const CorrelationEngine&) = delete;

  // Hits are appended sorted by (ts_ns, correlation, group, first_ts_ns).
  void add(const CorrelationInput& in, std::vector<CorrelationHit>& out);
  // End of input: every entry becomes final and every window closes.
  void flush(std::vector<CorrelationHit>& out);

  size_t state_entries() const noexcept { return total_entries_; }
  size_t state_groups() const noexcept { return groups_.size(); }
  const CorrelationStats& stats() const noexcept { return stats_; }
  const std::vector<CorrelationRule>& rules() const noexcept { return rules_; }
  // The correlation fed internally at (correlation, pos), if that reference names one.
  std::optional<uint32_t> upstream(uint32_t correlation, uint32_t pos) const;
  // Whether a correlation's hits are reported: not when it only feeds other correlations,
  // unless one of those sets `generate`.
  bool reports(uint32_t correlation) const noexcept {
    return correlation < reports_.size() && reports_[correlation];
  }
  int64_t watermark() const noexcept;

  struct Group;
  struct Entry;

 private:
  struct Feed;  // a chained (correlation, pos) fed by an upstream correlation
  void insert(uint32_t corr, const std::string& key, std::vector<std::string>&& group, Entry&& e);
  void advance(int64_t w, bool flushing, std::vector<CorrelationHit>& out);
  void advance_group(Group& g, int64_t w, bool flushing, std::vector<CorrelationHit>& out);
  void emit(Group& g, size_t n, double value, int64_t ts, std::vector<CorrelationHit>& out);
  void schedule(Group& g);
  void feed_downstream(const CorrelationHit& h);

  std::vector<CorrelationRule> rules_;
  int64_t tolerance_;
  CorrelationLimits limits_;
  CorrelationStats stats_;
  std::vector<bool> early_;                                   // per correlation
  std::vector<bool> reports_;                                 // per correlation
  std::vector<uint32_t> topo_;                                // evaluation order
  std::vector<std::vector<int32_t>> upstream_;                // [corr][pos] -> corr or -1
  std::vector<std::vector<Feed>> downstream_;                 // [corr] -> feeds
  std::unordered_map<std::string, uint64_t> by_key_;
  std::unordered_map<uint64_t, std::unique_ptr<Group>> groups_;
  std::vector<std::set<std::pair<int64_t, uint64_t>>> due_;  // [corr] -> (deadline, group id)
  uint64_t next_gid_ = 1;
  size_t total_entries_ = 0;
  int64_t max_seen_;
  bool any_seen_ = false;
};

}  // namespace lachan::sigma
