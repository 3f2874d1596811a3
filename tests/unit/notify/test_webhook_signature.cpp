// Webhook signatures: the documented format, a known MAC, the tolerance window both ways, key
// rotation (several v1), and every way a header or body can be wrong.
#include <gtest/gtest.h>

#include "notify/webhook_signature.h"

namespace lachan::notify {
namespace {

constexpr std::string_view kSecret = "whsec_test";
constexpr std::string_view kBody = R"({"warning":"W-1","severity":"high"})";
constexpr int64_t kT = 1'780'000'000;

TEST(WebhookSignature, HasTheDocumentedFormatAndAKnownMac) {
  // The MAC computed independently of this code:
  //   printf '%s' '1780000000.{"warning":"W-1","severity":"high"}' | openssl dgst -sha256 -hmac whsec_test
  const std::string header = sign_webhook(kSecret, kBody, kT);
  EXPECT_EQ(header, "t=1780000000,v1=507c1ca60aa7fbe08ad3329eed83f768e50d658b7cedffb6e6eafcad0b4ac2d5");
  EXPECT_TRUE(verify_webhook(header, kSecret, kBody, kT).ok());
}

TEST(WebhookSignature, AcceptsWithinTheToleranceWindowOnly) {
  const std::string header = sign_webhook(kSecret, kBody, kT);
  EXPECT_TRUE(verify_webhook(header, kSecret, kBody, kT + 300).ok());
  EXPECT_TRUE(verify_webhook(header, kSecret, kBody, kT - 300).ok());  // receiver's clock behind
  auto late = verify_webhook(header, kSecret, kBody, kT + 301);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, Errc::denied);
  auto early = verify_webhook(header, kSecret, kBody, kT - 301);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, Errc::denied);
  EXPECT_TRUE(verify_webhook(header, kSecret, kBody, kT + 3600, std::chrono::hours(2)).ok());
}

TEST(WebhookSignature, RefusesAnotherSecretBodyOrTime) {
  const std::string header = sign_webhook(kSecret, kBody, kT);
  for (auto r :
       {verify_webhook(header, "whsec_other", kBody, kT), verify_webhook(header, kSecret, std::string(kBody) + " ", kT),
        verify_webhook("t=1780000001" + header.substr(header.find(',')), kSecret, kBody, kT),
        verify_webhook("t=01780000000" + header.substr(header.find(',')), kSecret, kBody, kT),
        verify_webhook(header.substr(0, header.size() - 1), kSecret, kBody, kT)}) {
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::denied);
  }
}

TEST(WebhookSignature, AcceptsAnyOfSeveralSignaturesDuringRotation) {
  const std::string old_sig = sign_webhook("old", kBody, kT), new_sig = sign_webhook("new", kBody, kT);
  const std::string both = old_sig + ", " + new_sig.substr(new_sig.find(',') + 1) + ",v0=ignored";
  EXPECT_TRUE(verify_webhook(both, "old", kBody, kT).ok());
  EXPECT_TRUE(verify_webhook(both, "new", kBody, kT).ok());
  EXPECT_FALSE(verify_webhook(both, "neither", kBody, kT).ok());
}

TEST(WebhookSignature, MalformedHeaders) {
  for (std::string_view h : {"", "garbage", "t=,v1=00", "t=abc,v1=00", "t=12", "v1=00", "t=12x,v1=00"}) {
    auto r = verify_webhook(h, kSecret, kBody, kT);
    ASSERT_FALSE(r) << h;
    EXPECT_EQ(r.error().code, Errc::malformed) << h;
  }
}

}  // namespace
}  // namespace lachan::notify
