// What the web console needs beyond the plain resources: the reference lists, the overview of the
// warnings the caller may see (aggregated by the store), the loaded rules with their hit counts
// and load diagnostics, and status changes of many warnings at once. Tenancy is the store's (a
// warning is visible iff the caller's organisation is among its routes) and the constituency's
// (which provinces and sectors the caller oversees).
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/format.h>

#include "app/server.h"
#include "core/strings.h"
#include "core/time.h"

namespace lachan::app {
namespace json = boost::json;
using api::Request;
using api::Response;
using store::Caller;

namespace {

constexpr int64_t kHourMs = 3'600'000;
constexpr int64_t kDayMs = 24 * kHourMs;
constexpr int64_t kMaxBuckets = 400;
constexpr size_t kMaxBulk = 1000;

std::optional<int64_t> parse_count(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

Response bad(std::string_view message) { return api::error_response(400, "malformed", message); }

bool is_open(store::WarningStatus s) {
  return s == store::WarningStatus::new_ || s == store::WarningStatus::acknowledged ||
         s == store::WarningStatus::in_progress;
}

Response overview(ServerContext& ctx, const Request& req, const Caller& c) {
  int64_t now = store::system_now();
  int64_t bucket = kDayMs;
  if (auto b = req.query("bucket")) {
    if (*b == "hour") bucket = kHourMs;
    else if (*b == "day") bucket = kDayMs;
    else return bad("bucket: hour or day");
  }
  int64_t until = now;
  if (auto s = req.query("until")) {
    auto t = parse_time_param(*s);
    if (!t) return bad(fmt::format("until: '{}' is not a time (RFC 3339 or ms since the epoch)", *s));
    until = *t;
  }
  int64_t since = until - 7 * kDayMs;
  if (auto s = req.query("since")) {
    auto t = parse_time_param(*s);
    if (!t) return bad(fmt::format("since: '{}' is not a time (RFC 3339 or ms since the epoch)", *s));
    since = *t;
  }
  if (since >= until) return bad("since must be before until");
  auto floor_to = [bucket](int64_t t) { return t - (((t % bucket) + bucket) % bucket); };
  // At most kMaxBuckets buckets: a longer range keeps its latest part.
  int64_t first = floor_to(since);
  if ((until - first + bucket - 1) / bucket > kMaxBuckets) {
    first = floor_to(until - 1) - (kMaxBuckets - 1) * bucket;
    since = first;
  }

  store::OverviewQuery q;
  q.since = since;
  q.until = until;
  q.bucket_ms = bucket;
  q.top = 10;
  q.now = now;
  auto ov = ctx.store->warning_overview(c, q);
  if (!ov.ok()) return error_response_for(ov.error());
  auto reg = ctx.registry->get();

  // Which provinces and sectors the caller oversees: all of them for the national centre, else
  // those of the organisations it may see.
  std::set<std::string> my_provinces, my_sectors;
  bool national = c.org_id == reg->national_centre();
  for (const auto& id : reg->visible_orgs(c.org_id))
    if (const auto* o = reg->find(id)) {
      if (!o->province.empty()) my_provinces.insert(o->province);
      my_sectors.insert(o->sectors.begin(), o->sectors.end());
    }

  json::object o;
  o["scope"] = caller_scope(*reg, c);
  o["since"] = format_ms(since);
  o["until"] = format_ms(until);
  o["bucket"] = bucket == kHourMs ? "hour" : "day";
  json::object by_status, open_by_severity;
  int64_t open_total = 0;
  for (auto s : {store::WarningStatus::new_, store::WarningStatus::acknowledged, store::WarningStatus::in_progress,
                 store::WarningStatus::resolved, store::WarningStatus::false_positive}) {
    int64_t n = ov->by_status[static_cast<size_t>(s)];
    by_status[store::to_string(s)] = n;
    if (is_open(s)) open_total += n;
  }
  for (auto s : {store::Severity::informational, store::Severity::low, store::Severity::medium, store::Severity::high,
                 store::Severity::critical})
    open_by_severity[store::to_string(s)] = ov->open_by_severity[static_cast<size_t>(s)];
  o["open_total"] = open_total;
  o["by_status"] = std::move(by_status);
  o["open_by_severity"] = std::move(open_by_severity);

  std::unordered_map<std::string, std::pair<int64_t, int64_t>> prov_counts, sector_counts;
  for (const auto& p : ov->provinces) prov_counts[p.key] = {p.open, p.total};
  for (const auto& s : ov->sectors) sector_counts[s.key] = {s.open, s.total};
  json::array provinces;
  for (const auto& p : reg->provinces()) {
    auto it = prov_counts.find(p.id);
    if (!national && !my_provinces.count(p.id) && it == prov_counts.end()) continue;
    auto [open, total] = it == prov_counts.end() ? std::pair<int64_t, int64_t>{0, 0} : it->second;
    provinces.push_back(json::object{{"code", p.code}, {"id", p.id}, {"name", p.name}, {"name_vi", p.name_vi},
                                     {"open", open}, {"total", total}});
  }
  o["provinces"] = std::move(provinces);
  json::array sectors;
  for (const auto& s : reg->sectors()) {
    auto it = sector_counts.find(s.id);
    if (!national && !my_sectors.count(s.id) && it == sector_counts.end()) continue;
    auto [open, total] = it == sector_counts.end() ? std::pair<int64_t, int64_t>{0, 0} : it->second;
    sectors.push_back(json::object{{"code", s.id}, {"id", s.id}, {"name", s.name}, {"name_vi", s.name_vi},
                                   {"open", open}, {"total", total}});
  }
  o["sectors"] = std::move(sectors);

  json::array series;
  size_t k = 0;
  for (int64_t t = floor_to(since); t < until; t += bucket) {
    int64_t count = 0, critical = 0, high = 0;
    while (k < ov->series.size() && ov->series[k].t < t) ++k;
    if (k < ov->series.size() && ov->series[k].t == t) {
      count = ov->series[k].count;
      critical = ov->series[k].critical;
      high = ov->series[k].high;
    }
    series.push_back(json::object{{"t", format_ms(t)}, {"count", count}, {"critical", critical}, {"high", high}});
  }
  o["series"] = std::move(series);
  json::array rules, techniques, orgs;
  for (const auto& r : ov->top_rules)
    rules.push_back(json::object{{"rule_id", r.key}, {"title", r.label}, {"count", r.count}});
  for (const auto& t : ov->top_techniques) techniques.push_back(json::object{{"technique", t.key}, {"count", t.count}});
  for (const auto& g : ov->top_organisations) {
    const auto* org = reg->find(g.key);
    orgs.push_back(json::object{{"org_id", g.key}, {"name", org ? org->name : g.key}, {"count", g.count}});
  }
  o["top_rules"] = std::move(rules);
  o["top_techniques"] = std::move(techniques);
  o["top_organisations"] = std::move(orgs);

  json::object inc_status;
  int64_t inc_open = 0;
  for (auto s : {store::IncidentStatus::new_, store::IncidentStatus::triage, store::IncidentStatus::in_progress,
                 store::IncidentStatus::contained, store::IncidentStatus::resolved, store::IncidentStatus::closed}) {
    int64_t n = 0;
    for (const auto& [name, count] : ov->incidents_by_status)
      if (name == store::to_string(s)) n = count;
    inc_status[store::to_string(s)] = n;
    if (s != store::IncidentStatus::resolved && s != store::IncidentStatus::closed) inc_open += n;
  }
  o["incidents"] = json::object{{"open", inc_open},
                                {"by_status", std::move(inc_status)},
                                {"sla_breached", ov->incidents_sla_breached}};
  return api::json_response(200, o);
}

Response rules(ServerContext& ctx, const Request& req, const Caller& c) {
  std::string q = to_lower(req.query("q").value_or(""));
  std::string level(req.query("level").value_or(""));
  int64_t limit = 100, offset = 0;
  if (auto s = req.query("limit")) {
    auto v = parse_count(*s);
    if (!v || *v < 1) return bad("limit: a positive integer");
    limit = std::min<int64_t>(*v, 1000);
  }
  if (auto s = req.query("offset")) {
    auto v = parse_count(*s);
    if (!v) return bad("offset: a non-negative integer");
    offset = *v;
  }
  auto hits = ctx.store->count_warnings_by_rule(c);
  if (!hits.ok()) return error_response_for(hits.error());
  std::unordered_map<std::string, int64_t> by_rule(hits->begin(), hits->end());
  json::array items;
  int64_t total = 0;
  for (const auto& r : ctx.rule_catalog) {
    if (!level.empty() && r.level != level) continue;
    if (!q.empty() && to_lower(r.id).find(q) == std::string::npos && to_lower(r.title).find(q) == std::string::npos) continue;
    ++total;
    if (total <= offset || static_cast<int64_t>(items.size()) >= limit) continue;
    auto h = by_rule.find(r.id);
    items.push_back(json::object{
        {"id", r.id},
        {"title", r.title},
        {"level", r.level},
        {"status", r.status},
        {"tags", json::value_from(r.tags)},
        {"logsource", json::object{{"product", r.product}, {"category", r.category}, {"service", r.service}}},
        {"file", r.file},
        {"hits", h == by_rule.end() ? 0 : h->second}});
  }
  json::array diags;
  for (const auto& d : ctx.rule_diagnostics)
    diags.push_back(json::object{{"file", d.file},
                                 {"line", d.line},
                                 {"column", d.column},
                                 {"severity", d.severity},
                                 {"code", d.code},
                                 {"message", d.message}});
  return api::json_response(200, json::object{{"items", std::move(items)}, {"diagnostics", std::move(diags)}, {"total", total}});
}

Response bulk(ServerContext& ctx, const Request& req, const Caller& c) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec || !v.is_object()) return bad("the body must be a JSON object");
  const auto& b = v.as_object();
  const auto* ids = b.if_contains("ids");
  if (!ids || !ids->is_array() || ids->as_array().empty()) return bad("ids: a non-empty list of warning ids");
  if (ids->as_array().size() > kMaxBulk) return bad(fmt::format("ids: at most {} at once", kMaxBulk));
  const auto* act = b.if_contains("action");
  std::string action = act && act->is_string() ? std::string(act->as_string()) : "";
  store::WarningStatus to;
  if (action == "acknowledge") to = store::WarningStatus::acknowledged;
  else if (action == "resolve") to = store::WarningStatus::resolved;
  else if (action == "false_positive") to = store::WarningStatus::false_positive;
  else if (action == "in_progress") to = store::WarningStatus::in_progress;
  else return bad("action: acknowledge, resolve, false_positive or in_progress");
  std::string comment;
  if (const auto* cm = b.if_contains("comment"); cm && cm->is_string()) comment = std::string(cm->as_string());
  std::vector<int64_t> list;
  for (const auto& x : ids->as_array()) {
    if (!x.is_int64() || x.as_int64() <= 0) return bad("ids: a list of positive warning ids");
    list.push_back(x.as_int64());
  }
  if (!store::may_change_status(c.role))
    return api::error_response(403, "denied", "your role may not change the state of warnings");
  json::array results;
  int64_t updated = 0;
  for (int64_t id : list) {
    // The single-warning route's change: visibility, role and transition checked, history and
    // audit entry written, in one transaction per warning.
    auto w = ctx.store->update_warning_status(c, id, to, comment, store::system_now());
    if (w.ok()) {
      ++updated;
      results.push_back(json::object{{"id", id}, {"ok", true}, {"status", store::to_string(w->status)}});
      continue;
    }
    std::string err = w.error().code == Errc::not_found  ? "not_found"
                      : w.error().code == Errc::conflict ? "invalid_transition"
                      : w.error().code == Errc::denied   ? "denied"
                                                         : errc_name(w.error().code);
    results.push_back(json::object{{"id", id}, {"ok", false}, {"error", err}});
  }
  return api::json_response(200, json::object{{"results", std::move(results)}, {"updated", updated}});
}

}  // namespace

void add_console_routes(api::Router& router, ServerContext& ctx) {
  using api::Method;
  auto add_authed = [&](Method method, std::string_view pattern, Response (*h)(ServerContext&, const Request&, const Caller&)) {
    auto r = router.add(method, pattern, [&ctx, h](Request& req) {
      Response err;
      auto c = authenticate(ctx, req, err);
      return c ? h(ctx, req, *c) : err;
    });
    if (!r.ok()) throw std::logic_error(r.error().message);
  };
  add_authed(Method::get, "/api/v1/reference", [](ServerContext& ctx, const Request&, const Caller&) {
    auto reg = ctx.registry->get();
    json::array provinces, sectors;
    for (const auto& p : reg->provinces())
      provinces.push_back(json::object{{"code", p.code}, {"id", p.id}, {"name", p.name}, {"name_vi", p.name_vi}, {"kind", p.kind}});
    for (const auto& s : reg->sectors())
      sectors.push_back(json::object{{"code", s.id}, {"id", s.id}, {"name", s.name}, {"name_vi", s.name_vi}});
    return api::json_response(200, json::object{{"provinces", std::move(provinces)}, {"sectors", std::move(sectors)}});
  });
  add_authed(Method::get, "/api/v1/stats/overview", overview);
  add_authed(Method::get, "/api/v1/rules", rules);
  add_authed(Method::post, "/api/v1/warnings/bulk", bulk);
}

}  // namespace lachan::app
