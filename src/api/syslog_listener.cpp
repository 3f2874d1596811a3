#include "api/syslog_listener.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "api/syslog_framer.h"

namespace lachan::api {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using udp = asio::ip::udp;
using error_code = boost::system::error_code;

namespace {

constexpr size_t kReadBuffer = 64 * 1024;
constexpr auto kStopWait = std::chrono::seconds(5);

int64_t system_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class TcpSession;

enum class Offer { accepted, refused, failed };

}  // namespace

struct SyslogListener::Impl {
  SyslogListenerConfig config;
  SyslogBatchHandler handler;

  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> received{0}, dropped{0}, malformed{0}, truncated{0}, total{0}, rejected{0}, callback_errors{0};

  std::mutex mu;  // guards sessions, open
  std::condition_variable cv;
  std::unordered_map<TcpSession*, std::weak_ptr<TcpSession>> sessions;
  size_t open = 0;
  bool udp_busy = false;  // guarded by mu: the UDP loop has an operation or callback pending

  asio::io_context ioc;  // after what sessions use; see HttpServer::Impl
  std::optional<udp::socket> udp_sock;
  std::optional<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  uint16_t udp_port = 0, tcp_port = 0;
  bool stopped = false;

  // UDP state, used only on udp_sock's strand.
  std::vector<char> udp_buf = std::vector<char>(kReadBuffer);
  udp::endpoint udp_from;
  FramedMessages udp_msgs;
  std::vector<std::string> udp_ips;
  std::vector<int64_t> udp_times;
  std::vector<SyslogMessage> udp_views;

  explicit Impl(SyslogListenerConfig c, SyslogBatchHandler h)
      : config(std::move(c)), handler(std::move(h)), ioc(static_cast<int>(std::max(1u, config.threads))) {
    if (!config.clock) config.clock = system_ms;
  }

  void udp_receive();
  void udp_take(size_t n, const udp::endpoint& from, int64_t now);
  void udp_set_busy(bool busy) {
    std::lock_guard lk(mu);
    udp_busy = busy;
    cv.notify_all();
  }
  // Calls the callback; an exception from it counts as a failure, never escapes to the io loop.
  Offer offer(const std::vector<SyslogMessage>& batch) {
    try {
      return handler(std::span<const SyslogMessage>(batch)) ? Offer::accepted : Offer::refused;
    } catch (...) {
      ++callback_errors;
      return Offer::failed;
    }
  }
  void do_accept();
  void session_ended(TcpSession* s);
};

namespace {

class TcpSession : public std::enable_shared_from_this<TcpSession> {
 public:
  TcpSession(SyslogListener::Impl& l, tcp::socket sock, std::string ip)
      : l_(l),
        sock_(std::move(sock)),
        retry_(sock_.get_executor()),
        ip_(std::move(ip)),
        framer_(l.config.max_message_bytes),
        buf_(kReadBuffer) {}
  ~TcpSession() { l_.session_ended(this); }

  void start() {
    {
      std::lock_guard lk(l_.mu);
      l_.sessions.emplace(this, weak_from_this());
    }
    asio::dispatch(sock_.get_executor(), [self = shared_from_this()] { self->do_read(); });
  }

  // From stop(): ends the session; a batch waiting to be accepted is dropped.
  void shutdown() {
    asio::dispatch(sock_.get_executor(), [self = shared_from_this()] {
      error_code ec;
      self->sock_.close(ec);
      self->retry_.cancel();
    });
  }

 private:
  void do_read() {
    if (l_.stopping) return drop_pending();
    sock_.async_read_some(asio::buffer(buf_),
                          [self = shared_from_this()](error_code ec, size_t n) { self->on_read(ec, n); });
  }

  void on_read(error_code ec, size_t n) {
    if (ec) {
      if (ec == asio::error::eof) {
        framer_.finish(out_);
        account();
        closing_ = true;
        return deliver();
      }
      return;  // reset or closed: the session ends
    }
    now_ = l_.config.clock();
    bool ok = framer_.feed(std::string_view(buf_.data(), n), out_);
    // Collect whatever else is readable now, up to one batch, before calling back.
    while (ok && out_.size() < l_.config.max_batch) {
      error_code aec;
      size_t avail = sock_.available(aec);
      if (aec || avail == 0) break;
      size_t m = sock_.read_some(asio::buffer(buf_), aec);
      if (aec) break;
      ok = framer_.feed(std::string_view(buf_.data(), m), out_);
    }
    account();
    if (!ok) closing_ = true;
    deliver();
  }

  void account() {
    l_.received += out_.size() - counted_;
    counted_ = out_.size();
    l_.truncated += framer_.truncated() - seen_truncated_;
    seen_truncated_ = framer_.truncated();
    l_.malformed += framer_.malformed() - seen_malformed_;
    seen_malformed_ = framer_.malformed();
  }

  void deliver() {
    while (next_ < out_.size()) {
      const size_t k = std::min(l_.config.max_batch, out_.size() - next_);
      views_.clear();
      for (size_t i = next_; i < next_ + k; ++i) views_.push_back(SyslogMessage{out_[i], ip_, now_});
      const Offer offer = l_.offer(views_);
      if (offer == Offer::failed) {
        l_.dropped += k;  // a throwing callback must not stall the connection forever
      } else if (offer == Offer::refused) {
        if (l_.stopping) return drop_pending();
        retry_.expires_after(l_.config.retry_interval);
        retry_.async_wait([self = shared_from_this()](error_code ec) {
          if (ec || self->l_.stopping) return self->drop_pending();
          self->deliver();
        });
        return;
      }
      next_ += k;
    }
    out_.clear();
    next_ = counted_ = 0;
    if (closing_) {
      error_code ec;
      sock_.close(ec);
      return;
    }
    do_read();
  }

  void drop_pending() {
    l_.dropped += out_.size() - next_;
    out_.clear();
    next_ = counted_ = 0;
    error_code ec;
    sock_.close(ec);
  }

  SyslogListener::Impl& l_;
  tcp::socket sock_;
  asio::steady_timer retry_;
  std::string ip_;
  SyslogFramer framer_;
  FramedMessages out_;
  std::vector<char> buf_;
  std::vector<SyslogMessage> views_;
  size_t next_ = 0;     // first message of out_ not yet accepted
  size_t counted_ = 0;  // messages of out_ already counted as received
  uint64_t seen_truncated_ = 0, seen_malformed_ = 0;
  int64_t now_ = 0;
  bool closing_ = false;
};

}  // namespace

void SyslogListener::Impl::session_ended(TcpSession* s) {
  std::lock_guard lk(mu);
  sessions.erase(s);
  --open;
  cv.notify_all();
}

void SyslogListener::Impl::do_accept() {
  acceptor->async_accept(asio::make_strand(ioc), [this](error_code ec, tcp::socket sock) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping) return;
      // Transient (e.g. out of descriptors): try again; the next accept waits for a peer.
      return do_accept();
    }
    if (stopping) return;
    {
      std::lock_guard lk(mu);
      if (open >= config.max_connections) {
        ++rejected;
        error_code cec;
        sock.close(cec);
        return do_accept();
      }
      ++open;
    }
    ++total;
    error_code eec;
    auto ep = sock.remote_endpoint(eec);
    std::make_shared<TcpSession>(*this, std::move(sock), eec ? std::string() : ep.address().to_string())->start();
    do_accept();
  });
}

void SyslogListener::Impl::udp_take(size_t n, const udp::endpoint& from, int64_t now) {
  if (n > config.max_message_bytes) {
    n = config.max_message_bytes;
    ++truncated;
  }
  const size_t before = udp_msgs.size();
  udp_msgs.add(std::string_view(udp_buf.data(), n));
  if (udp_msgs.size() == before) return;  // empty datagram
  ++received;
  udp_ips.push_back(from.address().to_string());
  udp_times.push_back(now);
}

void SyslogListener::Impl::udp_receive() {
  if (stopping) return udp_set_busy(false);
  udp_sock->async_receive_from(asio::buffer(udp_buf), udp_from, [this](error_code ec, size_t n) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping) return udp_set_busy(false);
      return udp_receive();  // e.g. ICMP-induced errors: keep listening
    }
    const int64_t now = config.clock();
    udp_take(n, udp_from, now);
    while (udp_msgs.size() < config.max_batch) {
      error_code rec;
      udp::endpoint from;
      size_t m = udp_sock->receive_from(asio::buffer(udp_buf), from, 0, rec);
      if (rec) break;  // would_block: nothing more to read now
      udp_take(m, from, now);
    }
    if (!udp_msgs.empty()) {
      udp_views.clear();
      for (size_t i = 0; i < udp_msgs.size(); ++i)
        udp_views.push_back(SyslogMessage{udp_msgs[i], udp_ips[i], udp_times[i]});
      if (offer(udp_views) != Offer::accepted) dropped += udp_msgs.size();
      udp_msgs.clear();
      udp_ips.clear();
      udp_times.clear();
    }
    udp_receive();
  });
}

SyslogListener::SyslogListener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SyslogListener::~SyslogListener() {
  stop();
}

Result<std::unique_ptr<SyslogListener>> SyslogListener::start(SyslogListenerConfig config, SyslogBatchHandler handler) {
  if (!config.udp && !config.tcp)
    return make_error(Errc::invalid_config, "syslog listener: neither UDP nor TCP enabled");
  if (config.threads == 0 || config.max_batch == 0 || config.max_message_bytes == 0)
    return make_error(Errc::invalid_config,
                      "syslog listener: threads, max_batch and max_message_bytes must be positive");
  if (!handler) return make_error(Errc::invalid_config, "syslog listener: no callback");
  error_code ec;
  auto addr = asio::ip::make_address(config.address, ec);
  if (ec)
    return make_error(Errc::invalid_config, "bad syslog listen address '" + config.address + "': " + ec.message());

  auto impl = std::make_unique<Impl>(std::move(config), std::move(handler));
  Impl* p = impl.get();
  const auto& c = p->config;
  if (c.udp) {
    udp::endpoint ep(addr, c.udp_port);
    auto& s = p->udp_sock.emplace(asio::make_strand(p->ioc));
    if (s.open(ep.protocol(), ec); ec) return make_error(Errc::io, "cannot open UDP socket: " + ec.message());
    if (c.udp_receive_buffer_bytes > 0) {
      error_code ignore;  // the kernel may cap it; not fatal
      s.set_option(asio::socket_base::receive_buffer_size(c.udp_receive_buffer_bytes), ignore);
    }
    if (s.bind(ep, ec); ec)
      return make_error(Errc::io,
                        "cannot bind UDP " + c.address + ":" + std::to_string(c.udp_port) + ": " + ec.message());
    if (s.non_blocking(true, ec); ec)
      return make_error(Errc::io, "cannot make the UDP socket non-blocking: " + ec.message());
    p->udp_port = s.local_endpoint(ec).port();
  }
  if (c.tcp) {
    tcp::endpoint ep(addr, c.tcp_port);
    auto& a = p->acceptor.emplace(asio::make_strand(p->ioc));
    const std::string where = c.address + ":" + std::to_string(c.tcp_port);
    if (a.open(ep.protocol(), ec); ec) return make_error(Errc::io, "cannot open TCP socket: " + ec.message());
    if (a.set_option(asio::socket_base::reuse_address(true), ec); ec)
      return make_error(Errc::io, "cannot set SO_REUSEADDR: " + ec.message());
    if (a.bind(ep, ec); ec) return make_error(Errc::io, "cannot bind TCP " + where + ": " + ec.message());
    if (a.listen(asio::socket_base::max_listen_connections, ec); ec)
      return make_error(Errc::io, "cannot listen on TCP " + where + ": " + ec.message());
    p->tcp_port = a.local_endpoint(ec).port();
  }
  if (p->udp_sock) {
    p->udp_busy = true;
    asio::dispatch(p->udp_sock->get_executor(), [p] { p->udp_receive(); });
  }
  if (p->acceptor) asio::dispatch(p->acceptor->get_executor(), [p] { p->do_accept(); });
  for (unsigned i = 0; i < p->config.threads; ++i) p->threads.emplace_back([p] { p->ioc.run(); });
  return std::unique_ptr<SyslogListener>(new SyslogListener(std::move(impl)));
}

uint16_t SyslogListener::udp_port() const noexcept {
  return impl_->udp_port;
}
uint16_t SyslogListener::tcp_port() const noexcept {
  return impl_->tcp_port;
}

SyslogCounters SyslogListener::counters() const noexcept {
  const auto& s = *impl_;
  SyslogCounters c;
  c.received = s.received;
  c.dropped = s.dropped;
  c.malformed = s.malformed;
  c.truncated = s.truncated;
  c.connections_total = s.total;
  c.connections_rejected = s.rejected;
  c.callback_errors = s.callback_errors;
  std::lock_guard lk(impl_->mu);
  c.connections = s.open;
  return c;
}

void SyslogListener::stop() {
  auto& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  s.stopping = true;
  if (s.acceptor) {
    asio::dispatch(s.acceptor->get_executor(), [p = &s] {
      error_code ec;
      p->acceptor->close(ec);
    });
  }
  if (s.udp_sock) {
    asio::dispatch(s.udp_sock->get_executor(), [p = &s] {
      error_code ec;
      p->udp_sock->cancel(ec);
    });
  }
  // Shut every session down, and again while waiting, so that a session registered while
  // stop() collected them is not missed.
  const auto deadline = std::chrono::steady_clock::now() + kStopWait;
  while (true) {
    std::vector<std::shared_ptr<TcpSession>> live;
    {
      std::lock_guard lk(s.mu);
      for (auto& [ptr, w] : s.sessions)
        if (auto sp = w.lock()) live.push_back(std::move(sp));
    }
    for (auto& sp : live) sp->shutdown();
    live.clear();
    std::unique_lock lk(s.mu);
    const auto until = std::min(deadline, std::chrono::steady_clock::now() + std::chrono::milliseconds(100));
    if (s.cv.wait_until(lk, until, [&] { return s.open == 0 && !s.udp_busy; })) break;
    if (std::chrono::steady_clock::now() >= deadline) break;
  }
  s.ioc.stop();
  for (auto& t : s.threads)
    if (t.joinable()) t.join();
}

}  // namespace lachan::api
