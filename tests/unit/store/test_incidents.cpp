// Incidents: reference and SLA, the workflow and its history, tasks, observables, timeline, links,
// merge, evidence and custody, and tenancy (an incident is visible iff the caller's organisation
// is among its routes, exactly as for warnings).
#include <algorithm>
#include <atomic>
#include <thread>

#include "store_fixture.h"

namespace lachan::store::testing {
namespace {

constexpr TimeMs kHour = 60 * kMinute;
constexpr TimeMs kDay = 24 * kHour;

// The constituency's routes for the test organisations: itself, its provincial unit, its sector
// team and the national centre.
std::vector<std::string> routes_of(const std::string& org) {
  if (org == "evn") return {"evn", "ca-ha-noi", "energy-cert", "vncert"};
  if (org == "vnpt") return {"vnpt", "ca-ha-noi", "vncert"};
  if (org == "bidv") return {"bidv", "ca-hcm", "vncert"};
  return {org, "vncert"};
}

class Incidents : public StoreTest {
 protected:
  void SetUp() override {
    StoreTest::SetUp();
    std::vector<Organisation> orgs;
    for (const char* id : {"vncert", "ca-ha-noi", "ca-hcm", "energy-cert", "evn", "vnpt", "bidv"})
      orgs.push_back(org(id));
    ASSERT_TRUE(store().upsert_organisations(orgs));
  }

  static NewIncident incident(const std::string& affected, Severity sev = Severity::high) {
    NewIncident n;
    n.title = "Ransomware at " + affected;
    n.description = "Files encrypted";
    n.category = "malicious-code:ransomware";
    n.severity = sev;
    n.tlp = "amber";
    n.pap = "amber";
    n.affected_orgs = {affected};
    n.source = "api";
    n.routed_to = routes_of(affected);
    return n;
  }

  Incident create(const Caller& c, const NewIncident& n, TimeMs at = kT0) {
    auto r = store().create_incident(c, n, sla_, at);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : Incident{};
  }

  // Walks the workflow to `to` by the shortest allowed path from new.
  void walk(const Caller& c, std::int64_t id, std::vector<IncidentStatus> steps, TimeMs at = kT0) {
    for (auto s : steps) {
      auto r = store().change_incident_status(c, id, s, "step", at);
      ASSERT_TRUE(r) << r.error().message;
    }
  }

  SlaPolicy sla_;
};

// Runs the incident tests against every backend.
INSTANTIATE_TEST_SUITE_P(Backends, Incidents, ::testing::ValuesIn(store_backends()),
                         [](const ::testing::TestParamInfo<StoreBackend>& info) { return info.param.name; });

TEST_P(Incidents, CreationAssignsReferenceSlaAndRoutes) {
  Caller an = caller("evn");
  NewIncident n = incident("evn", Severity::critical);
  n.routed_to = {};  // routes default to the affected organisations and the team
  n.team = "energy-cert";
  Incident a = create(an, n);
  EXPECT_EQ(a.ref, "LC-2023-000001");
  EXPECT_EQ(a.status, IncidentStatus::new_);
  EXPECT_EQ(a.reported_by, an.actor);
  EXPECT_EQ(a.first_response_due, kT0 + sla_.first_response_ms[4]);
  EXPECT_EQ(a.resolution_due, kT0 + sla_.resolution_ms[4]);
  EXPECT_EQ(a.routed_to, (std::vector<std::string>{"energy-cert", "evn"}));
  EXPECT_EQ(a.first_response_at, 0);

  Incident b = create(an, incident("evn", Severity::low), kT0 + 1);
  EXPECT_EQ(b.ref, "LC-2023-000002");
  EXPECT_EQ(b.resolution_due, kT0 + 1 + sla_.resolution_ms[1]);
  // A new year starts a new sequence; references stay unique.
  Incident c = create(an, incident("evn"), kT0 + 60 * kDay);  // 2024-01-13
  EXPECT_EQ(c.ref, "LC-2024-000001");

  IncidentQuery q;
  q.filter.ref = "LC-2023-000002";
  auto found = store().query_incidents(an, q);
  ASSERT_TRUE(found);
  ASSERT_EQ(found->items.size(), 1u);
  EXPECT_EQ(found->items[0].id, b.id);

  auto got = store().get_incident(an, a.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->title, n.title);
  EXPECT_EQ(got->category, "malicious-code:ransomware");
  EXPECT_EQ(got->team, "energy-cert");
  EXPECT_EQ(got->severity, Severity::critical);
}

TEST_P(Incidents, ASourceKeyIsReportedOnceEvenAtOnce) {
  Caller an = caller("evn");
  NewIncident n = incident("evn");
  n.source_key = "mail:<report-1@evn.vn>";
  Incident a = create(an, n);
  EXPECT_FALSE(a.existing);
  NewIncident again = n;
  again.title = "Changed title";
  Incident b = create(an, again, kT0 + 5);
  EXPECT_TRUE(b.existing);
  EXPECT_EQ(b.id, a.id);
  EXPECT_EQ(b.title, n.title);  // unchanged
  // Another key, or none, is another incident.
  NewIncident other = n;
  other.source_key = "mail:<report-2@evn.vn>";
  EXPECT_NE(create(an, other).id, a.id);
  NewIncident plain = incident("evn");
  EXPECT_NE(create(an, plain).id, create(an, plain).id);
  // Eight reports of one key at the same time: one incident.
  n.source_key = "mail:<report-3@evn.vn>";
  std::vector<std::thread> threads;
  std::vector<std::int64_t> ids(8);
  std::atomic<int> existing{0};
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      auto r = store().create_incident(an, n, sla_, kT0 + 10);
      if (r) {
        ids[t] = r->id;
        existing += r->existing;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_NE(ids[0], 0);
  for (auto id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_EQ(existing.load(), 7);
  IncidentQuery q;
  q.limit = 100;
  auto all = store().query_incidents(an, q);
  ASSERT_TRUE(all);
  EXPECT_EQ(all->items.size(), 5u);
}

TEST_P(Incidents, CreationIsCheckedAndEscalatesVisibleWarningsOnly) {
  std::int64_t evn_warning = apply_one(warning("k1", "evn", kT0, routes_of("evn")));
  std::int64_t bidv_warning = apply_one(warning("k2", "bidv", kT0, routes_of("bidv")));

  NewIncident n = incident("evn");
  n.warning_ids = {evn_warning};
  Incident a = create(caller("evn"), n);
  EXPECT_EQ(a.warning_ids, std::vector<std::int64_t>{evn_warning});

  n.warning_ids = {evn_warning, bidv_warning};
  auto hidden = store().create_incident(caller("evn"), n, sla_, kT0);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, Errc::not_found);

  auto viewer = store().create_incident(caller("evn", Role::viewer), incident("evn"), sla_, kT0);
  ASSERT_FALSE(viewer);
  EXPECT_EQ(viewer.error().code, Errc::denied);
  // A member may report an incident of its own, not one only others would see.
  EXPECT_TRUE(store().create_incident(caller("evn", Role::reporter), incident("evn"), sla_, kT0));
  auto foreign = store().create_incident(caller("evn", Role::reporter), incident("bidv"), sla_, kT0);
  ASSERT_FALSE(foreign);
  EXPECT_EQ(foreign.error().code, Errc::denied);

  NewIncident untitled = incident("evn");
  untitled.title.clear();
  auto bad = store().create_incident(caller("evn"), untitled, sla_, kT0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::malformed);

  // Linking later follows the same rule.
  auto link = store().link_incident_warnings(caller("evn"), a.id, {bidv_warning}, kT0);
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().code, Errc::not_found);
  std::int64_t evn_warning2 = apply_one(warning("k3", "evn", kT0, routes_of("evn")));
  ASSERT_TRUE(store().link_incident_warnings(caller("evn"), a.id, {evn_warning2, evn_warning}, kT0));
  EXPECT_EQ(store().get_incident(caller("evn"), a.id)->warning_ids,
            (std::vector<std::int64_t>{evn_warning, evn_warning2}));
}

TEST_P(Incidents, WorkflowStepsAreCheckedAndRecorded) {
  Caller an = caller("evn");
  Incident a = create(an, incident("evn"));
  using S = IncidentStatus;

  for (S to : {S::in_progress, S::contained, S::resolved, S::closed, S::new_}) {
    auto r = store().change_incident_status(an, a.id, to, "skip", kT0);
    ASSERT_FALSE(r) << to_string(to);
    EXPECT_EQ(r.error().code, Errc::conflict);
  }
  auto viewer = store().change_incident_status(caller("evn", Role::viewer), a.id, S::triage, "", kT0);
  ASSERT_FALSE(viewer);
  EXPECT_EQ(viewer.error().code, Errc::denied);
  auto reporter = store().change_incident_status(caller("evn", Role::reporter), a.id, S::triage, "", kT0);
  ASSERT_FALSE(reporter);
  EXPECT_EQ(reporter.error().code, Errc::denied);

  auto t = store().change_incident_status(an, a.id, S::triage, "looking", kT0 + 10);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->status, S::triage);
  EXPECT_EQ(t->first_response_at, kT0 + 10);
  auto again = store().change_incident_status(an, a.id, S::triage, "", kT0 + 11);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Errc::conflict);

  walk(caller("evn", Role::responder), a.id, {S::in_progress, S::contained}, kT0 + 20);
  auto resolved = store().change_incident_status(an, a.id, S::resolved, "cleaned", kT0 + 30);
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->resolved_at, kT0 + 30);
  auto closed = store().change_incident_status(an, a.id, S::closed, "done", kT0 + 40);
  ASSERT_TRUE(closed);
  EXPECT_EQ(closed->closed_at, kT0 + 40);
  auto closed_step = store().change_incident_status(an, a.id, S::in_progress, "", kT0 + 41);
  ASSERT_FALSE(closed_step);
  EXPECT_EQ(closed_step.error().code, Errc::conflict);

  auto reopened = store().change_incident_status(an, a.id, S::triage, "came back", kT0 + 50);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->resolved_at, 0);
  EXPECT_EQ(reopened->closed_at, 0);
  EXPECT_EQ(reopened->first_response_at, kT0 + 10);  // the first response stays the first

  auto history = store().list_incident_changes(an, a.id);
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 6u);
  std::vector<std::pair<S, S>> steps;
  for (const auto& c : *history) steps.emplace_back(c.from, c.to);
  EXPECT_EQ(steps, (std::vector<std::pair<S, S>>{{S::new_, S::triage},
                                                 {S::triage, S::in_progress},
                                                 {S::in_progress, S::contained},
                                                 {S::contained, S::resolved},
                                                 {S::resolved, S::closed},
                                                 {S::closed, S::triage}}));
  EXPECT_EQ((*history)[0].actor, an.actor);
  EXPECT_EQ((*history)[0].reason, "looking");
  EXPECT_EQ((*history)[0].at, kT0 + 10);
  EXPECT_EQ((*history)[1].actor, caller("evn", Role::responder).actor);
  EXPECT_EQ((*history)[5].reason, "came back");

  // Every step is on the timeline too.
  auto timeline = store().list_incident_timeline(an, a.id);
  ASSERT_TRUE(timeline);
  EXPECT_EQ(std::count_if(timeline->begin(), timeline->end(), [](const auto& e) { return e.kind == "status"; }), 6);
  // And in the audit log, on the one hash chain.
  AuditFilter f;
  f.action = "incident.status";
  auto audited = store().query_audit(an, {"evn"}, f, 100, "");
  ASSERT_TRUE(audited);
  ASSERT_EQ(audited->items.size(), 6u);
  EXPECT_EQ(audited->items[0].target, "incident:" + std::to_string(a.id));
  EXPECT_EQ(store().verify_audit_chain().value(), 7);  // the creation and six steps
}

TEST_P(Incidents, SlaBreachesAreFoundUntilMetOrNotified) {
  Caller an = caller("evn");
  Incident late = create(an, incident("evn", Severity::high));    // first response due in 1 h
  Incident prompt = create(an, incident("evn", Severity::high));  // answered in time
  walk(an, prompt.id, {IncidentStatus::triage}, kT0 + 30 * kMinute);

  EXPECT_TRUE(store().list_sla_breaches(kT0 + kHour - 1, 10)->empty());
  auto due = store().list_sla_breaches(kT0 + kHour, 10);
  ASSERT_TRUE(due);
  ASSERT_EQ(due->size(), 1u);
  EXPECT_EQ((*due)[0].incident_id, late.id);
  EXPECT_EQ((*due)[0].kind, SlaKind::first_response);
  EXPECT_EQ((*due)[0].ref, late.ref);
  EXPECT_EQ((*due)[0].due, kT0 + kHour);
  EXPECT_NE(std::find((*due)[0].routed_to.begin(), (*due)[0].routed_to.end(), "vncert"), (*due)[0].routed_to.end());

  ASSERT_TRUE(store().mark_sla_breach_notified(late.id, SlaKind::first_response, kT0 + kHour));
  auto twice = store().mark_sla_breach_notified(late.id, SlaKind::first_response, kT0 + kHour);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, Errc::conflict);
  EXPECT_EQ(store().mark_sla_breach_notified(9999, SlaKind::first_response, kT0).error().code, Errc::not_found);
  EXPECT_TRUE(store().list_sla_breaches(kT0 + 2 * kHour, 10)->empty());
  EXPECT_EQ(store().get_incident(an, late.id)->first_response_breach_notified, kT0 + kHour);

  // Resolution (3 days for high): both are late unless resolved.
  walk(an, prompt.id, {IncidentStatus::in_progress, IncidentStatus::resolved}, kT0 + kDay);
  auto res = store().list_sla_breaches(kT0 + 3 * kDay, 10);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->size(), 1u);
  EXPECT_EQ((*res)[0].incident_id, late.id);
  EXPECT_EQ((*res)[0].kind, SlaKind::resolution);

  // A lower severity recomputes the due times from creation.
  IncidentUpdate u;
  u.severity = Severity::low;
  auto changed = store().update_incident(an, late.id, u, sla_, kT0 + 3 * kDay);
  ASSERT_TRUE(changed) << changed.error().message;
  EXPECT_EQ(changed->resolution_due, kT0 + sla_.resolution_ms[1]);
  EXPECT_TRUE(store().list_sla_breaches(kT0 + 3 * kDay, 10)->empty());
}

TEST_P(Incidents, TenancyCrossingIsNotFound) {
  Incident evn = create(caller("evn"), incident("evn"));
  Incident bidv = create(caller("bidv"), incident("bidv"));

  // Who sees the EVN incident: EVN, its provincial unit, its sector team, the national centre.
  for (const char* org : {"evn", "ca-ha-noi", "energy-cert", "vncert"}) {
    EXPECT_TRUE(store().get_incident(caller(org, Role::viewer), evn.id)) << org;
  }
  for (const char* org : {"bidv", "vnpt", "ca-hcm"}) {
    for (Role role : {Role::admin, Role::analyst, Role::viewer}) {
      Caller c = caller(org, role);
      auto got = store().get_incident(c, evn.id);
      ASSERT_FALSE(got) << org;
      EXPECT_EQ(got.error().code, Errc::not_found);
      EXPECT_EQ(store().change_incident_status(c, evn.id, IncidentStatus::triage, "", kT0).error().code,
                Errc::not_found);
      IncidentUpdate u;
      u.title = "mine";
      EXPECT_EQ(store().update_incident(c, evn.id, u, sla_, kT0).error().code, Errc::not_found);
      EXPECT_EQ(store().add_incident_comment(c, evn.id, "hi", kT0).error().code, Errc::not_found);
      EXPECT_EQ(store().list_incident_timeline(c, evn.id).error().code, Errc::not_found);
      EXPECT_EQ(store().list_incident_changes(c, evn.id).error().code, Errc::not_found);
      IncidentTask t;
      t.title = "x";
      EXPECT_EQ(store().add_incident_task(c, evn.id, t, kT0).error().code, Errc::not_found);
      EXPECT_EQ(store().list_incident_tasks(c, evn.id).error().code, Errc::not_found);
      EXPECT_EQ(store()
                    .add_incident_observable(c, evn.id, IncidentObservable{0, 0, "ip", "1.2.3.4", false, "", 0}, kT0)
                    .error()
                    .code,
                Errc::not_found);
      EXPECT_EQ(store().add_evidence(c, evn.id, NewEvidence{std::string(64, 'c'), "f", "t", 1}, "h", kT0).error().code,
                Errc::not_found);
      EXPECT_EQ(store().list_evidence(c, evn.id).error().code, Errc::not_found);
    }
  }
  // Listings: each sees its own; the province sees its province's, the centre sees all.
  auto ids = [&](const Caller& c) {
    std::vector<std::int64_t> out;
    auto p = store().query_incidents(c, {});
    EXPECT_TRUE(p);
    if (p) {
      for (const auto& i : p->items) out.push_back(i.id);
    }
    return out;
  };
  EXPECT_EQ(ids(caller("evn")), std::vector<std::int64_t>{evn.id});
  EXPECT_EQ(ids(caller("bidv")), std::vector<std::int64_t>{bidv.id});
  EXPECT_EQ(ids(caller("ca-ha-noi")), std::vector<std::int64_t>{evn.id});
  EXPECT_EQ(ids(caller("ca-hcm")), std::vector<std::int64_t>{bidv.id});
  EXPECT_EQ(ids(caller("vncert")), (std::vector<std::int64_t>{bidv.id, evn.id}));
  EXPECT_TRUE(ids(caller("vnpt")).empty());

  // A change of routes that would hide the incident from the changer is refused.
  IncidentUpdate away;
  away.affected_orgs = std::vector<std::string>{"bidv"};
  away.routed_to = routes_of("bidv");
  auto r = store().update_incident(caller("evn"), evn.id, away, sla_, kT0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::denied);
  // The national centre may move it: then EVN no longer sees it, BIDV does.
  ASSERT_TRUE(store().update_incident(caller("vncert"), evn.id, away, sla_, kT0));
  EXPECT_EQ(store().get_incident(caller("evn"), evn.id).error().code, Errc::not_found);
  EXPECT_TRUE(store().get_incident(caller("bidv"), evn.id));
}

TEST_P(Incidents, TasksObservablesAndTimeline) {
  Caller an = caller("evn");
  Incident a = create(an, incident("evn"));
  IncidentTask t;
  t.title = "Isolate host";
  t.assignee = "lan";
  t.due = kT0 + kHour;
  auto task = store().add_incident_task(an, a.id, t, kT0 + 1);
  ASSERT_TRUE(task) << task.error().message;
  EXPECT_EQ(task->status, TaskStatus::open);
  EXPECT_EQ(task->created_by, an.actor);
  TaskUpdate done;
  done.status = TaskStatus::done;
  auto updated = store().update_incident_task(an, task->id, done, kT0 + 2);
  ASSERT_TRUE(updated);
  EXPECT_EQ(updated->status, TaskStatus::done);
  EXPECT_EQ(updated->title, "Isolate host");
  EXPECT_EQ(store().update_incident_task(caller("bidv"), task->id, done, kT0).error().code, Errc::not_found);
  EXPECT_EQ(store().update_incident_task(caller("evn", Role::viewer), task->id, done, kT0).error().code, Errc::denied);
  auto tasks = store().list_incident_tasks(caller("evn", Role::viewer), a.id);
  ASSERT_TRUE(tasks);
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].status, TaskStatus::done);
  EXPECT_EQ((*tasks)[0].due, kT0 + kHour);

  ASSERT_TRUE(
      store().add_incident_observable(an, a.id, IncidentObservable{0, 0, "ip", "203.0.113.7", false, "", 0}, kT0 + 3));
  auto flagged =
      store().add_incident_observable(an, a.id, IncidentObservable{0, 0, "ip", "203.0.113.7", true, "", 0}, kT0 + 4);
  ASSERT_TRUE(flagged);
  EXPECT_TRUE(flagged->indicator);
  ASSERT_TRUE(store().add_incident_observable(
      an, a.id, IncidentObservable{0, 0, "domain", "evil.example", false, "", 0}, kT0 + 5));
  auto obs = store().list_incident_observables(an, a.id);
  ASSERT_TRUE(obs);
  ASSERT_EQ(obs->size(), 2u);  // the same type and value is one observable
  EXPECT_TRUE((*obs)[0].indicator);
  EXPECT_EQ((*obs)[0].added_by, an.actor);

  auto comment = store().add_incident_comment(caller("evn", Role::reporter), a.id, "We rebooted it", kT0 + 6);
  ASSERT_TRUE(comment) << comment.error().message;
  EXPECT_EQ(store().add_incident_comment(caller("evn", Role::viewer), a.id, "x", kT0).error().code, Errc::denied);
  auto timeline = store().list_incident_timeline(an, a.id);
  ASSERT_TRUE(timeline);
  std::vector<std::string> kinds;
  for (const auto& e : *timeline) kinds.push_back(e.kind);
  EXPECT_EQ(kinds,
            (std::vector<std::string>{"created", "task", "task", "observable", "observable", "observable", "comment"}));
  EXPECT_EQ(timeline->back().body, "We rebooted it");
  EXPECT_EQ(timeline->back().author, caller("evn", Role::reporter).actor);
  EXPECT_EQ(store().get_incident(an, a.id)->updated, kT0 + 6);
}

TEST_P(Incidents, LinksAreCheckedAndListedWithinScope) {
  Caller centre = caller("vncert");
  Incident a = create(caller("evn"), incident("evn"));
  Incident b = create(caller("evn"), incident("evn"));
  Incident c = create(caller("bidv"), incident("bidv"));
  auto l = store().link_incidents(caller("evn"), a.id, b.id, IncidentLinkKind::related, kT0);
  ASSERT_TRUE(l) << l.error().message;
  EXPECT_EQ(store().link_incidents(caller("evn"), b.id, a.id, IncidentLinkKind::duplicate, kT0).error().code,
            Errc::conflict);
  EXPECT_EQ(store().link_incidents(caller("evn"), a.id, a.id, IncidentLinkKind::related, kT0).error().code,
            Errc::conflict);
  EXPECT_EQ(store().link_incidents(caller("evn"), a.id, c.id, IncidentLinkKind::related, kT0).error().code,
            Errc::not_found);
  ASSERT_TRUE(store().link_incidents(centre, c.id, a.id, IncidentLinkKind::parent, kT0));

  auto evn_links = store().list_incident_links(caller("evn"), a.id);
  ASSERT_TRUE(evn_links);
  ASSERT_EQ(evn_links->size(), 1u);  // the link to BIDV's incident is not EVN's to see
  EXPECT_EQ((*evn_links)[0].b, b.id);
  auto all = store().list_incident_links(centre, a.id);
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].a, c.id);
  EXPECT_EQ((*all)[1].kind, IncidentLinkKind::parent);
}

TEST_P(Incidents, MergeMovesEverythingAndClosesTheMergedOne) {
  Caller centre = caller("vncert");
  std::int64_t w1 = apply_one(warning("k1", "evn", kT0, routes_of("evn")));
  std::int64_t w2 = apply_one(warning("k2", "bidv", kT0, routes_of("bidv")));
  NewIncident na = incident("evn");
  na.warning_ids = {w1};
  Incident a = create(centre, na);
  NewIncident nb = incident("bidv");
  nb.warning_ids = {w2};
  Incident b = create(centre, nb);
  walk(centre, b.id, {IncidentStatus::triage});

  IncidentTask t;
  t.title = "Collect logs";
  ASSERT_TRUE(store().add_incident_task(centre, b.id, t, kT0));
  ASSERT_TRUE(
      store().add_incident_observable(centre, a.id, IncidentObservable{0, 0, "ip", "1.2.3.4", false, "", 0}, kT0));
  ASSERT_TRUE(
      store().add_incident_observable(centre, b.id, IncidentObservable{0, 0, "ip", "1.2.3.4", true, "", 0}, kT0));
  ASSERT_TRUE(
      store().add_incident_observable(centre, b.id, IncidentObservable{0, 0, "hash", "abc", false, "", 0}, kT0));
  ASSERT_TRUE(store().add_incident_comment(centre, b.id, "seen at BIDV too", kT0));
  auto ev = store().add_evidence(
      centre, b.id, NewEvidence{std::string(64, 'e'), "dump.bin", "application/octet-stream", 9}, "10.1.1.1", kT0);
  ASSERT_TRUE(ev);

  // Before: BIDV does not see A.
  EXPECT_EQ(store().get_incident(caller("bidv"), a.id).error().code, Errc::not_found);
  // EVN cannot merge what it cannot see.
  EXPECT_EQ(store().merge_incidents(caller("evn"), a.id, b.id, "", kT0).error().code, Errc::not_found);
  EXPECT_EQ(store().merge_incidents(centre, a.id, a.id, "", kT0).error().code, Errc::conflict);

  auto merged = store().merge_incidents(centre, a.id, b.id, "same campaign", kT0 + 5);
  ASSERT_TRUE(merged) << merged.error().message;
  EXPECT_EQ(merged->warning_ids, (std::vector<std::int64_t>{w1, w2}));
  EXPECT_EQ(merged->affected_orgs, (std::vector<std::string>{"bidv", "evn"}));
  // BIDV's people now see A, which holds their warning.
  EXPECT_TRUE(store().get_incident(caller("bidv"), a.id));

  auto tasks = store().list_incident_tasks(centre, a.id);
  ASSERT_TRUE(tasks);
  ASSERT_EQ(tasks->size(), 1u);
  EXPECT_EQ((*tasks)[0].title, "Collect logs");
  auto obs = store().list_incident_observables(centre, a.id);
  ASSERT_TRUE(obs);
  ASSERT_EQ(obs->size(), 2u);
  EXPECT_TRUE((*obs)[0].indicator);  // flagged in either: flagged
  EXPECT_TRUE(store().list_incident_observables(centre, b.id)->empty());
  auto evidence = store().list_evidence(centre, a.id);
  ASSERT_TRUE(evidence);
  ASSERT_EQ(evidence->size(), 1u);
  EXPECT_EQ((*evidence)[0].id, ev->id);
  EXPECT_EQ(store().list_custody(centre, ev->id)->size(), 1u);
  auto timeline = store().list_incident_timeline(centre, a.id);
  ASSERT_TRUE(timeline);
  EXPECT_TRUE(std::any_of(timeline->begin(), timeline->end(),
                          [](const auto& e) { return e.kind == "comment" && e.body == "seen at BIDV too"; }));
  EXPECT_EQ(timeline->back().kind, "merge");

  auto gone = store().get_incident(centre, b.id);
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, IncidentStatus::closed);
  EXPECT_EQ(gone->merged_into, a.id);
  EXPECT_EQ(gone->closed_at, kT0 + 5);
  EXPECT_EQ(gone->warning_ids, std::vector<std::int64_t>{w2});  // still referenced by both
  auto history = store().list_incident_changes(centre, b.id);
  ASSERT_TRUE(history);
  EXPECT_EQ(history->back().to, IncidentStatus::closed);
  EXPECT_EQ(history->back().reason, "same campaign");
  auto links = store().list_incident_links(centre, a.id);
  ASSERT_TRUE(links);
  ASSERT_EQ(links->size(), 1u);
  EXPECT_EQ((*links)[0].kind, IncidentLinkKind::duplicate);

  // A merged incident takes no more changes, and cannot be merged again.
  EXPECT_EQ(store().change_incident_status(centre, b.id, IncidentStatus::triage, "", kT0).error().code, Errc::conflict);
  EXPECT_EQ(store().add_incident_comment(centre, b.id, "x", kT0).error().code, Errc::conflict);
  EXPECT_EQ(store().merge_incidents(centre, a.id, b.id, "", kT0).error().code, Errc::conflict);
  EXPECT_EQ(store().merge_incidents(centre, b.id, a.id, "", kT0).error().code, Errc::conflict);
}

TEST_P(Incidents, FailedMergeChangesNothing) {
  Caller centre = caller("vncert");
  Incident a = create(centre, incident("evn"));
  Incident b = create(centre, incident("vnpt"));
  IncidentTask t;
  t.title = "Keep me";
  ASSERT_TRUE(store().add_incident_task(centre, b.id, t, kT0));
  walk(centre, a.id, {IncidentStatus::triage, IncidentStatus::closed});
  auto r = store().merge_incidents(centre, a.id, b.id, "", kT0 + 1);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_EQ(store().list_incident_tasks(centre, b.id)->size(), 1u);
  EXPECT_EQ(store().get_incident(centre, b.id)->merged_into, 0);
  EXPECT_EQ(store().get_incident(centre, b.id)->status, IncidentStatus::new_);
}

TEST_P(Incidents, EvidenceHasAnAppendOnlyCustodyChain) {
  Caller an = caller("evn");
  Incident a = create(an, incident("evn"));
  EXPECT_EQ(store().verify_custody_chain().value(), 0);
  auto bad = store().add_evidence(an, a.id, NewEvidence{"ABC", "f", "t", 1}, "h", kT0);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Errc::malformed);
  EXPECT_EQ(
      store()
          .add_evidence(caller("evn", Role::viewer), a.id, NewEvidence{std::string(64, 'f'), "f", "t", 1}, "h", kT0)
          .error()
          .code,
      Errc::denied);

  std::string sha(64, '0');
  sha[63] = '7';
  auto ev = store().add_evidence(an, a.id, NewEvidence{sha, "edr.zip", "application/zip", 1234}, "10.0.0.5", kT0 + 1);
  ASSERT_TRUE(ev) << ev.error().message;
  EXPECT_EQ(ev->uploaded_by, an.actor);
  EXPECT_EQ(ev->size, 1234);
  // A viewer's download is exactly what custody is for.
  ASSERT_TRUE(
      store().record_custody(caller("evn", Role::viewer), ev->id, CustodyAction::download, "10.0.0.6", kT0 + 2));
  ASSERT_TRUE(store().record_custody(caller("vncert"), ev->id, CustodyAction::export_, "10.9.9.9", kT0 + 3));
  EXPECT_EQ(store().record_custody(caller("bidv"), ev->id, CustodyAction::view, "h", kT0).error().code,
            Errc::not_found);
  EXPECT_EQ(store().list_custody(caller("bidv"), ev->id).error().code, Errc::not_found);

  auto log = store().list_custody(an, ev->id);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].action, CustodyAction::upload);
  EXPECT_EQ((*log)[0].remote, "10.0.0.5");
  EXPECT_EQ((*log)[1].action, CustodyAction::download);
  EXPECT_EQ((*log)[1].actor, caller("evn", Role::viewer).actor);
  EXPECT_EQ((*log)[2].action, CustodyAction::export_);
  EXPECT_EQ((*log)[2].org_id, "vncert");
  EXPECT_EQ((*log)[2].sha256, sha);
  EXPECT_EQ(store().verify_custody_chain().value(), 3);
}

TEST_P(Incidents, QueryFiltersAndPages) {
  Caller centre = caller("vncert");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 7; ++i) {
    NewIncident n = incident(i % 2 ? "evn" : "bidv", i < 3 ? Severity::low : Severity::critical);
    n.team = "vncert";
    ids.push_back(create(centre, n, kT0 + i).id);
  }
  walk(centre, ids[6], {IncidentStatus::triage});

  std::vector<std::int64_t> walked;
  IncidentQuery q;
  q.limit = 3;
  for (int n = 0; n < 10; ++n) {
    auto p = store().query_incidents(centre, q);
    ASSERT_TRUE(p);
    for (const auto& i : p->items) walked.push_back(i.id);
    if (p->next_cursor.empty()) break;
    q.cursor = p->next_cursor;
  }
  EXPECT_EQ(walked, std::vector<std::int64_t>(ids.rbegin(), ids.rend()));

  IncidentQuery f;
  f.filter.min_severity = Severity::high;
  f.filter.affected_org = "evn";
  auto p = store().query_incidents(centre, f);
  ASSERT_TRUE(p);
  std::vector<std::int64_t> got;
  for (const auto& i : p->items) got.push_back(i.id);
  EXPECT_EQ(got, (std::vector<std::int64_t>{ids[5], ids[3]}));

  IncidentQuery s;
  s.filter.statuses = {IncidentStatus::triage};
  EXPECT_EQ(store().query_incidents(centre, s)->items.size(), 1u);

  IncidentQuery bad;
  bad.cursor = "zz";
  EXPECT_EQ(store().query_incidents(centre, bad).error().code, Errc::malformed);
}

}  // namespace
}  // namespace lachan::store::testing
