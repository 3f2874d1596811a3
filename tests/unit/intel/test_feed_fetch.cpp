// Pulling feeds: files, HTTP against a tiny server on 127.0.0.1 (port 0), and the scheduler's
// due / failed / keeps-last-good logic with explicit times.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include <boost/asio.hpp>

#include "intel/feed_fetch.h"

namespace lachan::intel {
namespace {

namespace net = boost::asio;

// Serves exactly `connections` requests, one canned response per request path, then stops.
class TinyServer {
 public:
  TinyServer(std::map<std::string, std::string> responses, int connections)
      : acceptor_(io_, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)), responses_(std::move(responses)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        boost::system::error_code ec;
        net::ip::tcp::socket s(io_);
        acceptor_.accept(s, ec);
        if (ec || stop_) return;
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
          size_t n = s.read_some(net::buffer(buf), ec);
          if (ec) break;
          req.append(buf, n);
        }
        requests_.push_back(req);
        auto sp1 = req.find(' '), sp2 = req.find(' ', sp1 + 1);
        std::string path = sp1 == std::string::npos ? "" : req.substr(sp1 + 1, sp2 - sp1 - 1);
        auto it = responses_.find(path);
        std::string resp = it != responses_.end() ? it->second : "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\n\r\n";
        net::write(s, net::buffer(resp), ec);
        s.shutdown(net::ip::tcp::socket::shutdown_both, ec);
      }
    });
  }
  ~TinyServer() {
    // A client that failed early leaves the server waiting in accept: wake it with one connection.
    stop_ = true;
    boost::system::error_code ec;
    net::io_context io;
    net::ip::tcp::socket wake(io);
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url(std::string_view path) const { return "http://127.0.0.1:" + std::to_string(port_) + std::string(path); }
  const std::vector<std::string>& requests() const { return requests_; }  // read after the client is done

 private:
  net::io_context io_;
  net::ip::tcp::acceptor acceptor_;
  std::map<std::string, std::string> responses_;
  std::vector<std::string> requests_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string ok(std::string_view body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + std::string(body);
}

FeedDefinition http_def(std::string url) {
  FeedDefinition d;
  d.name = "t";
  d.url = std::move(url);
  d.type = ValueType::ip;
  return d;
}

FetchOptions quick() {
  FetchOptions o;
  o.timeout = std::chrono::seconds(10);
  return o;
}

TEST(FeedFetch, HttpBodyRedirectsAndErrors) {
  TinyServer srv({{"/feed.txt", ok("198.51.100.1\n198.51.100.2\n")},
                  {"/old", "HTTP/1.1 301 Moved\r\nLocation: /feed.txt\r\nContent-Length: 0\r\n\r\n"},
                  {"/missing", "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"},
                  {"/big", ok(std::string(5000, 'x'))},
                  {"/loop", "HTTP/1.1 302 Found\r\nLocation: /loop\r\nContent-Length: 0\r\n\r\n"}},
                 1 + 2 + 1 + 1 + 4);
  auto body = fetch_feed_body(http_def(srv.url("/feed.txt")), quick());
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, "198.51.100.1\n198.51.100.2\n");
  auto parsed = parse_feed(http_def(srv.url("/feed.txt")), *body, 1);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->indicators.size(), 2u);

  auto moved = fetch_feed_body(http_def(srv.url("/old")), quick());
  ASSERT_TRUE(moved.ok()) << moved.error().message;
  EXPECT_EQ(*moved, *body);

  auto missing = fetch_feed_body(http_def(srv.url("/missing")), quick());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, Errc::io);
  EXPECT_NE(missing.error().message.find("404"), std::string::npos) << missing.error().message;

  auto o = quick();
  o.max_bytes = 1000;
  auto big = fetch_feed_body(http_def(srv.url("/big")), o);
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::limit);

  auto loop = fetch_feed_body(http_def(srv.url("/loop")), quick());
  ASSERT_FALSE(loop.ok());
  EXPECT_EQ(loop.error().code, Errc::io);
  EXPECT_NE(loop.error().message.find("redirects"), std::string::npos) << loop.error().message;

  ASSERT_GE(srv.requests().size(), 1u);
  EXPECT_NE(srv.requests()[0].find("User-Agent: lachan-feeds/"), std::string::npos);
}

TEST(FeedFetch, UnreachableAndFiles) {
  // A port that was just free: nothing listens.
  unsigned short port;
  {
    net::io_context io;
    net::ip::tcp::acceptor a(io, net::ip::tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    port = a.local_endpoint().port();
  }
  auto down = fetch_feed_body(http_def("http://127.0.0.1:" + std::to_string(port) + "/x"), quick());
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, Errc::io);

  auto path = std::filesystem::temp_directory_path() / ("lachan-feed-" + std::to_string(::getpid()) + ".txt");
  std::ofstream(path) << "198.51.100.1\n";
  FeedDefinition d;
  d.name = "f";
  d.file = path.string();
  auto body = fetch_feed_body(d, quick());
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, "198.51.100.1\n");
  d.max_bytes = 4;
  auto big = fetch_feed_body(d, quick());
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, Errc::limit);
  std::filesystem::remove(path);
  d.max_bytes = 100;
  auto gone = fetch_feed_body(d, quick());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, Errc::io);
}

TEST(FeedFetch, Sha256) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(FeedScheduler, DueFailedAndKeepsLastGood) {
  FeedDefinition hourly = http_def("https://e.org/a"), daily = http_def("https://e.org/b"), off = http_def("https://e.org/c");
  hourly.name = "hourly";
  daily.name = "daily";
  daily.schedule_ms = 86'400'000;
  off.name = "off";
  off.enabled = false;
  FeedScheduler s({hourly, daily, off});
  const int64_t t0 = 1'000'000'000'000;
  EXPECT_EQ(s.due(t0), (std::vector<std::string>{"hourly", "daily"}));  // never pulled; disabled never due

  s.record_success("hourly", t0, "h1", 10);
  s.record_success("daily", t0, "d1", 5);
  EXPECT_TRUE(s.due(t0 + 3'599'999).empty());
  EXPECT_EQ(s.due(t0 + 3'600'000), std::vector<std::string>{"hourly"});
  EXPECT_TRUE(s.unchanged("hourly", "h1"));
  EXPECT_FALSE(s.unchanged("hourly", "h2"));
  EXPECT_FALSE(s.unchanged("never", "h1"));

  // A failure keeps the last good count and hash, and retries after 15 minutes for the daily feed.
  s.record_failure("daily", t0 + 3'600'000, "feed daily: https://e.org/b answered HTTP 503");
  const FeedState* d = s.state("daily");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->indicator_count, 5u);
  EXPECT_EQ(d->content_sha256, "d1");
  EXPECT_EQ(d->last_success_ms, t0);
  EXPECT_EQ(d->last_attempt_ms, t0 + 3'600'000);
  EXPECT_NE(d->last_error.find("503"), std::string::npos);
  EXPECT_TRUE(s.unchanged("daily", "d1"));
  EXPECT_EQ(s.due(t0 + 3'600'000 + FeedScheduler::kRetryAfterMs - 1), std::vector<std::string>{"hourly"});
  EXPECT_EQ(s.due(t0 + 3'600'000 + FeedScheduler::kRetryAfterMs), (std::vector<std::string>{"hourly", "daily"}));

  // A failed hourly feed is retried after 15 minutes too (min(schedule, retry delay)).
  s.record_failure("hourly", t0 + 3'600'000, "timeout");
  EXPECT_EQ(s.due(t0 + 3'600'000 + FeedScheduler::kRetryAfterMs), (std::vector<std::string>{"hourly", "daily"}));

  s.record_unchanged("daily", t0 + 7'200'000);
  EXPECT_TRUE(s.state("daily")->last_error.empty());
  EXPECT_EQ(s.state("daily")->indicator_count, 5u);
  EXPECT_EQ(s.state("daily")->last_success_ms, t0 + 7'200'000);
  s.record_success("daily", t0 + 7'300'000, "d2", 0);  // an empty feed is a success
  EXPECT_EQ(s.state("daily")->indicator_count, 0u);
  EXPECT_FALSE(s.unchanged("daily", "d1"));
  EXPECT_EQ(s.due(t0 + 7'300'000 + 86'400'000 - 1), std::vector<std::string>{"hourly"});
}

}  // namespace
}  // namespace lachan::intel
