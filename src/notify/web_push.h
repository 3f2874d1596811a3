// Sending one Web Push message (RFC 8030) to a browser's subscription: the payload encrypted
// for it (RFC 8291), identified with VAPID (RFC 8292), posted to its push service.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "notify/http_post.h"
#include "notify/vapid.h"

namespace lachan::notify {

// What the browser's PushSubscription.toJSON() gives: the push service URL and the keys.
struct PushSubscription {
  std::string endpoint;
  std::string p256dh;  // base64url uncompressed P-256 point
  std::string auth;    // base64url 16 bytes
};

// RFC 8030 §5.3: a push service may hold back low-urgency messages to save the device's battery.
enum class Urgency { very_low, low, normal, high };
const char* urgency_name(Urgency u) noexcept;  // "very-low", "low", "normal", "high"

struct WebPushOptions {
  std::chrono::seconds ttl{24 * 3600};  // how long the push service keeps an undelivered message
  Urgency urgency = Urgency::normal;
  std::string topic;  // optional: a newer message with the same topic replaces an undelivered one
  std::chrono::milliseconds timeout{10'000};
  std::string subject = "mailto:soc@lachan.invalid";  // VAPID contact (mailto: or https:)
};

// Encrypts `payload` for `sub`, signs a VAPID token for its endpoint's origin (valid 12 hours
// from `now_unix_s`) and POSTs it with Content-Encoding: aes128gcm, TTL, Urgency, Topic and
// Authorization. A subscription or option that cannot be used (bad keys, payload over
// kMaxPushPayload, a topic not of 1-32 base64url characters) is PostFailure::invalid with
// nothing sent. Classify with Channel::web_push: 404/410 mean the subscription is gone.
[[nodiscard]] PostResult send_web_push(const PushSubscription& sub, std::string_view payload, const VapidKey& vapid,
                                       const WebPushOptions& options, int64_t now_unix_s);

}  // namespace lachan::notify
