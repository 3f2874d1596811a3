// The incident response routes under /api/v1/incidents and /api/v1/evidence, and
// POST /api/v1/warnings/{id}/escalate. Tenancy is the store's (an incident is visible iff the
// caller's organisation is among its routes, computed here from the constituency as a warning's);
// anything invisible answers 404 before any role check. Categories are RSIT values, TLP and PAP
// their usual levels; a bad field is a 400 naming it.
#include <archive.h>
#include <archive_entry.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>

#include <fmt/format.h>

#include "app/incident_service.h"
#include "app/intel_service.h"
#include "app/notifier.h"
#include "app/server.h"
#include "core/time.h"
#include "intel/model.h"
#include "intel/stix_pattern.h"
#include "store/common.h"

namespace lachan::app {
namespace json = boost::json;
using api::Request;
using api::Response;
using store::Caller;

namespace {

// Tells subscribers and the live stream (the notifier's thread) about an incident that changed.
// The change is committed already; the request does not wait for the notification.
void announce(ServerContext& ctx, std::string_view kind, const store::Incident& inc) {
  if (ctx.notifier) ctx.notifier->post_incident_event(std::string(kind), inc);
}

json::value iso_or_null(int64_t ms) {
  return ms ? json::value(format_ms(ms)) : json::value(nullptr);
}

Response fail(const Error& e) {
  return error_response_for(e);
}

Response bad(std::string message) {
  return api::error_response(400, "malformed", message);
}

Response not_found() {
  return api::error_response(404, "not_found", "not found");
}

std::optional<int64_t> parse_id(std::string_view s) {
  int64_t id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

// "2026-01-02T03:04:05Z" or milliseconds since the epoch.
std::optional<int64_t> parse_time(std::string_view s) {
  if (auto ms = parse_id(s)) return ms;
  if (auto ns = parse_timestamp(s)) return *ns / 1'000'000;
  return std::nullopt;
}

// An empty body counts as {} (the escalation shortcut needs none).
Result<json::object> body_object(const Request& req, bool empty_ok = false) {
  if (empty_ok && req.body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec) return make_error(Errc::malformed, "the body is not JSON: " + ec.message());
  if (!v.is_object()) return make_error(Errc::malformed, "the body must be a JSON object");
  return v.as_object();
}

// A string field: nullopt when absent or null; malformed (naming it) when not a string.
Result<std::optional<std::string>> opt_string(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::string>();
  if (!v->is_string()) return make_error(Errc::malformed, fmt::format("{}: must be a string", key));
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::optional<std::vector<std::string>>> opt_strings(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<std::vector<std::string>>();
  if (!v->is_array()) return make_error(Errc::malformed, fmt::format("{}: must be a list of strings", key));
  std::vector<std::string> out;
  for (const auto& x : v->as_array()) {
    if (!x.is_string()) return make_error(Errc::malformed, fmt::format("{}: must be a list of strings", key));
    out.emplace_back(x.as_string());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<std::optional<int64_t>> opt_id(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<int64_t>();
  if (v->is_int64() && v->as_int64() > 0) return std::optional<int64_t>(v->as_int64());
  if (v->is_uint64() && v->as_uint64() > 0 && v->as_uint64() < (1ull << 62))
    return std::optional<int64_t>(static_cast<int64_t>(v->as_uint64()));
  return make_error(Errc::malformed, fmt::format("{}: must be a positive integer (an id)", key));
}

// ---- JSON shapes (docs/openapi.json: Incident, Task, Observable, …) ----

json::object incident_json(const store::Incident& i) {
  json::object o;
  o["id"] = i.id;
  o["ref"] = i.ref;
  o["title"] = i.title;
  o["description"] = i.description;
  o["category"] = i.category;
  o["severity"] = store::to_string(i.severity);
  o["tlp"] = i.tlp;
  o["pap"] = i.pap;
  o["affected_orgs"] = json::value_from(i.affected_orgs);
  o["team"] = i.team;
  o["assignee"] = i.assignee;
  o["status"] = store::to_string(i.status);
  o["source"] = i.source;
  o["reported_by"] = i.reported_by;
  o["routed_to"] = json::value_from(i.routed_to);
  json::array w;
  for (auto id : i.warning_ids) w.emplace_back(id);
  o["warning_ids"] = std::move(w);
  o["created"] = format_ms(i.created);
  o["updated"] = format_ms(i.updated);
  o["closed_at"] = iso_or_null(i.closed_at);
  o["merged_into"] = i.merged_into ? json::value(i.merged_into) : json::value(nullptr);
  o["sla"] = json::object{{"first_response_due", format_ms(i.first_response_due)},
                          {"resolution_due", format_ms(i.resolution_due)},
                          {"first_response_at", iso_or_null(i.first_response_at)},
                          {"resolved_at", iso_or_null(i.resolved_at)},
                          {"first_response_breached", i.first_response_breach_notified != 0},
                          {"resolution_breached", i.resolution_breach_notified != 0}};
  return o;
}

json::object change_json(const store::IncidentChange& c) {
  return json::object{{"from", store::to_string(c.from)},
                      {"to", store::to_string(c.to)},
                      {"actor", c.actor},
                      {"reason", c.reason},
                      {"at", format_ms(c.at)}};
}

json::object timeline_json(const store::TimelineEntry& t) {
  json::object o{{"id", t.id}, {"kind", t.kind}, {"author", t.author}, {"at", format_ms(t.at)}};
  if (t.kind == "comment") {
    o["body"] = t.body;
  } else {
    boost::system::error_code ec;
    json::value v = json::parse(t.body, ec);
    o["body"] = ec || !v.is_object() ? json::value(json::object{{"text", t.body}}) : std::move(v);
  }
  return o;
}

json::object task_json(const store::IncidentTask& t) {
  return json::object{{"id", t.id},
                      {"incident_id", t.incident_id},
                      {"title", t.title},
                      {"status", store::to_string(t.status)},
                      {"assignee", t.assignee},
                      {"due", iso_or_null(t.due)},
                      {"created_by", t.created_by},
                      {"created", format_ms(t.created)},
                      {"updated", format_ms(t.updated)}};
}

json::object observable_json(const store::IncidentObservable& o) {
  return json::object{{"id", o.id},
                      {"incident_id", o.incident_id},
                      {"type", o.type},
                      {"value", o.value},
                      {"indicator", o.indicator},
                      {"added_by", o.added_by},
                      {"added_at", format_ms(o.added_at)}};
}

json::object link_json(const store::IncidentLink& l) {
  return json::object{{"a", l.a},
                      {"b", l.b},
                      {"kind", store::to_string(l.kind)},
                      {"created_by", l.created_by},
                      {"created", format_ms(l.created)}};
}

json::object evidence_json(const store::Evidence& e) {
  return json::object{{"id", e.id},
                      {"incident_id", e.incident_id},
                      {"sha256", e.sha256},
                      {"name", e.name},
                      {"media_type", e.media_type},
                      {"size", e.size},
                      {"uploaded_by", e.uploaded_by},
                      {"uploaded_at", format_ms(e.uploaded_at)}};
}

json::object custody_json(const store::CustodyEntry& c) {
  return json::object{
      {"id", c.id},       {"evidence_id", c.evidence_id}, {"sha256", c.sha256}, {"action", store::to_string(c.action)},
      {"actor", c.actor}, {"organisation", c.org_id},     {"remote", c.remote}, {"at", format_ms(c.at)}};
}

template <typename T, typename F>
json::object items_json(const std::vector<T>& v, F f) {
  json::array a;
  for (const auto& x : v) a.push_back(f(x));
  return json::object{{"items", std::move(a)}};
}

// ---- Validation ----

std::optional<std::string> normal_tlp(std::string_view s) {
  auto t = intel::parse_tlp(s);
  if (!t) return std::nullopt;
  return std::string(intel::tlp_name(*t));
}

std::optional<std::string> normal_pap(std::string_view s) {
  std::string v;
  for (char c : s) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v.rfind("pap:", 0) == 0) v = v.substr(4);
  if (v == "white") v = "clear";
  if (v == "red" || v == "amber" || v == "green" || v == "clear") return v;
  return std::nullopt;
}

// The fields a report or a change may carry, each checked; nullopt: not given.
struct Draft {
  std::optional<std::string> title, description, category, tlp, pap, team, assignee;
  std::optional<store::Severity> severity;
  std::optional<std::vector<std::string>> affected_orgs;
};

Result<Draft> read_draft(ServerContext& ctx, const Caller& c, const json::object& b) {
  Draft d;
  std::optional<Error> err;  // the first field that is not of its type
  auto take = [&err](auto& field, auto r) {
    if (err) return;
    if (!r)
      err = r.error();
    else
      field = std::move(*r);
  };
  take(d.title, opt_string(b, "title"));
  take(d.description, opt_string(b, "description"));
  take(d.category, opt_string(b, "category"));
  take(d.tlp, opt_string(b, "tlp"));
  take(d.pap, opt_string(b, "pap"));
  take(d.team, opt_string(b, "team"));
  take(d.assignee, opt_string(b, "assignee"));
  take(d.affected_orgs, opt_strings(b, "affected_orgs"));
  if (err) return *err;
  auto sev = opt_string(b, "severity");
  if (!sev) return std::move(sev).error();
  if (*sev) {
    auto s = store::parse_severity(**sev);
    if (!s)
      return make_error(Errc::malformed,
                        fmt::format("severity: '{}' is not one of informational, low, medium, high, critical", **sev));
    d.severity = *s;
  }
  if (d.title && d.title->empty()) return make_error(Errc::malformed, "title: must not be empty");
  if (d.category && !ctx.incidents->rsit().contains(*d.category))
    return make_error(Errc::malformed, fmt::format("category: '{}' is not an RSIT category (predicate:value, e.g. "
                                                   "malicious-code:infected-system, fraud:phishing)",
                                                   *d.category));
  if (d.tlp) {
    auto t = normal_tlp(*d.tlp);
    if (!t)
      return make_error(Errc::malformed,
                        fmt::format("tlp: '{}' is not one of clear, white, green, amber, amber+strict, red", *d.tlp));
    d.tlp = *t;
  }
  if (d.pap) {
    auto p = normal_pap(*d.pap);
    if (!p)
      return make_error(Errc::malformed,
                        fmt::format("pap: '{}' is not one of clear, white, green, amber, red", *d.pap));
    d.pap = *p;
  }
  auto reg = ctx.registry->get();
  if (d.team && !d.team->empty() && !reg->find(*d.team))
    return make_error(Errc::malformed, fmt::format("team: no organisation '{}'", *d.team));
  if (d.affected_orgs) {
    auto vis = reg->visible_orgs(c.org_id);
    for (const auto& o : *d.affected_orgs)
      if (!std::binary_search(vis.begin(), vis.end(), o))  // one the caller may not see is unknown to it
        return make_error(Errc::malformed, fmt::format("affected_orgs: no organisation '{}'", o));
  }
  return d;
}

int tlp_rank(std::string_view s) {
  auto t = intel::parse_tlp(s);
  return t ? static_cast<int>(*t) : static_cast<int>(intel::Tlp::amber);
}

// Reports an incident; with warning_ids, escalates those warnings (title, severity, TLP and the
// affected organisations default from them).
Response report(ServerContext& ctx, const Caller& c, const json::object& b, std::vector<int64_t> warning_ids) {
  if (!store::may_report_incident(c.role))
    return api::error_response(403, "denied", "your role may not report incidents");
  auto d = read_draft(ctx, c, b);
  if (!d) return fail(d.error());
  if (auto* w = b.if_contains("warning_ids")) {
    if (!w->is_array()) return bad("warning_ids: must be a list of warning ids");
    for (const auto& x : w->as_array()) {
      if (!x.is_int64() || x.as_int64() <= 0) return bad("warning_ids: must be a list of warning ids");
      warning_ids.push_back(x.as_int64());
    }
  }
  std::sort(warning_ids.begin(), warning_ids.end());
  warning_ids.erase(std::unique(warning_ids.begin(), warning_ids.end()), warning_ids.end());
  store::NewIncident n;
  n.source = warning_ids.empty() ? "api" : "warning";
  std::vector<std::string> warned_orgs;
  std::optional<store::Severity> sev;
  std::string tlp;
  std::string first_title;
  for (auto id : warning_ids) {
    auto w = ctx.store->get_warning(c, id);
    if (!w) return fail(w.error());
    if (first_title.empty()) first_title = w->rule_title;
    if (!sev || w->severity > *sev) sev = w->severity;
    if (tlp.empty() || tlp_rank(w->tlp) > tlp_rank(tlp)) tlp = w->tlp;
    if (std::find(warned_orgs.begin(), warned_orgs.end(), w->org_id) == warned_orgs.end())
      warned_orgs.push_back(w->org_id);
  }
  n.title = d->title.value_or(first_title);
  if (n.title.empty()) return bad("title: is required");
  n.description = d->description.value_or("");
  if (!d->category) return bad("category: is required (an RSIT category, e.g. malicious-code:infected-system)");
  n.category = *d->category;
  n.severity = d->severity.value_or(sev.value_or(store::Severity::medium));
  n.tlp = d->tlp ? *d->tlp : normal_tlp(tlp).value_or("amber");  // the most restricted of the warnings' by default
  n.pap = d->pap.value_or("amber");
  n.affected_orgs = d->affected_orgs.value_or(warned_orgs);
  if (n.affected_orgs.empty()) n.affected_orgs = {c.org_id};
  // By default the reporting organisation handles it.
  n.team = d->team && !d->team->empty() ? *d->team : c.org_id;
  n.assignee = d->assignee.value_or("");
  n.warning_ids = warning_ids;
  n.routed_to = ctx.incidents->routes_for(n.affected_orgs, n.team);
  auto inc = ctx.store->create_incident(c, n, ctx.incidents->sla(), store::system_now());
  if (!inc) return fail(inc.error());
  announce(ctx, "incident.created", *inc);
  return api::json_response(201, incident_json(*inc));
}

Result<store::IncidentFilter> incident_filter(const Request& req) {
  store::IncidentFilter f;
  for (auto v : req.query_all("status")) {
    size_t start = 0;
    for (size_t i = 0; i <= v.size(); ++i)
      if (i == v.size() || v[i] == ',') {
        auto s = v.substr(start, i - start);
        start = i + 1;
        if (s.empty()) continue;
        auto st = store::parse_incident_status(s);
        if (!st)
          return make_error(Errc::malformed, fmt::format("status: '{}' is not one of new, triage, in_progress, "
                                                         "contained, resolved, closed",
                                                         s));
        f.statuses.push_back(*st);
      }
  }
  if (auto s = req.query("min_severity")) {
    auto sv = store::parse_severity(*s);
    if (!sv) return make_error(Errc::malformed, fmt::format("min_severity: unknown severity '{}'", *s));
    f.min_severity = *sv;
  }
  if (auto s = req.query("team")) f.team = *s;
  if (auto s = req.query("assignee")) f.assignee = *s;
  if (auto s = req.query("category")) f.category = *s;
  if (auto s = req.query("ref")) f.ref = *s;
  if (auto s = req.query("organisation")) f.affected_org = *s;
  if (auto s = req.query("include_merged")) {
    if (*s == "true")
      f.include_merged = true;
    else if (*s == "false")
      f.include_merged = false;
    else
      return make_error(Errc::malformed, "include_merged: true or false");
  }
  return f;
}

// An observable's type: the intelligence value types (which may be shared as indicators) and a
// few that may not.
bool known_observable_type(std::string_view t) {
  return intel::parse_value_type(t).has_value() || t == "host" || t == "user" || t == "process" || t == "other";
}

// A published observable: an indicator in the national collection with the incident's TLP;
// `revoked` withdraws it (a new version, revoked, so that nobody matches it any more).
Result<std::string> publish_indicator(ServerContext& ctx, const store::Incident& inc,
                                      const store::IncidentObservable& ob, int64_t now, bool revoked = false) {
  auto vt = intel::parse_value_type(ob.type);
  if (!vt) return make_error(Errc::malformed, fmt::format("type: a {} cannot be shared as an indicator", ob.type));
  if (!ctx.intel) return make_error(Errc::busy, "threat intelligence is not running");
  intel::Indicator ind;
  ind.ref = fmt::format("incident--{}--{}--{}", inc.ref, ob.type, ob.value);
  intel::Observable o{*vt, ob.value};
  ind.name = ob.value;
  ind.description = "Observed in incident " + inc.ref;
  ind.pattern = intel::pattern_for(o);
  ind.any_of = {{std::move(o)}};
  ind.source = "incident:" + inc.ref;
  ind.tlp = intel::parse_tlp(inc.tlp).value_or(intel::Tlp::amber);
  ind.confidence = 80;
  ind.revoked = revoked;
  ind.created_ms = ind.valid_from_ms = ind.modified_ms = now;
  ind.tags = {"lachan.incident"};
  if (!inc.category.empty()) ind.tags.push_back("rsit:" + inc.category);
  intel::ImportBatch batch;
  batch.indicators.push_back(std::move(ind));
  auto sum = ctx.intel->import(batch, "national");
  if (!sum) return sum.error();
  return batch.indicators.front().ref;
}

// The name of an evidence file inside the export: ASCII letters, digits, '.', '-', '_'.
std::string archive_name(const store::Evidence& e) {
  std::string out = std::to_string(e.id) + "-";
  for (char ch : e.name)
    out += (std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_') ? ch : '_';
  return out;
}

// A tar (POSIX pax) archive in memory.
class TarWriter {
 public:
  explicit TarWriter(int64_t mtime_s) : a_(archive_write_new()), mtime_(mtime_s) {
    archive_write_set_format_pax_restricted(a_);
    archive_write_open(a_, &out_, nullptr, &TarWriter::write, nullptr);
  }
  ~TarWriter() {
    if (a_) archive_write_free(a_);
  }
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;

  Result<void> add(const std::string& path, std::string_view data) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, path.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_mtime(e, mtime_, 0);
    int rc = archive_write_header(a_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) return make_error(Errc::internal, fmt::format("archive: {}", archive_error_string(a_)));
    if (!data.empty() && archive_write_data(a_, data.data(), data.size()) < 0)
      return make_error(Errc::internal, fmt::format("archive: {}", archive_error_string(a_)));
    return {};
  }
  Result<std::string> finish() {
    if (archive_write_close(a_) != ARCHIVE_OK)
      return make_error(Errc::internal, fmt::format("archive: {}", archive_error_string(a_)));
    return std::move(out_);
  }

 private:
  static la_ssize_t write(archive*, void* client, const void* buf, size_t n) {
    static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  }
  archive* a_;
  int64_t mtime_;
  std::string out_;
};

std::string pretty(const json::value& v) {
  return json::serialize(v) + "\n";
}

}  // namespace

void add_incident_routes(api::Router& router, ServerContext& ctx) {
  using api::Method;
  auto add = [&](Method method, std::string_view pattern, std::function<Response(Request&, const Caller&)> h) {
    auto r = router.add(method, pattern, [&ctx, h = std::move(h)](Request& req) {
      Response err;
      auto c = authenticate(ctx, req, err);
      return c ? h(req, *c) : err;
    });
    if (!r.ok()) throw std::logic_error(r.error().message);  // a programming error in this file
  };
  // A route on one incident: its id parsed (404 otherwise).
  auto add_on = [&](Method method, std::string_view pattern,
                    std::function<Response(Request&, const Caller&, int64_t)> h) {
    add(method, pattern, [h = std::move(h)](Request& req, const Caller& c) {
      auto id = parse_id(req.param("id"));
      return id ? h(req, c, *id) : not_found();
    });
  };

  // ---- Report, escalate, list, read, change ----
  add(Method::post, "/api/v1/incidents", [&ctx](Request& req, const Caller& c) {
    auto b = body_object(req);
    if (!b) return fail(b.error());
    return report(ctx, c, *b, {});
  });
  add_on(Method::post, "/api/v1/warnings/{id}/escalate", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto b = body_object(req, true);
    if (!b) return fail(b.error());
    return report(ctx, c, *b, {id});
  });
  add(Method::get, "/api/v1/incidents", [&ctx](Request& req, const Caller& c) {
    auto f = incident_filter(req);
    if (!f) return fail(f.error());
    store::IncidentQuery q;
    q.filter = std::move(*f);
    if (auto s = req.query("limit")) {
      auto n = parse_id(*s);
      if (!n) return bad(fmt::format("limit: '{}' is not a positive integer", *s));
      q.limit = static_cast<int>(std::min<int64_t>(*n, store::kMaxPageSize));
    }
    if (auto s = req.query("cursor")) q.cursor = *s;
    auto page = ctx.store->query_incidents(c, q);
    if (!page) return fail(page.error());
    json::object o = items_json(page->items, incident_json);
    o["next_cursor"] = page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor);
    return api::json_response(200, o);
  });
  add_on(Method::get, "/api/v1/incidents/{id}", [&ctx](Request&, const Caller& c, int64_t id) {
    auto inc = ctx.store->get_incident(c, id);
    if (!inc) return fail(inc.error());
    return api::json_response(200, incident_json(*inc));
  });
  add_on(Method::patch, "/api/v1/incidents/{id}", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto cur = ctx.store->get_incident(c, id);
    if (!cur) return fail(cur.error());
    auto b = body_object(req);
    if (!b) return fail(b.error());
    auto d = read_draft(ctx, c, *b);
    if (!d) return fail(d.error());
    store::IncidentUpdate u;
    u.title = d->title;
    u.description = d->description;
    u.category = d->category;
    u.severity = d->severity;
    u.tlp = d->tlp;
    u.pap = d->pap;
    u.team = d->team;
    u.assignee = d->assignee;
    u.affected_orgs = d->affected_orgs;
    if (d->team || d->affected_orgs)
      u.routed_to =
          ctx.incidents->routes_for(d->affected_orgs.value_or(cur->affected_orgs), d->team.value_or(cur->team));
    auto inc = ctx.store->update_incident(c, id, u, ctx.incidents->sla(), store::system_now());
    if (!inc) return fail(inc.error());
    announce(ctx, "incident.updated", *inc);
    return api::json_response(200, incident_json(*inc));
  });

  // ---- Workflow ----
  add_on(Method::post, "/api/v1/incidents/{id}/status", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto b = body_object(req);
    if (!b) return fail(b.error());
    auto to_s = opt_string(*b, "to");
    if (!to_s) return fail(to_s.error());
    auto to = store::parse_incident_status(to_s->value_or(""));
    if (!to)
      return bad(fmt::format("to: '{}' is not one of new, triage, in_progress, contained, resolved, closed",
                             to_s->value_or("")));
    auto reason = opt_string(*b, "reason");
    if (!reason) return fail(reason.error());
    auto inc = ctx.store->change_incident_status(c, id, *to, reason->value_or(""), store::system_now());
    if (!inc) return fail(inc.error());
    announce(ctx, "incident.status", *inc);
    return api::json_response(200, incident_json(*inc));
  });
  add_on(Method::get, "/api/v1/incidents/{id}/history", [&ctx](Request&, const Caller& c, int64_t id) {
    auto h = ctx.store->list_incident_changes(c, id);
    if (!h) return fail(h.error());
    return api::json_response(200, items_json(*h, change_json));
  });

  // ---- Timeline and comments ----
  add_on(Method::post, "/api/v1/incidents/{id}/comments", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto b = body_object(req);
    if (!b) return fail(b.error());
    auto text = opt_string(*b, "text");
    if (!text) return fail(text.error());
    if (!*text || (*text)->empty()) return bad("text: is required");
    auto e = ctx.store->add_incident_comment(c, id, **text, store::system_now());
    if (!e) return fail(e.error());
    return api::json_response(201, timeline_json(*e));
  });
  add_on(Method::get, "/api/v1/incidents/{id}/timeline", [&ctx](Request&, const Caller& c, int64_t id) {
    auto t = ctx.store->list_incident_timeline(c, id);
    if (!t) return fail(t.error());
    return api::json_response(200, items_json(*t, timeline_json));
  });

  // ---- Tasks ----
  auto read_task = [](const json::object& b, store::TaskUpdate& u) -> Result<void> {
    auto title = opt_string(b, "title");
    if (!title) return title.error();
    u.title = *title;
    auto assignee = opt_string(b, "assignee");
    if (!assignee) return assignee.error();
    u.assignee = *assignee;
    auto status = opt_string(b, "status");
    if (!status) return status.error();
    if (*status) {
      auto s = store::parse_task_status(**status);
      if (!s)
        return make_error(Errc::malformed, fmt::format("status: '{}' is not one of open, done, cancelled", **status));
      u.status = *s;
    }
    if (auto* v = b.if_contains("due")) {
      if (v->is_null())
        u.due = 0;
      else if (v->is_string() && parse_time(v->as_string()))
        u.due = *parse_time(v->as_string());
      else
        return make_error(Errc::malformed, "due: an RFC 3339 time or null");
    }
    return {};
  };
  add_on(Method::post, "/api/v1/incidents/{id}/tasks", [&ctx, read_task](Request& req, const Caller& c, int64_t id) {
    auto b = body_object(req);
    if (!b) return fail(b.error());
    store::TaskUpdate u;
    if (auto r = read_task(*b, u); !r) return fail(r.error());
    if (!u.title || u.title->empty()) return bad("title: is required");
    store::IncidentTask t;
    t.title = *u.title;
    t.assignee = u.assignee.value_or("");
    t.due = u.due.value_or(0);
    t.status = u.status.value_or(store::TaskStatus::open);
    auto r = ctx.store->add_incident_task(c, id, t, store::system_now());
    if (!r) return fail(r.error());
    return api::json_response(201, task_json(*r));
  });
  add_on(Method::get, "/api/v1/incidents/{id}/tasks", [&ctx](Request&, const Caller& c, int64_t id) {
    auto t = ctx.store->list_incident_tasks(c, id);
    if (!t) return fail(t.error());
    return api::json_response(200, items_json(*t, task_json));
  });
  add(Method::patch, "/api/v1/incidents/tasks/{task_id}", [&ctx, read_task](Request& req, const Caller& c) {
    auto id = parse_id(req.param("task_id"));
    if (!id) return not_found();
    auto b = body_object(req);
    if (!b) return fail(b.error());
    store::TaskUpdate u;
    if (auto r = read_task(*b, u); !r) return fail(r.error());
    if (u.title && u.title->empty()) return bad("title: must not be empty");
    auto r = ctx.store->update_incident_task(c, *id, u, store::system_now());
    if (!r) return fail(r.error());
    return api::json_response(200, task_json(*r));
  });

  // ---- Observables (flagged ones are published as indicators) ----
  add_on(Method::post, "/api/v1/incidents/{id}/observables", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto inc = ctx.store->get_incident(c, id);
    if (!inc) return fail(inc.error());
    auto b = body_object(req);
    if (!b) return fail(b.error());
    auto type = opt_string(*b, "type");
    if (!type) return fail(type.error());
    auto value = opt_string(*b, "value");
    if (!value) return fail(value.error());
    store::IncidentObservable ob;
    ob.type = type->value_or("");
    ob.value = value->value_or("");
    if (!known_observable_type(ob.type))
      return bad(
          fmt::format("type: '{}' is not one of ip, domain, url, email, md5, sha1, sha256, ja3, ja4, file_name, "
                      "host, user, process, other",
                      ob.type));
    if (ob.value.empty()) return bad("value: is required");
    if (auto vt = intel::parse_value_type(ob.type)) {
      auto norm = intel::normalise(*vt, ob.value);
      if (!norm) return bad(fmt::format("value: '{}' is not a valid {}", ob.value, ob.type));
      ob.value = *norm;
    }
    if (auto* f = b->if_contains("indicator")) {
      if (!f->is_bool()) return bad("indicator: true or false");
      ob.indicator = f->as_bool();
    }
    if (ob.indicator) {
      if (!intel::parse_value_type(ob.type))
        return bad(fmt::format("indicator: a {} cannot be shared as an indicator", ob.type));
      if (!store::may_change_status(c.role))
        return api::error_response(403, "denied", "your role may not share indicators");
    }
    // Unflagging a shared one withdraws its indicator.
    bool was_shared = false;
    if (!ob.indicator) {
      auto known = ctx.store->list_incident_observables(c, id);
      if (!known) return fail(known.error());
      for (const auto& k : *known)
        if (k.type == ob.type && k.value == ob.value && k.indicator) was_shared = true;
    }
    int64_t now = store::system_now();
    auto r = ctx.store->add_incident_observable(c, id, ob, now);
    if (!r) return fail(r.error());
    json::object o = observable_json(*r);
    if (r->indicator || was_shared) {
      auto ref = publish_indicator(ctx, *inc, *r, now, !r->indicator);
      if (!ref) return fail(ref.error());
      audit_action(ctx, c, r->indicator ? "incident.indicator" : "incident.indicator.revoke",
                   "incident:" + std::to_string(id),
                   json::serialize(json::object{{"indicator", *ref}, {"tlp", inc->tlp}}));
      o["indicator_ref"] = *ref;
    }
    return api::json_response(201, o);
  });
  add_on(Method::get, "/api/v1/incidents/{id}/observables", [&ctx](Request&, const Caller& c, int64_t id) {
    auto v = ctx.store->list_incident_observables(c, id);
    if (!v) return fail(v.error());
    return api::json_response(200, items_json(*v, observable_json));
  });

  // ---- Links and merge ----
  add_on(Method::post, "/api/v1/incidents/{id}/links", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto b = body_object(req);
    if (!b) return fail(b.error());
    auto other = opt_id(*b, "incident");
    if (!other) return fail(other.error());
    if (!*other) return bad("incident: the id of the incident to link is required");
    auto kind_s = opt_string(*b, "kind");
    if (!kind_s) return fail(kind_s.error());
    auto kind = store::parse_incident_link_kind(kind_s->value_or("related"));
    if (!kind) return bad(fmt::format("kind: '{}' is not one of related, duplicate, parent", kind_s->value_or("")));
    auto l = ctx.store->link_incidents(c, id, **other, *kind, store::system_now());
    if (!l) return fail(l.error());
    return api::json_response(201, link_json(*l));
  });
  add_on(Method::get, "/api/v1/incidents/{id}/links", [&ctx](Request&, const Caller& c, int64_t id) {
    auto l = ctx.store->list_incident_links(c, id);
    if (!l) return fail(l.error());
    return api::json_response(200, items_json(*l, link_json));
  });
  add_on(Method::post, "/api/v1/incidents/{id}/merge", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto b = body_object(req);
    if (!b) return fail(b.error());
    auto from = opt_id(*b, "from");
    if (!from) return fail(from.error());
    if (!*from) return bad("from: the id of the incident to merge into this one is required");
    auto reason = opt_string(*b, "reason");
    if (!reason) return fail(reason.error());
    auto inc = ctx.store->merge_incidents(c, id, **from, reason->value_or(""), store::system_now());
    if (!inc) return fail(inc.error());
    announce(ctx, "incident.merged", *inc);
    return api::json_response(200, incident_json(*inc));
  });

  // ---- Evidence and its chain of custody ----
  add_on(Method::post, "/api/v1/incidents/{id}/evidence", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto inc = ctx.store->get_incident(c, id);  // 404 before anything is written
    if (!inc) return fail(inc.error());
    if (!store::may_report_incident(c.role))
      return api::error_response(403, "denied", "your role may not add evidence");
    if (req.body.size() > ctx.cfg.max_evidence_bytes)
      return api::error_response(
          413, "limit",
          fmt::format("the file has {} bytes, more than the limit of {}", req.body.size(), ctx.cfg.max_evidence_bytes));
    if (req.body.empty()) return bad("the body (the file's bytes) is empty");
    auto name = req.query("name");
    if (!name) name = req.header("X-File-Name");
    if (!name || name->empty()) return bad("name: the file name is required (?name= or an X-File-Name header)");
    auto sha = ctx.incidents->store_evidence(req.body);
    if (!sha) return fail(sha.error());
    store::NewEvidence n;
    n.sha256 = *sha;
    n.name = clean_evidence_name(*name);
    n.media_type = std::string(req.header("Content-Type").value_or("application/octet-stream"));
    n.size = static_cast<int64_t>(req.body.size());
    auto e = ctx.store->add_evidence(c, id, n, req.remote_ip, store::system_now());
    if (!e) return fail(e.error());
    return api::json_response(201, evidence_json(*e));
  });
  add_on(Method::get, "/api/v1/incidents/{id}/evidence", [&ctx](Request&, const Caller& c, int64_t id) {
    auto v = ctx.store->list_evidence(c, id);
    if (!v) return fail(v.error());
    return api::json_response(200, items_json(*v, evidence_json));
  });
  add_on(Method::get, "/api/v1/evidence/{id}/custody", [&ctx](Request&, const Caller& c, int64_t id) {
    auto v = ctx.store->list_custody(c, id);
    if (!v) return fail(v.error());
    return api::json_response(200, items_json(*v, custody_json));
  });
  add_on(Method::get, "/api/v1/evidence/{id}/content", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto log = ctx.store->list_custody(c, id);  // 404 for evidence the caller may not see
    if (!log) return fail(log.error());
    if (log->empty()) return not_found();
    if (!store::may_change_status(c.role))
      return api::error_response(403, "denied", "your role may not download evidence");
    std::string sha = log->front().sha256;
    auto bytes = ctx.incidents->read_evidence(sha);
    if (!bytes) return fail(bytes.error());
    auto entry = ctx.store->record_custody(c, id, store::CustodyAction::download, req.remote_ip, store::system_now());
    if (!entry) return fail(entry.error());
    Response resp;
    resp.content_type = "application/octet-stream";
    resp.body = std::move(*bytes);
    resp.with_header("Content-Disposition", fmt::format("attachment; filename=\"{}.bin\"", sha));
    resp.with_header("X-Content-SHA256", sha);
    resp.with_header("X-Content-Type-Options", "nosniff");
    resp.with_header("Cache-Control", "no-store");
    return resp;
  });

  // ---- Export: one tar with everything and a SHA256SUMS manifest ----
  add_on(Method::get, "/api/v1/incidents/{id}/export", [&ctx](Request& req, const Caller& c, int64_t id) {
    auto inc = ctx.store->get_incident(c, id);
    if (!inc) return fail(inc.error());
    if (!store::may_change_status(c.role))
      return api::error_response(403, "denied", "your role may not export incidents");
    auto history = ctx.store->list_incident_changes(c, id);
    if (!history) return fail(history.error());
    auto timeline = ctx.store->list_incident_timeline(c, id);
    if (!timeline) return fail(timeline.error());
    auto tasks = ctx.store->list_incident_tasks(c, id);
    if (!tasks) return fail(tasks.error());
    auto observables = ctx.store->list_incident_observables(c, id);
    if (!observables) return fail(observables.error());
    auto links = ctx.store->list_incident_links(c, id);
    if (!links) return fail(links.error());
    auto evidence = ctx.store->list_evidence(c, id);
    if (!evidence) return fail(evidence.error());
    int64_t now = store::system_now();
    std::vector<std::pair<std::string, std::string>> files;  // path in the folder, bytes
    files.emplace_back("incident.json", pretty(incident_json(*inc)));
    files.emplace_back("history.json", pretty(items_json(*history, change_json)));
    files.emplace_back("timeline.json", pretty(items_json(*timeline, timeline_json)));
    files.emplace_back("tasks.json", pretty(items_json(*tasks, task_json)));
    files.emplace_back("observables.json", pretty(items_json(*observables, observable_json)));
    files.emplace_back("links.json", pretty(items_json(*links, link_json)));
    json::array ev_meta, custody;
    for (const auto& e : *evidence) {
      auto bytes = ctx.incidents->read_evidence(e.sha256);
      if (!bytes) return fail(bytes.error());
      auto rec = ctx.store->record_custody(c, e.id, store::CustodyAction::export_, req.remote_ip, now);
      if (!rec) return fail(rec.error());
      std::string path = "evidence/" + archive_name(e);
      json::object m = evidence_json(e);
      m["file"] = path;
      ev_meta.push_back(std::move(m));
      files.emplace_back(std::move(path), std::move(*bytes));
      auto log = ctx.store->list_custody(c, e.id);
      if (!log) return fail(log.error());
      for (const auto& x : *log) custody.push_back(custody_json(x));
    }
    files.emplace_back("evidence.json", pretty(json::object{{"items", std::move(ev_meta)}}));
    files.emplace_back("custody.json", pretty(json::object{{"items", std::move(custody)}}));
    std::string sums;
    for (const auto& [path, bytes] : files) sums += store::sha256_hex(bytes) + "  " + path + "\n";
    files.emplace_back("SHA256SUMS", std::move(sums));
    TarWriter tar(now / 1000);
    for (const auto& [path, bytes] : files)
      if (auto r = tar.add(inc->ref + "/" + path, bytes); !r) return fail(r.error());
    auto body = tar.finish();
    if (!body) return fail(body.error());
    audit_action(ctx, c, "incident.export", "incident:" + std::to_string(id),
                 json::serialize(json::object{{"ref", inc->ref}, {"evidence", evidence->size()}}));
    Response resp;
    resp.content_type = "application/x-tar";
    resp.body = std::move(*body);
    resp.with_header("Content-Disposition", fmt::format("attachment; filename=\"{}.tar\"", inc->ref));
    resp.with_header("Cache-Control", "no-store");
    return resp;
  });
}

}  // namespace lachan::app
