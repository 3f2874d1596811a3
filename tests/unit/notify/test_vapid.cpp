// VAPID (RFC 8292): the key file (created 0600, loaded back, refused when wrong), the public key
// form, and the header's JWT as a push service checks it: signature, claims, aud per endpoint.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <boost/json.hpp>

#include "notify/base64url.h"
#include "notify/vapid.h"

namespace lachan::notify {
namespace {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir()
      : path_(fs::temp_directory_path() /
              ("lachan_vapid_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  fs::path path_;
};

constexpr int64_t kNow = 1'780'000'000;
constexpr std::string_view kEndpoint = "https://fcm.googleapis.com/fcm/send/abc:def";

TEST(Vapid, CreatesTheKeyFileOnceWithMode0600AndLoadsItBack) {
  TempDir dir;
  const fs::path pem = dir.path() / "vapid.pem";
  auto first = VapidKey::load_or_create(pem);
  ASSERT_TRUE(first) << first.error().message;
  struct stat st {};
  ASSERT_EQ(::stat(pem.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto again = VapidKey::load_or_create(pem);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->public_key(), first->public_key());
  auto point = base64url_decode(first->public_key());
  ASSERT_TRUE(point);
  EXPECT_EQ(point->size(), 65u);
  EXPECT_EQ((*point)[0], '\x04');
  // A key made elsewhere (openssl ecparam, SEC1 or PKCS#8) loads the same way.
  auto pem_text = first->to_pem();
  ASSERT_TRUE(pem_text);
  auto parsed = VapidKey::from_pem(*pem_text);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->public_key(), first->public_key());
}

TEST(Vapid, RefusesFilesThatAreNotAP256PrivateKey) {
  TempDir dir;
  const fs::path bad = dir.path() / "bad.pem";
  std::ofstream(bad) << "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n";
  auto r = VapidKey::load_or_create(bad);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::invalid_config);
  // An Ed25519 key is a valid PEM private key, but not VAPID's curve.
  const fs::path ed = dir.path() / "ed.pem";
  std::ofstream(ed) << "-----BEGIN PRIVATE KEY-----\n"
                       "MC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
                       "-----END PRIVATE KEY-----\n";
  auto e = VapidKey::load_or_create(ed);
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().code, Errc::invalid_config);
  auto missing_dir = VapidKey::load_or_create(dir.path() / "no" / "such" / "vapid.pem");
  ASSERT_FALSE(missing_dir);
  EXPECT_EQ(missing_dir.error().code, Errc::io);
}

TEST(Vapid, HeaderCarriesAJwtThatVerifiesWithThePublicKey) {
  auto key = VapidKey::generate();
  ASSERT_TRUE(key);
  auto header = key->authorization(kEndpoint, "mailto:soc@lachan.example", kNow, std::chrono::hours(12));
  ASSERT_TRUE(header) << header.error().message;
  ASSERT_EQ(header->rfind("vapid t=", 0), 0u) << *header;
  ASSERT_NE(header->find(", k=" + key->public_key()), std::string::npos);

  std::string k;
  auto claims = verify_vapid_authorization(*header, kNow, &k);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(k, key->public_key());
  EXPECT_EQ(claims->aud, "https://fcm.googleapis.com");
  EXPECT_EQ(claims->sub, "mailto:soc@lachan.example");
  EXPECT_EQ(claims->exp, kNow + 12 * 3600);

  // The JWT itself: header {"typ":"JWT","alg":"ES256"}, a raw 64-byte r||s signature.
  std::string jwt = header->substr(8, header->find(',') - 8);
  auto dot1 = jwt.find('.'), dot2 = jwt.rfind('.');
  auto jose = base64url_decode(jwt.substr(0, dot1));
  ASSERT_TRUE(jose);
  auto h = boost::json::parse(*jose).as_object();
  EXPECT_EQ(h.at("alg").as_string(), "ES256");
  EXPECT_EQ(h.at("typ").as_string(), "JWT");
  auto sig = base64url_decode(jwt.substr(dot2 + 1));
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->size(), 64u);

  // Another key, a changed claim, a changed signature: refused.
  auto other = VapidKey::generate();
  ASSERT_TRUE(other);
  auto wrong_key = verify_vapid_token(jwt, other->public_key(), kNow);
  ASSERT_FALSE(wrong_key);
  EXPECT_EQ(wrong_key.error().code, Errc::denied);
  std::string forged_claims =
      R"({"aud":"https://evil.example","exp":)" + std::to_string(kNow + 60) + R"(,"sub":"mailto:soc@lachan.example"})";
  std::string forged = jwt.substr(0, dot1 + 1) + base64url_encode(forged_claims) + jwt.substr(dot2);
  auto f = verify_vapid_token(forged, key->public_key(), kNow);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, Errc::denied);
  std::string flipped = jwt;
  flipped[dot2 + 5] = flipped[dot2 + 5] == 'A' ? 'B' : 'A';
  auto g = verify_vapid_token(flipped, key->public_key(), kNow);
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().code, Errc::denied);
  auto junk = verify_vapid_token("a.b", key->public_key(), kNow);
  ASSERT_FALSE(junk);
  EXPECT_EQ(junk.error().code, Errc::malformed);
}

TEST(Vapid, ExpiryIsCappedAt24HoursAndChecked) {
  auto key = VapidKey::generate();
  ASSERT_TRUE(key);
  auto header = key->authorization(kEndpoint, "mailto:soc@lachan.example", kNow, std::chrono::hours(72));
  ASSERT_TRUE(header);
  auto claims = verify_vapid_authorization(*header, kNow);
  ASSERT_TRUE(claims) << claims.error().message;
  EXPECT_EQ(claims->exp, kNow + 24 * 3600);
  auto later = verify_vapid_authorization(*header, kNow + 24 * 3600);
  ASSERT_FALSE(later);
  EXPECT_EQ(later.error().code, Errc::denied);
  // A token made by someone else with exp beyond 24 h is refused, as push services do.
  auto far = key->token("https://fcm.googleapis.com", "mailto:a@b", kNow + 25 * 3600);
  ASSERT_TRUE(far);
  auto r = verify_vapid_token(*far, key->public_key(), kNow);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
}

TEST(Vapid, RefusesBadSubjectsAndEndpoints) {
  auto key = VapidKey::generate();
  ASSERT_TRUE(key);
  EXPECT_FALSE(key->authorization(kEndpoint, "soc@lachan.example", kNow));
  EXPECT_TRUE(key->authorization(kEndpoint, "https://lachan.example/contact", kNow));
  EXPECT_FALSE(key->authorization("ftp://push.example/x", "mailto:a@b", kNow));
  EXPECT_FALSE(key->authorization(kEndpoint, "mailto:a@b", kNow, std::chrono::seconds(0)));
}

TEST(Vapid, AudienceIsTheEndpointsOrigin) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"https://fcm.googleapis.com/fcm/send/dE5...", "https://fcm.googleapis.com"},
      {"https://updates.push.services.mozilla.com/wpush/v2/gAAAA?x=1#f", "https://updates.push.services.mozilla.com"},
      {"https://web.push.apple.com/QGuQyavXutnMH", "https://web.push.apple.com"},
      {"HTTPS://Push.Example.COM:443/a", "https://push.example.com"},
      {"https://push.example.com:8443/a/b", "https://push.example.com:8443"},
      {"http://127.0.0.1:8080/push/1", "http://127.0.0.1:8080"},
      {"http://push.example:80/", "http://push.example"},
      {"https://[2001:db8::1]:9443/p", "https://[2001:db8::1]:9443"},
      {"https://user:pw@push.example/p", "https://push.example"},
  };
  for (auto [url, origin] : cases) {
    auto aud = push_audience(url);
    ASSERT_TRUE(aud) << url;
    EXPECT_EQ(*aud, origin) << url;
  }
  for (std::string_view bad :
       {"", "/relative/path", "push.example.com/x", "mailto:a@b", "https:///nohost", "wss://push.example/x"}) {
    auto aud = push_audience(bad);
    ASSERT_FALSE(aud) << bad;
    EXPECT_EQ(aud.error().code, Errc::invalid_config) << bad;
  }
}

}  // namespace
}  // namespace lachan::notify
