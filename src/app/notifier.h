// Delivering warnings, incidents and SLA breaches to people and systems (`lachan serve`).
//
// Producer: after the pipeline commits a batch, each new warning becomes one live-stream event
// and, for every enabled subscription that wants it, one outbox notification (dedup key
// "<event id>:sub:<subscription id>", so a repeat enqueues nothing). The notifier's own
// checkpoint ("notifier": the greatest warning id handled) is written after the batch's
// notifications, and on start the warnings after it are handled again: a crash between the
// pipeline's commit and the enqueue loses nothing (the stream event may then appear twice).
//
// Dispatcher: one thread claims due notifications with a lease (a crash leaves them claimable
// again once it expires), sends them by channel (webhook: signed JSON POST; e-mail: the
// operator's templates over SMTP; Web Push: RFC 8291 + VAPID) and records each attempt; failures
// are retried with exponential backoff and full jitter (or the receiver's Retry-After) until
// dead. Digest subscriptions' notifications are due together at the end of their period and go
// out as one message. Delivery is at least once: a crash after a send and before its record
// sends it again, with the same X-Lachan-Delivery id for the receiver to drop the repeat.
#pragma once

#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/result.h"
#include "notify/mail_smtp.h"
#include "store/store.h"

namespace lachan::app {

struct ServerContext;

struct NotifyConfig {
  std::string console_url = "http://127.0.0.1:8080";  // links in messages: <console_url>/warnings/<id>
  std::string language = "vi";                        // the templates used: vi or en
  std::string templates_dir;                          // <dir>/<language>/<name>.{subject,txt}
  bool smtp_enabled = false;                          // [smtp] host set
  notify::SmtpConfig smtp;
  std::string mail_from = "lachan@localhost";
  std::string mail_from_name = "Lachan";
  std::string push_subject = "mailto:soc@lachan.invalid";  // VAPID contact
  std::chrono::milliseconds send_timeout{10'000};          // one webhook or push attempt
  int max_attempts = store::kDefaultMaxAttempts;
  std::chrono::milliseconds retry_base{30'000};  // backoff after the first failure (jittered, doubled)
  std::chrono::milliseconds retry_cap{3'600'000};
  std::chrono::milliseconds lease{60'000};  // a claimed notification is claimable again after this
  std::chrono::milliseconds poll{500};      // how often the outbox is looked at when idle
  int claim_batch = 50;
  std::size_t max_streams = 64;  // concurrent GET /api/v1/stream connections
  std::chrono::seconds stream_retention{7 * 24 * 3600};  // live-stream events kept this long
};

// Reads config/notify.toml: console_url, language, templates_dir (relative to the file),
// send_timeout_ms, max_attempts, retry_base_ms, retry_cap_ms, lease_ms, poll_ms, max_streams,
// stream_retention_s,
// push_subject, and [smtp] host, port, security (none|starttls|tls), username, password_env
// (the name of an environment variable) or password_file, from, from_name, ca_file, helo,
// timeout_ms. A password is never written in the file itself.
Result<void> load_notify_toml(const std::string& path, NotifyConfig& cfg);

// One thing to tell subscribers about.
struct NotifyEvent {
  store::SubscriptionTopic topic = store::SubscriptionTopic::warnings;
  store::StreamKind stream_kind = store::StreamKind::warning;
  std::string kind;                 // "warning.created", "incident.created", "sla.breach", ...
  std::string ref;                  // "warning:12", "incident:3": with the subscription, the dedup key
  std::vector<std::string> orgs;    // the organisations it is about (victim, affected)
  std::vector<std::string> routes;  // who may see it
  store::Severity severity = store::Severity::medium;
  std::vector<std::string> categories;  // tags or category, for the subscriptions' filters
  std::string title;
  std::string link;          // console path, "/warnings/12"
  boost::json::object data;  // the record
};

// Does subscription `s` want `e`? Topic, the subscriber's organisation among the routes, minimum
// severity, categories (equal, or a prefix followed by '.' or ':'), organisations in scope.
bool subscription_matches(const store::Subscription& s, const NotifyEvent& e);

// {{name}} replaced by vars[name] (unknown names: empty).
std::string render_template(std::string_view text, const std::vector<std::pair<std::string, std::string>>& vars);

class Notifier {
 public:
  Notifier(ServerContext& ctx, NotifyConfig cfg);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // Loads or creates the VAPID key (<data_dir>/vapid.pem), handles the warnings after the
  // notifier's checkpoint and the incidents changed since its incident checkpoint (less a
  // margin: a change repeated within it is dropped by the outbox's dedup keys), starts the
  // dispatcher. Call before the pipeline starts.
  Result<void> start();
  // Ends the dispatcher: the send in progress finishes; the rest of its claim is released (due
  // again now). Idempotent.
  void stop();

  // The pipeline's hook (its thread): the batch's new warnings.
  void on_warnings(const std::vector<store::WarningUpsert>& upserts, const std::vector<store::UpsertOutcome>& outcomes);
  // For the incident side: "incident.created", "incident.updated", … (topic incidents) or
  // "sla.breach" (topic sla_breach) about `incident`, visible to `routes` (empty: its routed_to).
  Result<void> notify_incident_event(std::string_view kind, const store::Incident& incident,
                                     const std::vector<std::string>& routes = {});
  // The same, handed to the dispatcher's thread: returns at once (for request handlers). The
  // change is committed already; if the process ends before the dispatcher publishes it, the
  // next start finds the incident by its update time (see start()) and publishes it then.
  void post_incident_event(std::string kind, store::Incident incident);
  // Stream events and notifications for `events`, retried until the store takes them or the
  // server stops.
  Result<void> publish(const std::vector<NotifyEvent>& events);

  const NotifyConfig& config() const noexcept { return cfg_; }
  const std::string& vapid_public_key() const noexcept;
  // Waits until a stream event is appended after `seen` (a counter, see stream_version) or the
  // timeout passes; returns the current counter.
  std::uint64_t wait_stream(std::uint64_t seen, std::chrono::milliseconds timeout);
  std::uint64_t stream_version() const noexcept { return stream_version_.load(); }
  void wake_dispatcher();

  std::atomic<std::size_t> open_streams{0};

 private:
  Result<void> catch_up_incidents(const store::Caller& system);
  struct Impl;
  ServerContext& ctx_;
  NotifyConfig cfg_;
  std::unique_ptr<Impl> impl_;
  std::vector<NotifyEvent> unpublished_;  // new warnings a failed publish left (pipeline thread)
  std::atomic<std::uint64_t> stream_version_{0};
  std::mutex stream_mu_;
  std::condition_variable stream_cv_;
};

}  // namespace lachan::app
