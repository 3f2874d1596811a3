// Web Push end to end: a push service on 127.0.0.1 checks the headers and the VAPID token,
// decrypts the body with the subscription's private key and finds the payload; a removed
// subscription answers 410 (gone); unusable subscriptions send nothing.
#include <gtest/gtest.h>

#include "notify/push_crypto.h"
#include "notify/web_push.h"
#include "test_server.h"

namespace lachan::notify {
namespace {

using testing::answer;
using testing::Request;
using testing::TestServer;

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

TEST(WebPush, PushServiceDecryptsThePayloadAndAcceptsTheVapidToken) {
  auto vapid = VapidKey::generate();
  ASSERT_TRUE(vapid);
  auto keys = generate_push_keys();
  ASSERT_TRUE(keys);
  std::string decrypted, problem;
  unsigned short port = 0;
  TestServer service([&](const Request& r) {
    if (r.target == "/gone/1") return answer(410, "unsubscribed");
    if (r.header("Content-Encoding") != "aes128gcm") problem += "content-encoding;";
    if (r.header("Content-Type") != "application/octet-stream") problem += "content-type;";
    if (r.header("TTL") != "3600") problem += "ttl;";
    if (r.header("Urgency") != "high") problem += "urgency;";
    if (r.header("Topic") != "warning-W-9") problem += "topic;";
    std::string k;
    auto claims = verify_vapid_authorization(r.header("Authorization"), unix_now(), &k);
    if (!claims)
      problem += "vapid: " + claims.error().message + ";";
    else if (claims->aud != "http://127.0.0.1:" + std::to_string(port))
      problem += "aud " + claims->aud + ";";
    if (k != vapid->public_key()) problem += "k;";
    auto plain = decrypt_push(r.body, keys->private_key, keys->auth);
    if (!plain) return answer(400, plain.error().message);
    decrypted = *plain;
    return answer(201);
  });
  port = service.port();
  const std::string payload = R"({"title":"New high warning","warning":"W-9"})";
  WebPushOptions opt;
  opt.ttl = std::chrono::seconds(3600);
  opt.urgency = Urgency::high;
  opt.topic = "warning-W-9";
  opt.subject = "mailto:soc@lachan.example";
  PushSubscription sub{service.url("/push/abc"), keys->p256dh, keys->auth};
  auto r = send_web_push(sub, payload, *vapid, opt, unix_now());
  EXPECT_TRUE(r.delivered()) << r.error << " " << r.snippet;
  EXPECT_EQ(r.status, 201u);
  EXPECT_EQ(problem, "");
  EXPECT_EQ(decrypted, payload);
  EXPECT_EQ(classify(r, Channel::web_push), Disposition::delivered);

  PushSubscription gone{service.url("/gone/1"), keys->p256dh, keys->auth};
  auto g = send_web_push(gone, payload, *vapid, opt, unix_now());
  EXPECT_EQ(g.status, 410u);
  EXPECT_EQ(classify(g, Channel::web_push), Disposition::gone);
  EXPECT_EQ(service.requests().size(), 2u);
}

TEST(WebPush, UnusableSubscriptionsSendNothing) {
  auto vapid = VapidKey::generate();
  auto keys = generate_push_keys();
  ASSERT_TRUE(vapid && keys);
  TestServer service([](const Request&) { return answer(201); });
  WebPushOptions opt;
  const PushSubscription bad[] = {
      {service.url("/p"), "not-a-key", keys->auth},
      {service.url("/p"), keys->p256dh, "short"},
      {"ftp://127.0.0.1/p", keys->p256dh, keys->auth},
  };
  for (const auto& sub : bad) {
    auto r = send_web_push(sub, "x", *vapid, opt, unix_now());
    EXPECT_EQ(r.failure, PostFailure::invalid) << sub.endpoint << " " << sub.p256dh;
    EXPECT_EQ(classify(r, Channel::web_push), Disposition::failed);
  }
  PushSubscription ok{service.url("/p"), keys->p256dh, keys->auth};
  auto big = send_web_push(ok, std::string(kMaxPushPayload + 1, 'a'), *vapid, opt, unix_now());
  EXPECT_EQ(big.failure, PostFailure::invalid);
  opt.topic = "has space";
  auto topic = send_web_push(ok, "x", *vapid, opt, unix_now());
  EXPECT_EQ(topic.failure, PostFailure::invalid);
  EXPECT_TRUE(service.requests().empty());
}

}  // namespace
}  // namespace lachan::notify
