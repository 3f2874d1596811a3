// The SQLite side of incidents, evidence, the notification outbox, subscriptions and the live
// stream (sqlite_incidents.cpp). Each function runs on the connection it is given, inside a
// transaction its caller (SqliteStore) holds: the writer's BEGIN IMMEDIATE for a change, a
// reader's deferred BEGIN for a read, so a check and what follows it see one state.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/incident.h"
#include "store/model.h"
#include "store/outbox.h"
#include "store/sqlite/db.h"

namespace lachan::store::sqlite {

// Appends to the audit hash chain (shared with SqliteStore::append_audit).
Result<std::int64_t> append_audit_row(Db& db, const AuditEntry& e);

// ---- Incidents ----
Result<Incident> create_incident(Db& db, const Caller& caller, const NewIncident& n, const SlaPolicy& sla, TimeMs now);
Result<Incident> get_incident(Db& db, const Caller& caller, std::int64_t id);
Result<IncidentPage> query_incidents(Db& db, const Caller& caller, const IncidentQuery& query);
Result<Incident> update_incident(Db& db, const Caller& caller, std::int64_t id, const IncidentUpdate& u,
                                 const SlaPolicy& sla, TimeMs now);
Result<Incident> change_incident_status(Db& db, const Caller& caller, std::int64_t id, IncidentStatus to,
                                        std::string_view reason, TimeMs now);
Result<std::vector<IncidentChange>> list_incident_changes(Db& db, const Caller& caller, std::int64_t id);
Result<void> link_incident_warnings(Db& db, const Caller& caller, std::int64_t id,
                                    const std::vector<std::int64_t>& warning_ids, TimeMs now);
Result<TimelineEntry> add_incident_comment(Db& db, const Caller& caller, std::int64_t id, std::string_view text,
                                           TimeMs now);
Result<std::vector<TimelineEntry>> list_incident_timeline(Db& db, const Caller& caller, std::int64_t id);
Result<IncidentTask> add_incident_task(Db& db, const Caller& caller, std::int64_t id, const IncidentTask& task,
                                       TimeMs now);
Result<IncidentTask> update_incident_task(Db& db, const Caller& caller, std::int64_t task_id, const TaskUpdate& u,
                                          TimeMs now);
Result<std::vector<IncidentTask>> list_incident_tasks(Db& db, const Caller& caller, std::int64_t id);
Result<IncidentObservable> add_incident_observable(Db& db, const Caller& caller, std::int64_t id,
                                                   const IncidentObservable& o, TimeMs now);
Result<std::vector<IncidentObservable>> list_incident_observables(Db& db, const Caller& caller, std::int64_t id);
Result<IncidentLink> link_incidents(Db& db, const Caller& caller, std::int64_t a, std::int64_t b, IncidentLinkKind kind,
                                    TimeMs now);
Result<std::vector<IncidentLink>> list_incident_links(Db& db, const Caller& caller, std::int64_t id);
Result<Incident> merge_incidents(Db& db, const Caller& caller, std::int64_t into, std::int64_t from,
                                 std::string_view reason, TimeMs now);
Result<std::vector<SlaBreach>> list_sla_breaches(Db& db, TimeMs now, int limit);
Result<void> mark_sla_breach_notified(Db& db, std::int64_t id, SlaKind kind, TimeMs now);

// ---- Evidence ----
Result<Evidence> add_evidence(Db& db, const Caller& caller, std::int64_t incident_id, const NewEvidence& e,
                              std::string_view remote, TimeMs now);
Result<std::vector<Evidence>> list_evidence(Db& db, const Caller& caller, std::int64_t incident_id);
Result<CustodyEntry> record_custody(Db& db, const Caller& caller, std::int64_t evidence_id, CustodyAction action,
                                    std::string_view remote, TimeMs now);
Result<std::vector<CustodyEntry>> list_custody(Db& db, const Caller& caller, std::int64_t evidence_id);
Result<std::int64_t> verify_custody_chain(Db& db);

// ---- Outbox ----
Result<std::vector<EnqueueOutcome>> enqueue_notifications(Db& db, const std::vector<NewNotification>& batch,
                                                          TimeMs now);
Result<std::vector<Notification>> claim_notifications(Db& db, TimeMs now, int limit, TimeMs lease_ms);
Result<Notification> complete_notification(Db& db, std::int64_t id, int attempt, const DeliveryReport& report,
                                           TimeMs now);
Result<NotificationPage> list_notifications(Db& db, const std::vector<std::string>& visible_org_ids,
                                            const NotificationFilter& filter, int limit, std::string_view cursor);
Result<std::vector<Delivery>> list_deliveries(Db& db, const std::vector<std::string>& visible_org_ids,
                                              std::int64_t notification_id);
Result<Notification> requeue_notification(Db& db, const std::vector<std::string>& visible_org_ids, std::int64_t id,
                                          TimeMs now);

// ---- Subscriptions ----
Result<Subscription> create_subscription(Db& db, const Caller& caller, const Subscription& sub, TimeMs now);
Result<Subscription> get_subscription(Db& db, const Caller& caller, std::int64_t id);
Result<std::vector<Subscription>> list_subscriptions(Db& db, const Caller& caller);
Result<Subscription> update_subscription(Db& db, const Caller& caller, const Subscription& sub, TimeMs now);
Result<void> delete_subscription(Db& db, const Caller& caller, std::int64_t id);
Result<std::vector<Subscription>> subscriptions_for(Db& db, SubscriptionTopic topic);

// ---- Live stream ----
Result<std::int64_t> append_stream_event(Db& db, const StreamEvent& e, TimeMs now);
Result<StreamPage> read_stream_after(Db& db, const Caller& caller, std::int64_t after, int limit);
Result<std::int64_t> prune_stream(Db& db, TimeMs before);

}  // namespace lachan::store::sqlite
