// Web Push message encryption: RFC 8291 over the aes128gcm content coding of RFC 8188, one record.
//
// Body = salt(16) | rs(4, big-endian, 4096) | idlen(1, 65) | keyid = sender public key(65) |
//        AES-128-GCM(payload | 0x02) with its 16-byte tag.
// Keys travel as the browser's PushSubscription gives them: base64url without padding.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lachan::notify {

// RFC 8291 §4: a push service must accept 4096 bytes of body; less the 86-byte header, the
// 16-byte tag and the delimiter, that leaves this much payload.
inline constexpr std::size_t kMaxPushPayload = 3993;
inline constexpr std::uint32_t kPushRecordSize = 4096;

// Fixed inputs, so that a test can reproduce a published example; production leaves them empty
// (a fresh ECDH key and a random salt per message, as the RFC requires).
struct PushEncryptionSeed {
  std::string sender_private;  // raw 32-byte P-256 scalar
  std::string salt;            // raw 16 bytes
};

// The body of a push message to the subscription (`p256dh`: the uncompressed P-256 point,
// `auth`: the 16-byte secret, both base64url). Errc::malformed when a key is not what it
// should be; Errc::limit when the payload is over kMaxPushPayload.
[[nodiscard]] Result<std::string> encrypt_push(std::string_view payload, std::string_view p256dh, std::string_view auth,
                                               const std::optional<PushEncryptionSeed>& seed = std::nullopt);

// The payload of a push message body, as the user agent recovers it (`receiver_private`: the
// 32-byte scalar, base64url). Takes untrusted bytes: anything but a well-formed single record
// that authenticates is Errc::malformed.
[[nodiscard]] Result<std::string> decrypt_push(std::string_view body, std::string_view receiver_private,
                                               std::string_view auth);

// What a browser makes for a subscription, for tests and the test push endpoint: all base64url.
struct PushKeys {
  std::string private_key;  // 32-byte scalar
  std::string p256dh;       // 65-byte uncompressed point
  std::string auth;         // 16 random bytes
};
[[nodiscard]] Result<PushKeys> generate_push_keys();

}  // namespace lachan::notify
