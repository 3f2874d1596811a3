// Several readers and a writer at once; closing and reopening keeps everything.
#include <thread>

#include "store_fixture.h"

namespace lachan::store::testing {
namespace {

TEST_P(StoreTest, ReadersAndWriterRunTogether) {
  ASSERT_TRUE(store().upsert_organisations({org("evn")}));
  auto key = store().create_api_key("evn", Role::analyst, "t");
  ASSERT_TRUE(key);
  constexpr int kBatches = 40;
  constexpr int kPerBatch = 25;
  std::atomic<bool> done{false};
  std::atomic<int> errors{0};
  std::atomic<long> reads{0};

  std::thread writer([&] {
    for (int b = 0; b < kBatches; ++b) {
      std::vector<WarningUpsert> ups;
      for (int i = 0; i < kPerBatch; ++i) {
        // Half new keys, half repeats of the previous batch's keys.
        int k = i % 2 ? b * kPerBatch + i : (b > 0 ? (b - 1) * kPerBatch + (i == 0 ? 1 : i - 1) : i);
        ups.push_back(upsert(warning("k" + std::to_string(k), "evn", kT0 + b, {"vncert"})));
      }
      auto r = store().apply_warnings(ups, Checkpoint{"warn", static_cast<std::uint64_t>(b + 1)});
      if (!r) ++errors;
      if (r && b % 5 == 0) {
        auto u = store().update_warning_status(caller("evn"), (*r)[1].warning_id, WarningStatus::acknowledged, "", kT0);
        if (!u) ++errors;
      }
      if (!store().append_audit(AuditEntry{0, kT0, "test", "evn", "batch", "", "{}"})) ++errors;
    }
    done = true;
  });
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      std::int64_t last_count = 0;
      std::uint64_t last_cp = 0;
      Caller c = caller(t % 2 ? "evn" : "vncert", Role::viewer);
      while (!done.load()) {
        auto n = store().count_warnings(c, {});
        if (!n || *n < last_count) ++errors;  // committed warnings never disappear
        if (n) last_count = *n;
        auto cp = store().get_checkpoint("warn");
        if (!cp || *cp < last_cp) ++errors;
        if (cp) last_cp = *cp;
        WarningQuery q;
        q.limit = 20;
        auto p = store().query_warnings(c, q);
        if (!p) ++errors;
        if (p && !p->items.empty() && !store().get_warning(c, p->items[0].id)) ++errors;
        if (!store().authenticate_api_key(key->plaintext)) ++errors;
        if (!store().stats()) ++errors;
        ++reads;
      }
    });
  }
  writer.join();
  for (auto& r : readers) r.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(store().get_checkpoint("warn").value(), static_cast<std::uint64_t>(kBatches));
  // Every odd i is new in its batch; even i > 0 repeat the previous batch's odd keys, batch 0's even keys are new.
  EXPECT_EQ(store().count_warnings(caller("vncert"), {}).value(), kBatches * (kPerBatch / 2) + (kPerBatch + 1) / 2);
  EXPECT_EQ(store().verify_audit_chain().value(), kBatches + kBatches / 5);
}

TEST_P(StoreTest, ConcurrentWritersAreSerialised) {
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto r = store().append_audit(AuditEntry{0, kT0 + i, "t" + std::to_string(t), "evn", "x", "", "{}"});
        EXPECT_TRUE(r);
      }
    });
  }
  for (auto& t : ts) t.join();
  EXPECT_EQ(store().verify_audit_chain().value(), 100);
}

TEST_P(StoreTest, ReopenKeepsEverything) {
  ASSERT_TRUE(store().upsert_organisations({org("evn", "ha-noi", {"energy"}), org("vncert", "")}));
  auto key = store().create_api_key("evn", Role::reporter, "siem");
  auto revoked = store().create_api_key("evn", Role::admin, "old");
  ASSERT_TRUE(key && revoked);
  ASSERT_TRUE(store().revoke_api_key(revoked->key.id));
  ASSERT_TRUE(store().add_user("lan", "vncert", Role::analyst, "Lan", "pw"));
  auto session = store().create_session("lan", 60 * kMinute);
  ASSERT_TRUE(session);
  auto out = store().apply_warnings({upsert(warning("k1", "evn", kT0, {"vncert"}))}, Checkpoint{"warn", 7});
  ASSERT_TRUE(out);
  std::int64_t wid = (*out)[0].warning_id;
  ASSERT_TRUE(store().update_warning_status(caller("vncert"), wid, WarningStatus::acknowledged, "ok", kT0));
  ASSERT_TRUE(store().add_dead_letter("syslog", "evn", "bad", "raw", kT0));

  reopen();

  EXPECT_EQ(store().list_organisations()->size(), 2u);
  EXPECT_EQ(store().get_organisation("evn")->sectors, std::vector<std::string>{"energy"});
  EXPECT_TRUE(store().authenticate_api_key(key->plaintext));
  EXPECT_FALSE(store().authenticate_api_key(revoked->plaintext));
  EXPECT_TRUE(store().authenticate_password("lan", "pw"));
  EXPECT_TRUE(store().authenticate_session(*session, kT0 + 1));
  EXPECT_EQ(store().get_checkpoint("warn").value(), 7u);
  auto w = store().get_warning(caller("vncert"), wid);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->status, WarningStatus::acknowledged);
  EXPECT_EQ(store().list_warning_changes(caller("evn"), wid)->size(), 1u);
  EXPECT_EQ(store().verify_audit_chain().value(), 1);
  EXPECT_EQ(store().list_dead_letters({"evn"}, 10, "")->items.size(), 1u);
  // Dedup continues across the reopen.
  auto again = store().apply_warnings({upsert(warning("k1", "evn", kT0 + 1))}, Checkpoint{"warn", 8});
  ASSERT_TRUE(again);
  EXPECT_FALSE((*again)[0].created);
  EXPECT_EQ((*again)[0].warning_id, wid);
}

TEST_P(StoreTest, ClosedStoreAnswersIo) {
  ASSERT_TRUE(store().close());
  EXPECT_TRUE(store().close());  // twice is fine
  auto r = store().list_organisations();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::io);
  auto w = store().apply_warnings({}, Checkpoint{"warn", 1});
  ASSERT_FALSE(w);
  EXPECT_EQ(w.error().code, Errc::io);
}

}  // namespace
}  // namespace lachan::store::testing
