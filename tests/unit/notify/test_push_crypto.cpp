// Web Push encryption (RFC 8291): the RFC's Appendix A example byte for byte, round trips with
// fresh keys, and every way a body from the network can be wrong.
#include <gtest/gtest.h>

#include "notify/base64url.h"
#include "notify/push_crypto.h"

namespace lachan::notify {
namespace {

// RFC 8291 Appendix A, line breaks removed.
constexpr std::string_view kPlaintext = "When I grow up, I want to be a watermelon";
constexpr std::string_view kAsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
constexpr std::string_view kAsPublic =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
constexpr std::string_view kUaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
constexpr std::string_view kUaPublic =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr std::string_view kSalt = "DGv6ra1nlYgDCS1FRnbzlw";
constexpr std::string_view kAuth = "BTBZMqHH6r4Tts7J_aSIgg";
constexpr std::string_view kBody =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru"
    "3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN";

std::string raw(std::string_view b64) {
  auto r = base64url_decode(b64);
  EXPECT_TRUE(r.has_value()) << b64;
  return r.value_or("");
}

PushEncryptionSeed rfc_seed() {
  return {raw(kAsPrivate), raw(kSalt)};
}

TEST(Base64Url, RoundTripsAndRejects) {
  for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    auto enc = base64url_encode(s);
    EXPECT_EQ(enc.find('='), std::string::npos);
    EXPECT_EQ(base64url_decode(enc), std::string(s));
  }
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64url_decode("Zm9vYg=="), "foob");  // padding tolerated
  EXPECT_FALSE(base64url_decode("Zm9v+g"));         // '+' is base64, not base64url
  EXPECT_FALSE(base64url_decode("Z"));              // impossible length
  EXPECT_FALSE(base64url_decode("Zh"));             // non-zero leftover bits
}

TEST(PushCrypto, ReproducesRfc8291AppendixA) {
  auto body = encrypt_push(kPlaintext, kUaPublic, kAuth, rfc_seed());
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(base64url_encode(*body), kBody);
  // The header: salt, rs = 4096, idlen = 65, the sender's public key.
  EXPECT_EQ(body->substr(0, 16), raw(kSalt));
  EXPECT_EQ(body->substr(16, 5), std::string("\x00\x00\x10\x00\x41", 5));
  EXPECT_EQ(body->substr(21, 65), raw(kAsPublic));
}

TEST(PushCrypto, DecryptsRfc8291AppendixA) {
  auto plain = decrypt_push(raw(kBody), kUaPrivate, kAuth);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_EQ(*plain, kPlaintext);
}

TEST(PushCrypto, RoundTripsWithFreshKeys) {
  auto keys = generate_push_keys();
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(raw(keys->p256dh).size(), 65u);
  EXPECT_EQ(raw(keys->p256dh)[0], '\x04');
  EXPECT_EQ(raw(keys->auth).size(), 16u);
  EXPECT_EQ(raw(keys->private_key).size(), 32u);
  for (std::string payload :
       {std::string(), std::string("x"), std::string(kMaxPushPayload, 'z'), std::string("\x00\x02\x00", 3)}) {
    auto body = encrypt_push(payload, keys->p256dh, keys->auth);
    ASSERT_TRUE(body) << body.error().message;
    EXPECT_EQ(body->size(), 86 + payload.size() + 1 + 16);
    auto plain = decrypt_push(*body, keys->private_key, keys->auth);
    ASSERT_TRUE(plain) << plain.error().message;
    EXPECT_EQ(*plain, payload);
  }
  // A fresh salt and sender key each time: the same payload never gives the same body.
  auto a = encrypt_push("same", keys->p256dh, keys->auth);
  auto b = encrypt_push("same", keys->p256dh, keys->auth);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->substr(0, 16), b->substr(0, 16));
  EXPECT_NE(a->substr(21, 65), b->substr(21, 65));
}

TEST(PushCrypto, RefusesBadInputsToEncrypt) {
  auto too_big = encrypt_push(std::string(kMaxPushPayload + 1, 'a'), kUaPublic, kAuth);
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().code, Errc::limit);
  // Compressed point, truncated point, a point off the curve, a short auth secret.
  std::string off_curve = raw(kUaPublic);
  off_curve[64] = static_cast<char>(off_curve[64] ^ 1);
  for (auto [p256dh, auth] :
       {std::pair<std::string, std::string>{base64url_encode(raw(kUaPublic).substr(0, 33)), std::string(kAuth)},
        {std::string(kUaPublic.substr(0, 40)), std::string(kAuth)},
        {base64url_encode(off_curve), std::string(kAuth)},
        {std::string(kUaPublic), "BTBZMqHH6r4Tts7J"},
        {"not base64!", std::string(kAuth)}}) {
    auto r = encrypt_push("x", p256dh, auth);
    ASSERT_FALSE(r) << p256dh;
    EXPECT_EQ(r.error().code, Errc::malformed) << p256dh;
  }
}

TEST(PushCrypto, RejectsTamperedAndMalformedBodies) {
  const std::string body = raw(kBody);
  auto expect_malformed = [&](const std::string& b, std::string_view priv, std::string_view auth, const char* why) {
    auto r = decrypt_push(b, priv, auth);
    ASSERT_FALSE(r) << why;
    EXPECT_EQ(r.error().code, Errc::malformed) << why;
  };
  // Salt, sender key, ciphertext, tag. (rs is not authenticated by RFC 8188: it only has to be
  // at least 18 and to hold the record, checked below.)
  for (size_t i : {size_t{0}, size_t{30}, size_t{90}, body.size() - 1}) {
    std::string t = body;
    t[i] = static_cast<char>(t[i] ^ 0x01);
    expect_malformed(t, kUaPrivate, kAuth, "one bit flipped");
  }
  expect_malformed(body.substr(0, 86 + 16), kUaPrivate, kAuth, "header and tag only");
  expect_malformed(body.substr(0, body.size() - 1), kUaPrivate, kAuth, "truncated");
  expect_malformed(body, kAsPrivate, kAuth, "wrong private key");
  expect_malformed(body, kUaPrivate, "AAAAAAAAAAAAAAAAAAAAAA", "wrong auth secret");
  expect_malformed("", kUaPrivate, kAuth, "empty");
  std::string idlen = body;
  idlen[20] = 64;
  expect_malformed(idlen, kUaPrivate, kAuth, "key id not 65 bytes");
  std::string small_rs = body;
  small_rs[18] = 0;
  small_rs[19] = 17;
  expect_malformed(small_rs, kUaPrivate, kAuth, "rs under 18");
  std::string two_records = body;
  two_records[18] = 0;
  two_records[19] = 40;  // the 58-byte record no longer fits in one record of 40
  expect_malformed(two_records, kUaPrivate, kAuth, "over one record");
}

}  // namespace
}  // namespace lachan::notify
