// Backend-independent pieces every Store backend shares, so that they behave alike: secrets and
// their hashes, the API key format, Argon2id passwords, the audit hash chain, cursors and the JSON
// text form of list fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/incident.h"
#include "store/model.h"

namespace lachan::store {

// ---- Secrets ----
// `bytes` random bytes from the OpenSSL CSPRNG, as lowercase hex.
Result<std::string> random_hex(std::size_t bytes);
// `chars` random characters of the RFC 4648 base32 alphabet, lowercase (a-z, 2-7).
Result<std::string> random_base32(std::size_t chars);
std::string sha256_hex(std::string_view data);
// Equal lengths and bytes, in time independent of where they differ.
bool constant_time_equal(std::string_view a, std::string_view b);

// API keys look like "lk_<id>_<secret>": id 12 base32 characters, secret 64 hex characters.
inline constexpr std::size_t kApiKeyIdChars = 12;
inline constexpr std::size_t kApiKeySecretBytes = 32;
struct ApiKeyParts {
  std::string id;
  std::string secret;
};
std::optional<ApiKeyParts> parse_api_key(std::string_view plaintext);
std::string format_api_key(std::string_view id, std::string_view secret);

// Argon2id, t=2, m=19456 KiB, p=1, 16-byte salt, 32-byte hash; the encoded "$argon2id$..." form.
Result<std::string> hash_password(std::string_view password);
bool verify_password(const std::string& encoded, std::string_view password);
// A valid hash of a password nobody has, to verify against when the user is unknown so that the
// answer takes as long as for a known one.
const std::string& decoy_password_hash();

// SHA-256 (hex) of the previous entry's hash and this entry's fields (all but id), each
// length-prefixed so that no two different entries serialise alike.
std::string audit_chain_hash(std::string_view prev_hash, const AuditEntry& e);
// The same for the evidence chain of custody: SHA-256 (hex) of the previous entry's hash and this
// entry's fields (all but id), length-prefixed.
std::string custody_chain_hash(std::string_view prev_hash, const CustodyEntry& e);

// ---- Cursors ----
// An opaque cursor: a tag (what it was made for) and some integers. decode_cursor returns nullopt
// unless the text is a cursor of exactly this tag with n values.
std::string encode_cursor(std::string_view tag, const std::vector<std::int64_t>& values);
std::optional<std::vector<std::int64_t>> decode_cursor(std::string_view tag, std::string_view cursor, std::size_t n);

// ---- JSON text of list fields ----
std::string to_json(const std::vector<std::string>& v);
std::string to_json(const std::vector<Entity>& v);
std::string to_json(const std::vector<Contact>& v);
std::string to_json(const std::vector<std::uint32_t>& v);
// Each returns false (leaving out unchanged) for text that is not the expected JSON.
bool from_json(std::string_view text, std::vector<std::string>& out);
bool from_json(std::string_view text, std::vector<Entity>& out);
bool from_json(std::string_view text, std::vector<Contact>& out);
bool from_json(std::string_view text, std::vector<std::uint32_t>& out);

}  // namespace lachan::store
