#include "notify/web_push.h"

#include <algorithm>

#include "notify/push_crypto.h"

namespace lachan::notify {
namespace {

PostResult invalid(std::string why) {
  PostResult r;
  r.failure = PostFailure::invalid;
  r.error = std::move(why);
  return r;
}

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

const char* urgency_name(Urgency u) noexcept {
  switch (u) {
    case Urgency::very_low:
      return "very-low";
    case Urgency::low:
      return "low";
    case Urgency::normal:
      return "normal";
    case Urgency::high:
      return "high";
  }
  return "normal";
}

PostResult send_web_push(const PushSubscription& sub, std::string_view payload, const VapidKey& vapid,
                         const WebPushOptions& options, int64_t now_unix_s) {
  // RFC 8030 §5.4.
  if (!options.topic.empty() &&
      (options.topic.size() > 32 || !std::all_of(options.topic.begin(), options.topic.end(), is_base64url_char)))
    return invalid("a push topic is 1 to 32 base64url characters");
  if (options.ttl.count() < 0) return invalid("a push TTL cannot be negative");
  auto auth = vapid.authorization(sub.endpoint, options.subject, now_unix_s);
  if (!auth) return invalid("VAPID: " + auth.error().message);
  auto body = encrypt_push(payload, sub.p256dh, sub.auth);
  if (!body) return invalid("encrypting the push message: " + body.error().message);
  PostHeaders headers = {
      {"Content-Type", "application/octet-stream"}, {"Content-Encoding", "aes128gcm"},
      {"TTL", std::to_string(options.ttl.count())}, {"Urgency", urgency_name(options.urgency)},
      {"Authorization", std::move(*auth)},
  };
  if (!options.topic.empty()) headers.emplace_back("Topic", options.topic);
  return post(sub.endpoint, headers, *body, options.timeout);
}

}  // namespace lachan::notify
