// One HTTP(S) POST of a delivery (webhook or push service) and what its outcome means for
// retrying. Beast/Asio stay inside the .cpp.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lachan::notify {

// What went wrong, coarse enough to decide on a retry and to show an operator.
enum class PostFailure {
  none,     // a 2xx answer
  invalid,  // not an http(s) URL, or a header with CR/LF: nothing was sent
  dns,      // the host name did not resolve
  connect,  // no TCP connection (refused, unreachable)
  tls,      // TLS handshake failed (certificate, host name, protocol)
  timeout,  // the deadline passed before a whole answer came
  io,       // the connection broke while sending or reading, or the answer was not HTTP
  status,   // an answer other than 2xx (see `status`)
};
const char* post_failure_name(PostFailure f) noexcept;

using PostHeaders = std::vector<std::pair<std::string, std::string>>;

// Every attempt has one, failed or not, so that it can be logged and classified whole; this is
// not a Result because a failure here is an expected outcome to record, not an error to pass up.
struct PostResult {
  PostFailure failure = PostFailure::none;
  unsigned status = 0;                              // 0 when no answer came
  std::chrono::milliseconds latency{0};             // from the start to the answer (or the failure)
  std::string snippet;                              // the answer body's first bytes, for the log
  std::string error;                                // what failed, in words; empty when delivered
  std::optional<std::chrono::seconds> retry_after;  // a Retry-After of delta-seconds, if any

  bool delivered() const noexcept { return failure == PostFailure::none; }
};

// POSTs `body` to `url` (http or https: OpenSSL with the system CAs, SNI, host name check) with
// `headers` (Host, Content-Length and Connection are set here; User-Agent unless given).
// Redirects are not followed: a 3xx is a `status` failure, because re-sending a signed body to
// wherever a receiver points would defeat the point of the signature. `timeout` covers the
// whole attempt, DNS included (a system resolver that hangs is not interrupted: the attempt then
// ends when getaddrinfo gives up, reported as a timeout). Keeps `snippet_bytes` of the answer.
[[nodiscard]] PostResult post(std::string_view url, const PostHeaders& headers, std::string_view body,
                              std::chrono::milliseconds timeout, std::size_t snippet_bytes = 512);

enum class Channel { webhook, web_push };
enum class Disposition {
  delivered,
  retry,   // 429, 5xx, timeouts, DNS, connect, broken connections: try again later
  gone,    // web push 404/410: the subscription no longer exists, delete it
  failed,  // any other 4xx or 3xx, an invalid request, TLS: retrying would fail the same way
};
const char* disposition_name(Disposition d) noexcept;
[[nodiscard]] Disposition classify(const PostResult& r, Channel channel) noexcept;

}  // namespace lachan::notify
