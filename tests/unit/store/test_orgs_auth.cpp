// Organisations, API keys, users, passwords and sessions, against the Store interface.
#include "store_fixture.h"

namespace lachan::store::testing {
namespace {

Organisation full_org() {
  Organisation o;
  o.id = "evn";
  o.name = "Tập đoàn Điện lực Việt Nam";
  o.kind = OrgKind::important_operator;
  o.parent = "bo-cong-thuong";
  o.province = "ha-noi";
  o.sectors = {"energy", "finance"};
  o.criticality = 5;
  o.contacts = {{"Nguyễn Văn A", "a@evn.com.vn", "+84 24 0000", "security officer"}, {"On call", "", "", "on-call"}};
  o.it_providers = {"vnpt", "viettel"};
  o.networks = {"203.162.0.0/16", "2001:ee0::/32"};
  o.asns = {7552, 45899};
  o.domains = {"evn.com.vn"};
  o.hosts = {"mail.evn.com.vn"};
  return o;
}

void expect_same_org(const Organisation& a, const Organisation& b) {
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_EQ(a.parent, b.parent);
  EXPECT_EQ(a.province, b.province);
  EXPECT_EQ(a.sectors, b.sectors);
  EXPECT_EQ(a.criticality, b.criticality);
  ASSERT_EQ(a.contacts.size(), b.contacts.size());
  for (std::size_t i = 0; i < a.contacts.size(); ++i) {
    EXPECT_EQ(a.contacts[i].name, b.contacts[i].name);
    EXPECT_EQ(a.contacts[i].email, b.contacts[i].email);
    EXPECT_EQ(a.contacts[i].phone, b.contacts[i].phone);
    EXPECT_EQ(a.contacts[i].role, b.contacts[i].role);
  }
  EXPECT_EQ(a.it_providers, b.it_providers);
  EXPECT_EQ(a.networks, b.networks);
  EXPECT_EQ(a.asns, b.asns);
  EXPECT_EQ(a.domains, b.domains);
  EXPECT_EQ(a.hosts, b.hosts);
}

TEST_P(StoreTest, OrganisationsKeepEveryField) {
  Organisation o = full_org();
  ASSERT_TRUE(store().upsert_organisations({o, org("vnpt")}));
  auto got = store().get_organisation("evn");
  ASSERT_TRUE(got) << got.error().message;
  expect_same_org(*got, o);
  auto all = store().list_organisations();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].id, "evn");
  EXPECT_EQ((*all)[1].id, "vnpt");
}

TEST_P(StoreTest, OrganisationUpsertReplacesById) {
  ASSERT_TRUE(store().upsert_organisations({full_org()}));
  Organisation changed = full_org();
  changed.name = "EVN";
  changed.networks = {"10.0.0.0/8"};
  changed.contacts.clear();
  changed.criticality = 3;
  ASSERT_TRUE(store().upsert_organisations({changed}));
  auto got = store().get_organisation("evn");
  ASSERT_TRUE(got);
  expect_same_org(*got, changed);
  EXPECT_EQ(store().list_organisations()->size(), 1u);
}

TEST_P(StoreTest, UnknownOrganisationIsNotFound) {
  auto got = store().get_organisation("nope");
  ASSERT_FALSE(got);
  EXPECT_EQ(got.error().code, Errc::not_found);
}

TEST_P(StoreTest, OrganisationBatchIsAtomic) {
  ASSERT_FALSE(store().upsert_organisations({org("a"), org("")}));  // the second has no id
  EXPECT_TRUE(store().list_organisations()->empty());
}

TEST_P(StoreTest, ApiKeyAuthenticatesAsItsOrganisationAndRole) {
  ASSERT_TRUE(store().upsert_organisations({org("evn")}));
  auto k = store().create_api_key("evn", Role::reporter, "siem");
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->plaintext.rfind("lk_" + k->key.id + "_", 0), 0u);
  EXPECT_EQ(k->key.created, kT0);
  EXPECT_EQ(k->key.secret_hash.size(), 64u);
  EXPECT_EQ(k->plaintext.find(k->key.secret_hash), std::string::npos);  // the hash is not the secret
  auto c = store().authenticate_api_key(k->plaintext);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->actor, "key:" + k->key.id);
  EXPECT_EQ(c->org_id, "evn");
  EXPECT_EQ(c->role, Role::reporter);
}

TEST_P(StoreTest, BadKeysAreDenied) {
  ASSERT_TRUE(store().upsert_organisations({org("evn")}));
  auto k = store().create_api_key("evn", Role::admin, "x");
  ASSERT_TRUE(k);
  std::string wrong_secret = k->plaintext;
  wrong_secret.back() = wrong_secret.back() == '0' ? '1' : '0';
  std::string unknown_id = k->plaintext;
  unknown_id[3] = unknown_id[3] == 'a' ? 'b' : 'a';
  for (const std::string& bad :
       {wrong_secret, unknown_id, std::string("lk_x_y"), std::string(""), k->plaintext + " ", k->key.id}) {
    auto c = store().authenticate_api_key(bad);
    ASSERT_FALSE(c) << bad;
    EXPECT_EQ(c.error().code, Errc::denied) << bad;
  }
}

TEST_P(StoreTest, RevokedKeyIsDenied) {
  ASSERT_TRUE(store().upsert_organisations({org("evn")}));
  auto k1 = store().create_api_key("evn", Role::admin, "one");
  auto k2 = store().create_api_key("evn", Role::viewer, "two");
  ASSERT_TRUE(k1 && k2);
  ASSERT_TRUE(store().revoke_api_key(k1->key.id));
  auto c = store().authenticate_api_key(k1->plaintext);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, Errc::denied);
  EXPECT_TRUE(store().authenticate_api_key(k2->plaintext));
  EXPECT_TRUE(store().revoke_api_key(k1->key.id));  // twice is fine
  auto r = store().revoke_api_key("nosuchkey000");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  auto keys = store().list_api_keys("evn");
  ASSERT_TRUE(keys);
  ASSERT_EQ(keys->size(), 2u);
  for (const auto& k : *keys) {
    EXPECT_EQ(k.revoked, k.id == k1->key.id);
    EXPECT_EQ(k.org_id, "evn");
  }
  EXPECT_TRUE(store().list_api_keys("other")->empty());
}

TEST_P(StoreTest, ApiKeyIsFoundByIdAndKeepsItsFirstRevocationTime) {
  ASSERT_TRUE(store().upsert_organisations({org("evn")}));
  auto k = store().create_api_key("evn", Role::analyst, "soc");
  ASSERT_TRUE(k) << k.error().message;
  auto got = store().get_api_key(k->key.id);
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->id, k->key.id);
  EXPECT_EQ(got->org_id, "evn");
  EXPECT_EQ(got->role, Role::analyst);
  EXPECT_EQ(got->label, "soc");
  EXPECT_EQ(got->created, kT0);
  EXPECT_EQ(got->secret_hash, k->key.secret_hash);
  EXPECT_FALSE(got->revoked);
  EXPECT_EQ(got->revoked_at, 0);

  now_ = kT0 + 5 * kMinute;
  ASSERT_TRUE(store().revoke_api_key(k->key.id));
  now_ = kT0 + 9 * kMinute;
  ASSERT_TRUE(store().revoke_api_key(k->key.id));
  got = store().get_api_key(k->key.id);
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->revoked);
  EXPECT_EQ(got->revoked_at, kT0 + 5 * kMinute);
  auto listed = store().list_api_keys("evn");
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].revoked_at, kT0 + 5 * kMinute);

  auto unknown = store().get_api_key("nosuchkey000");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
}

TEST_P(StoreTest, KeyForUnknownOrganisationIsNotFound) {
  auto k = store().create_api_key("nope", Role::admin, "x");
  ASSERT_FALSE(k);
  EXPECT_EQ(k.error().code, Errc::not_found);
}

TEST_P(StoreTest, PasswordAuthentication) {
  ASSERT_TRUE(store().upsert_organisations({org("vncert", "", {})}));
  auto u = store().add_user("lan", "vncert", Role::analyst, "Trần Thị Lan", "s3cret pass");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(u->password_hash.find("s3cret"), std::string::npos);
  auto c = store().authenticate_password("lan", "s3cret pass");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->actor, "user:lan");
  EXPECT_EQ(c->org_id, "vncert");
  EXPECT_EQ(c->role, Role::analyst);
  auto wrong = store().authenticate_password("lan", "s3cret pas");
  auto unknown = store().authenticate_password("nobody", "s3cret pass");
  ASSERT_FALSE(wrong);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(wrong.error().code, Errc::denied);
  EXPECT_EQ(unknown.error().code, Errc::denied);
  EXPECT_EQ(wrong.error().message, unknown.error().message);  // nothing tells them apart
}

TEST_P(StoreTest, AddUserConflictsAndUnknownOrg) {
  ASSERT_TRUE(store().upsert_organisations({org("vncert")}));
  ASSERT_TRUE(store().add_user("lan", "vncert", Role::viewer, "", "pw"));
  auto dup = store().add_user("lan", "vncert", Role::admin, "", "pw2");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Errc::conflict);
  auto noorg = store().add_user("minh", "nope", Role::viewer, "", "pw");
  ASSERT_FALSE(noorg);
  EXPECT_EQ(noorg.error().code, Errc::not_found);
  // The first password still holds.
  EXPECT_TRUE(store().authenticate_password("lan", "pw"));
  EXPECT_FALSE(store().authenticate_password("lan", "pw2"));
}

TEST_P(StoreTest, SessionsExpireAndEnd) {
  ASSERT_TRUE(store().upsert_organisations({org("vncert")}));
  ASSERT_TRUE(store().add_user("lan", "vncert", Role::responder, "", "pw"));
  auto t = store().create_session("lan", 30 * kMinute);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->size(), 64u);
  auto c = store().authenticate_session(*t, kT0 + 29 * kMinute);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->actor, "user:lan");
  EXPECT_EQ(c->org_id, "vncert");
  EXPECT_EQ(c->role, Role::responder);
  auto expired = store().authenticate_session(*t, kT0 + 30 * kMinute);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().code, Errc::denied);

  auto t2 = store().create_session("lan", 30 * kMinute);
  ASSERT_TRUE(t2);
  EXPECT_NE(*t, *t2);
  ASSERT_TRUE(store().delete_session(*t2));
  auto ended = store().authenticate_session(*t2, kT0);
  ASSERT_FALSE(ended);
  EXPECT_EQ(ended.error().code, Errc::denied);
  EXPECT_TRUE(store().delete_session(*t2));  // again: fine

  auto bogus = store().authenticate_session(std::string(64, 'a'), kT0);
  ASSERT_FALSE(bogus);
  EXPECT_EQ(bogus.error().code, Errc::denied);
  EXPECT_FALSE(store().authenticate_session("short", kT0));

  auto nouser = store().create_session("nobody", kMinute);
  ASSERT_FALSE(nouser);
  EXPECT_EQ(nouser.error().code, Errc::not_found);
}

TEST_P(StoreTest, PurgeRemovesOnlyExpiredSessions) {
  ASSERT_TRUE(store().upsert_organisations({org("vncert")}));
  ASSERT_TRUE(store().add_user("lan", "vncert", Role::viewer, "", "pw"));
  auto short_lived = store().create_session("lan", kMinute);
  auto long_lived = store().create_session("lan", 60 * kMinute);
  ASSERT_TRUE(short_lived && long_lived);
  auto n = store().purge_expired_sessions(kT0 + 2 * kMinute);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE(store().authenticate_session(*long_lived, kT0 + 2 * kMinute));
  EXPECT_FALSE(store().authenticate_session(*short_lived, kT0));  // gone, not just expired
}

TEST_P(StoreTest, UsersAreListedByNameWithoutPasswordHashes) {
  ASSERT_TRUE(store().upsert_organisations({org("vncert"), org("evn")}));
  ASSERT_TRUE(store().add_user("minh", "vncert", Role::admin, "Lê Minh", "pw-minh"));
  now_ = kT0 + kMinute;
  ASSERT_TRUE(store().add_user("an", "vncert", Role::viewer, "Phạm An", "pw-an"));
  ASSERT_TRUE(store().add_user("binh", "evn", Role::analyst, "", "pw-binh"));
  auto users = store().list_users("vncert");
  ASSERT_TRUE(users) << users.error().message;
  ASSERT_EQ(users->size(), 2u);
  EXPECT_EQ((*users)[0].username, "an");
  EXPECT_EQ((*users)[0].role, Role::viewer);
  EXPECT_EQ((*users)[0].display_name, "Phạm An");
  EXPECT_EQ((*users)[0].created, kT0 + kMinute);
  EXPECT_EQ((*users)[1].username, "minh");
  EXPECT_EQ((*users)[1].role, Role::admin);
  EXPECT_EQ((*users)[1].created, kT0);
  for (const auto& u : *users) {
    EXPECT_EQ(u.org_id, "vncert");
    EXPECT_FALSE(u.disabled);
    EXPECT_TRUE(u.password_hash.empty());
  }
  EXPECT_TRUE(store().list_users("nope")->empty());

  auto one = store().get_user("binh");
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ(one->org_id, "evn");
  EXPECT_EQ(one->role, Role::analyst);
  EXPECT_TRUE(one->password_hash.empty());
  auto unknown = store().get_user("nobody");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
}

TEST_P(StoreTest, DisabledUserCannotLogInNorUseASessionUntilEnabled) {
  ASSERT_TRUE(store().upsert_organisations({org("vncert")}));
  ASSERT_TRUE(store().add_user("lan", "vncert", Role::analyst, "", "pw-lan"));
  ASSERT_TRUE(store().add_user("minh", "vncert", Role::analyst, "", "pw-minh"));
  auto session = store().create_session("lan", 60 * kMinute);
  auto other = store().create_session("minh", 60 * kMinute);
  ASSERT_TRUE(session && other);
  ASSERT_TRUE(store().authenticate_session(*session, kT0));

  auto off = store().set_user_disabled("lan", true);
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_EQ(off->username, "lan");
  EXPECT_EQ(off->org_id, "vncert");
  EXPECT_TRUE(off->disabled);
  EXPECT_TRUE(off->password_hash.empty());
  EXPECT_TRUE(store().get_user("lan")->disabled);
  auto login = store().authenticate_password("lan", "pw-lan");
  ASSERT_FALSE(login);
  EXPECT_EQ(login.error().code, Errc::denied);
  auto used = store().authenticate_session(*session, kT0);
  ASSERT_FALSE(used);
  EXPECT_EQ(used.error().code, Errc::denied);
  EXPECT_TRUE(store().authenticate_session(*other, kT0));  // other users keep theirs
  EXPECT_TRUE(store().set_user_disabled("lan", true));     // twice is fine

  auto on = store().set_user_disabled("lan", false);
  ASSERT_TRUE(on) << on.error().message;
  EXPECT_FALSE(on->disabled);
  EXPECT_FALSE(store().list_users("vncert")->front().disabled);
  auto c = store().authenticate_password("lan", "pw-lan");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->actor, "user:lan");
  EXPECT_FALSE(store().authenticate_session(*session, kT0));  // deleted, not merely suspended
  auto fresh = store().create_session("lan", 60 * kMinute);
  ASSERT_TRUE(fresh);
  EXPECT_TRUE(store().authenticate_session(*fresh, kT0));

  auto unknown = store().set_user_disabled("nobody", true);
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, Errc::not_found);
}

}  // namespace
}  // namespace lachan::store::testing
