// The records of notification: the durable outbox (a notification is never lost on restart and
// never enqueued twice), its delivery log, subscriptions, and the live stream's event sequence.
// Plain values; the Store interface (store/store.h) persists them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/model.h"

namespace lachan::store {

enum class ChannelKind { email, webhook, web_push };
enum class NotificationState { pending, in_flight, sent, dead };

inline constexpr int kDefaultMaxAttempts = 8;

struct NewNotification {
  ChannelKind channel = ChannelKind::email;
  std::string destination;  // subscription id, e-mail address or URL: the notifier's business
  std::string org_id;       // whose notification it is (scopes the API's listings)
  std::string payload;      // JSON text
  std::string dedup_key;    // the same event for the same destination: one notification
  int max_attempts = kDefaultMaxAttempts;
  TimeMs not_before = 0;  // first attempt not before this (0: now)
};

struct Notification {
  std::int64_t id = 0;
  ChannelKind channel = ChannelKind::email;
  std::string destination;
  std::string org_id;
  std::string payload;
  std::string dedup_key;
  NotificationState state = NotificationState::pending;
  int attempts = 0;  // attempts claimed so far (the current one included while in flight)
  int max_attempts = kDefaultMaxAttempts;
  TimeMs next_attempt_at = 0;
  TimeMs lease_until = 0;  // while in flight: claimable again after this
  std::string last_error;
  TimeMs created = 0;
  TimeMs sent_at = 0;
};

struct EnqueueOutcome {
  std::int64_t id = 0;
  bool created = false;  // false: the dedup key was enqueued before; nothing changed
};

enum class DeliveryOutcome { sent, retry, failed };  // failed: permanently, do not retry

struct DeliveryReport {
  DeliveryOutcome outcome = DeliveryOutcome::sent;
  int status_code = 0;  // HTTP or SMTP code; 0 when none
  std::int64_t latency_ms = 0;
  std::string error;
  TimeMs retry_at = 0;  // for retry: when (e.g. Retry-After); 0: outbox_backoff
};

// One attempt as recorded in the delivery log.
struct Delivery {
  std::int64_t id = 0;
  std::int64_t notification_id = 0;
  int attempt = 0;
  TimeMs at = 0;
  DeliveryOutcome outcome = DeliveryOutcome::sent;
  int status_code = 0;
  std::int64_t latency_ms = 0;
  std::string error;
};

// Delay before attempt `attempts` + 1 after `attempts` failed ones: 30 s doubled each time, at most 1 h.
TimeMs outbox_backoff(int attempts);

struct NotificationFilter {
  std::optional<NotificationState> state;
  std::optional<ChannelKind> channel;
};
struct NotificationPage {
  std::vector<Notification> items;  // newest first
  std::string next_cursor;
};

// ---- Subscriptions ----

enum class SubscriptionTopic { warnings, incidents, sla_breach };

// Per organisation (username empty) or per person (username set, of the organisation).
struct Subscription {
  std::int64_t id = 0;
  std::string org_id;
  std::string username;
  std::vector<SubscriptionTopic> topics;
  Severity min_severity = Severity::informational;
  std::vector<std::string> categories;  // empty: any
  std::vector<std::string> orgs;        // organisations in scope; empty: any the subscriber may see
  ChannelKind channel = ChannelKind::email;
  std::string destination;  // e-mail address, webhook URL, or web push subscription JSON
  std::string secret;       // webhook signing secret; empty for others
  int digest_minutes = 0;   // 0: immediate; else a digest every N minutes
  std::string language;     // of its messages: "vi" or "en"; empty: the notifier's default
  bool enabled = true;
  TimeMs created = 0;
  TimeMs updated = 0;
};

// ---- Live stream ----

enum class StreamKind { warning, incident };

struct StreamEvent {
  std::int64_t seq = 0;  // assigned: strictly increasing, never reused
  TimeMs at = 0;
  StreamKind kind = StreamKind::warning;
  std::vector<std::string> org_ids;  // who may see it (the record's routes)
  std::string body;                  // JSON text
};

struct StreamPage {
  std::vector<StreamEvent> items;  // ascending seq
  // The smallest seq still kept (0 when none): a client resuming from before it has missed
  // pruned events and should reload.
  std::int64_t first_kept = 0;
  std::int64_t last_seq = 0;  // the greatest seq scanned (resume from here even if nothing was visible)
};

std::string_view to_string(ChannelKind k);
std::string_view to_string(NotificationState s);
std::string_view to_string(DeliveryOutcome o);
std::string_view to_string(SubscriptionTopic t);
std::string_view to_string(StreamKind k);
std::optional<ChannelKind> parse_channel_kind(std::string_view s);
std::optional<NotificationState> parse_notification_state(std::string_view s);
std::optional<DeliveryOutcome> parse_delivery_outcome(std::string_view s);
std::optional<SubscriptionTopic> parse_subscription_topic(std::string_view s);
std::optional<StreamKind> parse_stream_kind(std::string_view s);

}  // namespace lachan::store
