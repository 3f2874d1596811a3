// The audit log (append-only, hash-chained, scoped by visible organisations), dead letters and stats.
#include "store_fixture.h"

namespace lachan::store::testing {
namespace {

AuditEntry entry(std::string actor, std::string org, std::string action, TimeMs at) {
  return AuditEntry{0, at, std::move(actor), std::move(org), std::move(action), "target", "{}"};
}

TEST_P(StoreTest, AuditIsScopedFilteredAndPaged) {
  for (int i = 0; i < 30; ++i) {
    auto id = store().append_audit(
        entry(i % 2 ? "user:a" : "key:b", i % 3 ? "evn" : "vnpt", i % 5 ? "key.create" : "org.import", kT0 + i));
    ASSERT_TRUE(id);
  }
  Caller c = caller("vncert");
  auto all = store().query_audit(c, {"evn", "vnpt"}, {}, 500, "");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->items.size(), 30u);
  for (std::size_t i = 1; i < all->items.size(); ++i) EXPECT_GT(all->items[i - 1].id, all->items[i].id);
  EXPECT_TRUE(all->next_cursor.empty());

  auto only_evn = store().query_audit(c, {"evn"}, {}, 500, "");
  ASSERT_TRUE(only_evn);
  EXPECT_EQ(only_evn->items.size(), 20u);
  for (const auto& e : only_evn->items) EXPECT_EQ(e.org_id, "evn");
  EXPECT_TRUE(store().query_audit(c, {}, {}, 500, "")->items.empty());
  EXPECT_TRUE(store().query_audit(c, {"bidv"}, {}, 500, "")->items.empty());

  AuditFilter f;
  f.actor = "user:a";
  f.action = "key.create";
  f.since = kT0 + 10;
  f.until = kT0 + 20;
  auto filtered = store().query_audit(c, {"evn", "vnpt"}, f, 500, "");
  ASSERT_TRUE(filtered);
  std::vector<TimeMs> ats;
  for (const auto& e : filtered->items) ats.push_back(e.at - kT0);
  EXPECT_EQ(ats, (std::vector<TimeMs>{19, 17, 13, 11}));

  std::vector<std::int64_t> walked;
  std::string cursor;
  for (int n = 0; n < 100; ++n) {
    auto p = store().query_audit(c, {"evn", "vnpt"}, {}, 7, cursor);
    ASSERT_TRUE(p);
    for (const auto& e : p->items) walked.push_back(e.id);
    if (p->next_cursor.empty()) break;
    cursor = p->next_cursor;
  }
  std::vector<std::int64_t> expected;
  for (const auto& e : all->items) expected.push_back(e.id);
  EXPECT_EQ(walked, expected);

  auto bad = store().query_audit(c, {"evn"}, {}, 10, "garbage");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::malformed);
}

TEST_P(StoreTest, AuditEntryKeepsItsFieldsAndGetsTimeFromTheClock) {
  AuditEntry e{0, 0, "user:lan", "vncert", "org.import", "org:evn", R"({"n":3})"};
  now_ = kT0 + 77;
  auto id = store().append_audit(e);
  ASSERT_TRUE(id);
  auto p = store().query_audit(caller("vncert"), {"vncert"}, {}, 10, "");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->items.size(), 1u);
  const AuditEntry& got = p->items[0];
  EXPECT_EQ(got.id, *id);
  EXPECT_EQ(got.at, kT0 + 77);
  EXPECT_EQ(got.actor, e.actor);
  EXPECT_EQ(got.org_id, e.org_id);
  EXPECT_EQ(got.action, e.action);
  EXPECT_EQ(got.target, e.target);
  EXPECT_EQ(got.detail, e.detail);
}

TEST_P(StoreTest, AuditChainVerifies) {
  EXPECT_EQ(store().verify_audit_chain().value(), 0);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store().append_audit(entry("user:a", "evn", "x", kT0 + i)));
  EXPECT_EQ(store().verify_audit_chain().value(), 5);
}

TEST_P(StoreTest, DeadLettersAreCappedScopedAndPaged) {
  std::string big(kMaxDeadLetterRaw + 100, 'x');
  big[0] = '\0';  // binary survives
  auto id = store().add_dead_letter("http:suricata", "evn", "bad json", big, kT0);
  ASSERT_TRUE(id);
  for (int i = 0; i < 9; ++i) {
    ASSERT_TRUE(
        store().add_dead_letter("syslog", i % 2 ? "" : "vnpt", "no header", "line " + std::to_string(i), kT0 + i));
  }
  auto evn = store().list_dead_letters({"evn"}, 10, "");
  ASSERT_TRUE(evn);
  ASSERT_EQ(evn->items.size(), 1u);
  const DeadLetter& d = evn->items[0];
  EXPECT_EQ(d.id, *id);
  EXPECT_EQ(d.source, "http:suricata");
  EXPECT_EQ(d.reason, "bad json");
  EXPECT_EQ(d.raw.size(), kMaxDeadLetterRaw);
  EXPECT_EQ(d.raw, big.substr(0, kMaxDeadLetterRaw));
  EXPECT_EQ(d.raw_size, big.size());
  EXPECT_EQ(d.at, kT0);

  EXPECT_EQ(store().list_dead_letters({""}, 100, "")->items.size(), 4u);  // unattributed
  EXPECT_EQ(store().list_dead_letters({"vnpt"}, 100, "")->items.size(), 5u);
  EXPECT_TRUE(store().list_dead_letters({}, 100, "")->items.empty());
  std::vector<std::int64_t> walked;
  std::string cursor;
  for (int n = 0; n < 100; ++n) {
    auto p = store().list_dead_letters({"", "vnpt", "evn"}, 3, cursor);
    ASSERT_TRUE(p);
    for (const auto& x : p->items) walked.push_back(x.id);
    if (p->next_cursor.empty()) break;
    cursor = p->next_cursor;
  }
  ASSERT_EQ(walked.size(), 10u);
  for (std::size_t i = 1; i < walked.size(); ++i) EXPECT_GT(walked[i - 1], walked[i]);
  EXPECT_EQ(store().list_dead_letters({"evn"}, 3, "zz").error().code, Errc::malformed);
}

TEST_P(StoreTest, StatsCountWarningsByStatus) {
  auto out = apply({upsert(warning("a", "evn", kT0)), upsert(warning("b", "evn", kT0)),
                    upsert(warning("c", "evn", kT0)), upsert(warning("a", "evn", kT0 + 1))});
  ASSERT_TRUE(store().update_warning_status(caller("evn"), out.at(1).warning_id, WarningStatus::resolved, "", kT0));
  ASSERT_TRUE(store().add_dead_letter("syslog", "", "x", "y", kT0));
  auto st = store().stats();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->warnings, 3);
  EXPECT_EQ(st->warnings_by_status[static_cast<int>(WarningStatus::new_)], 2);
  EXPECT_EQ(st->warnings_by_status[static_cast<int>(WarningStatus::resolved)], 1);
  EXPECT_EQ(st->warnings_by_status[static_cast<int>(WarningStatus::in_progress)], 0);
  EXPECT_EQ(st->audit_entries, 1);
  EXPECT_EQ(st->dead_letters, 1);
}

}  // namespace
}  // namespace lachan::store::testing
