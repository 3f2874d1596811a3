// The notification outbox (idempotent enqueue, leases, retries, dead and replay, the delivery
// log), subscriptions scoped by caller, and the live stream's resumable, scoped sequence.
// Time is injected: every method takes `now`; nothing sleeps.
#include "store_fixture.h"

namespace lachan::store::testing {
namespace {

constexpr TimeMs kLease = 30'000;

NewNotification note(std::string key, std::string org = "evn", int max_attempts = kDefaultMaxAttempts) {
  NewNotification n;
  n.channel = ChannelKind::webhook;
  n.destination = "sub:1";
  n.org_id = std::move(org);
  n.payload = R"({"warning":1})";
  n.dedup_key = std::move(key);
  n.max_attempts = max_attempts;
  return n;
}

DeliveryReport report(DeliveryOutcome outcome, int code, std::string error = "", TimeMs retry_at = 0) {
  DeliveryReport r;
  r.outcome = outcome;
  r.status_code = code;
  r.latency_ms = 120;
  r.error = std::move(error);
  r.retry_at = retry_at;
  return r;
}

std::vector<std::int64_t> ids_of(const std::vector<Notification>& ns) {
  std::vector<std::int64_t> out;
  for (const auto& n : ns) out.push_back(n.id);
  return out;
}

TEST_P(StoreTest, EnqueueIsIdempotentOnTheDedupKey) {
  auto first = store().enqueue_notifications({note("a"), note("b"), note("a")}, kT0);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->size(), 3u);
  EXPECT_TRUE((*first)[0].created);
  EXPECT_TRUE((*first)[1].created);
  EXPECT_FALSE((*first)[2].created);
  EXPECT_EQ((*first)[2].id, (*first)[0].id);

  // The same events again after a restart: nothing new, same ids.
  reopen();
  NewNotification changed = note("b");
  changed.payload = R"({"other":true})";
  auto again = store().enqueue_notifications({changed, note("c")}, kT0 + 1);
  ASSERT_TRUE(again);
  EXPECT_FALSE((*again)[0].created);
  EXPECT_EQ((*again)[0].id, (*first)[1].id);
  EXPECT_TRUE((*again)[1].created);

  auto all = store().list_notifications({"evn"}, {}, 100, "");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->items.size(), 3u);
  EXPECT_EQ(all->items[1].payload, R"({"warning":1})");  // the first enqueue's payload stands
  EXPECT_EQ(all->items[0].state, NotificationState::pending);

  auto bad = store().enqueue_notifications({note("")}, kT0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::malformed);
}

TEST_P(StoreTest, ClaimLeasesAndAnExpiredLeaseIsClaimableAgain) {
  auto q = store().enqueue_notifications({note("a"), note("b"), note("c")}, kT0);
  ASSERT_TRUE(q);
  std::int64_t a = (*q)[0].id, b = (*q)[1].id, c = (*q)[2].id;

  auto first = store().claim_notifications(kT0, 2, kLease);
  ASSERT_TRUE(first);
  ASSERT_EQ(ids_of(*first), (std::vector<std::int64_t>{a, b}));
  EXPECT_EQ((*first)[0].state, NotificationState::in_flight);
  EXPECT_EQ((*first)[0].attempts, 1);
  EXPECT_EQ((*first)[0].lease_until, kT0 + kLease);
  // In flight is not claimed twice while its lease holds.
  EXPECT_EQ(ids_of(*store().claim_notifications(kT0, 10, kLease)), std::vector<std::int64_t>{c});
  EXPECT_TRUE(store().claim_notifications(kT0 + kLease - 1, 10, kLease)->empty());

  // The sender of a and b died; a restarted one takes them over when the lease runs out.
  reopen();
  auto retaken = store().claim_notifications(kT0 + kLease, 10, kLease);
  ASSERT_TRUE(retaken);
  ASSERT_EQ(ids_of(*retaken), (std::vector<std::int64_t>{a, b, c}));
  EXPECT_EQ((*retaken)[0].attempts, 2);

  // The old sender's late report is refused: only the current attempt completes.
  auto stale = store().complete_notification(a, 1, report(DeliveryOutcome::sent, 200), kT0 + kLease + 1);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, Errc::conflict);
  auto sent = store().complete_notification(a, 2, report(DeliveryOutcome::sent, 200), kT0 + kLease + 2);
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(sent->state, NotificationState::sent);
  EXPECT_EQ(sent->sent_at, kT0 + kLease + 2);
  EXPECT_EQ(store().complete_notification(a, 2, report(DeliveryOutcome::sent, 200), kT0).error().code, Errc::conflict);

  // Sent is never claimed again, however late.
  auto later = store().claim_notifications(kT0 + 100 * kLease, 10, kLease);
  ASSERT_TRUE(later);
  EXPECT_EQ(ids_of(*later), (std::vector<std::int64_t>{b, c}));
}

TEST_P(StoreTest, NotBeforeDelaysTheFirstAttempt) {
  NewNotification n = note("digest");
  n.not_before = kT0 + 5 * kMinute;
  ASSERT_TRUE(store().enqueue_notifications({n}, kT0));
  EXPECT_TRUE(store().claim_notifications(kT0 + 5 * kMinute - 1, 10, kLease)->empty());
  EXPECT_EQ(store().claim_notifications(kT0 + 5 * kMinute, 10, kLease)->size(), 1u);
}

TEST_P(StoreTest, RetriesBackOffThenDieAndCanBeReplayed) {
  auto q = store().enqueue_notifications({note("a", "evn", 3)}, kT0);
  ASSERT_TRUE(q);
  std::int64_t id = (*q)[0].id;

  TimeMs now = kT0;
  auto claim_one = [&](TimeMs at) {
    auto c = store().claim_notifications(at, 10, kLease);
    EXPECT_TRUE(c);
    return c && c->size() == 1 ? (*c)[0] : Notification{};
  };
  Notification n = claim_one(now);
  ASSERT_EQ(n.id, id);
  auto r1 = store().complete_notification(id, n.attempts, report(DeliveryOutcome::retry, 503, "unavailable"), now + 10);
  ASSERT_TRUE(r1) << r1.error().message;
  EXPECT_EQ(r1->state, NotificationState::pending);
  EXPECT_EQ(r1->next_attempt_at, now + 10 + outbox_backoff(1));
  EXPECT_EQ(r1->last_error, "unavailable");
  EXPECT_TRUE(store().claim_notifications(r1->next_attempt_at - 1, 10, kLease)->empty());

  now = r1->next_attempt_at;
  n = claim_one(now);
  ASSERT_EQ(n.attempts, 2);
  // The receiver said when (Retry-After): that wins over the backoff.
  auto r2 = store().complete_notification(id, 2, report(DeliveryOutcome::retry, 429, "slow down", now + kMinute), now);
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->next_attempt_at, now + kMinute);

  now += kMinute;
  n = claim_one(now);
  ASSERT_EQ(n.attempts, 3);
  auto r3 = store().complete_notification(id, 3, report(DeliveryOutcome::retry, 500, "boom"), now);
  ASSERT_TRUE(r3);
  EXPECT_EQ(r3->state, NotificationState::dead);  // the last of 3 attempts
  EXPECT_TRUE(store().claim_notifications(now + 1000 * kMinute, 10, kLease)->empty());

  auto log = store().list_deliveries({"evn"}, id);
  ASSERT_TRUE(log) << log.error().message;
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].attempt, 1);
  EXPECT_EQ((*log)[0].status_code, 503);
  EXPECT_EQ((*log)[0].outcome, DeliveryOutcome::retry);
  EXPECT_EQ((*log)[0].latency_ms, 120);
  EXPECT_EQ((*log)[2].attempt, 3);
  EXPECT_EQ((*log)[2].error, "boom");

  NotificationFilter dead;
  dead.state = NotificationState::dead;
  EXPECT_EQ(store().list_notifications({"evn"}, dead, 10, "")->items.size(), 1u);

  // Replay: another organisation cannot; the owner can, once.
  EXPECT_EQ(store().requeue_notification({"bidv"}, id, now).error().code, Errc::not_found);
  auto replay = store().requeue_notification({"evn"}, id, now + 1);
  ASSERT_TRUE(replay) << replay.error().message;
  EXPECT_EQ(replay->state, NotificationState::pending);
  EXPECT_EQ(replay->attempts, 0);
  EXPECT_EQ(store().requeue_notification({"evn"}, id, now + 1).error().code, Errc::conflict);
  n = claim_one(now + 1);
  EXPECT_EQ(n.attempts, 1);
  auto ok = store().complete_notification(id, 1, report(DeliveryOutcome::sent, 204), now + 2);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->state, NotificationState::sent);
  EXPECT_EQ(store().list_deliveries({"evn"}, id)->size(), 4u);
}

TEST_P(StoreTest, PermanentFailureAndExpiredLastLeaseAreDead) {
  auto q = store().enqueue_notifications({note("gone"), note("crash", "evn", 1)}, kT0);
  ASSERT_TRUE(q);
  auto c = store().claim_notifications(kT0, 10, kLease);
  ASSERT_TRUE(c);
  ASSERT_EQ(c->size(), 2u);  // both in flight, attempt 1
  auto gone = store().complete_notification((*q)[0].id, 1, report(DeliveryOutcome::failed, 410, "gone"), kT0);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->state, NotificationState::dead);
  EXPECT_EQ(gone->attempts, 1);

  // The only attempt's sender died: nothing is left to try, and it is not claimed again.
  EXPECT_TRUE(store().claim_notifications(kT0 + kLease, 10, kLease)->empty());
  NotificationFilter dead;
  dead.state = NotificationState::dead;
  auto page = store().list_notifications({"evn"}, dead, 10, "");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_FALSE(page->items[0].last_error.empty());
}

TEST_P(StoreTest, NotificationListingsAreScopedAndPaged) {
  std::vector<NewNotification> batch;
  for (int i = 0; i < 7; ++i) batch.push_back(note("k" + std::to_string(i), i % 2 ? "evn" : "bidv"));
  auto q = store().enqueue_notifications(batch, kT0);
  ASSERT_TRUE(q);
  EXPECT_EQ(store().list_notifications({"evn"}, {}, 100, "")->items.size(), 3u);
  EXPECT_TRUE(store().list_notifications({}, {}, 100, "")->items.empty());
  EXPECT_EQ(store().list_deliveries({"evn"}, (*q)[0].id).error().code, Errc::not_found);  // bidv's
  EXPECT_TRUE(store().list_deliveries({"bidv"}, (*q)[0].id));

  std::vector<std::int64_t> walked;
  std::string cursor;
  for (int n = 0; n < 10; ++n) {
    auto p = store().list_notifications({"evn", "bidv"}, {}, 3, cursor);
    ASSERT_TRUE(p);
    for (const auto& x : p->items) walked.push_back(x.id);
    if (p->next_cursor.empty()) break;
    cursor = p->next_cursor;
  }
  ASSERT_EQ(walked.size(), 7u);
  EXPECT_GT(walked.front(), walked.back());
  EXPECT_EQ(store().list_notifications({"evn"}, {}, 3, "nope").error().code, Errc::malformed);
}

// ---- Subscriptions ----

Subscription sub_for(std::string username = "") {
  Subscription s;
  s.username = std::move(username);
  s.topics = {SubscriptionTopic::warnings, SubscriptionTopic::sla_breach};
  s.min_severity = Severity::high;
  s.categories = {"malicious-code:ransomware"};
  s.channel = ChannelKind::webhook;
  s.destination = "https://soc.evn.vn/hook";
  s.secret = "s3cret";
  return s;
}

TEST_P(StoreTest, SubscriptionsAreScopedByCaller) {
  Caller admin = caller("evn", Role::admin);
  Caller analyst = caller("evn", Role::analyst);  // actor "user:evn-analyst"
  Caller viewer = caller("evn", Role::viewer);

  auto org_wide = store().create_subscription(admin, sub_for(), kT0);
  ASSERT_TRUE(org_wide) << org_wide.error().message;
  EXPECT_EQ(org_wide->org_id, "evn");
  Subscription mine = sub_for("evn-analyst");
  mine.channel = ChannelKind::email;
  mine.destination = "an@evn.vn";
  mine.digest_minutes = 60;
  auto personal = store().create_subscription(analyst, mine, kT0);
  ASSERT_TRUE(personal) << personal.error().message;

  EXPECT_EQ(store().create_subscription(viewer, sub_for(), kT0).error().code, Errc::denied);
  EXPECT_EQ(store().create_subscription(viewer, sub_for("evn-analyst"), kT0).error().code, Errc::denied);
  Subscription foreign = sub_for();
  foreign.org_id = "bidv";
  EXPECT_EQ(store().create_subscription(admin, foreign, kT0).error().code, Errc::denied);
  Subscription nowhere = sub_for();
  nowhere.destination.clear();
  EXPECT_EQ(store().create_subscription(admin, nowhere, kT0).error().code, Errc::malformed);

  // Another organisation sees none of them, whatever its role.
  for (Role r : {Role::admin, Role::viewer}) {
    Caller other = caller("bidv", r);
    EXPECT_EQ(store().get_subscription(other, org_wide->id).error().code, Errc::not_found);
    EXPECT_TRUE(store().list_subscriptions(other)->empty());
    EXPECT_EQ(store().delete_subscription(other, org_wide->id).error().code, Errc::not_found);
    Subscription take = *org_wide;
    EXPECT_EQ(store().update_subscription(other, take, kT0).error().code, Errc::not_found);
  }
  // Within EVN: everyone sees the org-wide one; a personal one its owner and admins.
  EXPECT_EQ(store().list_subscriptions(viewer)->size(), 1u);
  EXPECT_EQ(store().get_subscription(viewer, personal->id).error().code, Errc::not_found);
  EXPECT_EQ(store().list_subscriptions(analyst)->size(), 2u);
  EXPECT_EQ(store().list_subscriptions(admin)->size(), 2u);
  auto got = store().get_subscription(analyst, personal->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->digest_minutes, 60);
  EXPECT_EQ(got->topics, mine.topics);
  EXPECT_EQ(got->categories, mine.categories);
  EXPECT_EQ(got->min_severity, Severity::high);

  // Changes: owner or admin; org and owner cannot be changed by an update.
  Subscription change = *got;
  change.min_severity = Severity::critical;
  change.org_id = "bidv";
  change.username = "someone";
  auto updated = store().update_subscription(analyst, change, kT0 + 1);
  ASSERT_TRUE(updated) << updated.error().message;
  EXPECT_EQ(updated->org_id, "evn");
  EXPECT_EQ(updated->username, "evn-analyst");
  EXPECT_EQ(store().get_subscription(admin, personal->id)->min_severity, Severity::critical);
  EXPECT_EQ(store().update_subscription(viewer, *org_wide, kT0).error().code, Errc::denied);

  // The notifier's view: enabled ones with the topic.
  EXPECT_EQ(store().subscriptions_for(SubscriptionTopic::sla_breach)->size(), 2u);
  EXPECT_TRUE(store().subscriptions_for(SubscriptionTopic::incidents)->empty());
  Subscription off = *org_wide;
  off.enabled = false;
  ASSERT_TRUE(store().update_subscription(admin, off, kT0 + 2));
  EXPECT_EQ(store().subscriptions_for(SubscriptionTopic::warnings)->size(), 1u);

  ASSERT_TRUE(store().delete_subscription(analyst, personal->id));
  EXPECT_EQ(store().get_subscription(admin, personal->id).error().code, Errc::not_found);
}

// ---- Live stream ----

StreamEvent event(StreamKind kind, std::vector<std::string> orgs, TimeMs at, std::string body = "{}") {
  StreamEvent e;
  e.kind = kind;
  e.org_ids = std::move(orgs);
  e.at = at;
  e.body = std::move(body);
  return e;
}

TEST_P(StoreTest, StreamReadsAfterASequenceWithinScope) {
  std::vector<std::int64_t> seqs;
  seqs.push_back(store().append_stream_event(event(StreamKind::warning, {"evn", "vncert"}, kT0, R"({"n":1})")).value());
  seqs.push_back(store().append_stream_event(event(StreamKind::warning, {"bidv", "vncert"}, kT0 + 1)).value());
  seqs.push_back(store().append_stream_event(event(StreamKind::incident, {"evn", "vncert"}, kT0 + 2)).value());
  seqs.push_back(store().append_stream_event(event(StreamKind::warning, {"bidv", "vncert"}, kT0 + 3)).value());
  for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_GT(seqs[i], seqs[i - 1]);

  auto evn = store().read_stream_after(caller("evn"), 0, 10);
  ASSERT_TRUE(evn);
  ASSERT_EQ(evn->items.size(), 2u);
  EXPECT_EQ(evn->items[0].seq, seqs[0]);
  EXPECT_EQ(evn->items[0].body, R"({"n":1})");
  EXPECT_EQ(evn->items[1].kind, StreamKind::incident);
  EXPECT_EQ(evn->last_seq, seqs[3]);  // resume after what it may not see, too
  EXPECT_EQ(evn->first_kept, seqs[0]);

  // Last-Event-ID resume, a page at a time.
  auto centre = store().read_stream_after(caller("vncert"), seqs[0], 2);
  ASSERT_TRUE(centre);
  ASSERT_EQ(centre->items.size(), 2u);
  EXPECT_EQ(centre->items[0].seq, seqs[1]);
  EXPECT_EQ(centre->last_seq, seqs[2]);
  auto rest = store().read_stream_after(caller("vncert"), centre->last_seq, 2);
  ASSERT_TRUE(rest);
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].seq, seqs[3]);
  EXPECT_TRUE(store().read_stream_after(caller("vnpt"), 0, 10)->items.empty());

  // Pruning keeps the sequence growing: a resumed client can tell what it missed.
  EXPECT_EQ(store().prune_stream(kT0 + 2).value(), 2);
  auto after_prune = store().read_stream_after(caller("evn"), 0, 10);
  ASSERT_TRUE(after_prune);
  ASSERT_EQ(after_prune->items.size(), 1u);
  EXPECT_EQ(after_prune->first_kept, seqs[2]);
  EXPECT_EQ(store().prune_stream(kT0 + 100).value(), 2);
  reopen();
  auto next = store().append_stream_event(event(StreamKind::warning, {"evn"}, 0));
  ASSERT_TRUE(next);
  EXPECT_GT(*next, seqs[3]);
  auto stamped = store().read_stream_after(caller("evn"), seqs[3], 10);
  ASSERT_TRUE(stamped);
  ASSERT_EQ(stamped->items.size(), 1u);
  EXPECT_EQ(stamped->items[0].at, kT0);  // from the clock
}

}  // namespace
}  // namespace lachan::store::testing
