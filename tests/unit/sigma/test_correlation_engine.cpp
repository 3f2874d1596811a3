// The streaming correlation engine: each type firing and not firing at its boundaries, groups,
// aliases, ordering, lt conditions at window close, memory caps, chaining, and a randomized
// comparison of out-of-order input against sorted input and a brute-force reference.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "sigma/correlation.h"

using namespace lachan::sigma;
using Op = CorrelationCondition::Op;

namespace {

constexpr int64_t S = 1'000'000'000LL;

CorrelationRule make(CorrelationType t, std::vector<std::string> rules, int64_t span,
                     std::vector<std::pair<Op, double>> tests, std::vector<std::string> group_by = {"host"},
                     std::string field = {}, double pct = 0) {
  CorrelationRule r;
  r.type = t;
  r.rules = std::move(rules);
  r.timespan_ns = span;
  r.condition.tests = std::move(tests);
  r.condition.field = std::move(field);
  r.condition.percentile = t == CorrelationType::value_median ? 50 : pct;
  r.group_by = std::move(group_by);
  return r;
}

CorrelationInput in(int64_t ts, uint64_t event, std::string host = "h", uint32_t pos = 0,
                    std::optional<std::string> value = std::nullopt, uint32_t corr = 0) {
  CorrelationInput i;
  i.correlation = corr;
  i.rule_pos = pos;
  i.ts_ns = ts;
  i.group = {std::move(host)};
  i.value = std::move(value);
  i.event = event;
  return i;
}

std::string cat(const char* prefix, int i) {
  std::ostringstream s;
  s << prefix << i;
  return s.str();
}

struct Run {
  std::vector<CorrelationHit> live, flushed;
  std::vector<CorrelationHit> all() const {
    auto v = live;
    v.insert(v.end(), flushed.begin(), flushed.end());
    return v;
  }
};

Run run(CorrelationEngine& e, const std::vector<CorrelationInput>& inputs) {
  Run r;
  for (const auto& i : inputs) e.add(i, r.live);
  e.flush(r.flushed);
  return r;
}

Run run(const CorrelationRule& rule, const std::vector<CorrelationInput>& inputs, int64_t tol = 0) {
  CorrelationEngine e({rule}, tol);
  return run(e, inputs);
}

}  // namespace

// --- event_count ---------------------------------------------------------------------------

TEST(CorrelationEngine, EventCountAtThresholdFires) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 3}});
  auto res = run(r, {in(0, 1), in(100 * S, 2), in(300 * S, 3)});  // last exactly at timespan: inside
  auto hits = res.all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].value, 3);
  EXPECT_EQ(hits[0].first_ts_ns, 0);
  EXPECT_EQ(hits[0].last_ts_ns, 300 * S);
  EXPECT_EQ(hits[0].ts_ns, 300 * S);
  EXPECT_EQ(hits[0].group, std::vector<std::string>{"h"});
  EXPECT_EQ((hits[0].events), (std::vector<uint64_t>{1, 2, 3}));
}

TEST(CorrelationEngine, EventCountOneBelowThresholdDoesNot) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 3}});
  EXPECT_TRUE(run(r, {in(0, 1), in(100 * S, 2)}).all().empty());
  auto gt = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gt, 3}});
  EXPECT_TRUE(run(gt, {in(0, 1), in(1, 2), in(2, 3)}).all().empty());
  EXPECT_EQ(run(gt, {in(0, 1), in(1, 2), in(2, 3), in(3, 4)}).all().size(), 1u);
}

TEST(CorrelationEngine, EventCountWindowJustOutsideDoesNot) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 3}});
  EXPECT_TRUE(run(r, {in(0, 1), in(100 * S, 2), in(300 * S + 1, 3)}).all().empty());
  // ...but the window slides: 100s, 300s+1, 400s fit in 300s.
  auto hits = run(r, {in(0, 1), in(100 * S, 2), in(300 * S + 1, 3), in(400 * S, 4)}).all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ((hits[0].events), (std::vector<uint64_t>{2, 3, 4}));
}

TEST(CorrelationEngine, HitIsEmittedWhenWatermarkPassesAndEventsAreConsumed) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 2}});
  CorrelationEngine e({r}, 0);
  std::vector<CorrelationHit> out;
  e.add(in(0, 1), out);
  e.add(in(10 * S, 2), out);
  EXPECT_TRUE(out.empty());  // ts 10s is not final until time moves past it
  e.add(in(11 * S, 3), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ((out[0].events), (std::vector<uint64_t>{1, 2}));
  e.add(in(12 * S, 4), out);  // 3 and 4 make a new incident; 1 and 2 are consumed
  e.add(in(13 * S, 5), out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ((out[1].events), (std::vector<uint64_t>{3, 4}));
  e.flush(out);
  EXPECT_EQ(out.size(), 2u);  // 5 alone is not enough
  EXPECT_EQ(e.state_entries(), 0u);
  EXPECT_EQ(e.state_groups(), 0u);
}

TEST(CorrelationEngine, SixEventsMakeTwoIncidents) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 3}});
  std::vector<CorrelationInput> v;
  for (int i = 0; i < 6; ++i) v.push_back(in(i * S, static_cast<uint64_t>(i)));
  EXPECT_EQ(run(r, v).all().size(), 2u);
  v.pop_back();
  EXPECT_EQ(run(r, v).all().size(), 1u);
}

TEST(CorrelationEngine, GroupsDoNotMix) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 3}});
  auto hits = run(r, {in(0, 1, "A"), in(1, 2, "B"), in(2, 3, "A"), in(3, 4, "B")}).all();
  EXPECT_TRUE(hits.empty());
  hits = run(r, {in(0, 1, "A"), in(1, 2, "B"), in(2, 3, "A"), in(3, 4, "B"), in(4, 5, "A")}).all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].group, std::vector<std::string>{"A"});
  EXPECT_EQ((hits[0].events), (std::vector<uint64_t>{1, 3, 5}));
}

TEST(CorrelationEngine, MissingGroupValueIsSkippedEmptyIsAValue) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 2}});
  CorrelationEngine e({r}, 0);
  auto missing = in(0, 1);
  missing.group = {std::nullopt};
  auto res = run(e, {missing, in(1, 2, ""), in(2, 3, "")});
  EXPECT_EQ(e.stats().missing_group, 1u);
  ASSERT_EQ(res.all().size(), 1u);
  EXPECT_EQ(res.all()[0].group, std::vector<std::string>{""});
}

TEST(CorrelationEngine, NoGroupByIsOneGroup) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 2}}, {});
  CorrelationInput a = in(0, 1), b = in(1, 2);
  a.group.clear();
  b.group.clear();
  EXPECT_EQ(run(r, {a, b}).all().size(), 1u);
}

TEST(CorrelationEngine, InvalidInputsAreRejected) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 1}});
  CorrelationEngine e({r}, 0);
  std::vector<CorrelationHit> out;
  e.add(in(0, 1, "h", 5), out);        // rule_pos out of range
  e.add(in(0, 1, "h", 0, {}, 3), out);  // correlation out of range
  auto wrong = in(0, 1);
  wrong.group.push_back("extra");
  e.add(wrong, out);
  EXPECT_EQ(e.stats().invalid, 3u);
  EXPECT_EQ(e.state_entries(), 0u);
}

// --- value_count / value_sum / value_avg / value_median / value_percentile ---------------

TEST(CorrelationEngine, ValueCountCountsDistinctValues) {
  auto r = make(CorrelationType::value_count, {"a"}, 60 * S, {{Op::gte, 3}}, {"host"}, "User");
  EXPECT_TRUE(run(r, {in(0, 1, "h", 0, "u1"), in(1, 2, "h", 0, "u1"), in(2, 3, "h", 0, "u2"),
                      in(3, 4, "h", 0, "u2")})
                  .all()
                  .empty());
  auto hits = run(r, {in(0, 1, "h", 0, "u1"), in(1, 2, "h", 0, "u1"), in(2, 3, "h", 0, "u2"),
                      in(3, 4, "h", 0, "u3")})
                  .all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].value, 3);
  EXPECT_EQ(hits[0].events.size(), 4u);
  // Missing value: not counted.
  CorrelationEngine e({r}, 0);
  auto res = run(e, {in(0, 1, "h", 0, "u1"), in(1, 2, "h", 0, std::nullopt), in(2, 3, "h", 0, "u2")});
  EXPECT_TRUE(res.all().empty());
  EXPECT_EQ(e.stats().missing_value, 1u);
}

TEST(CorrelationEngine, ValueSumBoundaryAndNonNumeric) {
  auto r = make(CorrelationType::value_sum, {"a"}, 3600 * S, {{Op::gt, 100}}, {"host"}, "bytes");
  EXPECT_TRUE(run(r, {in(0, 1, "h", 0, "50"), in(1, 2, "h", 0, "50")}).all().empty());
  CorrelationEngine e({r}, 0);
  auto res = run(e, {in(0, 1, "h", 0, "50"), in(1, 2, "h", 0, "abc"), in(2, 3, "h", 0, "50"),
                     in(3, 4, "h", 0, " 1 ")});
  ASSERT_EQ(res.all().size(), 1u);
  EXPECT_EQ(res.all()[0].value, 101);
  EXPECT_EQ((res.all()[0].events), (std::vector<uint64_t>{1, 3, 4}));
  EXPECT_EQ(e.stats().missing_value, 1u);
}

TEST(CorrelationEngine, ValueAvgIsJudgedWhenTheWindowCloses) {
  auto r = make(CorrelationType::value_avg, {"a"}, 100 * S, {{Op::gt, 500}}, {"host"}, "bytes");
  CorrelationEngine e({r}, 0);
  std::vector<CorrelationHit> out;
  e.add(in(0, 1, "h", 0, "10"), out);
  e.add(in(50 * S, 2, "h", 0, "1000"), out);
  e.add(in(100 * S, 3, "other", 0, "1"), out);  // time moves to the window end: not yet closed
  EXPECT_TRUE(out.empty());
  e.add(in(100 * S + 1, 4, "other", 0, "1"), out);  // now it is
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].value, 505);
  EXPECT_EQ(out[0].ts_ns, 100 * S);  // window end
  EXPECT_EQ(out[0].first_ts_ns, 0);
  EXPECT_EQ(out[0].last_ts_ns, 50 * S);
  // One below: avg 455.
  EXPECT_TRUE(run(r, {in(0, 1, "h", 0, "10"), in(50 * S, 2, "h", 0, "900")}).all().empty());
}

TEST(CorrelationEngine, ValueMedianAndPercentile) {
  auto med = make(CorrelationType::value_median, {"a"}, 100 * S, {{Op::gte, 2.5}}, {"host"}, "v");
  std::vector<CorrelationInput> v{in(0, 1, "h", 0, "100"), in(1, 2, "h", 0, "1"), in(2, 3, "h", 0, "3"),
                                  in(3, 4, "h", 0, "2")};
  auto hits = run(med, v).all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].value, 2.5);
  auto med2 = make(CorrelationType::value_median, {"a"}, 100 * S, {{Op::gt, 2.5}}, {"host"}, "v");
  EXPECT_TRUE(run(med2, v).all().empty());

  std::vector<CorrelationInput> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(in(i, static_cast<uint64_t>(i), "h", 0, std::to_string(i)));
  auto p95 = make(CorrelationType::value_percentile, {"a"}, 100 * S, {{Op::gte, 95.05}}, {"host"}, "v", 95);
  hits = run(p95, hundred).all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_NEAR(hits[0].value, 95.05, 1e-9);  // linear interpolation: 1 + 0.95 * 99
  auto p95gt = make(CorrelationType::value_percentile, {"a"}, 100 * S, {{Op::gt, 95.06}}, {"host"}, "v", 95);
  EXPECT_TRUE(run(p95gt, hundred).all().empty());
}

// --- temporal / temporal_ordered -----------------------------------------------------------

TEST(CorrelationEngine, TemporalNeedsAllRulesInWindow) {
  auto r = make(CorrelationType::temporal, {"a", "b", "c"}, 300 * S, {{Op::gte, 3}});
  auto hits = run(r, {in(0, 1, "h", 2), in(60 * S, 2, "h", 0), in(300 * S, 3, "h", 1)}).all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].value, 3);
  EXPECT_TRUE(run(r, {in(0, 1, "h", 2), in(60 * S, 2, "h", 0), in(300 * S + 1, 3, "h", 1)}).all().empty());
  EXPECT_TRUE(run(r, {in(0, 1, "h", 0), in(1, 2, "h", 0), in(2, 3, "h", 1)}).all().empty());
  // With a condition: the number of distinct rules.
  auto two = make(CorrelationType::temporal, {"a", "b", "c"}, 300 * S, {{Op::gte, 2}});
  EXPECT_EQ(run(two, {in(0, 1, "h", 2), in(1, 2, "h", 0)}).all().size(), 1u);
  EXPECT_TRUE(run(two, {in(0, 1, "h", 2), in(1, 2, "h", 2)}).all().empty());
}

TEST(CorrelationEngine, TemporalOrderedNeedsTheOrder) {
  auto r = make(CorrelationType::temporal_ordered, {"failed", "success"}, 600 * S, {{Op::gte, 2}});
  EXPECT_EQ(run(r, {in(0, 1, "h", 0), in(10 * S, 2, "h", 1)}).all().size(), 1u);
  EXPECT_TRUE(run(r, {in(0, 1, "h", 1), in(10 * S, 2, "h", 0)}).all().empty());  // wrong order
  EXPECT_TRUE(run(r, {in(5, 1, "h", 1), in(5, 2, "h", 0)}).all().empty());        // same time: no order
  EXPECT_TRUE(run(r, {in(0, 1, "h", 0), in(600 * S + 1, 2, "h", 1)}).all().empty());  // outside
  // Wrong order first, then the right one.
  auto hits = run(r, {in(0, 1, "h", 1), in(1, 2, "h", 0), in(2, 3, "h", 1)}).all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].value, 2);
  // Plain temporal does not care.
  auto t = make(CorrelationType::temporal, {"failed", "success"}, 600 * S, {{Op::gte, 2}});
  EXPECT_EQ(run(t, {in(0, 1, "h", 1), in(10 * S, 2, "h", 0)}).all().size(), 1u);
}

TEST(CorrelationEngine, TemporalOrderedThreeRules) {
  auto r = make(CorrelationType::temporal_ordered, {"a", "b", "c"}, 100, {{Op::gte, 3}});
  EXPECT_TRUE(run(r, {in(0, 1, "h", 0), in(1, 2, "h", 2), in(2, 3, "h", 1)}).all().empty());  // a c b
  EXPECT_EQ(run(r, {in(0, 1, "h", 0), in(1, 2, "h", 2), in(2, 3, "h", 1), in(3, 4, "h", 2)}).all().size(),
            1u);  // a c b c
}

TEST(CorrelationEngine, AliasesResolvePerRule) {
  Diagnostics d;
  auto rule = parse_correlation(YAML::Load(R"(title: —
correlation:
    type: temporal
    rules:
        - internal_error
        - new_network_connection
    group-by:
        - internal_ip
        - remote_ip
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
)"),
                                "t", d);
  ASSERT_TRUE(rule);
  // The caller extracts group_fields(pos) from each event.
  using Ev = std::map<std::string, std::string>;
  auto input = [&](uint32_t pos, int64_t ts, uint64_t id, const Ev& ev) {
    CorrelationInput i;
    i.rule_pos = pos;
    i.ts_ns = ts;
    i.event = id;
    for (const auto& f : rule->group_fields(pos)) {
      auto it = ev.find(f);
      i.group.push_back(it == ev.end() ? std::nullopt : std::optional<std::string>(it->second));
    }
    return i;
  };
  Ev err{{"destination.ip", "10.0.0.5"}, {"source.ip", "1.2.3.4"}};
  Ev conn{{"source.ip", "10.0.0.5"}, {"destination.ip", "1.2.3.4"}};
  Ev other{{"source.ip", "10.0.0.6"}, {"destination.ip", "1.2.3.4"}};
  auto hits = run(*rule, {input(0, 0, 1, err), input(1, 5 * S, 2, conn)}).all();
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ((hits[0].group), (std::vector<std::string>{"10.0.0.5", "1.2.3.4"}));
  EXPECT_TRUE(run(*rule, {input(0, 0, 1, err), input(1, 5 * S, 2, other)}).all().empty());
  EXPECT_TRUE(run(*rule, {input(0, 0, 1, err), input(1, 10 * S + 1, 2, conn)}).all().empty());
}

// --- lt conditions: judged at close / flush --------------------------------------------------

TEST(CorrelationEngine, LessThanIsJudgedOnClosedWindows) {
  auto r = make(CorrelationType::event_count, {"a"}, 3600 * S, {{Op::lt, 3}});
  CorrelationEngine e({r}, 0);
  std::vector<CorrelationHit> out;
  e.add(in(0, 1, "quiet"), out);
  e.add(in(10 * S, 2, "quiet"), out);
  for (int i = 0; i < 5; ++i) e.add(in(20 * S + i, 10 + static_cast<uint64_t>(i), "busy"), out);
  EXPECT_TRUE(out.empty());  // nothing can be judged before the hour is over
  e.add(in(3600 * S, 20, "tick"), out);
  EXPECT_TRUE(out.empty());  // window [0, 1h] still open at its last instant
  e.add(in(3600 * S + 1, 21, "tick"), out);
  ASSERT_EQ(out.size(), 1u);  // quiet: 2 < 3. busy's window ends later (20s + 1h)
  EXPECT_EQ(out[0].group, std::vector<std::string>{"quiet"});
  EXPECT_EQ(out[0].value, 2);
  EXPECT_EQ(out[0].ts_ns, 3600 * S);
  e.add(in(3620 * S + 5, 22, "tick"), out);
  EXPECT_EQ(out.size(), 1u);  // busy had 5: no hit, and its tail does not fire either
  std::vector<CorrelationHit> fl;
  e.flush(fl);
  EXPECT_TRUE(fl.empty());  // "tick": 3600s, 3600s+1, 3620s+5 share one window: 3, not < 3
  EXPECT_EQ(e.state_entries(), 0u);
}

TEST(CorrelationEngine, FlushJudgesOpenLessThanWindows) {
  auto r = make(CorrelationType::event_count, {"a"}, 3600 * S, {{Op::lt, 3}});
  CorrelationEngine e({r}, 0);
  std::vector<CorrelationHit> out;
  e.add(in(0, 1), out);
  e.add(in(5 * S, 2), out);
  e.add(in(6 * S, 3, "x"), out);
  EXPECT_TRUE(out.empty());
  e.flush(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].group, std::vector<std::string>{"h"});
  EXPECT_EQ(out[0].value, 2);
  EXPECT_EQ(out[1].group, std::vector<std::string>{"x"});
  EXPECT_EQ(out[1].value, 1);
}

TEST(CorrelationEngine, EqAndRangeConditions) {
  auto eq = make(CorrelationType::event_count, {"a"}, 10 * S, {{Op::eq, 2}});
  EXPECT_EQ(run(eq, {in(0, 1), in(1, 2)}).all().size(), 1u);
  EXPECT_TRUE(run(eq, {in(0, 1), in(1, 2), in(2, 3)}).all().empty());
  auto range = make(CorrelationType::event_count, {"a"}, 10 * S, {{Op::gt, 1}, {Op::lte, 3}});
  EXPECT_TRUE(run(range, {in(0, 1)}).all().empty());
  EXPECT_EQ(run(range, {in(0, 1), in(1, 2), in(2, 3)}).all().size(), 1u);
  EXPECT_TRUE(run(range, {in(0, 1), in(1, 2), in(2, 3), in(3, 4)}).all().empty());
  // Two consecutive windows are judged separately (tumbling from the first event).
  EXPECT_EQ(run(range, {in(0, 1), in(1, 2), in(11 * S, 3), in(12 * S, 4)}).all().size(), 2u);
}

// --- out of order, late, memory ------------------------------------------------------------

TEST(CorrelationEngine, LateInputsAreDropped) {
  auto r = make(CorrelationType::event_count, {"a"}, 300 * S, {{Op::gte, 2}});
  CorrelationEngine e({r}, 10 * S);
  std::vector<CorrelationHit> out;
  e.add(in(100 * S, 1), out);
  e.add(in(90 * S - 1, 2), out);  // older than max - tolerance
  EXPECT_EQ(e.stats().late, 1u);
  e.add(in(90 * S, 3), out);  // exactly at the watermark: accepted
  EXPECT_EQ(e.stats().late, 1u);
  e.flush(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ((out[0].events), (std::vector<uint64_t>{3, 1}));  // time order
}

TEST(CorrelationEngine, OutOfOrderWithinToleranceSameAsSorted) {
  auto r = make(CorrelationType::temporal_ordered, {"a", "b"}, 60 * S, {{Op::gte, 2}});
  // b at 20s arrives before a at 10s.
  auto sorted = run(r, {in(10 * S, 1, "h", 0), in(20 * S, 2, "h", 1)}, 15 * S).all();
  auto shuffled = run(r, {in(20 * S, 2, "h", 1), in(10 * S, 1, "h", 0)}, 15 * S).all();
  ASSERT_EQ(sorted.size(), 1u);
  ASSERT_EQ(shuffled.size(), 1u);
  EXPECT_EQ(sorted[0].events, shuffled[0].events);
  // Without tolerance, a at 10s is late and the sequence is lost.
  CorrelationEngine strict({r}, 0);
  auto lost = run(strict, {in(20 * S, 2, "h", 1), in(10 * S, 1, "h", 0)}).all();
  EXPECT_TRUE(lost.empty());
  EXPECT_EQ(strict.stats().late, 1u);
}

TEST(CorrelationEngine, StateIsPrunedAsTimeMoves) {
  auto r = make(CorrelationType::event_count, {"a"}, 10 * S, {{Op::gte, 100}});
  CorrelationEngine e({r}, 0);
  std::vector<CorrelationHit> out;
  for (int i = 0; i < 50; ++i) e.add(in(i * S, static_cast<uint64_t>(i), cat("g", i % 5)), out);
  EXPECT_LE(e.state_entries(), 5u * 12u);  // about one window per group
  e.add(in(1000 * S, 99, "z"), out);
  EXPECT_EQ(e.state_entries(), 1u);  // only the newest, not yet final
  EXPECT_EQ(e.state_groups(), 1u);
  EXPECT_TRUE(out.empty());
}

TEST(CorrelationEngine, MemoryCapsDropAndCount) {
  auto r = make(CorrelationType::event_count, {"a"}, 1000 * S, {{Op::gte, 1000}});
  CorrelationLimits lim;
  lim.max_entries_per_group = 3;
  lim.max_entries_total = 5;
  CorrelationEngine e({r}, 0, lim);
  std::vector<CorrelationHit> out;
  for (int i = 0; i < 10; ++i) e.add(in(i, static_cast<uint64_t>(i), "a"), out);
  EXPECT_EQ(e.state_entries(), 3u);
  EXPECT_EQ(e.stats().dropped_group_cap, 7u);
  for (int i = 0; i < 10; ++i) e.add(in(10 + i, 100 + static_cast<uint64_t>(i), cat("b", i)), out);
  EXPECT_EQ(e.state_entries(), 5u);
  EXPECT_EQ(e.stats().dropped_total_cap, 8u);
  EXPECT_EQ(e.stats().accepted, 5u);
  e.flush(out);
  EXPECT_EQ(e.state_entries(), 0u);
}

// --- chaining (the specification's multi-document example) ---------------------------------

TEST(CorrelationEngine, ChainedCorrelationFromSpecExample) {
  auto docs = YAML::LoadAll(R"(title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 10
)");
  Diagnostics d;
  auto top = parse_correlation(docs[0], "mr.yml", d);
  auto many = parse_correlation(docs[1], "mr.yml", d);
  ASSERT_TRUE(top && many);
  for (int n : {9, 10}) {
    CorrelationEngine e({*top, *many}, 0);
    ASSERT_EQ(e.upstream(0, 0), std::optional<uint32_t>(1));
    EXPECT_FALSE(e.upstream(0, 1));
    std::vector<CorrelationHit> out;
    std::vector<CorrelationInput> v;
    for (int i = 0; i < n; ++i) v.push_back(in(i * 30 * S, static_cast<uint64_t>(i), "bob", 0, {}, 1));
    v.push_back(in(n * 30 * S, 77, "alice", 1, {}, 0));  // other user: no
    v.push_back(in(n * 30 * S + S, 99, "bob", 1, {}, 0));
    CorrelationInput direct = in(0, 5, "bob", 0, {}, 0);  // position fed internally: rejected
    e.add(direct, out);
    EXPECT_EQ(e.stats().invalid, 1u);
    for (const auto& i : v) e.add(i, out);
    e.flush(out);
    size_t top_hits = 0, many_hits = 0;
    for (const auto& h : out) (h.correlation == 0 ? top_hits : many_hits)++;
    EXPECT_EQ(many_hits, n == 10 ? 1u : 0u);
    EXPECT_EQ(top_hits, n == 10 ? 1u : 0u);
    if (n == 10) {
      const auto& h = out.back();
      EXPECT_EQ(h.correlation, 0u);
      EXPECT_EQ(h.group, std::vector<std::string>{"bob"});
      EXPECT_EQ(h.events.size(), 11u);  // the 10 failed logins, then the success
      EXPECT_EQ(h.events.back(), 99u);
    }
  }
}

// --- randomized: out-of-order == sorted == brute-force reference ---------------------------

namespace {

struct RefEntry {
  int64_t ts;
  uint64_t event;
  uint32_t pos;
  std::string value;
  double num;
};

double ref_value(const CorrelationRule& r, const std::vector<RefEntry>& w, bool* defined) {
  *defined = true;
  switch (r.type) {
    case CorrelationType::event_count: return static_cast<double>(w.size());
    case CorrelationType::value_count: {
      std::set<std::string> s;
      for (const auto& e : w) s.insert(e.value);
      return static_cast<double>(s.size());
    }
    case CorrelationType::temporal: {
      std::set<uint32_t> s;
      for (const auto& e : w) s.insert(e.pos);
      return static_cast<double>(s.size());
    }
    case CorrelationType::temporal_ordered: {  // O(n^2) longest increasing chain
      std::vector<int> len(w.size(), 1);
      int best = 0;
      for (size_t j = 0; j < w.size(); ++j) {
        for (size_t i = 0; i < j; ++i)
          if (w[i].ts < w[j].ts && w[i].pos < w[j].pos) len[j] = std::max(len[j], len[i] + 1);
        best = std::max(best, len[j]);
      }
      return best;
    }
    default: break;
  }
  if (w.empty()) {
    *defined = false;
    return 0;
  }
  std::vector<double> v;
  for (const auto& e : w) v.push_back(e.num);
  if (r.type == CorrelationType::value_sum || r.type == CorrelationType::value_avg) {
    double s = 0;
    for (double x : v) s += x;
    return r.type == CorrelationType::value_sum ? s : s / static_cast<double>(v.size());
  }
  std::sort(v.begin(), v.end());
  double p = r.type == CorrelationType::value_median ? 50 : r.condition.percentile;
  double rank = p / 100 * static_cast<double>(v.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank)), hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
}

// The documented semantics, written plainly over one group's time-sorted entries.
void reference(const CorrelationRule& r, uint32_t corr, const std::string& group, std::vector<RefEntry> es,
               std::vector<CorrelationHit>& out) {
  std::sort(es.begin(), es.end(), [](const RefEntry& a, const RefEntry& b) {
    return std::tie(a.ts, a.event, a.pos) < std::tie(b.ts, b.event, b.pos);
  });
  auto hit = [&](const std::vector<RefEntry>& w, double v, int64_t ts) {
    CorrelationHit h;
    h.correlation = corr;
    h.group = {group};
    h.first_ts_ns = w.front().ts;
    h.last_ts_ns = w.back().ts;
    h.ts_ns = ts;
    h.value = v;
    for (const auto& e : w) h.events.push_back(e.event);
    out.push_back(h);
  };
  bool early = r.fires_early();
  if (early) {
    std::vector<RefEntry> w;
    for (const auto& e : es) {
      while (!w.empty() && e.ts - w.front().ts > r.timespan_ns) w.erase(w.begin());
      w.push_back(e);
      bool def;
      double v = ref_value(r, w, &def);
      if (def && r.condition.holds(v)) {
        hit(w, v, e.ts);
        w.clear();
      }
    }
  } else {
    size_t i = 0;
    while (i < es.size()) {
      int64_t end = es[i].ts + r.timespan_ns;
      std::vector<RefEntry> w;
      size_t k = i;
      while (k < es.size() && es[k].ts <= end) w.push_back(es[k++]);
      bool def;
      double v = ref_value(r, w, &def);
      if (def && r.condition.holds(v)) hit(w, v, end);
      i = k;
    }
  }
}

bool hit_less(const CorrelationHit& a, const CorrelationHit& b) {
  return std::tie(a.correlation, a.group, a.first_ts_ns, a.ts_ns, a.events) <
         std::tie(b.correlation, b.group, b.first_ts_ns, b.ts_ns, b.events);
}

std::string show(const CorrelationHit& h) {
  std::ostringstream s;
  s << "corr " << h.correlation << " group " << h.group[0] << " [" << h.first_ts_ns << "," << h.last_ts_ns
    << "] ts " << h.ts_ns << " value " << h.value << " events";
  for (auto e : h.events) s << ' ' << e;
  return s.str();
}

void expect_same(std::vector<CorrelationHit> a, std::vector<CorrelationHit> b, const std::string& what) {
  std::sort(a.begin(), a.end(), hit_less);
  std::sort(b.begin(), b.end(), hit_less);
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(show(a[i]), show(b[i])) << what << " #" << i;
  }
}

}  // namespace

TEST(CorrelationProperty, OutOfOrderMatchesSortedAndReference) {
  const int64_t T = 20;
  std::vector<CorrelationRule> rules = {
      make(CorrelationType::event_count, {"a"}, T, {{Op::gte, 3}}),
      make(CorrelationType::event_count, {"a"}, T, {{Op::lt, 3}}),
      make(CorrelationType::event_count, {"a", "b"}, T, {{Op::eq, 2}}),
      make(CorrelationType::value_count, {"a"}, T, {{Op::gte, 3}}, {"host"}, "v"),
      make(CorrelationType::value_count, {"a"}, T, {{Op::gt, 1}, {Op::lte, 2}}, {"host"}, "v"),
      make(CorrelationType::value_sum, {"a"}, T, {{Op::gt, 12}}, {"host"}, "v"),
      make(CorrelationType::value_sum, {"a"}, T, {{Op::lt, 6}}, {"host"}, "v"),
      make(CorrelationType::value_avg, {"a"}, T, {{Op::gte, 3}}, {"host"}, "v"),
      make(CorrelationType::value_median, {"a"}, T, {{Op::lte, 2}}, {"host"}, "v"),
      make(CorrelationType::value_percentile, {"a"}, T, {{Op::gte, 4}}, {"host"}, "v", 75),
      make(CorrelationType::temporal, {"a", "b", "c"}, T, {{Op::gte, 3}}),
      make(CorrelationType::temporal, {"a", "b", "c"}, T, {{Op::gte, 2}}),
      make(CorrelationType::temporal_ordered, {"a", "b", "c"}, T, {{Op::gte, 3}}),
      make(CorrelationType::temporal_ordered, {"a", "b"}, T, {{Op::gte, 2}}),
      make(CorrelationType::temporal_ordered, {"a", "b", "c"}, T, {{Op::lt, 2}}),
  };
  const char* values[] = {"1", "2", "3", "5", "8", "x", ""};
  size_t total_hits = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    std::mt19937 rng(seed);
    const int64_t tol = std::uniform_int_distribution<int64_t>(0, 30)(rng);
    const int n = std::uniform_int_distribution<int>(1, 150)(rng);
    std::vector<CorrelationInput> sorted;
    int64_t ts = 0;
    for (int i = 0; i < n; ++i) {
      ts += std::uniform_int_distribution<int64_t>(0, 6)(rng);  // many equal timestamps
      std::string host = cat("h", std::uniform_int_distribution<int>(0, 2)(rng));
      uint32_t pos = static_cast<uint32_t>(std::uniform_int_distribution<int>(0, 2)(rng));
      std::optional<std::string> v = values[std::uniform_int_distribution<int>(0, 6)(rng)];
      if (std::uniform_int_distribution<int>(0, 9)(rng) == 0) v.reset();
      for (uint32_t c = 0; c < rules.size(); ++c) {
        CorrelationInput x = in(ts, static_cast<uint64_t>(i), host, pos % static_cast<uint32_t>(rules[c].rules.size()),
                                v, c);
        sorted.push_back(x);
      }
    }
    // Arrival order: sort by ts + random delay in [0, tol]; every input then arrives no more
    // than `tol` after a newer one.
    std::vector<std::pair<int64_t, size_t>> keys;
    for (size_t i = 0; i < sorted.size(); ++i)
      keys.push_back({sorted[i].ts_ns + std::uniform_int_distribution<int64_t>(0, tol)(rng), i});
    std::stable_sort(keys.begin(), keys.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<CorrelationInput> shuffled;
    for (const auto& k : keys) shuffled.push_back(sorted[k.second]);

    CorrelationEngine e1(rules, tol), e2(rules, tol);
    auto a = run(e1, sorted).all();
    auto b = run(e2, shuffled).all();
    EXPECT_EQ(e2.stats().late, 0u) << "seed " << seed;
    EXPECT_EQ(e1.state_entries(), 0u);
    EXPECT_EQ(e2.state_entries(), 0u);

    // Reference, per correlation and group.
    std::vector<CorrelationHit> ref;
    for (uint32_t c = 0; c < rules.size(); ++c) {
      std::map<std::string, std::vector<RefEntry>> groups;
      for (const auto& x : sorted) {
        if (x.correlation != c) continue;
        RefEntry re{x.ts_ns, x.event, x.rule_pos, x.value.value_or(""), 0};
        if (correlation_needs_field(rules[c].type)) {
          if (!x.value) continue;
          if (rules[c].type != CorrelationType::value_count) {
            if (x.value->empty() || *x.value == "x") continue;
            re.num = std::stod(*x.value);
          }
        }
        groups[*x.group[0]].push_back(re);
      }
      for (auto& [g, es] : groups) reference(rules[c], c, g, es, ref);
    }
    expect_same(a, b, cat("sorted vs shuffled, seed ", static_cast<int>(seed)));
    expect_same(a, ref, cat("engine vs reference, seed ", static_cast<int>(seed)));
    total_hits += ref.size();
    if (HasFailure()) break;
  }
  EXPECT_GT(total_hits, 200u);  // the property is exercised, not vacuous
}
