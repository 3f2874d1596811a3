#include "notify/http_post.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include "core/strings.h"

namespace lachan::notify {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kUserAgent = "lachan-notify/0.1";

struct Target {
  bool tls = false;
  std::string host;       // for DNS, SNI and the certificate check (no IPv6 brackets)
  std::string host_port;  // for the Host header
  std::string port;
  std::string path;  // path and query
};

std::optional<Target> parse_target(std::string_view url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return std::nullopt;
  const boost::urls::url_view& u = *parsed;
  Target t;
  t.tls = u.scheme_id() == boost::urls::scheme::https;
  if (!t.tls && u.scheme_id() != boost::urls::scheme::http) return std::nullopt;
  if (!u.has_authority() || u.encoded_host().empty() || u.has_userinfo()) return std::nullopt;
  t.host = u.host_address();
  t.port = u.has_port() && !u.port().empty() ? std::string(u.port()) : (t.tls ? "443" : "80");
  t.host_port = std::string(u.encoded_host());
  if (u.has_port() && !u.port().empty()) t.host_port += ":" + t.port;
  t.path = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) t.path += "?" + std::string(u.encoded_query());
  return t;
}

bool has_crlf(std::string_view s) {
  return s.find_first_of("\r\n") != std::string_view::npos;
}

struct Exchange {
  const Target& target;
  const PostHeaders& headers;
  std::string_view body;
  size_t snippet_bytes;
  Clock::time_point deadline;
  PostResult& out;

  void fail(PostFailure f, std::string what) {
    out.failure = f;
    out.error = target.host_port + ": " + std::move(what);
  }
  void fail_io(const beast::error_code& ec, const char* doing) {
    if (ec == beast::error::timeout)
      fail(PostFailure::timeout, std::string(doing) + ": timed out");
    else
      fail(PostFailure::io, std::string(doing) + ": " + ec.message());
  }

  template <typename Stream>
  net::awaitable<void> send_and_read(Stream& stream, beast::tcp_stream& tcp) {
    beast::error_code ec;
    http::request<http::string_body> req{http::verb::post, target.path, 11};
    req.set(http::field::host, target.host_port);
    bool agent = false;
    for (const auto& [name, value] : headers) {
      agent |= iequals(name, "user-agent");
      req.insert(name, value);
    }
    if (!agent) req.set(http::field::user_agent, kUserAgent);
    req.set(http::field::connection, "close");
    req.body() = std::string(body);
    req.prepare_payload();
    tcp.expires_at(deadline);
    co_await http::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return fail_io(ec, "sending the request");

    beast::flat_buffer buf;
    http::response_parser<http::string_body> parser;
    // The status is what counts; of the body only the snippet is read, so no body is too long.
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    tcp.expires_at(deadline);
    co_await http::async_read_header(stream, buf, parser, net::redirect_error(net::use_awaitable, ec));
    if (ec) co_return fail_io(ec, "reading the answer");
    while (!parser.is_done() && parser.get().body().size() < snippet_bytes) {
      co_await http::async_read_some(stream, buf, parser, net::redirect_error(net::use_awaitable, ec));
      // The answer's status is in: a body cut short only shortens the snippet.
      if (ec) break;
    }
    const auto& res = parser.get();
    out.status = res.result_int();
    out.snippet = res.body().substr(0, snippet_bytes);
    if (auto ra = res[http::field::retry_after]; !ra.empty()) {
      long long s = 0;
      auto [end, e] = std::from_chars(ra.data(), ra.data() + ra.size(), s);
      if (e == std::errc() && end == ra.data() + ra.size() && s >= 0) out.retry_after = std::chrono::seconds(s);
    }
    if (out.status < 200 || out.status > 299) fail(PostFailure::status, "answered HTTP " + std::to_string(out.status));
  }

  net::awaitable<void> run(net::ssl::context& tls_ctx) {
    auto ex = co_await net::this_coro::executor;
    beast::error_code ec;
    // The resolver has no deadline of its own: a timer cancels it.
    net::ip::tcp::resolver resolver(ex);
    net::steady_timer dns_timer(ex, deadline);
    bool dns_timed_out = false;
    dns_timer.async_wait([&](const beast::error_code& e) {
      if (!e) dns_timed_out = true, resolver.cancel();
    });
    auto endpoints =
        co_await resolver.async_resolve(target.host, target.port, net::redirect_error(net::use_awaitable, ec));
    dns_timer.cancel();
    if (dns_timed_out) co_return fail(PostFailure::timeout, "resolving the host name: timed out");
    if (ec) co_return fail(PostFailure::dns, "cannot resolve the host name: " + ec.message());

    beast::tcp_stream tcp(ex);
    tcp.expires_at(deadline);
    co_await tcp.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
    if (ec == beast::error::timeout) co_return fail(PostFailure::timeout, "connecting: timed out");
    if (ec) co_return fail(PostFailure::connect, "cannot connect: " + ec.message());
    if (!target.tls) co_return co_await send_and_read(tcp, tcp);

    beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), tls_ctx);
    if (!SSL_set_tlsext_host_name(stream.native_handle(), target.host.c_str()))
      co_return fail(PostFailure::tls, "cannot set the TLS server name");
    stream.set_verify_callback(net::ssl::host_name_verification(target.host));
    beast::get_lowest_layer(stream).expires_at(deadline);
    co_await stream.async_handshake(net::ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
    if (ec == beast::error::timeout) co_return fail(PostFailure::timeout, "TLS handshake: timed out");
    if (ec) co_return fail(PostFailure::tls, "TLS handshake: " + ec.message());
    co_await send_and_read(stream, beast::get_lowest_layer(stream));
    // No TLS shutdown: the answer is in, and a peer that does not answer close_notify would
    // only make us wait.
  }
};

net::ssl::context& client_tls_context() {
  // Loading the system CAs takes milliseconds: once per process. An SSL_CTX is safe to share
  // between threads once set up.
  static net::ssl::context ctx = [] {
    net::ssl::context c(net::ssl::context::tls_client);
    c.set_default_verify_paths();
    c.set_verify_mode(net::ssl::verify_peer);
    return c;
  }();
  return ctx;
}

}  // namespace

const char* post_failure_name(PostFailure f) noexcept {
  switch (f) {
    case PostFailure::none:
      return "none";
    case PostFailure::invalid:
      return "invalid";
    case PostFailure::dns:
      return "dns";
    case PostFailure::connect:
      return "connect";
    case PostFailure::tls:
      return "tls";
    case PostFailure::timeout:
      return "timeout";
    case PostFailure::io:
      return "io";
    case PostFailure::status:
      return "status";
  }
  return "unknown";
}

const char* disposition_name(Disposition d) noexcept {
  switch (d) {
    case Disposition::delivered:
      return "delivered";
    case Disposition::retry:
      return "retry";
    case Disposition::gone:
      return "gone";
    case Disposition::failed:
      return "failed";
  }
  return "unknown";
}

PostResult post(std::string_view url, const PostHeaders& headers, std::string_view body,
                std::chrono::milliseconds timeout, std::size_t snippet_bytes) {
  PostResult out;
  const auto start = Clock::now();
  auto target = parse_target(url);
  if (!target) {
    out.failure = PostFailure::invalid;
    out.error = "not an http(s) URL with a host (and no user info)";
    return out;
  }
  for (const auto& [name, value] : headers) {
    if (name.empty() || has_crlf(name) || has_crlf(value) || name.find(':') != std::string::npos) {
      out.failure = PostFailure::invalid;
      out.error = "header '" + name + "' is not a valid header";
      return out;
    }
  }
  Exchange ex{*target, headers, body, snippet_bytes, start + timeout, out};
  net::io_context io;
  net::co_spawn(io, ex.run(client_tls_context()), [&](const std::exception_ptr& e) {
    // Beast reports through error codes; an exception here is a bug or memory exhaustion.
    if (e && out.failure == PostFailure::none && out.status == 0) {
      out.failure = PostFailure::io;
      out.error = target->host_port + ": the HTTP client failed";
    }
  });
  io.run();
  out.latency = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return out;
}

Disposition classify(const PostResult& r, Channel channel) noexcept {
  switch (r.failure) {
    case PostFailure::none:
      return Disposition::delivered;
    case PostFailure::dns:
    case PostFailure::connect:
    case PostFailure::timeout:
    case PostFailure::io:
      return Disposition::retry;
    case PostFailure::invalid:
    case PostFailure::tls:
      return Disposition::failed;
    case PostFailure::status:
      break;
  }
  const unsigned s = r.status;
  if (channel == Channel::web_push && (s == 404 || s == 410)) return Disposition::gone;
  // 408 Request Timeout is the server's way of saying "try again" as much as 429 is.
  if (s == 408 || s == 429 || s >= 500) return Disposition::retry;
  return Disposition::failed;
}

}  // namespace lachan::notify
