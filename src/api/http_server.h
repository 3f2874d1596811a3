// HttpServer: HTTP/1.1 over TCP or TLS (Boost.Beast), keep-alive and pipelining, N io threads,
// limits on header, body and decompressed body size. Handlers (see router.h) run on the io
// threads; a handler may block briefly (e.g. ~ms for a disk sync), so size `threads` for it.
// Beast/Asio stay inside http_server.cpp: including this header is cheap.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "api/router.h"
#include "core/result.h"

namespace lachan::api {

struct HttpServerConfig {
  std::string address = "127.0.0.1";  // IPv4 or IPv6 literal; "0.0.0.0" / "::" for all
  uint16_t port = 0;                  // 0: any free port, see HttpServer::port()
  unsigned threads = 4;               // io threads, which also run the handlers
  // Both set: the listener speaks HTTPS only (TLS 1.2+). PEM files; the cert file may hold a chain.
  std::string tls_cert_file;
  std::string tls_key_file;
  size_t max_body_bytes = 16u << 20;                   // as received (compressed); over it: 413
  // A larger (or smaller) limit for some requests, e.g. file uploads: called with the method and
  // target once the headers are read; 0 keeps max_body_bytes.
  std::function<size_t(std::string_view method, std::string_view target)> body_limit_for;
  size_t max_decompressed_bytes = 64u << 20;           // after gunzip; over it: 413
  size_t max_header_bytes = 16u << 10;                 // request line + headers; over it: 431
  std::chrono::milliseconds idle_timeout{60'000};      // keep-alive connection waiting for a request
  std::chrono::milliseconds request_timeout{120'000};  // TLS handshake, reading one request, writing one response
  size_t max_connections = 10'000;                     // accepted beyond this: closed at once (counted)
  std::chrono::milliseconds stop_grace{5'000};         // stop(): how long in-flight requests may take
  // Asked for a request no route matches (neither path nor method; a path that matches with
  // another method still answers 405): its answer, or nullopt for the usual 404. Runs on an io
  // thread like a handler (e.g. the web console's static files).
  std::function<std::optional<Response>(Request&)> fallback;
  // Where server-side failures go (handler exceptions, accept errors); default: stderr.
  std::function<void(std::string_view)> log;
};

class HttpServer {
 public:
  struct Stats {
    uint64_t requests = 0;        // requests answered, errors included
    uint64_t handler_errors = 0;  // handlers that threw (answered 500)
    uint64_t connections_accepted = 0;
    uint64_t connections_rejected = 0;  // over max_connections
    uint64_t connections_open = 0;
  };

  // Binds, listens and starts the io threads. Errors: Errc::invalid_config (bad address, TLS
  // files that cannot be loaded, threads == 0), Errc::io (bind/listen failed, e.g. port in use).
  static Result<std::unique_ptr<HttpServer>> start(HttpServerConfig config, Router router);

  ~HttpServer();  // stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  uint16_t port() const noexcept;  // the bound port (useful with port 0)
  bool tls() const noexcept;
  Stats stats() const noexcept;

  // Graceful: stops accepting, closes idle keep-alive connections, ends streamed responses
  // (their writers answer false; waits for their functions to return), lets requests in flight
  // finish (their responses carry Connection: close) for up to stop_grace, then abandons the
  // rest and joins the io threads. Idempotent; must not be called from a handler.
  void stop();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lachan::api
