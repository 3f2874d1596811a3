// VAPID (RFC 8292): the application server's P-256 key and the
// `Authorization: vapid t=<JWT>, k=<public key>` header that identifies it to a push service.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

struct evp_pkey_st;

namespace lachan::notify {

// RFC 8292 §2: a push service refuses tokens that expire more than 24 hours ahead.
inline constexpr std::chrono::seconds kMaxVapidLifetime{24 * 3600};

class VapidKey {
 public:
  // The key in the PEM file at `path` (PKCS#8 or SEC1, P-256 only); when the file does not
  // exist, a new key written there with mode 0600 (created exclusively, so two servers
  // starting together cannot both write one). Errc::io when it cannot be read or written,
  // Errc::invalid_config when the file holds something else than a P-256 private key.
  [[nodiscard]] static Result<VapidKey> load_or_create(const std::filesystem::path& path);
  [[nodiscard]] static Result<VapidKey> from_pem(std::string_view pem);
  [[nodiscard]] static Result<VapidKey> generate();

  // The public key as the browser's `applicationServerKey` wants it: base64url of the 65-byte
  // uncompressed point. Also the `k=` of the header.
  const std::string& public_key() const noexcept { return public_key_; }
  // PKCS#8 PEM of the private key.
  [[nodiscard]] Result<std::string> to_pem() const;

  // The value of the Authorization header for a push to `endpoint`: a JWT (ES256) with
  // aud = the endpoint's origin, exp = now + lifetime (capped at 24 h), sub = `subject`
  // (a mailto: or https: contact). Errc::invalid_config for an endpoint that is not an
  // http(s) URL, a subject that is neither mailto: nor https:, or a lifetime <= 0.
  [[nodiscard]] Result<std::string> authorization(std::string_view endpoint, std::string_view subject,
                                                  int64_t now_unix_s,
                                                  std::chrono::seconds lifetime = std::chrono::hours(12)) const;
  // The signed JWT alone (header.claims.signature, base64url, raw r||s signature).
  [[nodiscard]] Result<std::string> token(std::string_view audience, std::string_view subject,
                                          int64_t exp_unix_s) const;

 private:
  VapidKey(std::shared_ptr<evp_pkey_st> key, std::string public_key)
      : key_(std::move(key)), public_key_(std::move(public_key)) {}
  static Result<VapidKey> wrap(evp_pkey_st* key);

  std::shared_ptr<evp_pkey_st> key_;  // immutable once made: copies share it
  std::string public_key_;
};

// The origin of a push endpoint URL, as VAPID's aud claim: lowercase scheme and host, the port
// only when not the scheme's default ("https://fcm.googleapis.com"). Errc::invalid_config when
// the URL is not absolute http(s) with a host.
[[nodiscard]] Result<std::string> push_audience(std::string_view endpoint);

// What a push service checks, for tests and the test push endpoint.
struct VapidClaims {
  std::string aud, sub;
  int64_t exp = 0;
};
// Verifies an ES256 JWT with the base64url public key and returns its claims. Errc::malformed
// when it is not a JWT with those claims, Errc::denied when the signature does not verify or
// `now_unix_s` is past exp or exp is over 24 h ahead.
[[nodiscard]] Result<VapidClaims> verify_vapid_token(std::string_view jwt, std::string_view public_key,
                                                     int64_t now_unix_s);
// The same from a whole header value "vapid t=<JWT>, k=<key>"; the key is the header's own.
[[nodiscard]] Result<VapidClaims> verify_vapid_authorization(std::string_view header, int64_t now_unix_s,
                                                             std::string* public_key = nullptr);

}  // namespace lachan::notify
