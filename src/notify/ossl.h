// Internal to notify: OpenSSL 3 handles owned by unique_ptr, and the few P-256 / HMAC operations
// the push encryption, VAPID and webhook code share. Not for other modules.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <openssl/evp.h>

#include "core/result.h"

namespace lachan::notify::ossl {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// The last OpenSSL error queue entry as text (and the queue cleared), for error messages.
std::string last_error();

Result<std::string> random_bytes(size_t n);
// HMAC-SHA-256 (32 bytes).
Result<std::string> hmac_sha256(std::string_view key, std::string_view data);

// A fresh P-256 key pair.
Result<Pkey> generate_p256();
// A P-256 public key from its 65-byte uncompressed point (0x04 | x | y); Errc::malformed when
// the bytes are not a point on the curve.
Result<Pkey> p256_public_from_point(std::string_view point);
// A P-256 key pair from the 32-byte private scalar (the public point is computed).
Result<Pkey> p256_from_private(std::string_view scalar);
// Whether `key` is an EC key on P-256.
bool is_p256(EVP_PKEY* key);
// The 65-byte uncompressed public point / the 32-byte private scalar.
Result<std::string> p256_point(EVP_PKEY* key);
Result<std::string> p256_scalar(EVP_PKEY* key);
// ECDH shared secret (the 32-byte x coordinate).
Result<std::string> ecdh(EVP_PKEY* own_private, EVP_PKEY* peer_public);

}  // namespace lachan::notify::ossl
