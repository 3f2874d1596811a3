#include "notify/webhook_signature.h"

#include <charconv>
#include <cstdlib>
#include <vector>

#include <openssl/crypto.h>

#include "notify/ossl.h"

namespace lachan::notify {
namespace {

std::string mac_hex(std::string_view secret, std::string_view body, std::string_view t) {
  std::string input;
  input.reserve(t.size() + 1 + body.size());
  input.append(t) += '.';
  input.append(body);
  auto mac = ossl::hmac_sha256(secret, input);
  // HMAC-SHA-256 through the default provider does not fail short of memory exhaustion.
  if (!mac) std::abort();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned char c : *mac) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

std::string sign_webhook(std::string_view secret, std::string_view body, int64_t unix_s) {
  std::string t = std::to_string(unix_s);
  return "t=" + t + ",v1=" + mac_hex(secret, body, t);
}

Result<void> verify_webhook(std::string_view header, std::string_view secret, std::string_view body, int64_t now_unix_s,
                            std::chrono::seconds tolerance) {
  std::string_view t;
  std::vector<std::string_view> v1;
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.substr(0, 2) == "t=")
      t = item.substr(2);
    else if (item.substr(0, 3) == "v1=")
      v1.push_back(item.substr(3));
    // Other schemes (v0=, a future v2=) are ignored, as Stripe's receivers do.
  }
  int64_t ts = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), ts);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v1.empty())
    return make_error(Errc::malformed, "the signature header needs t=<unix seconds> and v1=<hex>");
  // The MAC covers t exactly as sent, so "t=0042" does not verify as the signature of t=42.
  const std::string expected = mac_hex(secret, body, t);
  bool match = false;
  for (std::string_view sig : v1)  // every candidate is compared, in constant time each
    match |= sig.size() == expected.size() && CRYPTO_memcmp(sig.data(), expected.data(), expected.size()) == 0;
  if (!match) return make_error(Errc::denied, "no v1 signature matches the body");
  if (ts < now_unix_s - tolerance.count() || ts > now_unix_s + tolerance.count())
    return make_error(Errc::denied, "the signature's time is outside the tolerance window");
  return {};
}

}  // namespace lachan::notify
