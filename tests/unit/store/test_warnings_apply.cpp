// apply_warnings: deduplication within a window, the exactly-once checkpoint, atomic batches.
#include "store_fixture.h"

namespace lachan::store::testing {
namespace {

const Caller kVictim = StoreTest::caller("evn");

TEST_P(StoreTest, SameKeyWithinWindowIsOneWarning) {
  Warning a = warning("k1", "evn", kT0, {"ca-ha-noi"});
  a.evidence = {R"({"n":1})"};
  Warning b = warning("k1", "evn", kT0 + 5 * kMinute);
  b.count = 3;
  b.severity = Severity::high;
  b.evidence = {R"({"n":2})"};
  auto out = apply({upsert(a), upsert(b)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].created);
  EXPECT_FALSE(out[1].created);
  EXPECT_EQ(out[0].warning_id, out[1].warning_id);

  now_ = kT0 + kMinute;
  Warning early = warning("k1", "evn", kT0 - 2 * kMinute);  // late-arriving, earlier event
  early.first_seen = kT0 - 3 * kMinute;
  auto out2 = apply({upsert(early)});
  ASSERT_EQ(out2.size(), 1u);
  EXPECT_FALSE(out2[0].created);

  auto w = store().get_warning(kVictim, out[0].warning_id);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->count, 5);
  EXPECT_EQ(w->first_seen, kT0 - 3 * kMinute);
  EXPECT_EQ(w->last_seen, kT0 + 5 * kMinute);
  EXPECT_EQ(w->severity, Severity::high);
  EXPECT_EQ(w->evidence, (std::vector<std::string>{R"({"n":1})", R"({"n":2})"}));
  EXPECT_EQ(w->status, WarningStatus::new_);
  EXPECT_EQ(w->created, kT0);
  EXPECT_EQ(w->updated, kT0 + kMinute);
  EXPECT_EQ(store().count_warnings(kVictim, {}).value(), 1);
}

TEST_P(StoreTest, SameKeyOutsideWindowIsANewWarning) {
  std::int64_t first = apply_one(warning("k1", "evn", kT0), 10 * kMinute);
  // last_seen (kT0) < first_seen - window: too old to extend.
  auto out = apply({upsert(warning("k1", "evn", kT0 + 10 * kMinute + 1), 10 * kMinute)});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].created);
  EXPECT_NE(out[0].warning_id, first);
  // Exactly at the window's edge it still merges (last_seen >= first_seen - window), into the newest.
  auto edge = apply({upsert(warning("k1", "evn", kT0 + 20 * kMinute + 1), 10 * kMinute)});
  ASSERT_EQ(edge.size(), 1u);
  EXPECT_FALSE(edge[0].created);
  EXPECT_EQ(edge[0].warning_id, out[0].warning_id);
  EXPECT_EQ(store().get_warning(kVictim, first)->count, 1);
}

TEST_P(StoreTest, DifferentKeysAreDifferentWarnings) {
  auto out = apply({upsert(warning("k1", "evn", kT0)), upsert(warning("k2", "evn", kT0))});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].created && out[1].created);
  EXPECT_NE(out[0].warning_id, out[1].warning_id);
}

TEST_P(StoreTest, ClosedWarningsAreNotReused) {
  Caller analyst = caller("evn", Role::analyst);
  for (WarningStatus closed : {WarningStatus::resolved, WarningStatus::false_positive}) {
    std::string key = "k-" + std::string(to_string(closed));
    std::int64_t id = apply_one(warning(key, "evn", kT0));
    ASSERT_TRUE(store().update_warning_status(analyst, id, closed, "", kT0));
    auto out = apply({upsert(warning(key, "evn", kT0 + kMinute))});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_TRUE(out[0].created) << to_string(closed);
    EXPECT_NE(out[0].warning_id, id);
    EXPECT_EQ(store().get_warning(analyst, id)->count, 1);
  }
  // Acknowledged and in-progress warnings are still open: they absorb repeats.
  std::int64_t id = apply_one(warning("k-open", "evn", kT0));
  ASSERT_TRUE(store().update_warning_status(analyst, id, WarningStatus::in_progress, "", kT0));
  auto out = apply({upsert(warning("k-open", "evn", kT0 + kMinute))});
  EXPECT_FALSE(out.at(0).created);
  EXPECT_EQ(out.at(0).warning_id, id);
}

TEST_P(StoreTest, EvidenceIsCapped) {
  std::vector<WarningUpsert> ups;
  for (int i = 0; i < 15; ++i) {
    Warning w = warning("k1", "evn", kT0 + i);
    w.evidence = {"{\"i\":" + std::to_string(i) + "}"};
    ups.push_back(upsert(w));
  }
  auto out = apply(ups);
  ASSERT_EQ(out.size(), 15u);
  auto w = store().get_warning(kVictim, out[0].warning_id);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->count, 15);
  ASSERT_EQ(w->evidence.size(), kMaxEvidence);
  EXPECT_EQ(w->evidence.front(), "{\"i\":0}");
  EXPECT_EQ(w->evidence.back(), "{\"i\":9}");
}

// One batch with many detections per key (as when an attack repeats): the batch is merged in
// memory, yet the outcome is the same as applying the upserts one by one.
TEST_P(StoreTest, BatchWithRepeatsMatchesOneByOne) {
  std::int64_t stored = apply_one(warning("k1", "evn", kT0));
  std::vector<WarningUpsert> ups;
  for (int i = 1; i <= 6; ++i) {
    Warning w = warning(i % 2 ? "k1" : "k2", "evn", kT0 + i * kMinute);
    w.evidence = {"{\"i\":" + std::to_string(i) + "}"};
    if (i == 4) w.severity = Severity::critical;
    ups.push_back(upsert(w));
  }
  // k1 again, past the window of the merged warning (last seen kT0 + 5 min): a new warning...
  ups.push_back(upsert(warning("k1", "evn", kT0 + 16 * kMinute)));
  // ...which absorbs what follows it.
  ups.push_back(upsert(warning("k1", "evn", kT0 + 17 * kMinute)));
  auto out = apply(ups);
  ASSERT_EQ(out.size(), 8u);
  EXPECT_EQ(out[0].warning_id, stored);
  EXPECT_FALSE(out[0].created);
  EXPECT_TRUE(out[1].created);                        // first k2
  EXPECT_EQ(out[3].warning_id, out[1].warning_id);    // k2 again
  EXPECT_EQ(out[4].warning_id, stored);               // k1 at +5 min
  EXPECT_TRUE(out[6].created);                        // k1 at +16 min
  EXPECT_NE(out[6].warning_id, stored);
  EXPECT_FALSE(out[7].created);
  EXPECT_EQ(out[7].warning_id, out[6].warning_id);

  auto k1 = store().get_warning(kVictim, stored);
  ASSERT_TRUE(k1) << k1.error().message;
  EXPECT_EQ(k1->count, 4);
  EXPECT_EQ(k1->last_seen, kT0 + 5 * kMinute);
  EXPECT_EQ(k1->evidence, (std::vector<std::string>{R"({"i":1})", R"({"i":3})", R"({"i":5})"}));
  auto k2 = store().get_warning(kVictim, out[1].warning_id);
  ASSERT_TRUE(k2);
  EXPECT_EQ(k2->count, 3);
  EXPECT_EQ(k2->severity, Severity::critical);
  EXPECT_EQ(k2->first_seen, kT0 + 2 * kMinute);
  EXPECT_EQ(k2->last_seen, kT0 + 6 * kMinute);
  auto again = store().get_warning(kVictim, out[6].warning_id);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->count, 2);
  EXPECT_EQ(again->last_seen, kT0 + 17 * kMinute);
  EXPECT_EQ(store().count_warnings(kVictim, {}).value(), 3);
}

TEST_P(StoreTest, NewWarningKeepsItsFieldsAndRoutes) {
  Warning in = warning("k1", "evn", kT0, {"ca-ha-noi", "vncert"});
  in.last_seen = kT0 + 5;
  in.count = 2;
  in.sectors = {"energy"};
  in.tlp = "red";
  in.entities = {{"ip", "203.162.1.1"}, {"user", "admin"}};
  std::int64_t id = apply_one(in);
  auto w = store().get_warning(caller("vncert", Role::viewer), id);
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->org_id, "evn");
  EXPECT_EQ(w->detector, "sigma");
  EXPECT_EQ(w->rule_id, "rule-1");
  EXPECT_EQ(w->rule_title, "Suspicious PowerShell");
  EXPECT_EQ(w->tags, in.tags);
  EXPECT_EQ(w->tlp, "red");
  EXPECT_EQ(w->entities, in.entities);
  EXPECT_EQ(w->dedup_key, "k1");
  EXPECT_EQ(w->first_seen, kT0);
  EXPECT_EQ(w->last_seen, kT0 + 5);
  EXPECT_EQ(w->count, 2);
  EXPECT_EQ(w->province, "ha-noi");
  EXPECT_EQ(w->sectors, in.sectors);
  // The victim is always among the routes.
  EXPECT_EQ(w->routed_to, (std::vector<std::string>{"evn", "ca-ha-noi", "vncert"}));
  for (const char* o : {"evn", "ca-ha-noi", "vncert"}) EXPECT_TRUE(store().get_warning(caller(o), id)) << o;
}

TEST_P(StoreTest, CheckpointIsWrittenWithTheWarnings) {
  EXPECT_EQ(store().get_checkpoint("warn").value(), 0u);
  ASSERT_TRUE(store().apply_warnings({upsert(warning("k1", "evn", kT0))}, Checkpoint{"warn", 41}));
  EXPECT_EQ(store().get_checkpoint("warn").value(), 41u);
  ASSERT_TRUE(store().apply_warnings({}, Checkpoint{"warn", 0xffffffffffffff00ull}));
  EXPECT_EQ(store().get_checkpoint("warn").value(), 0xffffffffffffff00ull);
  EXPECT_EQ(store().get_checkpoint("other").value(), 0u);
}

TEST_P(StoreTest, FailingBatchLeavesNeitherWarningsNorCheckpoint) {
  ASSERT_TRUE(store().apply_warnings({upsert(warning("k0", "evn", kT0))}, Checkpoint{"warn", 10}));
  Warning bad = warning("", "evn", kT0);  // no dedup key
  std::vector<WarningUpsert> batch{upsert(warning("k1", "evn", kT0)), upsert(warning("k0", "evn", kT0 + 1)),
                                   upsert(bad)};
  auto r = store().apply_warnings(batch, Checkpoint{"warn", 20});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_EQ(store().get_checkpoint("warn").value(), 10u);
  EXPECT_EQ(store().count_warnings(kVictim, {}).value(), 1);
  auto page = store().query_warnings(kVictim, {});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].count, 1);  // the merge into k0 was rolled back too
  EXPECT_EQ(store().stats()->warnings, 1);
}

TEST_P(StoreTest, ReplayAfterTheCheckpointProducesNoSecondWarning) {
  // The pipeline replays the events after its checkpoint; the warning they produce again merges.
  std::vector<WarningUpsert> batch{upsert(warning("k1", "evn", kT0)), upsert(warning("k2", "evn", kT0))};
  auto first = store().apply_warnings(batch, Checkpoint{"warn", 100});
  ASSERT_TRUE(first);
  // A crash before the next commit loses that batch entirely; re-applying it works once.
  std::vector<WarningUpsert> next{upsert(warning("k1", "evn", kT0 + kMinute))};
  auto lost = store().apply_warnings({next[0], upsert(warning("", "evn", 0))}, Checkpoint{"warn", 200});
  ASSERT_FALSE(lost);
  ASSERT_EQ(store().get_checkpoint("warn").value(), 100u);
  auto again = store().apply_warnings(next, Checkpoint{"warn", 200});
  ASSERT_TRUE(again);
  EXPECT_FALSE((*again)[0].created);
  EXPECT_EQ(store().count_warnings(kVictim, {}).value(), 2);
  EXPECT_EQ(store().get_warning(kVictim, (*first)[0].warning_id)->count, 2);
  EXPECT_EQ(store().get_checkpoint("warn").value(), 200u);
}

TEST_P(StoreTest, MalformedUpsertsAndCheckpointsAreRejected) {
  Warning no_org = warning("k", "", kT0);
  Warning zero = warning("k", "evn", kT0);
  zero.count = 0;
  Warning backwards = warning("k", "evn", kT0);
  backwards.first_seen = kT0 + 1;
  for (const auto& u : {upsert(no_org), upsert(zero), upsert(backwards), upsert(warning("k", "evn", kT0), -1)}) {
    auto r = store().apply_warnings({u}, Checkpoint{"warn", 1});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::malformed);
  }
  auto r = store().apply_warnings({}, Checkpoint{"", 1});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::malformed);
  EXPECT_EQ(store().get_checkpoint("warn").value(), 0u);
}

}  // namespace
}  // namespace lachan::store::testing
