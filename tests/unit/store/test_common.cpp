// Backend-independent helpers (store/common.h, store.h): key format, cursors, hashes, the state
// machine of warnings. Every backend relies on these behaving the same.
#include <gtest/gtest.h>

#include <set>

#include "store/common.h"
#include "store/store.h"

using namespace lachan::store;

TEST(StoreCommon, ApiKeyFormatRoundTrips) {
  auto id = random_base32(kApiKeyIdChars);
  auto secret = random_hex(kApiKeySecretBytes);
  ASSERT_TRUE(id && secret);
  EXPECT_EQ(id->size(), 12u);
  EXPECT_EQ(secret->size(), 64u);
  std::string key = format_api_key(*id, *secret);
  auto parts = parse_api_key(key);
  ASSERT_TRUE(parts);
  EXPECT_EQ(parts->id, *id);
  EXPECT_EQ(parts->secret, *secret);
}

TEST(StoreCommon, ApiKeyParserRejectsMalformedKeys) {
  std::string good = format_api_key("abcdefgh2345", std::string(64, 'a'));
  ASSERT_TRUE(parse_api_key(good));
  EXPECT_FALSE(parse_api_key(""));
  EXPECT_FALSE(parse_api_key("lk_"));
  EXPECT_FALSE(parse_api_key(good.substr(0, good.size() - 1)));  // short secret
  EXPECT_FALSE(parse_api_key(good + "a"));                       // long secret
  std::string bad_prefix = good;
  bad_prefix[0] = 'x';
  EXPECT_FALSE(parse_api_key(bad_prefix));
  std::string bad_id = good;
  bad_id[4] = '1';  // not base32
  EXPECT_FALSE(parse_api_key(bad_id));
  std::string bad_secret = good;
  bad_secret.back() = 'G';
  EXPECT_FALSE(parse_api_key(bad_secret));
  std::string bad_sep = good;
  bad_sep[15] = '-';
  EXPECT_FALSE(parse_api_key(bad_sep));
}

TEST(StoreCommon, RandomValuesDiffer) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(*random_hex(32));
  EXPECT_EQ(seen.size(), 100u);
}

TEST(StoreCommon, Sha256MatchesKnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(StoreCommon, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

TEST(StoreCommon, PasswordHashIsArgon2idAndVerifies) {
  auto h = hash_password("correct horse");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u) << *h;
  EXPECT_NE(h->find("m=19456,t=2,p=1"), std::string::npos) << *h;
  EXPECT_TRUE(verify_password(*h, "correct horse"));
  EXPECT_FALSE(verify_password(*h, "correct horsE"));
  auto h2 = hash_password("correct horse");
  EXPECT_NE(*h, *h2);  // random salt
  EXPECT_FALSE(verify_password(decoy_password_hash(), ""));
}

TEST(StoreCommon, CursorRoundTripsAndRejectsOthers) {
  std::string c = encode_cursor("w:last_seen:d", {-5, 42});
  auto v = decode_cursor("w:last_seen:d", c, 2);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (std::vector<std::int64_t>{-5, 42}));
  EXPECT_FALSE(decode_cursor("w:last_seen:a", c, 2));  // another sort order
  EXPECT_FALSE(decode_cursor("w:last_seen:d", c, 1));
  EXPECT_FALSE(decode_cursor("w:last_seen:d", "zz", 2));
  EXPECT_FALSE(decode_cursor("w:last_seen:d", c.substr(1), 2));
  EXPECT_FALSE(decode_cursor("w:last_seen:d", "", 2));
  EXPECT_FALSE(decode_cursor("audit", encode_cursor("audit", {}), 1));
}

TEST(StoreCommon, AuditHashCoversEveryFieldAndThePreviousHash) {
  AuditEntry e{1, 100, "user:a", "org", "warning.update", "warning:1", "{}"};
  std::string h = audit_chain_hash("", e);
  EXPECT_EQ(h, audit_chain_hash("", e));
  EXPECT_NE(h, audit_chain_hash("x", e));
  auto changed = [&](auto mutate) {
    AuditEntry c = e;
    mutate(c);
    return audit_chain_hash("", c);
  };
  EXPECT_NE(h, changed([](AuditEntry& c) { c.at = 101; }));
  EXPECT_NE(h, changed([](AuditEntry& c) { c.actor = "user:b"; }));
  EXPECT_NE(h, changed([](AuditEntry& c) { c.org_id = "org2"; }));
  EXPECT_NE(h, changed([](AuditEntry& c) { c.action = "x"; }));
  EXPECT_NE(h, changed([](AuditEntry& c) { c.target = "warning:2"; }));
  EXPECT_NE(h, changed([](AuditEntry& c) { c.detail = "{ }"; }));
  // Field boundaries matter: moving a character from one field to the next changes the hash.
  EXPECT_NE(changed([](AuditEntry& c) { c.target = "ab", c.detail = "c"; }),
            changed([](AuditEntry& c) { c.target = "a", c.detail = "bc"; }));
}

TEST(StoreCommon, JsonListsRoundTrip) {
  std::vector<Entity> ents{{"ip", "10.0.0.1"}, {"host", "a\"b"}};
  std::vector<Entity> back;
  ASSERT_TRUE(from_json(to_json(ents), back));
  EXPECT_EQ(back, ents);
  std::vector<std::uint32_t> asns{7552, 4294967295u};
  std::vector<std::uint32_t> asns_back;
  ASSERT_TRUE(from_json(to_json(asns), asns_back));
  EXPECT_EQ(asns_back, asns);
  std::vector<std::string> s;
  EXPECT_FALSE(from_json("{\"a\":1}", s));
  EXPECT_FALSE(from_json("[1]", s));
  EXPECT_FALSE(from_json("[", s));
}

TEST(StoreCommon, TransitionTable) {
  using S = WarningStatus;
  const S all[] = {S::new_, S::acknowledged, S::in_progress, S::resolved, S::false_positive};
  std::set<std::pair<S, S>> allowed{
      {S::new_, S::acknowledged},           {S::new_, S::in_progress},           {S::new_, S::resolved},
      {S::new_, S::false_positive},         {S::acknowledged, S::in_progress},   {S::acknowledged, S::resolved},
      {S::acknowledged, S::false_positive}, {S::in_progress, S::resolved},       {S::in_progress, S::false_positive},
      {S::resolved, S::in_progress},        {S::false_positive, S::in_progress},
  };
  for (S from : all) {
    for (S to : all) {
      EXPECT_EQ(transition_allowed(from, to), allowed.count({from, to}) == 1)
          << to_string(from) << " -> " << to_string(to);
    }
  }
  EXPECT_TRUE(may_change_status(Role::admin));
  EXPECT_TRUE(may_change_status(Role::analyst));
  EXPECT_TRUE(may_change_status(Role::responder));
  EXPECT_FALSE(may_change_status(Role::reporter));
  EXPECT_FALSE(may_change_status(Role::viewer));
}
