// The POST client against a real server on 127.0.0.1 (port 0): a signed webhook answered 500
// then 200, with the retry policy between; refused connections, timeouts, TLS to a plain server,
// DNS failures, bad requests; and how each outcome is classified.
#include <gtest/gtest.h>

#include <thread>

#include "notify/http_post.h"
#include "notify/retry.h"
#include "notify/webhook_signature.h"
#include "test_server.h"

namespace lachan::notify {
namespace {

using namespace std::chrono_literals;
using testing::answer;
using testing::Request;
using testing::TestServer;

constexpr std::string_view kSecret = "whsec_receiver";
constexpr std::string_view kBody = R"({"warning":"W-7","title":"Emotet C2 contacted"})";

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

PostHeaders signed_headers(std::string_view secret, std::string_view body) {
  return {{"Content-Type", "application/json"},
          {std::string(kWebhookSignatureHeader), sign_webhook(secret, body, unix_now())}};
}

TEST(HttpPost, SignedWebhookIsRetriedAfter500AndThenDelivered) {
  int calls = 0;
  TestServer server([&](const Request& r) {
    if (r.method != "POST" || r.target != "/hooks/soc?org=7") return answer(400, "wrong request line");
    // The receiver's side: the documented check on the raw body.
    if (!verify_webhook(r.header("X-Lachan-Signature"), kSecret, r.body, unix_now()).ok())
      return answer(401, "bad signature");
    return ++calls == 1 ? answer(500, "boom") : answer(200, "thanks");
  });
  RetryPolicy policy{1ms, 10ms, 5};
  UniformRandom top = [](uint64_t upper) { return upper; };
  std::vector<PostResult> attempts;
  for (int attempt = 1;; ++attempt) {
    attempts.push_back(post(server.url("/hooks/soc?org=7"), signed_headers(kSecret, kBody), kBody, 5s));
    if (classify(attempts.back(), Channel::webhook) != Disposition::retry) break;
    auto wait = policy.next_delay(attempt, top);
    ASSERT_TRUE(wait);
    std::this_thread::sleep_for(*wait);
  }
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].failure, PostFailure::status);
  EXPECT_EQ(attempts[0].status, 500u);
  EXPECT_EQ(attempts[0].snippet, "boom");
  EXPECT_NE(attempts[0].error.find("500"), std::string::npos);
  EXPECT_TRUE(attempts[1].delivered()) << attempts[1].error;
  EXPECT_EQ(attempts[1].status, 200u);
  EXPECT_EQ(attempts[1].snippet, "thanks");
  EXPECT_EQ(classify(attempts[1], Channel::webhook), Disposition::delivered);
  EXPECT_GE(attempts[1].latency.count(), 0);

  auto seen = server.requests();
  ASSERT_EQ(seen.size(), 2u);
  for (const auto& r : seen) {
    EXPECT_EQ(r.body, kBody);
    EXPECT_EQ(r.header("Content-Type"), "application/json");
    EXPECT_EQ(r.header("Content-Length"), std::to_string(kBody.size()));
    EXPECT_EQ(r.header("Host"), "127.0.0.1:" + std::to_string(server.port()));
    EXPECT_EQ(r.header("User-Agent"), "lachan-notify/0.1");
  }
}

TEST(HttpPost, WrongSignatureIsAPermanentFailure) {
  TestServer server([&](const Request& r) {
    return verify_webhook(r.header("X-Lachan-Signature"), kSecret, r.body, unix_now()).ok()
               ? answer(204)
               : answer(401, "bad signature");
  });
  auto r = post(server.url("/"), signed_headers("another secret", kBody), kBody, 5s);
  EXPECT_EQ(r.failure, PostFailure::status);
  EXPECT_EQ(r.status, 401u);
  EXPECT_EQ(classify(r, Channel::webhook), Disposition::failed);
  auto ok = post(server.url("/"), signed_headers(kSecret, kBody), kBody, 5s);
  EXPECT_TRUE(ok.delivered()) << ok.error;
  EXPECT_EQ(ok.status, 204u);
}

TEST(HttpPost, ClosedPortIsARetryableConnectFailure) {
  unsigned short port;
  {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }
  auto r = post("http://127.0.0.1:" + std::to_string(port) + "/hook", {}, kBody, 5s);
  EXPECT_EQ(r.failure, PostFailure::connect) << r.error;
  EXPECT_EQ(r.status, 0u);
  EXPECT_FALSE(r.error.empty());
  EXPECT_EQ(classify(r, Channel::webhook), Disposition::retry);
  EXPECT_EQ(classify(r, Channel::web_push), Disposition::retry);
}

TEST(HttpPost, AServerThatNeverAnswersTimesOut) {
  // Listening but never accepting: the kernel completes the handshake, nobody answers.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  auto r = post("http://127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "/", {}, kBody, 300ms);
  EXPECT_EQ(r.failure, PostFailure::timeout) << r.error;
  EXPECT_GE(r.latency, 250ms);
  EXPECT_LT(r.latency, 5s);
  EXPECT_EQ(classify(r, Channel::webhook), Disposition::retry);
}

TEST(HttpPost, TlsToAPlainServerIsATlsFailure) {
  // A plain-text server: the TLS handshake reads garbage.
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  std::thread plain([&] {
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket s(io);
    a.accept(s, ec);
    if (ec) return;
    boost::asio::write(s, boost::asio::buffer(std::string("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")), ec);
    s.shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
  });
  auto r = post("https://127.0.0.1:" + std::to_string(a.local_endpoint().port()) + "/", {}, kBody, 5s);
  plain.join();
  EXPECT_EQ(r.failure, PostFailure::tls) << r.error;
  EXPECT_EQ(classify(r, Channel::webhook), Disposition::failed);
}

TEST(HttpPost, UnresolvableHostIsADnsFailure) {
  // .invalid never resolves (RFC 6761).
  auto r = post("http://lachan-notify-test.invalid/hook", {}, kBody, 5s);
  EXPECT_EQ(r.failure, PostFailure::dns) << r.error;
  EXPECT_EQ(classify(r, Channel::webhook), Disposition::retry);
}

TEST(HttpPost, InvalidRequestsSendNothing) {
  for (std::string_view url : {"", "ftp://127.0.0.1/x", "127.0.0.1:80/x", "http://user:pw@127.0.0.1/x", "http:///x"}) {
    auto r = post(url, {}, kBody, 1s);
    EXPECT_EQ(r.failure, PostFailure::invalid) << url;
    EXPECT_EQ(classify(r, Channel::webhook), Disposition::failed);
  }
  TestServer server([](const Request&) { return answer(200); });
  auto r = post(server.url("/"), {{"X-Evil", "a\r\nInjected: yes"}}, kBody, 1s);
  EXPECT_EQ(r.failure, PostFailure::invalid);
  EXPECT_TRUE(server.requests().empty());
}

TEST(HttpPost, RedirectsAreNotFollowedAndLongAnswersAreCut) {
  TestServer server([](const Request& r) {
    if (r.target == "/moved") return answer(301, "", "Location: /elsewhere\r\n");
    if (r.target == "/busy") return answer(429, "slow down", "Retry-After: 30\r\n");
    return answer(503, std::string(100'000, 'x'));
  });
  auto moved = post(server.url("/moved"), {}, kBody, 5s);
  EXPECT_EQ(moved.failure, PostFailure::status);
  EXPECT_EQ(moved.status, 301u);
  EXPECT_EQ(classify(moved, Channel::webhook), Disposition::failed);
  auto busy = post(server.url("/busy"), {}, kBody, 5s);
  EXPECT_EQ(busy.status, 429u);
  EXPECT_EQ(busy.retry_after, std::chrono::seconds(30));
  EXPECT_EQ(classify(busy, Channel::web_push), Disposition::retry);
  auto big = post(server.url("/big"), {}, kBody, 5s, 100);
  EXPECT_EQ(big.status, 503u);
  EXPECT_EQ(big.snippet, std::string(100, 'x'));
  EXPECT_EQ(classify(big, Channel::webhook), Disposition::retry);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);  // nothing sent to /elsewhere
}

TEST(HttpPost, ClassifiesStatusesPerChannel) {
  auto with = [](unsigned status) {
    PostResult r;
    r.status = status;
    r.failure = status >= 200 && status < 300 ? PostFailure::none : PostFailure::status;
    return r;
  };
  const struct {
    unsigned status;
    Disposition webhook, push;
  } cases[] = {
      {200, Disposition::delivered, Disposition::delivered}, {201, Disposition::delivered, Disposition::delivered},
      {400, Disposition::failed, Disposition::failed},       {401, Disposition::failed, Disposition::failed},
      {403, Disposition::failed, Disposition::failed},       {404, Disposition::failed, Disposition::gone},
      {408, Disposition::retry, Disposition::retry},         {410, Disposition::failed, Disposition::gone},
      {413, Disposition::failed, Disposition::failed},       {429, Disposition::retry, Disposition::retry},
      {500, Disposition::retry, Disposition::retry},         {502, Disposition::retry, Disposition::retry},
      {503, Disposition::retry, Disposition::retry},         {302, Disposition::failed, Disposition::failed},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(classify(with(c.status), Channel::webhook), c.webhook) << c.status;
    EXPECT_EQ(classify(with(c.status), Channel::web_push), c.push) << c.status;
  }
  EXPECT_STREQ(post_failure_name(PostFailure::tls), "tls");
  EXPECT_STREQ(disposition_name(Disposition::gone), "gone");
}

}  // namespace
}  // namespace lachan::notify
