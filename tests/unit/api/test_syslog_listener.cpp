// Syslog over real loopback sockets: TCP framing through the listener, UDP datagrams, the
// callback's backpressure (TCP) and drop counting (UDP).
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "api/syslog_listener.h"
#include "api_test_util.h"

using namespace lachan::api;
using namespace lachan::api::testing;

namespace {

// Collects what the listener delivers; waits (bounded) for an expected count.
struct Sink {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> texts;
  std::vector<std::string> ips;
  std::vector<int64_t> times;
  size_t batches = 0;
  int refuse_next = 0;  // refuse this many calls first
  bool refuse_all = false;
  int throw_next = 0;

  bool operator()(std::span<const SyslogMessage> batch) {
    std::lock_guard lk(mu);
    ++batches;
    if (throw_next > 0) {
      --throw_next;
      cv.notify_all();
      throw std::runtime_error("callback failed");
    }
    if (refuse_all) {
      cv.notify_all();
      return false;
    }
    if (refuse_next > 0) {
      --refuse_next;
      return false;
    }
    for (const auto& m : batch) {
      texts.emplace_back(m.text);
      ips.emplace_back(m.sender_ip);
      times.push_back(m.received_at_ms);
    }
    cv.notify_all();
    return true;
  }
  // True when `n` messages arrived within 10 s (a bound for failure, not a timing assertion).
  bool wait_for(size_t n) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, std::chrono::seconds(10), [&] { return texts.size() >= n; });
  }
  bool wait_batches(size_t n) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, std::chrono::seconds(10), [&] { return batches >= n; });
  }
};

std::unique_ptr<SyslogListener> start(Sink& sink, SyslogListenerConfig cfg = {}) {
  cfg.clock = [] { return int64_t{1700000000123}; };
  auto l = SyslogListener::start(std::move(cfg), [&sink](std::span<const SyslogMessage> b) { return sink(b); });
  if (!l) ADD_FAILURE() << l.error().message;
  return l ? std::move(*l) : nullptr;
}

RawSocket udp_socket() {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  return RawSocket(fd);
}

bool send_udp(RawSocket& s, uint16_t port, std::string_view msg) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::sendto(s.fd(), msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&a), sizeof a) ==
         static_cast<ssize_t>(msg.size());
}

}  // namespace

TEST(SyslogTcp, OctetCountingAndLineFramingOverOneConnection) {
  Sink sink;
  auto l = start(sink);
  ASSERT_TRUE(l);
  ASSERT_NE(l->tcp_port(), 0);
  auto s = RawSocket::connect_tcp(l->tcp_port());
  ASSERT_TRUE(s.ok());
  // Several messages in one write, both framings.
  ASSERT_TRUE(s.send_all("13 <13>Oct 1 one<13>Oct 1 two\r\n<13>Oct 1 three\n"));
  ASSERT_TRUE(sink.wait_for(3));
  std::lock_guard lk(sink.mu);
  EXPECT_EQ(sink.texts, (std::vector<std::string>{"<13>Oct 1 one", "<13>Oct 1 two", "<13>Oct 1 three"}));
  EXPECT_EQ(sink.ips[0], "127.0.0.1");
  EXPECT_EQ(sink.times[0], 1700000000123);
}

TEST(SyslogTcp, MessageSplitAcrossWrites) {
  Sink sink;
  auto l = start(sink);
  ASSERT_TRUE(l);
  auto s = RawSocket::connect_tcp(l->tcp_port());
  ASSERT_TRUE(s.send_all("<13>first ha"));
  ASSERT_TRUE(s.send_all("lf\n19"));
  ASSERT_TRUE(s.send_all(" <13>counted, split"));
  ASSERT_TRUE(s.send_all("!"));
  ASSERT_TRUE(sink.wait_for(2));
  std::lock_guard lk(sink.mu);
  EXPECT_EQ(sink.texts, (std::vector<std::string>{"<13>first half", "<13>counted, split!"}));
}

TEST(SyslogTcp, OversizeMessageIsTruncatedAndCounted) {
  Sink sink;
  SyslogListenerConfig cfg;
  cfg.max_message_bytes = 16;
  auto l = start(sink, cfg);
  ASSERT_TRUE(l);
  auto s = RawSocket::connect_tcp(l->tcp_port());
  ASSERT_TRUE(s.send_all("<13>" + std::string(100, 'x') + "\n<13>after\n"));
  ASSERT_TRUE(sink.wait_for(2));
  {
    std::lock_guard lk(sink.mu);
    EXPECT_EQ(sink.texts, (std::vector<std::string>{"<13>" + std::string(12, 'x'), "<13>after"}));
  }
  EXPECT_EQ(l->counters().truncated, 1u);
  EXPECT_EQ(l->counters().received, 2u);
}

TEST(SyslogTcp, MalformedOctetCountClosesTheConnection) {
  Sink sink;
  auto l = start(sink);
  ASSERT_TRUE(l);
  auto s = RawSocket::connect_tcp(l->tcp_port());
  ASSERT_TRUE(s.send_all("<13>ok\n12x <13>bad\n"));
  EXPECT_EQ(s.read_to_end(), "");  // closed by the listener, not by the 10 s timeout
  ASSERT_TRUE(sink.wait_for(1));
  EXPECT_EQ(l->counters().malformed, 1u);
  std::lock_guard lk(sink.mu);
  EXPECT_EQ(sink.texts, (std::vector<std::string>{"<13>ok"}));
}

TEST(SyslogTcp, RefusedBatchIsRetriedWithoutLossOrReordering) {
  Sink sink;
  sink.refuse_next = 3;
  SyslogListenerConfig cfg;
  cfg.retry_interval = std::chrono::milliseconds(1);
  cfg.max_batch = 4;
  auto l = start(sink, cfg);
  ASSERT_TRUE(l);
  auto s = RawSocket::connect_tcp(l->tcp_port());
  std::string all;
  std::vector<std::string> expected;
  for (int i = 0; i < 50; ++i) {
    expected.push_back("<13>msg " + std::to_string(i));
    all += expected.back() + "\n";
  }
  ASSERT_TRUE(s.send_all(all));
  ASSERT_TRUE(sink.wait_for(50));
  std::lock_guard lk(sink.mu);
  EXPECT_EQ(sink.texts, expected);
  EXPECT_EQ(l->counters().dropped, 0u);
  EXPECT_EQ(l->counters().received, 50u);
}

TEST(SyslogTcp, ConnectionsAreCountedAndStopEndsThem) {
  Sink sink;
  auto l = start(sink);
  ASSERT_TRUE(l);
  auto a = RawSocket::connect_tcp(l->tcp_port());
  auto b = RawSocket::connect_tcp(l->tcp_port());
  ASSERT_TRUE(a.send_all("<13>a\n"));
  ASSERT_TRUE(b.send_all("<13>b\n"));
  ASSERT_TRUE(sink.wait_for(2));  // both connections are accepted by now
  EXPECT_EQ(l->counters().connections, 2u);
  EXPECT_EQ(l->counters().connections_total, 2u);
  l->stop();
  EXPECT_EQ(l->counters().connections, 0u);
  EXPECT_EQ(a.read_to_end(), "");
}

TEST(SyslogUdp, DatagramsArrive) {
  Sink sink;
  auto l = start(sink);
  ASSERT_TRUE(l);
  ASSERT_NE(l->udp_port(), 0);
  auto u = udp_socket();
  ASSERT_TRUE(send_udp(u, l->udp_port(), "<13>udp one\n"));
  ASSERT_TRUE(send_udp(u, l->udp_port(), "<13>udp two\nstill two"));  // one datagram = one message
  ASSERT_TRUE(sink.wait_for(2));
  std::lock_guard lk(sink.mu);
  EXPECT_EQ(sink.texts, (std::vector<std::string>{"<13>udp one", "<13>udp two\nstill two"}));
  EXPECT_EQ(sink.ips[1], "127.0.0.1");
}

TEST(SyslogUdp, RefusedBatchesAreCountedAsDropped) {
  Sink sink;
  sink.refuse_all = true;
  auto l = start(sink);
  ASSERT_TRUE(l);
  auto u = udp_socket();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(send_udp(u, l->udp_port(), "<13>dropped " + std::to_string(i)));
  // Loopback UDP is not lost in practice; wait until every message has been offered.
  std::unique_lock lk(sink.mu);
  ASSERT_TRUE(sink.cv.wait_for(lk, std::chrono::seconds(10), [&] { return l->counters().dropped >= 5; }));
  EXPECT_EQ(l->counters().dropped, 5u);
  EXPECT_EQ(l->counters().received, 5u);
  EXPECT_TRUE(sink.texts.empty());
}

TEST(SyslogUdp, OversizeDatagramIsTruncated) {
  Sink sink;
  SyslogListenerConfig cfg;
  cfg.max_message_bytes = 10;
  cfg.tcp = false;
  auto l = start(sink, cfg);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->tcp_port(), 0);
  auto u = udp_socket();
  ASSERT_TRUE(send_udp(u, l->udp_port(), "<13>0123456789"));
  ASSERT_TRUE(sink.wait_for(1));
  std::lock_guard lk(sink.mu);
  EXPECT_EQ(sink.texts[0], "<13>012345");
  EXPECT_EQ(l->counters().truncated, 1u);
}

TEST(SyslogListener, StartErrors) {
  Sink sink;
  SyslogListenerConfig none;
  none.udp = none.tcp = false;
  auto a = SyslogListener::start(none, [](std::span<const SyslogMessage>) { return true; });
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, lachan::Errc::invalid_config);
  SyslogListenerConfig bad;
  bad.address = "999.1.1.1";
  auto b = SyslogListener::start(bad, [](std::span<const SyslogMessage>) { return true; });
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, lachan::Errc::invalid_config);
}

TEST(SyslogUdp, ThrowingCallbackLosesItsBatchAndTheListenerGoesOn) {
  Sink sink;
  sink.throw_next = 1;
  SyslogListenerConfig cfg;
  cfg.tcp = false;
  auto l = start(sink, cfg);
  ASSERT_TRUE(l);
  auto u = udp_socket();
  ASSERT_TRUE(send_udp(u, l->udp_port(), "<13>lost"));
  ASSERT_TRUE(sink.wait_batches(1));
  ASSERT_TRUE(send_udp(u, l->udp_port(), "<13>kept"));
  ASSERT_TRUE(sink.wait_for(1));
  EXPECT_EQ(l->counters().callback_errors, 1u);
  EXPECT_EQ(l->counters().dropped, 1u);
  std::lock_guard lk(sink.mu);
  EXPECT_EQ(sink.texts, (std::vector<std::string>{"<13>kept"}));
}
