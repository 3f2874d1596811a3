// The names, state machine, SLA arithmetic and retry schedule of incident.h and outbox.h.
#include "store/incident.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>

#include "store/outbox.h"

namespace lachan::store {
namespace {

template <typename E, std::size_t N>
using Names = std::array<std::pair<E, std::string_view>, N>;

template <typename E, std::size_t N>
std::optional<E> find_name(const Names<E, N>& names, std::string_view s) {
  for (const auto& [e, n] : names) {
    if (n == s) return e;
  }
  return std::nullopt;
}
template <typename E, std::size_t N>
std::string_view find_value(const Names<E, N>& names, E e) {
  for (const auto& [v, n] : names) {
    if (v == e) return n;
  }
  return "unknown";
}

constexpr Names<IncidentStatus, 6> kIncidentStatuses{{
    {IncidentStatus::new_, "new"},
    {IncidentStatus::triage, "triage"},
    {IncidentStatus::in_progress, "in_progress"},
    {IncidentStatus::contained, "contained"},
    {IncidentStatus::resolved, "resolved"},
    {IncidentStatus::closed, "closed"},
}};
constexpr Names<TaskStatus, 3> kTaskStatuses{{
    {TaskStatus::open, "open"},
    {TaskStatus::done, "done"},
    {TaskStatus::cancelled, "cancelled"},
}};
constexpr Names<IncidentLinkKind, 3> kLinkKinds{{
    {IncidentLinkKind::related, "related"},
    {IncidentLinkKind::duplicate, "duplicate"},
    {IncidentLinkKind::parent, "parent"},
}};
constexpr Names<SlaKind, 2> kSlaKinds{{
    {SlaKind::first_response, "first_response"},
    {SlaKind::resolution, "resolution"},
}};
constexpr Names<CustodyAction, 4> kCustodyActions{{
    {CustodyAction::upload, "upload"},
    {CustodyAction::view, "view"},
    {CustodyAction::download, "download"},
    {CustodyAction::export_, "export"},
}};
constexpr Names<ChannelKind, 3> kChannels{{
    {ChannelKind::email, "email"},
    {ChannelKind::webhook, "webhook"},
    {ChannelKind::web_push, "web_push"},
}};
constexpr Names<NotificationState, 4> kNotificationStates{{
    {NotificationState::pending, "pending"},
    {NotificationState::in_flight, "in_flight"},
    {NotificationState::sent, "sent"},
    {NotificationState::dead, "dead"},
}};
constexpr Names<DeliveryOutcome, 3> kOutcomes{{
    {DeliveryOutcome::sent, "sent"},
    {DeliveryOutcome::retry, "retry"},
    {DeliveryOutcome::failed, "failed"},
}};
constexpr Names<SubscriptionTopic, 3> kTopics{{
    {SubscriptionTopic::warnings, "warnings"},
    {SubscriptionTopic::incidents, "incidents"},
    {SubscriptionTopic::sla_breach, "sla_breach"},
}};
constexpr Names<StreamKind, 2> kStreamKinds{{
    {StreamKind::warning, "warning"},
    {StreamKind::incident, "incident"},
}};

}  // namespace

SlaDue sla_due(const SlaPolicy& policy, Severity severity, TimeMs created) {
  auto i = static_cast<std::size_t>(severity);
  return SlaDue{created + policy.first_response_ms.at(i), created + policy.resolution_ms.at(i)};
}

bool may_report_incident(Role role) {
  return role != Role::viewer;
}

bool incident_transition_allowed(IncidentStatus from, IncidentStatus to) {
  using S = IncidentStatus;
  switch (from) {
    case S::new_:
      return to == S::triage;
    case S::triage:
      return to == S::in_progress || to == S::closed;
    case S::in_progress:
      return to == S::contained || to == S::resolved;
    case S::contained:
      return to == S::resolved;
    case S::resolved:
      return to == S::closed || to == S::triage;
    case S::closed:
      return to == S::triage;
  }
  return false;
}

std::string format_incident_ref(int year, std::int64_t seq) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s-%04d-%06lld", kIncidentRefPrefix.data(), year, static_cast<long long>(seq));
  return buf;
}

TimeMs outbox_backoff(int attempts) {
  constexpr TimeMs kBase = 30'000, kMax = 3'600'000;
  TimeMs d = kBase;
  for (int i = 1; i < attempts && d < kMax; ++i) d *= 2;
  return std::min(d, kMax);
}

std::string_view to_string(IncidentStatus s) {
  return find_value(kIncidentStatuses, s);
}
std::string_view to_string(TaskStatus s) {
  return find_value(kTaskStatuses, s);
}
std::string_view to_string(IncidentLinkKind k) {
  return find_value(kLinkKinds, k);
}
std::string_view to_string(SlaKind k) {
  return find_value(kSlaKinds, k);
}
std::string_view to_string(CustodyAction a) {
  return find_value(kCustodyActions, a);
}
std::string_view to_string(ChannelKind k) {
  return find_value(kChannels, k);
}
std::string_view to_string(NotificationState s) {
  return find_value(kNotificationStates, s);
}
std::string_view to_string(DeliveryOutcome o) {
  return find_value(kOutcomes, o);
}
std::string_view to_string(SubscriptionTopic t) {
  return find_value(kTopics, t);
}
std::string_view to_string(StreamKind k) {
  return find_value(kStreamKinds, k);
}
std::optional<IncidentStatus> parse_incident_status(std::string_view s) {
  return find_name(kIncidentStatuses, s);
}
std::optional<TaskStatus> parse_task_status(std::string_view s) {
  return find_name(kTaskStatuses, s);
}
std::optional<IncidentLinkKind> parse_incident_link_kind(std::string_view s) {
  return find_name(kLinkKinds, s);
}
std::optional<CustodyAction> parse_custody_action(std::string_view s) {
  return find_name(kCustodyActions, s);
}
std::optional<ChannelKind> parse_channel_kind(std::string_view s) {
  return find_name(kChannels, s);
}
std::optional<NotificationState> parse_notification_state(std::string_view s) {
  return find_name(kNotificationStates, s);
}
std::optional<DeliveryOutcome> parse_delivery_outcome(std::string_view s) {
  return find_name(kOutcomes, s);
}
std::optional<SubscriptionTopic> parse_subscription_topic(std::string_view s) {
  return find_name(kTopics, s);
}
std::optional<StreamKind> parse_stream_kind(std::string_view s) {
  return find_name(kStreamKinds, s);
}

}  // namespace lachan::store
