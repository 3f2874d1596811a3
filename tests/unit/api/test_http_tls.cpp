// HTTPS: a self-signed certificate made at test time, a Beast TLS client that verifies it.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <cstdlib>
#include <filesystem>

#include "api/http_server.h"
#include "api_test_util.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace fs = std::filesystem;
using namespace lachan::api;

namespace {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "lachan-tls-XXXXXX").string();
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A self-signed certificate for "localhost" (EC P-256: quick to generate).
bool make_cert(const fs::path& dir) {
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1"
      " -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
      " -keyout '" +
      (dir / "key.pem").string() + "' -out '" + (dir / "cert.pem").string() + "' >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0 && fs::exists(dir / "cert.pem");
}

}  // namespace

TEST(HttpServerTls, HttpsRequestWithVerifiedCertificate) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  if (!make_cert(dir.path())) GTEST_SKIP() << "the openssl command is not available";

  Router router;
  ASSERT_TRUE(router.add(Method::post, "/api/v1/events/{source}", [](Request& req) {
    Response r;
    r.content_type = "text/plain";
    r.body = std::string(req.param("source")) + ":" + req.body;
    return r;
  }));
  HttpServerConfig cfg;
  cfg.threads = 2;
  cfg.tls_cert_file = (dir.path() / "cert.pem").string();
  cfg.tls_key_file = (dir.path() / "key.pem").string();
  auto srv = HttpServer::start(cfg, std::move(router));
  ASSERT_TRUE(srv) << srv.error().message;
  EXPECT_TRUE((*srv)->tls());

  asio::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(cfg.tls_cert_file);
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(ioc, ctx);
  stream.set_verify_callback(ssl::host_name_verification("localhost"));
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(stream).connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), (*srv)->port()));
  stream.handshake(ssl::stream_base::client);

  for (int i = 0; i < 2; ++i) {  // two requests over the same TLS connection
    http::request<http::string_body> req{http::verb::post, "/api/v1/events/suricata", 11};
    req.set(http::field::host, "localhost");
    req.body() = "body" + std::to_string(i);
    req.prepare_payload();
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    EXPECT_EQ(res.result_int(), 200);
    EXPECT_EQ(res.body(), "suricata:body" + std::to_string(i));
  }
  EXPECT_EQ((*srv)->stats().connections_accepted, 1u);
  beast::error_code ec;
  stream.shutdown(ec);  // the server answers close_notify; an error here is not the test's concern
}

TEST(HttpServerTls, PlainHttpOnTheTlsPortGetsNoHttpAnswer) {
  TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  if (!make_cert(dir.path())) GTEST_SKIP() << "the openssl command is not available";
  HttpServerConfig cfg;
  cfg.threads = 1;
  cfg.tls_cert_file = (dir.path() / "cert.pem").string();
  cfg.tls_key_file = (dir.path() / "key.pem").string();
  Router router;
  ASSERT_TRUE(router.add(Method::get, "/", [](Request&) { return Response{}; }));
  auto srv = HttpServer::start(cfg, std::move(router));
  ASSERT_TRUE(srv) << srv.error().message;
  auto s = lachan::api::testing::RawSocket::connect_tcp((*srv)->port());
  ASSERT_TRUE(s.send_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string got = s.read_to_end();
  EXPECT_EQ(got.find("HTTP/1.1"), std::string::npos);
}
