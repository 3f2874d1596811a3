// The matcher's snapshot: conjunctions, validity, several indicators per value, URL hosts,
// observables from real event shapes, scores, and the repository round trip through a Store.
#include <gtest/gtest.h>

#include <filesystem>

#include "intel/observables.h"
#include "intel/repository.h"
#include "intel/snapshot.h"
#include "store/sqlite/sqlite_store.h"

namespace lachan::intel {
namespace {

constexpr int64_t kNow = 1'750'000'000'000;
constexpr int64_t kDay = 86'400'000;

Indicator ind(std::string ref, std::vector<std::vector<Observable>> any_of, std::string source = "test") {
  Indicator i;
  i.ref = std::move(ref);
  i.any_of = std::move(any_of);
  i.source = std::move(source);
  i.tlp = Tlp::green;
  i.confidence = 80;
  i.modified_ms = kNow - kDay;
  return i;
}

std::vector<std::string> refs_of(const Snapshot& s, const std::vector<Hit>& hits) {
  std::vector<std::string> out;
  for (const auto& h : hits) out.emplace_back(s.indicator(h.indicator).ref);
  return out;
}

TEST(Snapshot, MatchesSingleValuesConjunctionsAndSharedValues) {
  SnapshotBuilder b;
  ASSERT_TRUE(b.add(ind("indicator--ip", {{{ValueType::ip, "203.0.113.7"}}})));
  ASSERT_TRUE(b.add(ind("indicator--net", {{{ValueType::ip, "198.51.100.0/24"}}})));
  ASSERT_TRUE(b.add(ind("indicator--dom", {{{ValueType::domain, "evil.example"}}}, "other feed")));
  ASSERT_TRUE(b.add(ind("indicator--dom2", {{{ValueType::domain, "evil.example"}}}, "third feed")));
  // Either a hash, or an address together with a domain.
  ASSERT_TRUE(b.add(ind("indicator--and",
                        {{{ValueType::sha256, std::string(64, 'a')}},
                         {{ValueType::ip, "192.0.2.1"}, {ValueType::domain, "c2.example"}}})));
  EXPECT_FALSE(b.add(ind("indicator--empty", {})));
  auto s = b.build(kNow);
  ASSERT_EQ(s->size(), 5u);
  std::vector<Hit> hits;

  std::vector<EventObservable> e1{{ValueType::ip, "198.51.100.9"}, {ValueType::domain, "WWW.Evil.Example."}};
  s->match(e1, kNow, hits);
  EXPECT_EQ(refs_of(*s, hits), (std::vector<std::string>{"indicator--net", "indicator--dom", "indicator--dom2"}));
  EXPECT_EQ(hits[1].observable, 1);

  std::vector<EventObservable> only_ip{{ValueType::ip, "192.0.2.1"}};
  s->match(only_ip, kNow, hits);
  EXPECT_TRUE(hits.empty());  // half a conjunction is no match
  std::vector<EventObservable> both{{ValueType::ip, "192.0.2.1"}, {ValueType::domain, "c2.example"}};
  s->match(both, kNow, hits);
  EXPECT_EQ(refs_of(*s, hits), (std::vector<std::string>{"indicator--and"}));
  std::vector<EventObservable> twice{{ValueType::ip, "192.0.2.1"}, {ValueType::ip, "192.0.2.1"}};
  s->match(twice, kNow, hits);
  EXPECT_TRUE(hits.empty());  // the same value twice is still one observable
  const std::string upper(64, 'A');
  std::vector<EventObservable> hash{{ValueType::sha256, upper}};
  s->match(hash, kNow, hits);
  EXPECT_EQ(refs_of(*s, hits), (std::vector<std::string>{"indicator--and"}));

  std::vector<EventObservable> url{{ValueType::url, "https://user@x.evil.example:8443/a?b"}};
  s->match(url, kNow, hits);
  EXPECT_EQ(refs_of(*s, hits), (std::vector<std::string>{"indicator--dom", "indicator--dom2"}));
  std::vector<EventObservable> url_ip{{ValueType::url, "http://203.0.113.7/payload.bin"}};
  s->match(url_ip, kNow, hits);
  EXPECT_EQ(refs_of(*s, hits), (std::vector<std::string>{"indicator--ip"}));
  std::vector<EventObservable> none{{ValueType::ip, "10.0.0.1"}, {ValueType::domain, "example.org"}};
  s->match(none, kNow, hits);
  EXPECT_TRUE(hits.empty());

  auto v = s->indicator(2);
  EXPECT_EQ(v.source, "other feed");
  EXPECT_EQ(v.tlp, Tlp::green);
  EXPECT_EQ(v.confidence, 80);
  EXPECT_LT(s->memory_bytes(), 200u * 1024);
}

TEST(Snapshot, IndicatorsOutsideTheirValidityDoNotMatch) {
  SnapshotBuilder b;
  auto future = ind("indicator--future", {{{ValueType::ip, "203.0.113.1"}}});
  future.valid_from_ms = kNow + kDay;
  auto expired = ind("indicator--expired", {{{ValueType::ip, "203.0.113.2"}}});
  expired.valid_until_ms = kNow - kDay;
  ASSERT_TRUE(b.add(future));
  ASSERT_TRUE(b.add(expired));
  auto s = b.build(kNow);
  std::vector<Hit> hits;
  std::vector<EventObservable> e{{ValueType::ip, "203.0.113.1"}, {ValueType::ip, "203.0.113.2"}};
  s->match(e, kNow, hits);
  EXPECT_TRUE(hits.empty());
  s->match(e, kNow + 2 * kDay, hits);
  EXPECT_EQ(refs_of(*s, hits), (std::vector<std::string>{"indicator--future"}));
}

TEST(Snapshot, ScoresDecayByType) {
  EXPECT_DOUBLE_EQ(decayed_score(80, ValueType::ip, kNow, kNow), 80.0);
  EXPECT_NEAR(decayed_score(80, ValueType::ip, kNow - 30 * kDay, kNow), 40.0, 1e-9);
  EXPECT_NEAR(decayed_score(-1, ValueType::domain, kNow - 180 * kDay, kNow), 12.5, 1e-9);
  EXPECT_DOUBLE_EQ(decayed_score(90, ValueType::sha256, kNow - 3650 * kDay, kNow), 90.0);
}

TEST(Observables, FoundInSysmonZeekSuricataAndMailEvents) {
  simdjson::dom::parser p;
  ObservableExtractor x;
  std::vector<EventObservable> out;
  auto find = [&](ValueType t, std::string_view v) {
    for (const auto& o : out)
      if (o.type == t && o.value == v) return true;
    return false;
  };
  auto sysmon = p.parse(std::string_view(
      R"({"EventID":1,"Image":"C:\\Windows\\Temp\\evil.exe","Hashes":"SHA1=0123456789abcdef0123456789abcdef01234567,MD5=0123456789ABCDEF0123456789ABCDEF,SHA256=)" +
      std::string(64, 'b') + R"(,IMPHASH=FEDCBA9876543210FEDCBA9876543210","DestinationIp":"203.0.113.5","QueryName":"c2.example"})"));
  x.extract(sysmon.value(), out);
  EXPECT_TRUE(find(ValueType::file_name, "evil.exe"));
  EXPECT_TRUE(find(ValueType::sha1, "0123456789abcdef0123456789abcdef01234567"));
  EXPECT_TRUE(find(ValueType::md5, "0123456789ABCDEF0123456789ABCDEF"));
  EXPECT_TRUE(find(ValueType::sha256, std::string(64, 'b')));
  EXPECT_FALSE(find(ValueType::md5, "FEDCBA9876543210FEDCBA9876543210"));  // IMPHASH is not a file hash
  EXPECT_TRUE(find(ValueType::ip, "203.0.113.5"));
  EXPECT_TRUE(find(ValueType::domain, "c2.example"));

  auto zeek = p.parse(std::string_view(
      R"({"id.orig_h":"10.0.0.2","id.resp_h":"198.51.100.3","server_name":"bad.example","ja3":"e7d705a3286e19ea42f587b344ee6865"})"));
  x.extract(zeek.value(), out);
  EXPECT_TRUE(find(ValueType::ip, "198.51.100.3"));
  EXPECT_TRUE(find(ValueType::domain, "bad.example"));
  EXPECT_TRUE(find(ValueType::ja3, "e7d705a3286e19ea42f587b344ee6865"));

  auto suricata = p.parse(std::string_view(
      R"({"src_ip":"10.0.0.2","dest_ip":"198.51.100.4","http":{"hostname":"203.0.113.9","url":"/x"},"tls":{"sni":"sni.example"}})"));
  x.extract(suricata.value(), out);
  EXPECT_TRUE(find(ValueType::ip, "198.51.100.4"));
  EXPECT_TRUE(find(ValueType::ip, "203.0.113.9"));  // a host field holding an address
  EXPECT_TRUE(find(ValueType::domain, "sni.example"));
  EXPECT_FALSE(find(ValueType::url, "/x"));

  auto mail = p.parse(std::string_view(R"({"from":"Boss <ceo@phish.example>","url":"http://phish.example/login"})"));
  x.extract(mail.value(), out);
  EXPECT_TRUE(find(ValueType::email, "ceo@phish.example"));
  EXPECT_TRUE(find(ValueType::url, "http://phish.example/login"));
}

TEST(Repository, StoresIndicatorsAndBuildsTheSnapshotFromTheLatestVersions) {
  auto dir = std::filesystem::temp_directory_path() / ("lachan-intel-repo-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  {
    auto st = store::open_sqlite_store((dir / "db.sqlite").string());
    ASSERT_TRUE(st) << st.error().message;
    Repository repo(**st);
    ImportBatch batch;
    auto a = ind("indicator--a", {{{ValueType::domain, "evil.example"}}});
    a.tags = {"phishing"};
    a.attack = {"T1566.002"};
    a.kill_chain = {"lockheed-martin-cyber-kill-chain:delivery"};
    a.valid_until_ms = kNow + kDay;
    batch.indicators.push_back(a);
    auto gone = ind("indicator--gone", {{{ValueType::ip, "203.0.113.1"}}});
    gone.valid_until_ms = kNow - 1;
    batch.indicators.push_back(gone);
    batch.objects.push_back({"malware--m", "malware", "Emotet", R"({"type":"malware","id":"malware--m"})", kNow, Tlp::clear});
    auto sum = repo.put(batch, "national", kNow);
    ASSERT_TRUE(sum) << sum.error().message;
    EXPECT_EQ(sum->added, 3);
    auto again = repo.put(batch, "national", kNow);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->unchanged, 3);
    EXPECT_TRUE(again->new_refs.empty());

    auto back = repo.indicators({"indicator--a"});
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->size(), 1u);
    const Indicator& r = (*back)[0];
    EXPECT_EQ(r.any_of, a.any_of);
    EXPECT_EQ(r.tags, a.tags);
    EXPECT_EQ(r.attack, a.attack);
    EXPECT_EQ(r.kill_chain, a.kill_chain);
    EXPECT_EQ(r.tlp, Tlp::green);
    EXPECT_EQ(r.confidence, 80);
    EXPECT_EQ(r.valid_until_ms, a.valid_until_ms);

    auto snap = repo.snapshot(kNow);
    ASSERT_TRUE(snap) << snap.error().message;
    ASSERT_EQ((*snap)->size(), 1u);  // the expired one is left out
    std::vector<Hit> hits;
    std::vector<EventObservable> e{{ValueType::domain, "a.evil.example"}};
    (*snap)->match(e, kNow, hits);
    ASSERT_EQ(hits.size(), 1u);
    auto v = (*snap)->indicator(hits[0].indicator);
    EXPECT_EQ(v.ref, "indicator--a");
    EXPECT_EQ(std::vector<std::string>(v.tags.begin(), v.tags.end()),
              (std::vector<std::string>{"phishing", "attack:T1566.002"}));

    // A newer version that is revoked takes the indicator out of the snapshot.
    a.modified_ms += 1000;
    a.revoked = true;
    ImportBatch b2;
    b2.indicators.push_back(a);
    ASSERT_TRUE(repo.put(b2, "national", kNow + 1));
    EXPECT_EQ((*repo.snapshot(kNow))->size(), 0u);
  }
  std::filesystem::remove_all(dir);
}

TEST(Repository, StoredJsonThatIsWrongIsAnError) {
  EXPECT_FALSE(indicator_from_json("nope"));
  EXPECT_FALSE(indicator_from_json(R"({"ref":"x","tlp":"purple"})"));
  EXPECT_FALSE(indicator_from_json(R"({"ref":"x","tlp":"red","any_of":[[["colour","red"]]]})"));
  EXPECT_TRUE(indicator_from_json(R"({"ref":"x","tlp":"red","any_of":[[["ip","1.2.3.4"]]]})"));
}

}  // namespace
}  // namespace lachan::intel
