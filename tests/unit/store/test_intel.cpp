// Intelligence records (versions, latest, paging, filters), sightings and named state.
#include "store_fixture.h"

namespace lachan::store::testing {
namespace {

IntelRecord rec(std::string ref, TimeMs modified, int tlp = 0, std::string kind = "indicator",
                std::string collection = "national") {
  IntelRecord r;
  r.ref = std::move(ref);
  r.kind = std::move(kind);
  r.collection = std::move(collection);
  r.source = "test";
  r.tlp = tlp;
  r.modified = modified;
  r.body = R"({"v":)" + std::to_string(modified) + "}";
  return r;
}

TEST_P(StoreTest, IntelKeepsEveryVersionAndKnowsTheLatest) {
  auto a = store().put_intel({rec("indicator--a", kT0 + 2), rec("indicator--b", kT0)}, kT0 + 100);
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->added, 2);
  // The same version again is skipped; an older one is kept but is not the latest.
  auto b = store().put_intel({rec("indicator--a", kT0 + 2), rec("indicator--a", kT0 + 1)}, kT0 + 200);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->added, 1);
  EXPECT_EQ(b->unchanged, 1);
  IntelQuery q;
  q.refs = {"indicator--a"};
  auto latest = store().query_intel(q);
  ASSERT_TRUE(latest);
  ASSERT_EQ(latest->items.size(), 1u);
  EXPECT_EQ(latest->items[0].modified, kT0 + 2);
  EXPECT_EQ(latest->items[0].added, kT0 + 100);
  EXPECT_EQ(latest->items[0].body, R"({"v":)" + std::to_string(kT0 + 2) + "}");
  q.versions = IntelVersions::all;
  EXPECT_EQ(store().query_intel(q)->items.size(), 2u);
  q.versions = IntelVersions::first;
  ASSERT_EQ(store().query_intel(q)->items.size(), 1u);
  EXPECT_EQ(store().query_intel(q)->items[0].modified, kT0 + 1);
  // A newer version takes over.
  ASSERT_TRUE(store().put_intel({rec("indicator--a", kT0 + 3)}, kT0 + 300));
  q.versions = IntelVersions::latest;
  EXPECT_EQ(store().query_intel(q)->items.at(0).modified, kT0 + 3);
  std::vector<std::string> seen;
  ASSERT_TRUE(store().scan_latest_intel("indicator", [&](IntelRecord&& r) { seen.push_back(r.ref); }));
  EXPECT_EQ(seen, (std::vector<std::string>{"indicator--b", "indicator--a"}));
}

TEST_P(StoreTest, IntelKeepsABoundedHistoryPerRef) {
  for (int v = 1; v <= kMaxIntelVersions + 3; ++v) ASSERT_TRUE(store().put_intel({rec("indicator--f", kT0 + v)}, kT0 + 100 + v));
  ASSERT_TRUE(store().put_intel({rec("indicator--g", kT0)}, kT0));
  IntelQuery q;
  q.refs = {"indicator--f"};
  q.versions = IntelVersions::all;
  auto all = store().query_intel(q);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->items.size(), static_cast<size_t>(kMaxIntelVersions));
  EXPECT_EQ(all->items.front().modified, kT0 + 4);  // the three oldest are gone
  EXPECT_EQ(all->items.back().modified, kT0 + kMaxIntelVersions + 3);
  EXPECT_TRUE(all->items.back().latest);
  q.refs = {"indicator--g"};
  EXPECT_EQ(store().query_intel(q)->items.size(), 1u);
}

TEST_P(StoreTest, IntelQueriesFilterAndPage) {
  std::vector<IntelRecord> rs;
  for (int i = 0; i < 25; ++i) rs.push_back(rec("indicator--" + std::to_string(i), kT0, i % 5));
  rs.push_back(rec("malware--m", kT0, 0, "malware", "partners"));
  auto revoked = rec("indicator--r", kT0);
  revoked.revoked = true;
  rs.push_back(revoked);
  ASSERT_TRUE(store().put_intel(rs, kT0 + 10));
  ASSERT_TRUE(store().put_intel({rec("indicator--late", kT0)}, kT0 + 20));

  IntelQuery q;
  q.max_tlp = 1;  // clear and green only
  q.kinds = {"indicator"};
  q.limit = 4;
  std::vector<std::string> refs;
  for (int pages = 0; pages < 10; ++pages) {
    auto p = store().query_intel(q);
    ASSERT_TRUE(p) << p.error().message;
    for (const auto& r : p->items) {
      EXPECT_LE(r.tlp, 1);
      refs.push_back(r.ref);
    }
    if (!p->more) break;
    q.cursor = p->next_cursor;
  }
  EXPECT_EQ(refs.size(), 10u + 2u);  // 10 of the 25, the revoked one and the late one
  q = {};
  q.collections = {"partners"};
  EXPECT_EQ(store().query_intel(q)->items.at(0).ref, "malware--m");
  q = {};
  q.added_after = kT0 + 10;
  ASSERT_EQ(store().query_intel(q)->items.size(), 1u);
  EXPECT_EQ(store().query_intel(q)->items[0].ref, "indicator--late");
  q = {};
  q.include_revoked = false;
  q.kinds = {"indicator"};
  q.limit = 500;
  EXPECT_EQ(store().query_intel(q)->items.size(), 26u);
  q.cursor = "garbage";
  ASSERT_FALSE(store().query_intel(q));
  EXPECT_EQ(store().query_intel(q).error().code, Errc::malformed);
  int scanned = 0;
  ASSERT_TRUE(store().scan_latest_intel("indicator", [&](IntelRecord&&) { ++scanned; }));
  EXPECT_EQ(scanned, 26);  // the revoked one is not matched
}

TEST_P(StoreTest, SightingsMergePerOrganisationAndAreScoped) {
  ASSERT_TRUE(store().add_sightings({{"indicator--a", "evn", 2, kT0 + 5, kT0 + 9, 0},
                                     {"indicator--a", "vnpt", 1, kT0, kT0, 1}}));
  ASSERT_TRUE(store().add_sightings({{"indicator--a", "evn", 3, kT0 + 1, kT0 + 20, 0}}));
  auto all = store().list_sightings("indicator--a", {"evn", "vnpt"});
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].org_id, "evn");
  EXPECT_EQ((*all)[0].count, 5);
  EXPECT_EQ((*all)[0].first_seen, kT0 + 1);
  EXPECT_EQ((*all)[0].last_seen, kT0 + 20);
  EXPECT_EQ((*all)[1].listed, 1);
  auto evn_only = store().list_sightings("indicator--a", {"evn"});
  ASSERT_EQ(evn_only->size(), 1u);
  EXPECT_TRUE(store().list_sightings("indicator--a", {})->empty());
  EXPECT_TRUE(store().list_sightings("indicator--b", {"evn"})->empty());
}

TEST_P(StoreTest, NamedStateSetsReplacesAndDeletes) {
  ASSERT_TRUE(store().put_state("feed", "b", "{\"n\":1}", kT0));
  ASSERT_TRUE(store().put_state("feed", "a", "x", kT0));
  ASSERT_TRUE(store().put_state("other", "a", "y", kT0));
  ASSERT_TRUE(store().put_state("feed", "b", "{\"n\":2}", kT0 + 1));
  auto b = store().get_state("feed", "b");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->value_or(""), "{\"n\":2}");
  auto list = store().list_state("feed");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].first, "a");
  ASSERT_TRUE(store().put_state("feed", "a", "", kT0 + 2));
  EXPECT_FALSE(store().get_state("feed", "a")->has_value());
  reopen();
  EXPECT_EQ(store().get_state("feed", "b")->value_or(""), "{\"n\":2}");
}

}  // namespace
}  // namespace lachan::store::testing
