#include "intel/feed_fetch.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>
#include <openssl/evp.h>

#include "core/strings.h"

namespace lachan::intel {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

struct Url {
  bool tls = false;
  std::string host, port, target;
};

std::optional<Url> parse_url(std::string_view u) {
  Url out;
  std::string lower = to_lower(u.substr(0, 8));
  if (starts_with(lower, "https://")) out.tls = true, u.remove_prefix(8);
  else if (starts_with(lower, "http://")) u.remove_prefix(7);
  else return std::nullopt;
  size_t slash = u.find_first_of("/?#");
  std::string_view authority = u.substr(0, slash);
  std::string_view target = slash == std::string_view::npos ? std::string_view("/") : u.substr(slash);
  if (auto h = target.find('#'); h != std::string_view::npos) target = target.substr(0, h);
  if (authority.find('@') != std::string_view::npos || authority.empty()) return std::nullopt;
  out.port = out.tls ? "443" : "80";
  if (authority.front() == '[') {
    auto rb = authority.find(']');
    if (rb == std::string_view::npos) return std::nullopt;
    out.host = std::string(authority.substr(1, rb - 1));
    if (rb + 1 < authority.size()) {
      if (authority[rb + 1] != ':') return std::nullopt;
      out.port = std::string(authority.substr(rb + 2));
    }
  } else if (auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(authority.substr(0, colon));
    out.port = std::string(authority.substr(colon + 1));
  } else {
    out.host = std::string(authority);
  }
  if (out.host.empty() || out.port.empty() || out.port.size() > 5 ||
      !std::all_of(out.port.begin(), out.port.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  out.target = target.empty() || target.front() == '?' ? "/" + std::string(target) : std::string(target);
  return out;
}

struct Outcome {
  unsigned status = 0;
  std::string location;
  std::string body;
  std::optional<Error> error;
};

template <typename Stream>
net::awaitable<void> exchange(Stream& stream, beast::tcp_stream& tcp, const Url& u, const FetchOptions& opt,
                              size_t max_bytes, Clock::time_point deadline, Outcome& out) {
  beast::error_code ec;
  http::request<http::empty_body> req{http::verb::get, u.target, 11};
  req.set(http::field::host, (u.port == "80" || u.port == "443") ? u.host : u.host + ":" + u.port);
  req.set(http::field::user_agent, opt.user_agent);
  req.set(http::field::accept, "*/*");
  req.set(http::field::connection, "close");
  tcp.expires_at(deadline);
  co_await http::async_write(stream, req, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.error = make_error(Errc::io, fmt::format("{}: sending the request: {}", u.host, ec.message()));
    co_return;
  }
  beast::flat_buffer buf;
  http::response_parser<http::string_body> parser;
  parser.body_limit(max_bytes);
  tcp.expires_at(deadline);
  co_await http::async_read(stream, buf, parser, net::redirect_error(net::use_awaitable, ec));
  if (ec == http::error::body_limit) {
    out.error = make_error(Errc::limit, fmt::format("{}{}: the body is over {} bytes", u.host, u.target, max_bytes));
    co_return;
  }
  if (ec) {
    out.error = make_error(Errc::io, fmt::format("{}{}: reading the response: {}", u.host, u.target,
                                                 ec == beast::error::timeout ? "timed out" : ec.message()));
    co_return;
  }
  auto res = parser.release();
  out.status = res.result_int();
  out.location = std::string(res[http::field::location]);
  out.body = std::move(res.body());
}

net::awaitable<void> get_once(const Url& u, net::ssl::context& tls_ctx, const FetchOptions& opt, size_t max_bytes,
                              Clock::time_point deadline, Outcome& out) {
  auto ex = co_await net::this_coro::executor;
  beast::error_code ec;
  net::ip::tcp::resolver resolver(ex);
  beast::tcp_stream tcp(ex);
  tcp.expires_at(deadline);
  auto endpoints = co_await resolver.async_resolve(u.host, u.port, net::redirect_error(net::use_awaitable, ec));
  if (!ec) co_await tcp.async_connect(endpoints, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.error = make_error(Errc::io, fmt::format("{}:{}: cannot connect: {}", u.host, u.port,
                                                 ec == beast::error::timeout ? "timed out" : ec.message()));
    co_return;
  }
  if (!u.tls) {
    co_await exchange(tcp, tcp, u, opt, max_bytes, deadline, out);
    co_return;
  }
  beast::ssl_stream<beast::tcp_stream> stream(std::move(tcp), tls_ctx);
  if (!SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str())) {
    out.error = make_error(Errc::io, fmt::format("{}: cannot set the TLS server name", u.host));
    co_return;
  }
  stream.set_verify_callback(net::ssl::host_name_verification(u.host));
  beast::get_lowest_layer(stream).expires_at(deadline);
  co_await stream.async_handshake(net::ssl::stream_base::client, net::redirect_error(net::use_awaitable, ec));
  if (ec) {
    out.error = make_error(Errc::io, fmt::format("{}:{}: TLS handshake: {}", u.host, u.port, ec.message()));
    co_return;
  }
  co_await exchange(stream, beast::get_lowest_layer(stream), u, opt, max_bytes, deadline, out);
}

Result<std::string> read_file(const std::string& path, size_t max_bytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(Errc::io, fmt::format("{}: cannot be read: {}", path, ec.message()));
  if (size > max_bytes) return make_error(Errc::limit, fmt::format("{}: {} bytes, over {}", path, size, max_bytes));
  std::ifstream in(path, std::ios::binary);
  std::string body(size, '\0');
  if (!in.read(body.data(), static_cast<std::streamsize>(size)))
    return make_error(Errc::io, fmt::format("{}: cannot be read", path));
  return body;
}

}  // namespace

Result<std::string> fetch_feed_body(const FeedDefinition& def, const FetchOptions& opt) {
  const size_t max_bytes = opt.max_bytes ? opt.max_bytes : def.max_bytes;
  if (!def.file.empty()) return read_file(def.file, max_bytes);
  auto url = parse_url(def.url);
  if (!url) return make_error(Errc::invalid_config, fmt::format("feed {}: '{}' is not an http(s) URL", def.name, def.url));
  net::ssl::context tls_ctx(net::ssl::context::tls_client);
  tls_ctx.set_default_verify_paths();
  tls_ctx.set_verify_mode(net::ssl::verify_peer);
  const auto deadline = Clock::now() + opt.timeout;
  std::string where = def.url;
  for (int hop = 0;; ++hop) {
    Outcome out;
    net::io_context io;
    net::co_spawn(io, get_once(*url, tls_ctx, opt, max_bytes, deadline, out), [&](std::exception_ptr e) {
      if (e && !out.error) out.error = make_error(Errc::internal, fmt::format("{}: the HTTP client failed", where));
    });
    io.run();
    if (out.error) {
      out.error->message = fmt::format("feed {}: {}", def.name, out.error->message);
      return std::move(*out.error);
    }
    if (out.status >= 200 && out.status < 300) return std::move(out.body);
    bool redirect = out.status == 301 || out.status == 302 || out.status == 303 || out.status == 307 || out.status == 308;
    if (!redirect || out.location.empty())
      return make_error(Errc::io, fmt::format("feed {}: {} answered HTTP {}", def.name, where, out.status));
    if (hop == 3) return make_error(Errc::io, fmt::format("feed {}: more than 3 redirects (last to {})", def.name, out.location));
    if (out.location.front() == '/') {
      url->target = out.location;
    } else if (auto next = parse_url(out.location)) {
      if (url->tls && !next->tls)
        return make_error(Errc::io, fmt::format("feed {}: refusing a redirect from https to {}", def.name, out.location));
      url = next;
    } else {
      return make_error(Errc::io, fmt::format("feed {}: redirect to an unsupported location '{}'", def.name, out.location));
    }
    where = out.location;
  }
}


FeedScheduler::FeedScheduler(std::vector<FeedDefinition> defs, std::map<std::string, FeedState> states)
    : defs_(std::move(defs)), states_(std::move(states)) {}

std::vector<std::string> FeedScheduler::due(int64_t now_ms) const {
  std::vector<std::string> out;
  for (const auto& d : defs_) {
    if (!d.enabled) continue;
    auto it = states_.find(d.name);
    if (it == states_.end() || it->second.last_attempt_ms == 0) {
      out.push_back(d.name);
      continue;
    }
    const FeedState& s = it->second;
    int64_t wait = s.last_error.empty() ? d.schedule_ms : std::min(d.schedule_ms, kRetryAfterMs);
    if (now_ms - s.last_attempt_ms >= wait) out.push_back(d.name);
  }
  return out;
}

bool FeedScheduler::unchanged(const std::string& name, std::string_view body_sha256) const {
  auto it = states_.find(name);
  return it != states_.end() && !it->second.content_sha256.empty() && it->second.content_sha256 == body_sha256;
}

void FeedScheduler::record_success(const std::string& name, int64_t now_ms, std::string body_sha256, size_t indicator_count) {
  FeedState& s = states_[name];
  s.last_attempt_ms = s.last_success_ms = now_ms;
  s.last_error.clear();
  s.content_sha256 = std::move(body_sha256);
  s.indicator_count = indicator_count;
}

void FeedScheduler::record_unchanged(const std::string& name, int64_t now_ms) {
  FeedState& s = states_[name];
  s.last_attempt_ms = s.last_success_ms = now_ms;
  s.last_error.clear();
}

void FeedScheduler::record_failure(const std::string& name, int64_t now_ms, std::string error) {
  FeedState& s = states_[name];
  s.last_attempt_ms = now_ms;
  s.last_error = error.empty() ? "failed" : std::move(error);
}

const FeedState* FeedScheduler::state(const std::string& name) const {
  auto it = states_.find(name);
  return it == states_.end() ? nullptr : &it->second;
}

}  // namespace lachan::intel
