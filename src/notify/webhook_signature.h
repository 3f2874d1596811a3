// Signing webhook deliveries so that a receiver can tell they come from us and are fresh
// (the scheme Stripe uses, so receivers' existing code fits):
//
//   X-Lachan-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
//
// The time is inside the MAC so that a captured delivery cannot be replayed outside the
// receiver's tolerance window. A receiver should: split on ',', take t and every v1 (there may
// be several while a secret is rotated), recompute the MAC over "<t>." + the body bytes as
// received (before any JSON parsing), compare in constant time, and refuse t outside
// now ± tolerance (5 minutes by default).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace lachan::notify {

inline constexpr std::string_view kWebhookSignatureHeader = "X-Lachan-Signature";
inline constexpr std::chrono::seconds kWebhookTolerance{300};

// The header value for `body` sent at `unix_s`.
[[nodiscard]] std::string sign_webhook(std::string_view secret, std::string_view body, int64_t unix_s);

// Ok when one v1 of `header` is the MAC of `body` under `secret` and t is within `tolerance`
// of `now_unix_s` (either side, for clock skew). Errc::malformed when the header is not of the
// form above; Errc::denied when no signature matches or t is out of the window.
[[nodiscard]] Result<void> verify_webhook(std::string_view header, std::string_view secret, std::string_view body,
                                          int64_t now_unix_s, std::chrono::seconds tolerance = kWebhookTolerance);

}  // namespace lachan::notify
