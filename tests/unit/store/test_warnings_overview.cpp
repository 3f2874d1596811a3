// The console's overview (warning_overview), hits per rule and the bulk insert: aggregates over
// exactly the warnings the caller's routes give, counted right.
#include <algorithm>

#include "store_fixture.h"

namespace lachan::store::testing {
namespace {

constexpr TimeMs kDay = 24 * 60 * kMinute;

Warning make(std::string key, std::string org, std::string province, std::vector<std::string> sectors,
             std::vector<std::string> routes, TimeMs first, Severity sev, WarningStatus st, std::string rule,
             std::vector<std::string> tags) {
  Warning w = StoreTest::warning(std::move(key), std::move(org), first, std::move(routes));
  w.province = std::move(province);
  w.sectors = std::move(sectors);
  w.severity = sev;
  w.status = st;
  w.rule_id = rule;
  w.rule_title = "Title of " + rule;
  w.tags = std::move(tags);
  return w;
}

const OpenTotal* find_key(const std::vector<OpenTotal>& v, std::string_view key) {
  auto it = std::find_if(v.begin(), v.end(), [&](const OpenTotal& o) { return o.key == key; });
  return it == v.end() ? nullptr : &*it;
}

// evn (ha-noi; energy, telecom) routed to vncert and ca-ha-noi; bidv (ho-chi-minh; banking)
  // routed to vncert; vnpt (da-nang) routed to nobody else.
void seed(Store& store) {
    std::vector<Warning> ws = {
        make("a", "evn", "ha-noi", {"energy", "telecom"}, {"vncert", "ca-ha-noi"}, kT0 + 1 * kMinute,
             Severity::critical, WarningStatus::new_, "r1", {"attack.execution", "attack.t1059.001"}),
        make("b", "evn", "ha-noi", {"energy", "telecom"}, {"vncert", "ca-ha-noi"}, kT0 + kDay + 5 * kMinute,
             Severity::high, WarningStatus::resolved, "r1", {"attack.T1059.001", "attack.t1003"}),
        make("c", "evn", "ha-noi", {"energy", "telecom"}, {"vncert", "ca-ha-noi"}, kT0 + kDay + 9 * kMinute,
             Severity::medium, WarningStatus::acknowledged, "r2", {"attack.t1003"}),
        make("d", "bidv", "ho-chi-minh", {"banking"}, {"vncert"}, kT0 + 2 * kDay, Severity::high,
             WarningStatus::in_progress, "r2", {"attack.t1003", "tlp.amber"}),
        make("e", "bidv", "ho-chi-minh", {"banking"}, {"vncert"}, kT0 - 3 * kDay, Severity::low,
             WarningStatus::false_positive, "r3", {}),
        make("f", "vnpt", "da-nang", {"telecom"}, {}, kT0 + kMinute, Severity::critical, WarningStatus::new_, "r1",
             {"attack.t1059.001"}),
    };
    auto n = store.insert_warnings(ws);
    ASSERT_TRUE(n) << n.error().message;
    ASSERT_EQ(*n, 6);
}

OverviewQuery range() {
    OverviewQuery q;
    q.since = kT0 - (kT0 % kDay);  // the UTC day of kT0 .. three days later
    q.until = q.since + 3 * kDay;
    q.bucket_ms = kDay;
    q.now = kT0;
    return q;
}

TEST_P(StoreTest, OverviewCountsOnlyWhatTheRoutesGive) {
  seed(store());
  auto q = range();

  auto national = store().warning_overview(caller("vncert"), q);
  ASSERT_TRUE(national) << national.error().message;
  // a..e, not vnpt's f.
  EXPECT_EQ(national->by_status[static_cast<size_t>(WarningStatus::new_)], 1);
  EXPECT_EQ(national->by_status[static_cast<size_t>(WarningStatus::acknowledged)], 1);
  EXPECT_EQ(national->by_status[static_cast<size_t>(WarningStatus::in_progress)], 1);
  EXPECT_EQ(national->by_status[static_cast<size_t>(WarningStatus::resolved)], 1);
  EXPECT_EQ(national->by_status[static_cast<size_t>(WarningStatus::false_positive)], 1);
  EXPECT_EQ(national->open_by_severity[static_cast<size_t>(Severity::critical)], 1);  // a
  EXPECT_EQ(national->open_by_severity[static_cast<size_t>(Severity::high)], 1);      // d (b is resolved)
  EXPECT_EQ(national->open_by_severity[static_cast<size_t>(Severity::medium)], 1);    // c
  EXPECT_EQ(national->open_by_severity[static_cast<size_t>(Severity::low)], 0);       // e is closed
  const auto* hn = find_key(national->provinces, "ha-noi");
  const auto* hcm = find_key(national->provinces, "ho-chi-minh");
  ASSERT_TRUE(hn && hcm);
  EXPECT_EQ(hn->total, 3);
  EXPECT_EQ(hn->open, 2);
  EXPECT_EQ(hcm->total, 2);
  EXPECT_EQ(hcm->open, 1);
  EXPECT_EQ(find_key(national->provinces, "da-nang"), nullptr);
  // An organisation in two sectors counts in both; vnpt's telecom warning is not there.
  const auto* energy = find_key(national->sectors, "energy");
  const auto* telecom = find_key(national->sectors, "telecom");
  const auto* banking = find_key(national->sectors, "banking");
  ASSERT_TRUE(energy && telecom && banking);
  EXPECT_EQ(energy->total, 3);
  EXPECT_EQ(telecom->total, 3);
  EXPECT_EQ(telecom->open, 2);
  EXPECT_EQ(banking->total, 2);
  // Series by first_seen within [since, until): e is before since.
  ASSERT_EQ(national->series.size(), 3u);
  EXPECT_EQ(national->series[0].t, q.since);
  EXPECT_EQ(national->series[0].count, 1);
  EXPECT_EQ(national->series[0].critical, 1);
  EXPECT_EQ(national->series[1].t, q.since + kDay);
  EXPECT_EQ(national->series[1].count, 2);
  EXPECT_EQ(national->series[1].high, 1);
  EXPECT_EQ(national->series[2].count, 1);
  // Top lists within the range: r1 x2 (a, b), r2 x2 (c, d); e's r3 is outside.
  ASSERT_EQ(national->top_rules.size(), 2u);
  EXPECT_EQ(national->top_rules[0].key, "r1");
  EXPECT_EQ(national->top_rules[0].label, "Title of r1");
  EXPECT_EQ(national->top_rules[0].count, 2);
  EXPECT_EQ(national->top_rules[1].key, "r2");
  ASSERT_EQ(national->top_techniques.size(), 2u);
  EXPECT_EQ(national->top_techniques[0].key, "T1003");  // b, c, d
  EXPECT_EQ(national->top_techniques[0].count, 3);
  EXPECT_EQ(national->top_techniques[1].key, "T1059.001");  // a, b (any case)
  EXPECT_EQ(national->top_techniques[1].count, 2);
  ASSERT_EQ(national->top_organisations.size(), 2u);
  EXPECT_EQ(national->top_organisations[0].key, "evn");
  EXPECT_EQ(national->top_organisations[0].count, 3);

  // The provincial unit: evn's three only.
  auto prov = store().warning_overview(caller("ca-ha-noi"), q);
  ASSERT_TRUE(prov);
  int64_t total = 0;
  for (auto n : prov->by_status) total += n;
  EXPECT_EQ(total, 3);
  EXPECT_EQ(find_key(prov->provinces, "ho-chi-minh"), nullptr);
  EXPECT_EQ(find_key(prov->sectors, "banking"), nullptr);
  auto count = store().count_warnings(caller("ca-ha-noi"), {});
  ASSERT_TRUE(count);
  EXPECT_EQ(*count, total);

  // The member vnpt: its own warning only; an unknown organisation: nothing.
  auto member = store().warning_overview(caller("vnpt"), q);
  ASSERT_TRUE(member);
  EXPECT_EQ(member->by_status[static_cast<size_t>(WarningStatus::new_)], 1);
  ASSERT_EQ(member->top_rules.size(), 1u);
  EXPECT_EQ(member->top_rules[0].key, "r1");
  auto nobody = store().warning_overview(caller("nobody"), q);
  ASSERT_TRUE(nobody);
  EXPECT_TRUE(nobody->provinces.empty());
  EXPECT_TRUE(nobody->series.empty());
  EXPECT_TRUE(nobody->top_rules.empty());
}

TEST_P(StoreTest, HitsPerRuleAreScoped) {
  seed(store());
  auto hits = store().count_warnings_by_rule(caller("ca-ha-noi"));
  ASSERT_TRUE(hits);
  std::sort(hits->begin(), hits->end());
  ASSERT_EQ(hits->size(), 2u);
  EXPECT_EQ((*hits)[0], (std::pair<std::string, std::int64_t>{"r1", 2}));
  EXPECT_EQ((*hits)[1], (std::pair<std::string, std::int64_t>{"r2", 1}));
}

TEST_P(StoreTest, InsertWarningsIsAllOrNothingAndKeepsStatus) {
  std::vector<Warning> ws = {warning("ok", "evn", kT0, {"vncert"}), warning("bad", "", kT0)};
  ws[0].status = WarningStatus::resolved;
  auto r = store().insert_warnings(ws);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  auto n = store().count_warnings(caller("vncert"), {});
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 0);
  ws.pop_back();
  ASSERT_TRUE(store().insert_warnings(ws));
  auto page = store().query_warnings(caller("vncert"), {});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].status, WarningStatus::resolved);
  // Visible to the victim too (routes include it), and a status change follows the workflow.
  auto w = store().update_warning_status(caller("evn"), page->items[0].id, WarningStatus::in_progress, "reopen", kT0);
  ASSERT_TRUE(w) << w.error().message;
}

}  // namespace
}  // namespace lachan::store::testing
