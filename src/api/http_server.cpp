#include "api/http_server.h"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "api/body_decode.h"
#include "core/strings.h"

namespace lachan::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

constexpr auto kLingerTimeout = std::chrono::seconds(2);
constexpr size_t kLingerMaxBytes = 1u << 20;

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Posted by stop(): closes the connection when it waits for a new request.
  virtual void stop_if_idle() = 0;
};

bool valid_header_text(std::string_view s) {
  for (char c : s)
    if (c == '\r' || c == '\n' || c == '\0') return false;
  return true;
}

}  // namespace

struct HttpServer::Impl {
  HttpServerConfig config;
  Router router;
  std::optional<ssl::context> ssl_ctx;

  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> requests{0}, handler_errors{0}, accepted{0}, rejected{0};

  std::mutex mu;  // guards sessions, open
  std::condition_variable cv;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;
  size_t open = 0;
  size_t streams = 0;  // streamed responses whose functions still run (their own threads)

  // Declared after everything sessions use: destroying the io_context destroys abandoned
  // sessions, whose destructors unregister here.
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry;
  std::vector<std::thread> threads;
  uint16_t bound_port = 0;
  bool stopped = false;

  Impl(HttpServerConfig c, Router r)
      : config(std::move(c)),
        router(std::move(r)),
        ioc(static_cast<int>(std::max(1u, config.threads))),
        acceptor(asio::make_strand(ioc)),
        accept_retry(acceptor.get_executor()) {}

  void log(std::string_view msg) {
    if (config.log) {
      config.log(msg);
    } else {
      std::fprintf(stderr, "lachan api: %.*s\n", static_cast<int>(msg.size()), msg.data());
    }
  }

  void add_session(SessionBase* p, std::weak_ptr<SessionBase> w) {
    std::lock_guard lk(mu);
    sessions.emplace(p, std::move(w));
  }
  void remove_session(SessionBase* p) {
    std::lock_guard lk(mu);
    sessions.erase(p);
    --open;
    cv.notify_all();
  }

  void do_accept();
  Response handle(Request& req);
  void end_stream() {
    std::lock_guard lk(mu);
    --streams;
    cv.notify_all();
  }
};

namespace {

template <bool Tls>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Tls>> {
 public:
  using Stream = std::conditional_t<Tls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;

  Session(HttpServer::Impl& srv, tcp::socket&& sock, std::string remote_ip, uint16_t remote_port) requires(!Tls)
      : srv_(srv), stream_(std::move(sock)), remote_ip_(std::move(remote_ip)), remote_port_(remote_port) {}
  Session(HttpServer::Impl& srv, tcp::socket&& sock, std::string remote_ip, uint16_t remote_port) requires(Tls)
      : srv_(srv),
        stream_(std::move(sock), *srv.ssl_ctx),
        remote_ip_(std::move(remote_ip)),
        remote_port_(remote_port) {}

  ~Session() override { srv_.remove_session(this); }

  void start() {
    srv_.add_session(this, this->weak_from_this());
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  void stop_if_idle() override {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) {
        beast::error_code ec;
        beast::get_lowest_layer(self->stream_).socket().close(ec);
      }
    });
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void begin() {
    if constexpr (Tls) {
      lowest().expires_after(srv_.config.request_timeout);
      stream_.async_handshake(ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return;  // not TLS, or a failed handshake: nothing to answer
        self->do_read();
      });
    } else {
      do_read();
    }
  }

  void do_read() {
    if (srv_.stopping) return close_now();
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(std::min<size_t>(srv_.config.max_header_bytes, UINT32_MAX)));
    // The body's limit is set once the headers are read (it may depend on the target); until then
    // the parser must not refuse a Content-Length by itself.
    parser_->body_limit(boost::none);
    body_limit_ = srv_.config.max_body_bytes;
    idle_ = buffer_.size() == 0;
    lowest().expires_after(idle_ ? srv_.config.idle_timeout : srv_.config.request_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_header(ec); });
  }

  // Errors that mean the peer went away or timed out: nothing to answer.
  static bool quiet(const beast::error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::operation_aborted || ec == beast::error::timeout ||
           ec == asio::error::connection_reset || ec == asio::error::eof || ec == http::error::partial_message ||
           ec == ssl::error::stream_truncated || ec.category() == asio::error::get_ssl_category();
  }

  void on_header(beast::error_code ec) {
    idle_ = false;
    if (ec) return on_read_error(ec);
    lowest().expires_after(srv_.config.request_timeout);
    body_limit_ = srv_.config.max_body_bytes;
    if (srv_.config.body_limit_for) {
      const auto& m = parser_->get();
      if (size_t l = srv_.config.body_limit_for(m.method_string(), m.target()); l > 0) body_limit_ = l;
    }
    parser_->body_limit(body_limit_);
    auto cl = parser_->content_length();
    if (cl && *cl > body_limit_) return reply_body_too_large();
    const auto& msg = parser_->get();
    auto expect = msg[http::field::expect];
    if (!expect.empty() && iequals(expect, "100-continue") && !parser_->is_done()) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, msg.version());
      http::async_write(stream_, *cont, [self = this->shared_from_this(), cont](beast::error_code wec, size_t) {
        if (wec) return self->close_now();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    if (parser_->is_done()) return on_body({});
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_body(ec); });
  }

  void on_read_error(const beast::error_code& ec) {
    if (ec == http::error::header_limit) {
      return reply_error(
          431, "header_too_large",
          "request headers exceed the limit of " + std::to_string(srv_.config.max_header_bytes) + " bytes");
    }
    if (ec == http::error::body_limit) return reply_body_too_large();
    if (quiet(ec)) return close_now();
    reply_error(400, "bad_request", "malformed HTTP request: " + ec.message());
  }

  void reply_body_too_large() {
    reply_error(413, "payload_too_large", "request body exceeds the limit of " + std::to_string(body_limit_) + " bytes");
  }

  // Protocol-level error: answer and close, since the rest of the stream cannot be trusted.
  void reply_error(int status, std::string_view code, const std::string& message) {
    ++srv_.requests;
    Response r = error_response(status, code, message);
    send(std::move(r), 11, false);
  }

  void on_body(beast::error_code ec) {
    if (ec) return on_read_error(ec);
    auto& msg = parser_->get();
    Request req;
    req.method_string = std::string(msg.method_string());
    req.method = parse_method(req.method_string);
    req.target = std::string(msg.target());
    req.remote_ip = remote_ip_;
    req.remote_port = remote_port_;
    const unsigned version = msg.version();
    const bool keep_alive = msg.keep_alive();
    for (const auto& f : msg) req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    req.body = std::move(msg.body());
    parser_.reset();
    head_request_ = req.method == Method::head;
    ++srv_.requests;
    send(srv_.handle(req), version, keep_alive);
  }

  void send(Response r, unsigned version, bool keep_alive) {
    if (r.status < 100 || r.status > 999) {
      srv_.log("handler returned invalid HTTP status " + std::to_string(r.status));
      r = error_response(500, "internal", "internal server error");
    }
    for (const auto& [k, v] : r.headers) {
      if (k.empty() || !valid_header_text(k) || !valid_header_text(v)) {
        srv_.log("handler returned a header with CR, LF or NUL: " + k);
        r = error_response(500, "internal", "internal server error");
        break;
      }
    }
    if (r.stream) return send_stream(std::move(r), version);
    if (srv_.stopping) keep_alive = false;
    res_.emplace(static_cast<http::status>(r.status), version);
    auto& res = *res_;
    res.set(http::field::server, "lachan");
    if (!(r.status == 204 || r.status == 304 || r.status < 200) && valid_header_text(r.content_type))
      res.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res.insert(k, v);
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive);
    res.prepare_payload();
    if (head_request_) {
      // HEAD: headers of the GET answer, no body.
      res.body().clear();
      head_request_ = false;
    }
    lowest().expires_after(srv_.config.request_timeout);
    http::async_write(stream_, res, [self = this->shared_from_this(), keep_alive](beast::error_code ec, size_t) {
      self->res_.reset();
      if (ec) return self->close_now();
      if (!keep_alive) return self->linger_close();
      self->do_read();
    });
  }

  void close_now() {
    beast::error_code ec;
    lowest().socket().close(ec);
  }

  // The headers, then the handler's stream function on a thread of its own; each chunk is
  // written on this session's strand (async, with the request timeout) while that thread waits.
  void send_stream(Response r, unsigned version) {
    http::response<http::empty_body> head(static_cast<http::status>(r.status), version);
    head.set(http::field::server, "lachan");
    if (valid_header_text(r.content_type)) head.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) head.insert(k, v);
    head.keep_alive(false);
    std::ostringstream os;
    os << head.base();
    auto text = std::make_shared<std::string>(os.str());
    {
      std::lock_guard lk(srv_.mu);
      ++srv_.streams;
    }
    auto self = this->shared_from_this();
    lowest().expires_after(srv_.config.request_timeout);
    asio::async_write(stream_, asio::buffer(*text),
                      [self, text, fn = std::move(r.stream)](beast::error_code ec, size_t) mutable {
                        if (ec) {
                          self->close_now();
                          self->srv_.end_stream();
                          return;
                        }
                        self->run_stream(std::move(fn));
                      });
  }

  void run_stream(std::function<void(const StreamWriter&)> fn) {
    // The work guard keeps the io threads running while the stream writes (at stop the
    // acceptor's pending accept, which otherwise does, is gone) and until the close is queued.
    std::thread([self = this->shared_from_this(), fn = std::move(fn), work = asio::make_work_guard(srv_.ioc)] {
      StreamWriter writer = [&self](std::string_view chunk) { return self->write_chunk(chunk); };
      try {
        fn(writer);
      } catch (const std::exception& e) {
        self->srv_.log(std::string("stream handler threw: ") + e.what());
      }
      asio::dispatch(self->stream_.get_executor(), [self] { self->close_now(); });
      self->srv_.end_stream();
    }).detach();
  }

  // Called from the stream's thread, never from an io thread.
  bool write_chunk(std::string_view chunk) {
    if (srv_.stopping || broken_) return false;
    if (chunk.empty()) return true;
    auto data = std::make_shared<std::string>(chunk);
    auto done = std::make_shared<std::promise<bool>>();
    auto fut = done->get_future();
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this(), data, done] {
      self->lowest().expires_after(self->srv_.config.request_timeout);
      asio::async_write(self->stream_, asio::buffer(*data),
                        [data, done](beast::error_code ec, size_t) { done->set_value(!ec); });
    });
    // The io threads may stop before the write ends (stop() after its grace): do not wait forever.
    while (fut.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
      if (srv_.stopping && fut.wait_for(srv_.config.stop_grace) != std::future_status::ready) {
        broken_ = true;
        return false;
      }
    }
    if (!fut.get()) broken_ = true;
    return !broken_;
  }

  // Half-close, then read and discard what the client still sends (e.g. the rest of a body we
  // refused) for a bounded time, so that its unread bytes do not turn our close into a reset
  // that destroys the response before the client reads it.
  void linger_close() {
    if constexpr (Tls) {
      lowest().expires_after(kLingerTimeout);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->close_now(); });
    } else {
      beast::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return close_now();
      lowest().expires_after(kLingerTimeout);
      drain(0);
    }
  }

  void drain(size_t total) {
    if (total > kLingerMaxBytes) return close_now();
    scratch_.resize(16 * 1024);
    lowest().async_read_some(asio::buffer(scratch_),
                             [self = this->shared_from_this(), total](beast::error_code ec, size_t n) {
                               if (ec) return self->close_now();
                               self->drain(total + n);
                             });
  }

  HttpServer::Impl& srv_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  size_t body_limit_ = 0;  // of the request being read
  std::optional<http::response<http::string_body>> res_;
  std::vector<char> scratch_;
  std::string remote_ip_;
  uint16_t remote_port_;
  bool idle_ = false;
  bool head_request_ = false;
  std::atomic<bool> broken_{false};  // a streamed write failed: the client is gone
};

}  // namespace

Response HttpServer::Impl::handle(Request& req) {
  // Clients send some characters RFC 3986 reserves unescaped (TAXII's match[type]=…, curl -g):
  // they are read as their percent-encoded form.
  if (req.target.find_first_of("[]{}|^`\"<>\\") != std::string::npos) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string t;
    t.reserve(req.target.size() + 16);
    for (char c : req.target) {
      if (std::string_view("[]{}|^`\"<>\\").find(c) != std::string_view::npos) {
        t += '%';
        t += kHex[static_cast<unsigned char>(c) >> 4];
        t += kHex[static_cast<unsigned char>(c) & 15];
      } else {
        t += c;
      }
    }
    req.target = std::move(t);
  }
  auto url = boost::urls::parse_origin_form(req.target);
  if (!url) return error_response(400, "bad_request", "malformed request target");
  std::vector<std::string> segments;
  for (auto seg : url->segments()) segments.push_back(std::string(seg));
  req.path.clear();
  for (const auto& s : segments) {
    req.path += '/';
    req.path += s;
  }
  if (req.path.empty()) req.path = "/";
  for (auto p : url->params(boost::urls::encoding_opts(true, false, false)))
    req.query_params.emplace_back(std::string(p.key), std::string(p.value));

  auto m = router.match(req.method, segments);
  if (m.kind != Router::Match::Kind::found && req.method == Method::head) {
    auto g = router.match(Method::get, segments);
    if (g.kind == Router::Match::Kind::found) m = std::move(g);
  }
  if (m.kind == Router::Match::Kind::not_found) {
    if (config.fallback)
      if (auto r = config.fallback(req)) return std::move(*r);
    return error_response(404, "not_found", "no such resource: " + req.path);
  }
  if (m.kind == Router::Match::Kind::method_not_allowed) {
    return error_response(405, "method_not_allowed", req.method_string + " is not allowed on " + req.path)
        .with_header("Allow", Router::allow_header(m.allowed));
  }
  req.path_params = std::move(m.params);

  if (auto enc = req.header("Content-Encoding"); enc && !enc->empty() && !iequals(*enc, "identity")) {
    if (!iequals(*enc, "gzip") && !iequals(*enc, "x-gzip"))
      return error_response(415, "unsupported_encoding", "unsupported Content-Encoding: " + std::string(*enc));
    auto plain = gunzip(req.body, config.max_decompressed_bytes);
    if (!plain) {
      if (plain.error().code == Errc::limit) {
        return error_response(413, "payload_too_large",
                              "decompressed request body exceeds the limit of " +
                                  std::to_string(config.max_decompressed_bytes) + " bytes");
      }
      return error_response(400, "bad_encoding", "request body is not valid gzip: " + plain.error().message);
    }
    req.body = std::move(*plain);
  }

  try {
    return (*m.handler)(req);
  } catch (const std::exception& e) {
    ++handler_errors;
    log(std::string("handler for ") + req.method_string + " " + req.path + " threw: " + e.what());
  } catch (...) {
    ++handler_errors;
    log(std::string("handler for ") + req.method_string + " " + req.path + " threw a non-std exception");
  }
  return error_response(500, "internal", "internal server error");
}

void HttpServer::Impl::do_accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket sock) {
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping || !acceptor.is_open()) return;
      log("accept failed: " + ec.message());
      // e.g. out of file descriptors: back off instead of spinning.
      accept_retry.expires_after(std::chrono::milliseconds(50));
      accept_retry.async_wait([this](beast::error_code wec) {
        if (!wec && !stopping) do_accept();
      });
      return;
    }
    if (stopping) return;
    {
      std::lock_guard lk(mu);
      if (open >= config.max_connections) {
        ++rejected;
        beast::error_code cec;
        sock.close(cec);
        do_accept();
        return;
      }
      ++open;
    }
    ++accepted;
    beast::error_code eec;
    auto ep = sock.remote_endpoint(eec);
    std::string ip = eec ? std::string() : ep.address().to_string();
    uint16_t rport = eec ? 0 : ep.port();
    sock.set_option(tcp::no_delay(true), eec);
    if (ssl_ctx) {
      std::make_shared<Session<true>>(*this, std::move(sock), std::move(ip), rport)->start();
    } else {
      std::make_shared<Session<false>>(*this, std::move(sock), std::move(ip), rport)->start();
    }
    do_accept();
  });
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() {
  stop();
}

Result<std::unique_ptr<HttpServer>> HttpServer::start(HttpServerConfig config, Router router) {
  if (config.threads == 0) return make_error(Errc::invalid_config, "http server needs at least one thread");
  if (config.tls_cert_file.empty() != config.tls_key_file.empty())
    return make_error(Errc::invalid_config, "TLS needs both a certificate and a key file");
  beast::error_code ec;
  auto addr = asio::ip::make_address(config.address, ec);
  if (ec) return make_error(Errc::invalid_config, "bad listen address '" + config.address + "': " + ec.message());

  auto impl = std::make_unique<Impl>(std::move(config), std::move(router));
  auto& c = impl->config;
  if (!c.tls_cert_file.empty()) {
    impl->ssl_ctx.emplace(ssl::context::tls_server);
    auto& ctx = *impl->ssl_ctx;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                    ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
    ctx.use_certificate_chain_file(c.tls_cert_file, ec);
    if (ec)
      return make_error(Errc::invalid_config, "cannot load TLS certificate " + c.tls_cert_file + ": " + ec.message());
    ctx.use_private_key_file(c.tls_key_file, ssl::context::pem, ec);
    if (ec) return make_error(Errc::invalid_config, "cannot load TLS key " + c.tls_key_file + ": " + ec.message());
  }

  auto& acc = impl->acceptor;
  tcp::endpoint ep(addr, c.port);
  const std::string where = c.address + ":" + std::to_string(c.port);
  if (acc.open(ep.protocol(), ec); ec)
    return make_error(Errc::io, "cannot open socket for " + where + ": " + ec.message());
  if (acc.set_option(asio::socket_base::reuse_address(true), ec); ec)
    return make_error(Errc::io, "cannot set SO_REUSEADDR: " + ec.message());
  if (acc.bind(ep, ec); ec) return make_error(Errc::io, "cannot bind " + where + ": " + ec.message());
  if (acc.listen(asio::socket_base::max_listen_connections, ec); ec)
    return make_error(Errc::io, "cannot listen on " + where + ": " + ec.message());
  impl->bound_port = acc.local_endpoint(ec).port();
  if (ec) return make_error(Errc::io, "cannot read the bound port: " + ec.message());

  Impl* p = impl.get();
  asio::dispatch(acc.get_executor(), [p] { p->do_accept(); });
  for (unsigned i = 0; i < c.threads; ++i) p->threads.emplace_back([p] { p->ioc.run(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const noexcept {
  return impl_->bound_port;
}
bool HttpServer::tls() const noexcept {
  return impl_->ssl_ctx.has_value();
}

HttpServer::Stats HttpServer::stats() const noexcept {
  Stats s;
  s.requests = impl_->requests;
  s.handler_errors = impl_->handler_errors;
  s.connections_accepted = impl_->accepted;
  s.connections_rejected = impl_->rejected;
  std::lock_guard lk(impl_->mu);
  s.connections_open = impl_->open;
  return s;
}

void HttpServer::stop() {
  auto& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  s.stopping = true;
  asio::dispatch(s.acceptor.get_executor(), [p = &s] {
    beast::error_code ec;
    p->acceptor.close(ec);
    p->accept_retry.cancel();
  });
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lk(s.mu);
    for (auto& [ptr, w] : s.sessions)
      if (auto sp = w.lock()) live.push_back(std::move(sp));
  }
  for (auto& sp : live) sp->stop_if_idle();
  live.clear();  // the sessions must be able to end on their own
  {
    // Stream functions see `stopping` at their next write; they must return before the io
    // threads go, since they hold sessions.
    std::unique_lock lk(s.mu);
    s.cv.wait(lk, [&] { return s.streams == 0; });
  }
  {
    std::unique_lock lk(s.mu);
    s.cv.wait_for(lk, s.config.stop_grace, [&] { return s.open == 0; });
  }
  s.ioc.stop();
  for (auto& t : s.threads)
    if (t.joinable()) t.join();
}

}  // namespace lachan::api
