// A tiny HTTP/1.1 server for the notify tests, on 127.0.0.1 port 0 in its own thread: reads one
// request per connection (headers and a Content-Length body), gives it to the handler, writes
// the handler's raw answer and closes.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio.hpp>

#include "core/strings.h"

namespace lachan::notify::testing {

struct Request {
  std::string method, target;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(to_lower(name));
    return it == headers.end() ? std::string() : it->second;
  }
};

inline std::string answer(int status, std::string_view body = "", std::string_view extra_headers = "") {
  return "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n" + std::string(extra_headers) + "\r\n" + std::string(body);
}

class TestServer {
 public:
  using Handler = std::function<std::string(const Request&)>;

  explicit TestServer(Handler handler)
      : acceptor_(io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0)),
        handler_(std::move(handler)) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] { serve(); });
  }
  ~TestServer() {
    // Wake the accept with one connection of our own.
    stop_ = true;
    boost::system::error_code ec;
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket wake(io);
    wake.connect(acceptor_.local_endpoint(), ec);
    thread_.join();
  }
  std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  unsigned short port() const { return port_; }
  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void serve() {
    namespace net = boost::asio;
    for (;;) {
      boost::system::error_code ec;
      net::ip::tcp::socket s(io_);
      acceptor_.accept(s, ec);
      if (ec || stop_) return;
      std::string data;
      char buf[4096];
      size_t head_end;
      while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
        size_t n = s.read_some(net::buffer(buf), ec);
        if (ec) break;
        data.append(buf, n);
      }
      if (head_end == std::string::npos) continue;
      Request req;
      std::string head = data.substr(0, head_end);
      size_t line_end = head.find("\r\n");
      std::string first = head.substr(0, line_end);
      size_t sp1 = first.find(' '), sp2 = first.find(' ', sp1 + 1);
      req.method = first.substr(0, sp1);
      req.target = first.substr(sp1 + 1, sp2 - sp1 - 1);
      for (size_t pos = line_end; pos != std::string::npos && pos < head.size();) {
        size_t next = head.find("\r\n", pos + 2);
        std::string line = head.substr(pos + 2, next == std::string::npos ? std::string::npos : next - pos - 2);
        if (auto colon = line.find(':'); colon != std::string::npos) {
          std::string value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          req.headers[to_lower(line.substr(0, colon))] = value;
        }
        pos = next;
      }
      size_t length = req.headers.count("content-length") ? std::stoul(req.headers["content-length"]) : 0;
      req.body = data.substr(head_end + 4);
      while (req.body.size() < length) {
        size_t n = s.read_some(net::buffer(buf), ec);
        if (ec) break;
        req.body.append(buf, n);
      }
      std::string resp = handler_(req);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(std::move(req));
      }
      net::write(s, net::buffer(resp), ec);
      s.shutdown(net::ip::tcp::socket::shutdown_both, ec);
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  Handler handler_;
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  unsigned short port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace lachan::notify::testing
