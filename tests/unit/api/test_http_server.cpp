// HttpServer over real loopback sockets, with a raw client so that the bytes on the wire are
// exactly the ones each test means: keep-alive, pipelining, limits, errors, graceful stop.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "api/body_decode.h"
#include "api/http_server.h"
#include "api_test_util.h"

using namespace lachan::api;
using namespace lachan::api::testing;

namespace {

Response echo_path(Request& req) {
  Response r;
  r.content_type = "text/plain";
  r.body = req.method_string + " " + req.path;
  return r;
}

std::unique_ptr<HttpServer> start(Router router, HttpServerConfig cfg = {}) {
  cfg.threads = 2;
  if (!cfg.log) cfg.log = [](std::string_view) {};
  auto s = HttpServer::start(std::move(cfg), std::move(router));
  if (!s) ADD_FAILURE() << s.error().message;
  return s ? std::move(*s) : nullptr;
}

Router basic_router() {
  Router r;
  EXPECT_TRUE(r.add(Method::get, "/hello", echo_path));
  EXPECT_TRUE(r.add(Method::get, "/items/{id}", echo_path));
  EXPECT_TRUE(r.add(Method::post, "/echo", [](Request& req) {
    Response res;
    res.content_type = "application/octet-stream";
    res.body = req.body;
    return res;
  }));
  return r;
}

std::string error_code_of(const HttpReply& r) {
  auto v = boost::json::parse(r.body);
  return std::string(v.at("error").at("code").as_string());
}
std::string error_message_of(const HttpReply& r) {
  auto v = boost::json::parse(r.body);
  return std::string(v.at("error").at("message").as_string());
}

}  // namespace

TEST(HttpServer, SeveralRequestsOverOneKeepAliveConnection) {
  auto srv = start(basic_router());
  ASSERT_TRUE(srv);
  ASSERT_NE(srv->port(), 0);
  auto s = RawSocket::connect_tcp(srv->port());
  ASSERT_TRUE(s.ok());
  HttpReader reader(s);
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(s.send_all(get_request("/items/" + std::to_string(i))));
    auto r = reader.next();
    ASSERT_TRUE(r) << i;
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, "GET /items/" + std::to_string(i));
    EXPECT_EQ(r->header("content-type"), "text/plain");
  }
  EXPECT_EQ(srv->stats().connections_accepted, 1u);
  EXPECT_EQ(srv->stats().requests, 5u);
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
  auto srv = start(basic_router());
  ASSERT_TRUE(srv);
  auto s = RawSocket::connect_tcp(srv->port());
  std::string batch =
      get_request("/items/a") + post_request("/echo", "payload-b") + get_request("/hello") + get_request("/items/c");
  ASSERT_TRUE(s.send_all(batch));
  HttpReader reader(s);
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    auto r = reader.next();
    ASSERT_TRUE(r) << i;
    bodies.push_back(r->body);
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"GET /items/a", "payload-b", "GET /hello", "GET /items/c"}));
}

TEST(HttpServer, PathParametersQueryAndHeadersAreDecoded) {
  Router router;
  ASSERT_TRUE(router.add(Method::get, "/api/v1/orgs/{org}/warnings/{id}", [](Request& req) {
    boost::json::object o;
    o["org"] = req.param("org");
    o["id"] = req.param("id");
    o["path"] = req.path;
    boost::json::array tags;
    for (auto t : req.query_all("tag")) tags.emplace_back(t);
    o["tags"] = std::move(tags);
    o["q"] = req.query("q").value_or("<none>");
    o["flag"] = req.query("flag") ? "present" : "absent";
    o["key"] = req.header("x-api-key").value_or("");
    o["ip"] = req.remote_ip;
    return json_response(200, o);
  }));
  auto srv = start(std::move(router));
  ASSERT_TRUE(srv);
  auto r = http_once(srv->port(), get_request("/api/v1/orgs/org%2F1/warnings/a%20b?tag=x&q=a%26b%3Dc&tag=y+z&flag",
                                              "X-API-Key: secret\r\n"));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(r->header("content-type"), "application/json");
  auto v = boost::json::parse(r->body);
  EXPECT_EQ(v.at("org").as_string(), "org/1");  // %2F stays inside its segment
  EXPECT_EQ(v.at("id").as_string(), "a b");
  EXPECT_EQ(v.at("path").as_string(), "/api/v1/orgs/org/1/warnings/a b");
  EXPECT_EQ(v.at("tags"), (boost::json::array{"x", "y z"}));
  EXPECT_EQ(v.at("q").as_string(), "a&b=c");
  EXPECT_EQ(v.at("flag").as_string(), "present");
  EXPECT_EQ(v.at("key").as_string(), "secret");
  EXPECT_EQ(v.at("ip").as_string(), "127.0.0.1");
}

TEST(HttpServer, NotFoundAndMethodNotAllowed) {
  Router router = basic_router();
  ASSERT_TRUE(router.add(Method::del, "/items/{id}", echo_path));
  auto srv = start(std::move(router));
  ASSERT_TRUE(srv);
  auto nf = http_once(srv->port(), get_request("/nothing/here"));
  ASSERT_TRUE(nf);
  EXPECT_EQ(nf->status, 404);
  EXPECT_EQ(error_code_of(*nf), "not_found");
  auto na = http_once(srv->port(), post_request("/items/3", "x"));
  ASSERT_TRUE(na);
  EXPECT_EQ(na->status, 405);
  EXPECT_EQ(error_code_of(*na), "method_not_allowed");
  EXPECT_EQ(na->header("allow"), "GET, DELETE");
}

TEST(HttpServer, ExtraResponseHeaders) {
  Router router;
  ASSERT_TRUE(router.add(Method::post, "/ingest", [](Request&) {
    return error_response(429, "busy", "spool is behind").with_header("Retry-After", "3");
  }));
  ASSERT_TRUE(router.add(Method::get, "/login", [](Request&) {
    Response r;
    r.status = 401;
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"lachan\"");
    return r;
  }));
  auto srv = start(std::move(router));
  ASSERT_TRUE(srv);
  auto busy = http_once(srv->port(), post_request("/ingest", "{}"));
  ASSERT_TRUE(busy);
  EXPECT_EQ(busy->status, 429);
  EXPECT_EQ(busy->header("retry-after"), "3");
  auto auth = http_once(srv->port(), get_request("/login"));
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->status, 401);
  EXPECT_EQ(auth->header("www-authenticate"), "Bearer realm=\"lachan\"");
}

TEST(HttpServer, GzipBodyIsDecompressedForTheHandler) {
  auto srv = start(basic_router());
  ASSERT_TRUE(srv);
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{\"n\":" + std::to_string(i) + "}\n";
  auto gz = gzip(text);
  ASSERT_TRUE(gz);
  auto r = http_once(srv->port(), post_request("/echo", *gz, "Content-Encoding: gzip\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, text);
}

TEST(HttpServer, BadGzipIs400AndUnknownEncodingIs415) {
  auto srv = start(basic_router());
  ASSERT_TRUE(srv);
  auto bad = http_once(srv->port(), post_request("/echo", "not gzip at all", "Content-Encoding: gzip\r\n"));
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(error_code_of(*bad), "bad_encoding");
  auto br = http_once(srv->port(), post_request("/echo", "xx", "Content-Encoding: br\r\n"));
  ASSERT_TRUE(br);
  EXPECT_EQ(br->status, 415);
}

TEST(HttpServer, BodyOverTheLimitIs413NamingTheLimit) {
  HttpServerConfig cfg;
  cfg.max_body_bytes = 1000;
  auto srv = start(basic_router(), cfg);
  ASSERT_TRUE(srv);
  // Declared length over the limit: refused from the headers alone.
  auto declared = http_once(srv->port(), post_request("/echo", std::string(1001, 'a')));
  ASSERT_TRUE(declared);
  EXPECT_EQ(declared->status, 413);
  EXPECT_EQ(error_code_of(*declared), "payload_too_large");
  EXPECT_NE(error_message_of(*declared).find("1000 bytes"), std::string::npos) << declared->body;
  // Chunked, so the server only finds out while reading.
  std::string chunked = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) chunked += "190\r\n" + std::string(400, 'b') + "\r\n";
  chunked += "0\r\n\r\n";
  auto streamed = http_once(srv->port(), chunked);
  ASSERT_TRUE(streamed);
  EXPECT_EQ(streamed->status, 413);
  EXPECT_NE(error_message_of(*streamed).find("1000 bytes"), std::string::npos);
  // Exactly at the limit is fine.
  auto at = http_once(srv->port(), post_request("/echo", std::string(1000, 'c')));
  ASSERT_TRUE(at);
  EXPECT_EQ(at->status, 200);
}

TEST(HttpServer, DecompressedBodyOverTheLimitIs413NamingTheLimit) {
  HttpServerConfig cfg;
  cfg.max_decompressed_bytes = 5000;
  auto srv = start(basic_router(), cfg);
  ASSERT_TRUE(srv);
  auto gz = gzip(std::string(5001, 'z'));
  ASSERT_TRUE(gz);
  auto r = http_once(srv->port(), post_request("/echo", *gz, "Content-Encoding: gzip\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_NE(error_message_of(*r).find("5000 bytes"), std::string::npos) << r->body;
}

TEST(HttpServer, HeaderOverTheLimitIs431) {
  HttpServerConfig cfg;
  cfg.max_header_bytes = 1024;
  auto srv = start(basic_router(), cfg);
  ASSERT_TRUE(srv);
  auto r = http_once(srv->port(), get_request("/hello", "X-Big: " + std::string(2000, 'h') + "\r\n"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
}

TEST(HttpServer, MalformedRequestIs400AndCloses) {
  auto srv = start(basic_router());
  ASSERT_TRUE(srv);
  auto s = RawSocket::connect_tcp(srv->port());
  ASSERT_TRUE(s.send_all("GARBAGE\x01 / HTTP/9.9\r\n\r\n" + get_request("/hello")));
  HttpReader reader(s);
  auto r = reader.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(reader.closed_by_peer());  // the request after it is not answered
}

TEST(HttpServer, ThrowingHandlerIs500AndTheServerGoesOn) {
  Router router = basic_router();
  ASSERT_TRUE(router.add(Method::get, "/boom", [](Request&) -> Response { throw std::runtime_error("kaput"); }));
  std::mutex mu;
  std::vector<std::string> logged;
  HttpServerConfig cfg;
  cfg.log = [&](std::string_view m) {
    std::lock_guard lk(mu);
    logged.emplace_back(m);
  };
  auto srv = start(std::move(router), cfg);
  ASSERT_TRUE(srv);
  auto s = RawSocket::connect_tcp(srv->port());
  HttpReader reader(s);
  ASSERT_TRUE(s.send_all(get_request("/boom")));
  auto r = reader.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(error_code_of(*r), "internal");
  EXPECT_EQ(r->body.find("kaput"), std::string::npos);  // internals are logged, not sent
  ASSERT_TRUE(s.send_all(get_request("/hello")));       // same connection still serves
  auto next = reader.next();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(srv->stats().handler_errors, 1u);
  std::lock_guard lk(mu);
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("kaput"), std::string::npos);
}

TEST(HttpServer, HeadUsesTheGetRouteWithoutBody) {
  auto srv = start(basic_router());
  ASSERT_TRUE(srv);
  auto s = RawSocket::connect_tcp(srv->port());
  ASSERT_TRUE(s.send_all("HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n" + get_request("/hello")));
  HttpReader reader(s);
  // The HEAD reply announces the GET body's length but carries none, so reading it as a
  // Content-Length-framed message would swallow the next reply: read the raw bytes instead.
  std::string raw;
  char buf[4096];
  while (raw.find("GET /hello") == std::string::npos) {
    ssize_t n = ::recv(s.fd(), buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    raw.append(buf, static_cast<size_t>(n));
  }
  size_t first_end = raw.find("\r\n\r\n");
  ASSERT_NE(first_end, std::string::npos);
  EXPECT_EQ(raw.compare(0, 15, "HTTP/1.1 200 OK"), 0);
  EXPECT_NE(raw.substr(0, first_end).find("Content-Length: 11"), std::string::npos);
  EXPECT_EQ(raw.compare(first_end + 4, 15, "HTTP/1.1 200 OK"), 0);  // next reply follows directly
}

TEST(HttpServer, ExpectContinueGetsInterimResponse) {
  auto srv = start(basic_router());
  ASSERT_TRUE(srv);
  auto s = RawSocket::connect_tcp(srv->port());
  ASSERT_TRUE(s.send_all("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  HttpReader reader(s);
  auto cont = reader.next();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(s.send_all("hello"));
  auto r = reader.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
}

TEST(HttpServer, StopClosesIdleKeepAliveConnections) {
  HttpServerConfig cfg;
  cfg.stop_grace = std::chrono::minutes(10);  // stop() must not need it: idle means nothing to wait for
  cfg.idle_timeout = std::chrono::minutes(10);
  auto srv = start(basic_router(), cfg);
  ASSERT_TRUE(srv);
  auto s = RawSocket::connect_tcp(srv->port());
  HttpReader reader(s);
  ASSERT_TRUE(s.send_all(get_request("/hello")));
  ASSERT_TRUE(reader.next());
  srv->stop();
  // Ended by closing the idle session, not by running out of grace with it still open.
  EXPECT_EQ(srv->stats().connections_open, 0u);
  EXPECT_TRUE(reader.closed_by_peer());
  // (Not checked: that a new connect fails. After the listener closes, a connect to that
  // loopback port can succeed by connecting to itself, TCP simultaneous open.)
}

TEST(HttpServer, StopLetsARequestInFlightFinish) {
  std::promise<void> entered, release;
  auto release_f = release.get_future().share();
  Router router;
  ASSERT_TRUE(router.add(Method::post, "/slow", [&](Request& req) {
    entered.set_value();
    release_f.wait();
    Response r;
    r.body = "done:" + req.body;
    return r;
  }));
  auto srv = start(std::move(router));
  ASSERT_TRUE(srv);
  auto s = RawSocket::connect_tcp(srv->port());
  ASSERT_TRUE(s.send_all(post_request("/slow", "x")));
  entered.get_future().wait();
  std::thread stopper([&] { srv->stop(); });
  release.set_value();
  HttpReader reader(s);
  auto r = reader.next();
  const bool closed = reader.closed_by_peer();
  s = RawSocket();  // as a client does on Connection: close; the server's lingering close ends
  stopper.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done:x");
  EXPECT_TRUE(closed);
  EXPECT_EQ(srv->stats().connections_open, 0u);
}

TEST(HttpServer, ConnectionsBeyondTheMaximumAreClosed) {
  HttpServerConfig cfg;
  cfg.max_connections = 1;
  auto srv = start(basic_router(), cfg);
  ASSERT_TRUE(srv);
  auto first = RawSocket::connect_tcp(srv->port());
  HttpReader r1(first);
  ASSERT_TRUE(first.send_all(get_request("/hello")));
  ASSERT_TRUE(r1.next());  // the first connection is surely registered now
  auto second = RawSocket::connect_tcp(srv->port());
  ASSERT_TRUE(second.ok());
  second.send_all(get_request("/hello"));  // may fail with a reset; either way no answer
  HttpReader r2(second);
  EXPECT_FALSE(r2.next());
  EXPECT_EQ(srv->stats().connections_rejected, 1u);
}

TEST(HttpServer, StartErrors) {
  HttpServerConfig bad_addr;
  bad_addr.address = "not-an-address";
  auto a = HttpServer::start(bad_addr, Router{});
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code, lachan::Errc::invalid_config);

  auto first = start(Router{});
  ASSERT_TRUE(first);
  HttpServerConfig same_port;
  same_port.port = first->port();
  auto b = HttpServer::start(same_port, Router{});
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code, lachan::Errc::io);

  HttpServerConfig missing_tls;
  missing_tls.tls_cert_file = "/nonexistent/cert.pem";
  missing_tls.tls_key_file = "/nonexistent/key.pem";
  auto c = HttpServer::start(missing_tls, Router{});
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, lachan::Errc::invalid_config);
}

TEST(HttpServer, StreamedResponseWritesChunksThenCloses) {
  Router router;
  ASSERT_TRUE(router.add(Method::get, "/events", [](Request&) {
    Response r;
    r.content_type = "text/event-stream";
    r.with_header("Cache-Control", "no-cache");
    r.stream = [](const StreamWriter& write) {
      for (int i = 1; i <= 3; ++i)
        if (!write("id: " + std::to_string(i) + "\n\n")) return;
    };
    return r;
  }));
  auto srv = start(std::move(router));
  ASSERT_TRUE(srv);
  auto s = RawSocket::connect_tcp(srv->port());
  ASSERT_TRUE(s.send_all(get_request("/events")));
  std::string all = s.read_to_end();  // the server closes once the function returns
  EXPECT_NE(all.find("HTTP/1.1 200"), std::string::npos) << all;
  EXPECT_NE(all.find("Content-Type: text/event-stream"), std::string::npos) << all;
  EXPECT_EQ(all.find("Content-Length"), std::string::npos) << all;
  EXPECT_NE(all.find("\r\n\r\nid: 1\n\nid: 2\n\nid: 3\n\n"), std::string::npos) << all;
}

TEST(HttpServer, StopEndsAStreamThatWouldRunForever) {
  std::promise<void> started;
  std::atomic<bool> ended{false};
  Router router;
  ASSERT_TRUE(router.add(Method::get, "/forever", [&](Request&) {
    Response r;
    r.content_type = "text/event-stream";
    r.stream = [&](const StreamWriter& write) {
      bool first = true;
      while (write(": keepalive\n\n")) {
        if (std::exchange(first, false)) started.set_value();
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      ended = true;
    };
    return r;
  }));
  HttpServerConfig cfg;
  cfg.stop_grace = std::chrono::seconds(30);
  auto srv = start(std::move(router), cfg);
  ASSERT_TRUE(srv);
  auto s = RawSocket::connect_tcp(srv->port());
  ASSERT_TRUE(s.send_all(get_request("/forever")));
  started.get_future().wait();
  const auto t0 = std::chrono::steady_clock::now();
  srv->stop();
  EXPECT_TRUE(ended.load());  // the writer said false, the function returned before stop() did
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  EXPECT_EQ(srv->stats().connections_open, 0u);
}
