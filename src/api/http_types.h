// Request and Response as handlers see them: plain values, no Beast types, so that handler code
// (REST endpoints, auth) compiles without Boost.Beast/Asio.
#pragma once

#include <boost/json/value.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lachan::api {

enum class Method { get, head, post, put, patch, del, options, other };

// "GET", "DELETE", ...; "OTHER" for Method::other.
const char* method_name(Method m) noexcept;
// Case-sensitive, as HTTP methods are; unknown names give Method::other.
Method parse_method(std::string_view name) noexcept;

using Header = std::pair<std::string, std::string>;

struct Request {
  Method method = Method::get;
  std::string method_string;         // as sent, e.g. "PROPFIND" when method is other
  std::string target;                // raw request target, e.g. "/api/v1/warnings?state=new"
  std::string path;                  // percent-decoded path, e.g. "/api/v1/warnings/a b"
  std::vector<Header> path_params;   // {id} -> value, percent-decoded
  std::vector<Header> query_params;  // in order, percent-decoded, '+' as space; keys may repeat
  std::vector<Header> headers;       // as received (names in the client's case)
  std::string body;                  // gunzipped when the request had Content-Encoding: gzip
  std::string remote_ip;             // peer address, e.g. "127.0.0.1" or "::1"
  uint16_t remote_port = 0;

  // Value of path parameter `name`; empty when the route has no such parameter.
  std::string_view param(std::string_view name) const noexcept;
  // First value of query parameter `key` (a key without '=' gives an empty value).
  std::optional<std::string_view> query(std::string_view key) const noexcept;
  // Every value of query parameter `key`, in order.
  std::vector<std::string_view> query_all(std::string_view key) const;
  // First header named `name`, compared case-insensitively.
  std::optional<std::string_view> header(std::string_view name) const noexcept;
};

// Writes one chunk of a streamed body; false once the client has gone or the server is stopping
// (the stream should then end). An empty chunk sends nothing and only asks that question.
using StreamWriter = std::function<bool(std::string_view chunk)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<Header> headers;  // extra headers: Retry-After, WWW-Authenticate, Set-Cookie (may repeat)
  // Set: the body is streamed instead (e.g. Server-Sent Events). The headers are sent, then this
  // runs on a thread of its own (not an io thread) and writes until it returns or the writer
  // says false; the connection then closes. `body` is ignored. No Content-Length, no keep-alive.
  std::function<void(const StreamWriter& write)> stream;

  Response& with_header(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// `value` serialised as the body, content type application/json.
Response json_response(int status, const boost::json::value& value);
// {"error":{"code":"<code>","message":"<message>"}} with `status`.
Response error_response(int status, std::string_view code, std::string_view message);

}  // namespace lachan::api
