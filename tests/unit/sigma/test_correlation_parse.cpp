// Parsing and validation of Sigma correlation rules. The examples are the ones of the Sigma
// correlation rules specification (v2.0.x); the value_* examples follow pySigma's format.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "sigma/correlation.h"

using namespace lachan::sigma;

namespace {

std::optional<CorrelationRule> parse(const std::string& y, Diagnostics& d) {
  return parse_correlation(YAML::Load(y), "t.yml", d);
}

const Diagnostic* find(const Diagnostics& d, const std::string& code) {
  for (const auto& x : d.items())
    if (x.code == code) return &x;
  return nullptr;
}

std::string dump(const Diagnostics& d) {
  std::string s;
  for (const auto& x : d.items()) s += format_diagnostic(x) + "\n";
  return s;
}

constexpr int64_t kSec = 1'000'000'000LL;

}  // namespace

// --- the specification's examples --------------------------------------------------------------

TEST(CorrelationParse, SpecEventCountExample) {
  Diagnostics d;
  auto r = parse(R"(title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
correlation:
    type: event_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
    timespan: 1h
    condition:
        gte: 100
)", d);
  ASSERT_TRUE(r) << dump(d);
  EXPECT_EQ(d.items().size(), 0u) << dump(d);
  EXPECT_EQ(r->title, "Many failed logins");
  EXPECT_EQ(r->id, "0e95725d-7320-415d-80f7-004da920fc11");
  EXPECT_EQ(r->type, CorrelationType::event_count);
  EXPECT_EQ(r->rules, std::vector<std::string>{"5638f7c0-ac70-491d-8465-2a65075e0d86"});
  EXPECT_EQ(r->group_by, std::vector<std::string>{"ComputerName"});
  EXPECT_EQ(r->timespan_ns, 3600 * kSec);
  EXPECT_EQ(r->timespan_text, "1h");
  ASSERT_EQ(r->condition.tests.size(), 1u);
  EXPECT_EQ(r->condition.tests[0].first, CorrelationCondition::gte);
  EXPECT_EQ(r->condition.tests[0].second, 100);
  EXPECT_FALSE(r->generate);
  EXPECT_TRUE(r->fires_early());
  EXPECT_EQ(r->group_fields(0), std::vector<std::string>{"ComputerName"});
  EXPECT_FALSE(r->value_field(0));
  EXPECT_EQ(r->line, 1u);
}

TEST(CorrelationParse, SpecValueCountExample) {
  Diagnostics d;
  auto r = parse(R"(title: Failed login
id: 0e95725d-7320-415d-80f7-004da920fc12
correlation:
    type: value_count
    rules:
        - 5638f7c0-ac70-491d-8465-2a65075e0d86
    group-by:
        - ComputerName
        - WorkstationName
    timespan: 1d
    condition:
        field: User
        gte: 100
)", d);
  ASSERT_TRUE(r) << dump(d);
  EXPECT_EQ(d.items().size(), 0u) << dump(d);
  EXPECT_EQ(r->type, CorrelationType::value_count);
  EXPECT_EQ(r->timespan_ns, 86400 * kSec);
  EXPECT_EQ(r->condition.field, "User");
  EXPECT_EQ((r->group_by), (std::vector<std::string>{"ComputerName", "WorkstationName"}));
  EXPECT_EQ(r->value_field(0), std::optional<std::string>("User"));
}

TEST(CorrelationParse, SpecTemporalExampleGetsDefaultCondition) {
  // The spec's snippet has no title; one is added so that the document is a complete rule.
  Diagnostics d;
  auto r = parse(R"(title: recon
correlation:
    type: temporal
    rules:
        - recon_cmd_a
        - recon_cmd_b
        - recon_cmd_c
    group-by:
        - ComputerName
        - User
    timespan: 5m
)", d);
  ASSERT_TRUE(r) << dump(d);
  EXPECT_EQ(r->type, CorrelationType::temporal);
  EXPECT_EQ(r->timespan_ns, 300 * kSec);
  // Default condition for temporal types (pySigma): all referenced rules.
  ASSERT_EQ(r->condition.tests.size(), 1u);
  EXPECT_EQ(r->condition.tests[0].first, CorrelationCondition::gte);
  EXPECT_EQ(r->condition.tests[0].second, 3);
  EXPECT_TRUE(r->condition.is_default);
}

TEST(CorrelationParse, SpecTemporalOrderedExample) {
  Diagnostics d;
  auto r = parse(R"(title: failed then success
correlation:
    type: temporal_ordered
    rules:
        - many_failed_logins
        - successful_login
    group-by:
        - User
    timespan: 1h
)", d);
  ASSERT_TRUE(r) << dump(d);
  EXPECT_EQ(r->type, CorrelationType::temporal_ordered);
  EXPECT_EQ((r->rules), (std::vector<std::string>{"many_failed_logins", "successful_login"}));
  EXPECT_EQ(r->condition.tests[0].second, 2);
}

TEST(CorrelationParse, SpecFieldAliasExample) {
  Diagnostics d;
  auto r = parse(R"(title: —
id: —
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
)", d);
  ASSERT_TRUE(r) << dump(d);
  EXPECT_EQ(d.items().size(), 0u) << dump(d);
  EXPECT_EQ(r->timespan_ns, 10 * kSec);
  EXPECT_EQ(r->aliases.at("internal_ip").at("internal_error"), "destination.ip");
  EXPECT_EQ((r->group_fields(0)), (std::vector<std::string>{"destination.ip", "source.ip"}));
  EXPECT_EQ((r->group_fields(1)), (std::vector<std::string>{"source.ip", "destination.ip"}));
}

TEST(CorrelationParse, SpecMultiDocumentExample) {
  const char* text = R"(title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
status: experimental
description: Detects multiple failed logins by a single user followed by a successful login of that user
references:
    - https://reference.com
author: Florian Roth (Nextron Systems)
date: 2023-06-16
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
falsepositives:
    - Unlikely
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
description: Detects multiple failed logins within a certain amount of time
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
)";
  auto docs = YAML::LoadAll(text);
  ASSERT_EQ(docs.size(), 2u);
  Diagnostics d;
  auto a = parse_correlation(docs[0], "mr.yml", d);
  auto b = parse_correlation(docs[1], "mr.yml", d);
  ASSERT_TRUE(a && b) << dump(d);
  EXPECT_EQ(d.items().size(), 0u) << dump(d);
  EXPECT_EQ(a->status, "experimental");
  EXPECT_EQ(a->level, "high");
  EXPECT_EQ(a->author, "Florian Roth (Nextron Systems)");
  EXPECT_EQ(a->date, "2023-06-16");
  EXPECT_EQ(a->references, std::vector<std::string>{"https://reference.com"});
  EXPECT_EQ(a->falsepositives, std::vector<std::string>{"Unlikely"});
  EXPECT_EQ(b->name, "multiple_failed_login");
  EXPECT_EQ(b->line, 21u);  // second document starts on line 21
  Diagnostics refs;
  check_correlation_references({*a, *b}, refs);
  EXPECT_EQ(refs.items().size(), 0u) << dump(refs);
}

TEST(CorrelationParse, RangeConditionFromSpec) {
  Diagnostics d;
  auto r = parse(R"(title: t
correlation:
    type: event_count
    rules: [a]
    group-by: [h]
    timespan: 1h
    condition:
        gt: 100
        lte: 200
)", d);
  ASSERT_TRUE(r) << dump(d);
  ASSERT_EQ(r->condition.tests.size(), 2u);
  EXPECT_FALSE(r->condition.holds(100));
  EXPECT_TRUE(r->condition.holds(101));
  EXPECT_TRUE(r->condition.holds(200));
  EXPECT_FALSE(r->condition.holds(201));
  EXPECT_FALSE(r->fires_early());  // has an upper bound: judged on closed windows
}

TEST(CorrelationParse, MetricTypes) {
  struct Case {
    const char* type;
    const char* extra;
    CorrelationType t;
  };
  for (const Case& c : {Case{"value_sum", "", CorrelationType::value_sum},
                        Case{"value_avg", "", CorrelationType::value_avg},
                        Case{"value_median", "", CorrelationType::value_median},
                        Case{"value_percentile", "        percentile: 95\n", CorrelationType::value_percentile}}) {
    Diagnostics d;
    auto r = parse(std::string("title: t\ncorrelation:\n    type: ") + c.type +
                       "\n    rules:\n        - website_access\n    group-by:\n        - SourceIP\n"
                       "    timespan: 1h\n    condition:\n        field: bytes_sent\n        gt: 1000000\n" +
                       c.extra,
                   d);
    ASSERT_TRUE(r) << c.type << "\n" << dump(d);
    EXPECT_EQ(r->type, c.t);
    EXPECT_EQ(r->condition.field, "bytes_sent");
    EXPECT_EQ(r->value_field(0), std::optional<std::string>("bytes_sent"));
    if (c.t == CorrelationType::value_percentile) {
      EXPECT_EQ(r->condition.percentile, 95);
    }
    if (c.t == CorrelationType::value_median) {
      EXPECT_EQ(r->condition.percentile, 50);
    }
    EXPECT_EQ(r->fires_early(), c.t == CorrelationType::value_sum) << c.type;
  }
}

TEST(CorrelationParse, PySigmaForms) {
  // rules and group-by as plain strings, generate inside the correlation, neq operator.
  Diagnostics d;
  auto r = parse(R"(title: t
name: my_corr
correlation:
    type: event_count
    rules: failed_login
    group-by: User
    timespan: 15m
    generate: true
    condition:
        neq: 3
)", d);
  ASSERT_TRUE(r) << dump(d);
  EXPECT_EQ(r->rules, std::vector<std::string>{"failed_login"});
  EXPECT_EQ(r->group_by, std::vector<std::string>{"User"});
  EXPECT_TRUE(r->generate);
  EXPECT_EQ(r->name, "my_corr");
  EXPECT_EQ(r->condition.tests[0].first, CorrelationCondition::neq);
}

TEST(CorrelationParse, TimespanUnits) {
  bool ns = false;
  EXPECT_EQ(parse_timespan("30s"), 30 * kSec);
  EXPECT_EQ(parse_timespan("90m"), 90 * 60 * kSec);
  EXPECT_EQ(parse_timespan("1h"), 3600 * kSec);
  EXPECT_EQ(parse_timespan("2d"), 2 * 86400 * kSec);
  EXPECT_EQ(parse_timespan("1w", &ns), 7 * 86400 * kSec);
  EXPECT_TRUE(ns);
  EXPECT_EQ(parse_timespan("5m", &ns), 300 * kSec);
  EXPECT_FALSE(ns);
  for (const char* bad : {"", "m", "5", "0m", "1M", "1y", "5H", "1.5h", "5 m", "-5m", "5mm", "m5",
                          "99999999999999999999d", "300000d"})
    EXPECT_FALSE(parse_timespan(bad)) << bad;
}

TEST(CorrelationParse, NonStandardWeekUnitWarns) {
  Diagnostics d;
  auto r = parse("title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [h]\n"
                 "    timespan: 2w\n    condition: {gte: 2}\n",
                 d);
  ASSERT_TRUE(r);
  auto* w = find(d, "nonstandard-timespan-unit");
  ASSERT_TRUE(w) << dump(d);
  EXPECT_EQ(w->severity, Severity::warning);
  EXPECT_EQ(w->line, 6u);
  EXPECT_EQ(w->column, 15u);
}

// --- every validation code, with its place -----------------------------------------------------

struct BadCase {
  const char* name;
  const char* yaml;
  const char* code;
  uint32_t line, column;
};

class CorrelationValidation : public ::testing::TestWithParam<BadCase> {};

TEST_P(CorrelationValidation, ReportsCodeAtPosition) {
  const BadCase& c = GetParam();
  Diagnostics d;
  auto r = parse(c.yaml, d);
  EXPECT_FALSE(r) << c.name;
  const Diagnostic* x = find(d, c.code);
  ASSERT_TRUE(x) << c.name << ": expected " << c.code << ", got:\n" << dump(d);
  EXPECT_EQ(x->severity, Severity::error);
  EXPECT_EQ(x->file, "t.yml");
  EXPECT_EQ(x->line, c.line) << c.name << "\n" << dump(d);
  EXPECT_EQ(x->column, c.column) << c.name << "\n" << dump(d);
}

// Base document, line by line:
//  1 title: t
//  2 correlation:
//  3     type: event_count
//  4     rules:
//  5         - a
//  6     group-by:
//  7         - host
//  8     timespan: 5m
//  9     condition:
// 10         gte: 3
INSTANTIATE_TEST_SUITE_P(
    Codes, CorrelationValidation,
    ::testing::Values(
        BadCase{"missing title", "correlation:\n    type: event_count\n    rules: [a]\n    timespan: 5m\n"
                "    condition: {gte: 3}\n", "missing-title", 1, 1},
        BadCase{"not a map", "- a\n- b\n", "invalid-rule-document", 1, 1},
        BadCase{"no correlation", "title: t\nname: x\n", "missing-correlation", 1, 1},
        BadCase{"correlation not a map", "title: t\ncorrelation: [a]\n", "invalid-correlation", 2, 14},
        BadCase{"missing type", "title: t\ncorrelation:\n    rules: [a]\n    timespan: 5m\n    condition: {gte: 3}\n",
                "missing-correlation-type", 3, 5},
        BadCase{"unknown type", "title: t\ncorrelation:\n    type: event_counts\n    rules: [a]\n    timespan: 5m\n"
                "    condition: {gte: 3}\n", "unknown-correlation-type", 3, 11},
        BadCase{"missing rules", "title: t\ncorrelation:\n    type: event_count\n    timespan: 5m\n"
                "    condition: {gte: 3}\n", "missing-rules", 3, 5},
        BadCase{"empty rules", "title: t\ncorrelation:\n    type: event_count\n    rules: []\n    timespan: 5m\n"
                "    condition: {gte: 3}\n", "missing-rules", 4, 12},
        BadCase{"rules a map", "title: t\ncorrelation:\n    type: event_count\n    rules: {a: 1}\n    timespan: 5m\n"
                "    condition: {gte: 3}\n", "invalid-rules", 4, 12},
        BadCase{"rule ref not a string", "title: t\ncorrelation:\n    type: event_count\n    rules:\n        - a\n"
                "        - [b]\n    timespan: 5m\n    condition: {gte: 3}\n", "invalid-rule-reference", 6, 11},
        BadCase{"duplicate rule", "title: t\ncorrelation:\n    type: event_count\n    rules:\n        - a\n"
                "        - a\n    timespan: 5m\n    condition: {gte: 3}\n", "duplicate-rule-reference", 6, 11},
        BadCase{"group-by a map", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    group-by: {x: 1}\n    timespan: 5m\n    condition: {gte: 3}\n", "invalid-group-by", 5, 15},
        BadCase{"group-by nested list", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    group-by:\n        - [x]\n    timespan: 5m\n    condition: {gte: 3}\n", "invalid-group-by", 6, 11},
        BadCase{"group-by duplicate", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    group-by:\n        - x\n        - x\n    timespan: 5m\n    condition: {gte: 3}\n",
                "duplicate-group-by", 7, 11},
        BadCase{"missing timespan", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    condition: {gte: 3}\n", "missing-timespan", 3, 5},
        BadCase{"old timeframe", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timeframe: 5m\n    condition: {gte: 3}\n", "deprecated-timeframe", 5, 16},
        BadCase{"bad timespan", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timespan: 5 minutes\n    condition: {gte: 3}\n", "invalid-timespan", 5, 15},
        BadCase{"month timespan", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timespan: 1M\n    condition: {gte: 3}\n", "invalid-timespan", 5, 15},
        BadCase{"missing condition", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timespan: 5m\n", "missing-condition", 3, 5},
        BadCase{"condition a list", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timespan: 5m\n    condition: [3]\n", "invalid-condition", 6, 16},
        BadCase{"condition a string", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timespan: 5m\n    condition: gte 3\n", "invalid-condition", 6, 16},
        BadCase{"extended condition", "title: t\ncorrelation:\n    type: temporal\n    rules: [a, b]\n"
                "    timespan: 5m\n    condition: a and b\n", "unsupported-extended-condition", 6, 16},
        BadCase{"unknown operator", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timespan: 5m\n    condition:\n        over: 3\n", "unknown-condition-operator", 7, 9},
        BadCase{"text threshold", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timespan: 5m\n    condition:\n        gte: many\n", "invalid-condition-value", 7, 14},
        BadCase{"only field", "title: t\ncorrelation:\n    type: value_count\n    rules: [a]\n"
                "    timespan: 5m\n    condition:\n        field: User\n", "missing-condition-operator", 7, 9},
        BadCase{"value_count without field", "title: t\ncorrelation:\n    type: value_count\n    rules: [a]\n"
                "    timespan: 5m\n    condition:\n        gte: 3\n", "missing-condition-field", 7, 9},
        BadCase{"value_sum without field", "title: t\ncorrelation:\n    type: value_sum\n    rules: [a]\n"
                "    timespan: 5m\n    condition:\n        gte: 3\n", "missing-condition-field", 7, 9},
        BadCase{"field a map", "title: t\ncorrelation:\n    type: value_count\n    rules: [a]\n"
                "    timespan: 5m\n    condition:\n        field: {a: b}\n        gte: 3\n",
                "invalid-condition-field", 7, 16},
        BadCase{"percentile missing", "title: t\ncorrelation:\n    type: value_percentile\n    rules: [a]\n"
                "    timespan: 5m\n    condition:\n        field: x\n        gte: 3\n", "missing-percentile", 7, 9},
        BadCase{"percentile text", "title: t\ncorrelation:\n    type: value_percentile\n    rules: [a]\n"
                "    timespan: 5m\n    condition:\n        field: x\n        percentile: high\n        gte: 3\n",
                "invalid-percentile", 8, 21},
        BadCase{"percentile range", "title: t\ncorrelation:\n    type: value_percentile\n    rules: [a]\n"
                "    timespan: 5m\n    condition:\n        field: x\n        percentile: 101\n        gte: 3\n",
                "percentile-out-of-range", 8, 21},
        BadCase{"aliases a list", "title: t\ncorrelation:\n    type: temporal\n    rules: [a, b]\n"
                "    timespan: 5m\n    aliases: [x]\n", "invalid-aliases", 6, 14},
        BadCase{"alias not a map", "title: t\ncorrelation:\n    type: temporal\n    rules: [a, b]\n"
                "    group-by: [ip]\n    timespan: 5m\n    aliases:\n        ip: src\n", "invalid-aliases", 8, 13},
        BadCase{"alias unknown rule", "title: t\ncorrelation:\n    type: temporal\n    rules: [a, b]\n"
                "    group-by: [ip]\n    timespan: 5m\n    aliases:\n        ip:\n            a: src\n"
                "            c: dst\n", "alias-unknown-rule", 10, 13},
        BadCase{"generate text", "title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timespan: 5m\n    generate: maybe\n    condition: {gte: 3}\n", "invalid-generate", 6, 15},
        BadCase{"title a list", "title: [a]\ncorrelation:\n    type: event_count\n    rules: [a]\n"
                "    timespan: 5m\n    condition: {gte: 3}\n", "invalid-attribute", 1, 8}));

// Warnings leave the rule valid.
TEST(CorrelationParse, Warnings) {
  struct W {
    const char* yaml;
    const char* code;
    uint32_t line, column;
  };
  for (const W& c : {
           W{"title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n    timespan: 5m\n"
             "    condition: {gte: 3}\n", "missing-group-by", 3, 5},
           W{"title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [h]\n    timespan: 5m\n"
             "    within: 3\n    condition: {gte: 3}\n", "unknown-correlation-key", 7, 5},
           W{"title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [h]\n    timespan: 5m\n"
             "    condition:\n        field: User\n        gte: 3\n", "unused-condition-field", 8, 16},
           W{"title: t\ncorrelation:\n    type: value_sum\n    rules: [a]\n    group-by: [h]\n    timespan: 5m\n"
             "    condition:\n        field: User\n        percentile: 3\n        gte: 3\n", "unused-percentile", 9, 21},
           W{"title: t\ncorrelation:\n    type: temporal\n    rules: [a, b]\n    group-by: [h]\n    timespan: 5m\n"
             "    aliases:\n        ip:\n            a: src\n", "unused-alias", 8, 9},
           W{"title: t\ncorrelation:\n    type: temporal\n    rules: [a, b]\n    group-by: [ip]\n    timespan: 5m\n"
             "    aliases:\n        ip:\n            a: src\n", "incomplete-alias", 8, 9},
           W{"title: t\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [h]\n    timespan: 5m\n"
             "    timeframe: 1h\n    condition: {gte: 3}\n", "deprecated-timeframe", 7, 16},
       }) {
    Diagnostics d;
    auto r = parse(c.yaml, d);
    EXPECT_TRUE(r) << c.code << "\n" << dump(d);
    const Diagnostic* x = find(d, c.code);
    ASSERT_TRUE(x) << c.code << "\n" << dump(d);
    EXPECT_EQ(x->severity, Severity::warning) << c.code;
    EXPECT_EQ(x->line, c.line) << c.code;
    EXPECT_EQ(x->column, c.column) << c.code;
    EXPECT_EQ(d.error_count(), 0u) << dump(d);
  }
}

TEST(CorrelationParse, AllProblemsReportedNotJustFirst) {
  Diagnostics d;
  auto r = parse("title: t\ncorrelation:\n    type: nope\n    rules: []\n    timespan: 5x\n", d);
  EXPECT_FALSE(r);
  EXPECT_TRUE(d.has_code("unknown-correlation-type"));
  EXPECT_TRUE(d.has_code("missing-rules"));
  EXPECT_TRUE(d.has_code("invalid-timespan"));
}

TEST(CorrelationParse, ReferenceCycleIsReported) {
  Diagnostics d;
  auto a = parse("title: A\nname: a\ncorrelation:\n    type: event_count\n    rules: [b]\n    group-by: [h]\n"
                 "    timespan: 5m\n    condition: {gte: 2}\n", d);
  auto b = parse("title: B\nname: b\ncorrelation:\n    type: event_count\n    rules: [a]\n    group-by: [h]\n"
                 "    timespan: 5m\n    condition: {gte: 2}\n", d);
  ASSERT_TRUE(a && b) << dump(d);
  Diagnostics refs;
  check_correlation_references({*a, *b}, refs);
  EXPECT_TRUE(refs.has_code("correlation-cycle")) << dump(refs);
  // The engine still works: cyclic references are ignored.
  CorrelationEngine e({*a, *b}, 0);
  EXPECT_FALSE(e.upstream(0, 0));
}
