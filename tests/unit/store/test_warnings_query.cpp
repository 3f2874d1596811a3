// Scoped reads and status changes of warnings: cursor pagination, filters, tenancy, roles,
// transitions and the audit trail of a change.
#include <algorithm>
#include <map>
#include <set>

#include "store_fixture.h"

namespace lachan::store::testing {
namespace {

constexpr Role kAllRoles[] = {Role::admin, Role::analyst, Role::responder, Role::reporter, Role::viewer};

// 40 warnings visible to "vncert" with many ties in every sort key, plus 5 it must not see.
void seed_for_paging(std::vector<WarningUpsert>& ups) {
  for (int i = 0; i < 40; ++i) {
    Warning w =
        StoreTest::warning("page-" + std::to_string(i), i % 2 ? "evn" : "vnpt", kT0 + (i % 7) * kMinute, {"vncert"});
    w.first_seen = w.last_seen - (i % 3) * kMinute;
    w.severity = static_cast<Severity>(i % 5);
    w.count = 1 + i % 4;
    ups.push_back(StoreTest::upsert(w, 0));
  }
  for (int i = 0; i < 5; ++i)
    ups.push_back(StoreTest::upsert(StoreTest::warning("hidden-" + std::to_string(i), "bidv", kT0)));
}

std::int64_t key_of(const Warning& w, WarningSort s) {
  switch (s) {
    case WarningSort::last_seen:
      return w.last_seen;
    case WarningSort::first_seen:
      return w.first_seen;
    case WarningSort::severity:
      return static_cast<std::int64_t>(w.severity);
    case WarningSort::count:
      return w.count;
    case WarningSort::id:
      return w.id;
  }
  return 0;
}

// Walks every page; checks the order within and across pages.
std::vector<std::int64_t> walk(Store& s, const Caller& c, WarningQuery q, int* pages = nullptr) {
  std::vector<std::int64_t> ids;
  std::optional<std::pair<std::int64_t, std::int64_t>> prev;
  for (int guard = 0; guard < 1000; ++guard) {
    auto page = s.query_warnings(c, q);
    EXPECT_TRUE(page) << page.error().message;
    if (!page) break;
    if (pages) ++*pages;
    EXPECT_LE(static_cast<int>(page->items.size()), q.limit);
    for (const auto& w : page->items) {
      std::pair<std::int64_t, std::int64_t> k{key_of(w, q.sort), w.id};
      if (prev) {
        EXPECT_TRUE(q.descending ? k < *prev : k > *prev) << "order broken at id " << w.id;
      }
      prev = k;
      ids.push_back(w.id);
    }
    if (page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  return ids;
}

TEST_P(StoreTest, CursorWalksEveryWarningOnceInEverySortOrder) {
  std::vector<WarningUpsert> ups;
  seed_for_paging(ups);
  auto out = apply(ups);
  std::set<std::int64_t> visible;
  for (int i = 0; i < 40; ++i) visible.insert(out.at(i).warning_id);
  Caller c = caller("vncert", Role::viewer);
  for (WarningSort sort :
       {WarningSort::last_seen, WarningSort::first_seen, WarningSort::severity, WarningSort::count, WarningSort::id}) {
    for (bool desc : {true, false}) {
      for (int limit : {1, 3, 7, 40, 500}) {
        WarningQuery q;
        q.sort = sort;
        q.descending = desc;
        q.limit = limit;
        int pages = 0;
        auto ids = walk(store(), c, q, &pages);
        std::set<std::int64_t> got(ids.begin(), ids.end());
        EXPECT_EQ(got.size(), ids.size()) << "duplicates; sort " << static_cast<int>(sort) << " limit " << limit;
        EXPECT_EQ(got, visible) << "sort " << static_cast<int>(sort) << " desc " << desc << " limit " << limit;
        EXPECT_EQ(pages, (40 + limit - 1) / limit);
      }
    }
  }
}

TEST_P(StoreTest, CursorIsStableUnderInserts) {
  std::vector<WarningUpsert> ups;
  seed_for_paging(ups);
  auto out = apply(ups);
  std::set<std::int64_t> original;
  for (int i = 0; i < 40; ++i) original.insert(out.at(i).warning_id);
  Caller c = caller("vncert");
  WarningQuery q;
  q.limit = 6;
  std::vector<std::int64_t> seen;
  for (int n = 0; n < 100; ++n) {
    auto page = store().query_warnings(c, q);
    ASSERT_TRUE(page);
    for (const auto& w : page->items) seen.push_back(w.id);
    // New warnings at both ends of the order, and in its middle, between pages.
    apply({upsert(warning("new-late-" + std::to_string(n), "evn", kT0 + 100 * kMinute, {"vncert"})),
           upsert(warning("new-early-" + std::to_string(n), "evn", kT0 - 100 * kMinute, {"vncert"})),
           upsert(warning("new-mid-" + std::to_string(n), "evn", kT0 + 3 * kMinute, {"vncert"}))});
    if (page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  std::map<std::int64_t, int> times;
  for (auto id : seen) ++times[id];
  for (auto id : original) EXPECT_EQ(times[id], 1) << "warning " << id;
  for (const auto& [id, n] : times) EXPECT_EQ(n, 1) << "warning " << id;
}

TEST_P(StoreTest, BadCursorsAreMalformed) {
  apply({upsert(warning("a", "evn", kT0)), upsert(warning("b", "evn", kT0 + 1))});
  Caller c = caller("evn");
  WarningQuery q;
  q.limit = 1;
  auto p = store().query_warnings(c, q);
  ASSERT_TRUE(p);
  ASSERT_FALSE(p->next_cursor.empty());
  WarningQuery other = q;
  other.cursor = p->next_cursor;
  other.sort = WarningSort::count;  // a cursor made for another order
  auto r = store().query_warnings(c, other);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  other.sort = q.sort;
  other.descending = false;
  EXPECT_EQ(store().query_warnings(c, other).error().code, Errc::malformed);
  for (const char* bad : {"x", "zz", "00", "not a cursor at all"}) {
    WarningQuery b = q;
    b.cursor = bad;
    auto br = store().query_warnings(c, b);
    ASSERT_FALSE(br) << bad;
    EXPECT_EQ(br.error().code, Errc::malformed);
  }
}

TEST_P(StoreTest, LimitIsClamped) {
  std::vector<WarningUpsert> ups;
  for (int i = 0; i < 510; ++i) ups.push_back(upsert(warning("k" + std::to_string(i), "evn", kT0 + i)));
  apply(ups);
  WarningQuery q;
  q.limit = 10000;
  auto p = store().query_warnings(caller("evn"), q);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->items.size(), static_cast<std::size_t>(kMaxPageSize));
  EXPECT_FALSE(p->next_cursor.empty());
  q.limit = 0;
  EXPECT_EQ(store().query_warnings(caller("evn"), q)->items.size(), 1u);
}

TEST_P(StoreTest, Filters) {
  Warning a = warning("a", "evn", kT0, {"vncert"});
  a.severity = Severity::critical;
  a.rule_id = "r-a";
  a.rule_title = "Mimikatz 100% detected";
  a.province = "ha-noi";
  a.sectors = {"energy", "finance"};
  Warning b = warning("b", "vnpt", kT0 + kMinute, {"vncert"});
  b.severity = Severity::low;
  b.rule_id = "r-b";
  b.rule_title = "Port scan";
  b.province = "da-nang";
  b.sectors = {"telecom"};
  Warning c = warning("c", "evn", kT0 + 2 * kMinute, {"vncert"});
  c.severity = Severity::high;
  c.rule_id = "r-a";
  c.rule_title = "MIMIKATZ_like tool";
  c.sectors = {"energy"};
  auto out = apply({upsert(a), upsert(b), upsert(c)});
  std::int64_t ia = out.at(0).warning_id, ib = out.at(1).warning_id, ic = out.at(2).warning_id;
  Caller nc = caller("vncert");
  ASSERT_TRUE(store().update_warning_status(nc, ib, WarningStatus::resolved, "", kT0));

  auto ids = [&](WarningFilter f) {
    WarningQuery q;
    q.filter = f;
    q.sort = WarningSort::id;
    q.descending = false;
    auto p = store().query_warnings(nc, q);
    EXPECT_TRUE(p);
    std::vector<std::int64_t> r;
    for (const auto& w : p->items) r.push_back(w.id);
    EXPECT_EQ(store().count_warnings(nc, f).value(), static_cast<std::int64_t>(r.size()));
    return r;
  };
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(ids({}), (V{ia, ib, ic}));
  WarningFilter f;
  f.statuses = {WarningStatus::resolved};
  EXPECT_EQ(ids(f), (V{ib}));
  f = {};
  f.statuses = {WarningStatus::new_, WarningStatus::acknowledged};
  EXPECT_EQ(ids(f), (V{ia, ic}));
  f = {};
  f.severities = {Severity::low, Severity::critical};
  EXPECT_EQ(ids(f), (V{ia, ib}));
  f = {};
  f.min_severity = Severity::high;
  EXPECT_EQ(ids(f), (V{ia, ic}));
  f = {};
  f.org_id = "vnpt";
  EXPECT_EQ(ids(f), (V{ib}));
  f = {};
  f.province = "da-nang";
  EXPECT_EQ(ids(f), (V{ib}));
  f = {};
  f.sector = "energy";
  EXPECT_EQ(ids(f), (V{ia, ic}));
  f.sector = "finance";
  EXPECT_EQ(ids(f), (V{ia}));
  f = {};
  f.rule_id = "r-a";
  EXPECT_EQ(ids(f), (V{ia, ic}));
  f = {};
  f.since = kT0 + kMinute;
  EXPECT_EQ(ids(f), (V{ib, ic}));
  f.until = kT0 + 2 * kMinute;
  EXPECT_EQ(ids(f), (V{ib}));
  f = {};
  f.text = "mimikatz";
  EXPECT_EQ(ids(f), (V{ia, ic}));
  f.text = "100%";
  EXPECT_EQ(ids(f), (V{ia}));
  f.text = "z_l";  // '_' is literal, not a wildcard
  EXPECT_EQ(ids(f), (V{ic}));
  f.text = "z_1";  // would match "Mimikatz 100%" if '_' were a wildcard
  EXPECT_EQ(ids(f), (V{}));
  f = {};
  f.org_id = "evn";
  f.min_severity = Severity::critical;
  f.sector = "energy";
  EXPECT_EQ(ids(f), (V{ia}));
}

TEST_P(StoreTest, InvisibleWarningsDoNotExistForAnyRole) {
  std::int64_t id = apply_one(warning("k", "evn", kT0, {"ca-ha-noi"}));
  std::int64_t missing = id + 1000;
  for (Role role : kAllRoles) {
    Caller outsider = caller("bidv", role);
    auto g = store().get_warning(outsider, id);
    ASSERT_FALSE(g);
    EXPECT_EQ(g.error().code, Errc::not_found);
    auto u = store().update_warning_status(outsider, id, WarningStatus::acknowledged, "", kT0);
    ASSERT_FALSE(u);
    EXPECT_EQ(u.error().code, Errc::not_found) << to_string(role);
    auto ch = store().list_warning_changes(outsider, id);
    ASSERT_FALSE(ch);
    EXPECT_EQ(ch.error().code, Errc::not_found);
    // Exactly like a warning that does not exist.
    auto um = store().update_warning_status(outsider, missing, WarningStatus::acknowledged, "", kT0);
    ASSERT_FALSE(um);
    EXPECT_EQ(um.error().code, u.error().code);
    EXPECT_EQ(store().get_warning(outsider, missing).error().code, g.error().code);
    auto page = store().query_warnings(outsider, {});
    ASSERT_TRUE(page);
    EXPECT_TRUE(page->items.empty());
    EXPECT_EQ(store().count_warnings(outsider, {}).value(), 0);
    WarningFilter f;
    f.org_id = "evn";  // asking for the victim by name does not widen the scope
    EXPECT_EQ(store().count_warnings(outsider, f).value(), 0);
  }
  // Nothing changed it.
  EXPECT_EQ(store().get_warning(caller("evn"), id)->status, WarningStatus::new_);
  EXPECT_TRUE(store().list_warning_changes(caller("evn"), id)->empty());
}

TEST_P(StoreTest, OnlyAdminAnalystAndResponderChangeStatus) {
  for (Role role : kAllRoles) {
    std::int64_t id = apply_one(warning("k-" + std::string(to_string(role)), "evn", kT0, {"ca-ha-noi"}));
    auto r = store().update_warning_status(caller("ca-ha-noi", role), id, WarningStatus::acknowledged, "seen", kT0);
    if (may_change_status(role)) {
      ASSERT_TRUE(r) << to_string(role) << ": " << r.error().message;
      EXPECT_EQ(r->status, WarningStatus::acknowledged);
    } else {
      ASSERT_FALSE(r) << to_string(role);
      EXPECT_EQ(r.error().code, Errc::denied);
      EXPECT_EQ(store().get_warning(caller("evn"), id)->status, WarningStatus::new_);
    }
  }
}

TEST_P(StoreTest, TransitionsFollowTheStateMachine) {
  using S = WarningStatus;
  const S all[] = {S::new_, S::acknowledged, S::in_progress, S::resolved, S::false_positive};
  Caller admin = caller("evn", Role::admin);
  int n = 0;
  for (S from : all) {
    for (S to : all) {
      std::int64_t id = apply_one(warning("t" + std::to_string(n++), "evn", kT0));
      if (from != S::new_) {
        ASSERT_TRUE(store().update_warning_status(admin, id, from, "", kT0));
      }
      auto r = store().update_warning_status(admin, id, to, "", kT0 + 1);
      if (transition_allowed(from, to)) {
        EXPECT_TRUE(r) << to_string(from) << " -> " << to_string(to);
        EXPECT_EQ(store().get_warning(admin, id)->status, to);
      } else {
        ASSERT_FALSE(r) << to_string(from) << " -> " << to_string(to);
        EXPECT_EQ(r.error().code, Errc::conflict);
        EXPECT_EQ(store().get_warning(admin, id)->status, from);
      }
    }
  }
}

TEST_P(StoreTest, StatusChangeIsRecordedAndAudited) {
  std::int64_t id = apply_one(warning("k", "evn", kT0, {"ca-ha-noi"}));
  Caller lan{"user:lan", "ca-ha-noi", Role::responder};
  auto w = store().update_warning_status(lan, id, WarningStatus::in_progress, "on it", kT0 + 5);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, WarningStatus::in_progress);
  EXPECT_EQ(w->updated, kT0 + 5);
  ASSERT_TRUE(store().update_warning_status(lan, id, WarningStatus::resolved, "patched", kT0 + 9));
  auto ch = store().list_warning_changes(caller("evn", Role::viewer), id);
  ASSERT_TRUE(ch);
  ASSERT_EQ(ch->size(), 2u);
  EXPECT_EQ((*ch)[0].from, WarningStatus::new_);
  EXPECT_EQ((*ch)[0].to, WarningStatus::in_progress);
  EXPECT_EQ((*ch)[0].actor, "user:lan");
  EXPECT_EQ((*ch)[0].comment, "on it");
  EXPECT_EQ((*ch)[0].at, kT0 + 5);
  EXPECT_EQ((*ch)[1].to, WarningStatus::resolved);
  EXPECT_EQ((*ch)[1].warning_id, id);

  auto audit = store().query_audit(lan, {"ca-ha-noi"}, {}, 50, "");
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->items.size(), 2u);
  const AuditEntry& e = audit->items[1];  // newest first
  EXPECT_EQ(e.actor, "user:lan");
  EXPECT_EQ(e.org_id, "ca-ha-noi");
  EXPECT_EQ(e.action, "warning.update");
  EXPECT_EQ(e.target, "warning:" + std::to_string(id));
  EXPECT_EQ(e.at, kT0 + 5);
  EXPECT_NE(e.detail.find("\"in_progress\""), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("on it"), std::string::npos) << e.detail;
  EXPECT_EQ(store().verify_audit_chain().value(), 2);

  // A refused change leaves no trace.
  ASSERT_FALSE(store().update_warning_status(lan, id, WarningStatus::acknowledged, "", kT0 + 10));
  EXPECT_EQ(store().list_warning_changes(lan, id)->size(), 2u);
  EXPECT_EQ(store().stats()->audit_entries, 2);
}

}  // namespace
}  // namespace lachan::store::testing
