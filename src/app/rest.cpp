// The REST API under /api/v1: authentication, tenancy scoping and the JSON shapes of the
// OpenAPI document (openapi.cpp). Every read of warnings, organisations, the audit log, keys,
// users and dead letters is scoped by what the caller's organisation may see; anything else
// answers 404.
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>

#include <fmt/format.h>

#include "app/server.h"
#include "core/strings.h"
#include "core/time.h"

namespace lachan::app {
namespace json = boost::json;
using api::Request;
using api::Response;
using store::Caller;
using store::Role;

namespace {

int status_of(Errc c) {
  switch (c) {
    case Errc::not_found: return 404;
    case Errc::conflict: return 409;
    case Errc::denied: return 403;
    case Errc::malformed:
    case Errc::invalid_config:
    case Errc::unsupported: return 400;
    case Errc::limit: return 413;
    case Errc::busy: return 503;
    default: return 500;
  }
}

Response fail(const Error& e) { return error_response_for(e); }

json::object warning_json(const store::Warning& w, bool full) {
  json::object o;
  o["id"] = w.id;
  o["organisation"] = w.org_id;
  o["detector"] = w.detector;
  o["rule_id"] = w.rule_id;
  o["title"] = w.rule_title;
  o["severity"] = store::to_string(w.severity);
  o["status"] = store::to_string(w.status);
  o["tags"] = json::value_from(w.tags);
  o["tlp"] = w.tlp;
  json::array ents;
  for (const auto& e : w.entities) ents.push_back(json::object{{"type", e.type}, {"value", e.value}});
  o["entities"] = std::move(ents);
  o["count"] = w.count;
  o["first_seen"] = format_ms(w.first_seen);
  o["last_seen"] = format_ms(w.last_seen);
  o["created"] = format_ms(w.created);
  o["updated"] = format_ms(w.updated);
  o["province"] = w.province;
  o["sectors"] = json::value_from(w.sectors);
  o["routed_to"] = json::value_from(w.routed_to);
  if (full) {
    json::array ev;
    for (const auto& e : w.evidence) {
      boost::system::error_code ec;
      json::value v = json::parse(e, ec);
      if (ec) ev.emplace_back(e);
      else ev.push_back(std::move(v));
    }
    o["evidence"] = std::move(ev);
  }
  return o;
}

json::object org_json(const store::Organisation& org) {
  json::object o;
  o["id"] = org.id;
  o["name"] = org.name;
  o["kind"] = store::to_string(org.kind);
  o["parent"] = org.parent;
  o["province"] = org.province;
  o["sectors"] = json::value_from(org.sectors);
  o["criticality"] = org.criticality;
  json::array contacts;
  for (const auto& c : org.contacts)
    contacts.push_back(json::object{{"name", c.name}, {"email", c.email}, {"phone", c.phone}, {"role", c.role}});
  o["contacts"] = std::move(contacts);
  o["it_providers"] = json::value_from(org.it_providers);
  o["networks"] = json::value_from(org.networks);
  json::array asns;
  for (auto a : org.asns) asns.emplace_back(a);
  o["asns"] = std::move(asns);
  o["domains"] = json::value_from(org.domains);
  o["hosts"] = json::value_from(org.hosts);
  return o;
}

// Never the secret nor its hash.
json::object key_json(const store::ApiKey& k) {
  json::object o;
  o["id"] = k.id;
  o["organisation"] = k.org_id;
  o["role"] = store::to_string(k.role);
  o["label"] = k.label;
  o["created"] = format_ms(k.created);
  o["revoked"] = k.revoked;
  if (k.revoked_at) o["revoked_at"] = format_ms(k.revoked_at);
  return o;
}

json::object user_json(const store::User& u) {
  json::object o;
  o["username"] = u.username;
  o["organisation"] = u.org_id;
  o["role"] = store::to_string(u.role);
  o["display_name"] = u.display_name;
  o["created"] = format_ms(u.created);
  o["disabled"] = u.disabled;
  return o;
}

// A dead letter keeps the bytes as received, which need not be UTF-8: invalid sequences become
// U+FFFD so that the answer is valid JSON.
json::string utf8_string(std::string_view s) {
  std::string literal;
  append_json_string(literal, s);
  boost::system::error_code ec;
  json::value v = json::parse(literal, ec);
  return ec ? json::string() : std::move(v.as_string());
}

json::object dead_letter_json(const store::DeadLetter& d) {
  json::object o;
  o["id"] = d.id;
  o["source"] = d.source;
  o["organisation"] = d.org_id;
  o["reason"] = d.reason;
  o["raw"] = utf8_string(d.raw);
  o["raw_size"] = d.raw_size;
  o["at"] = format_ms(d.at);
  return o;
}

std::vector<std::string_view> list_param(const Request& req, std::string_view key) {
  std::vector<std::string_view> out;
  for (auto v : req.query_all(key)) {
    size_t start = 0;
    for (size_t i = 0; i <= v.size(); ++i)
      if (i == v.size() || v[i] == ',') {
        if (i > start) out.push_back(v.substr(start, i - start));
        start = i + 1;
      }
  }
  return out;
}

struct Auth {
  ServerContext& ctx;
  std::optional<Caller> caller(const Request& req, Response& err) const { return authenticate(ctx, req, err); }
};

bool role_in(Role r, std::initializer_list<Role> allowed) {
  return std::find(allowed.begin(), allowed.end(), r) != allowed.end();
}

Response forbidden(std::string_view what) {
  return api::error_response(403, "denied", fmt::format("your role may not {}", what));
}

Response not_found() {
  return api::error_response(404, "not_found", "not found");
}

// May the caller's organisation see `org`? One it may not see is answered like a missing one.
bool may_see(const constituency::Constituency& reg, const Caller& c, const std::string& org) {
  auto vis = reg.visible_orgs(c.org_id);
  return std::binary_search(vis.begin(), vis.end(), org);
}

void audit(ServerContext& ctx, const Caller& c, std::string action, std::string target, json::object detail) {
  audit_action(ctx, c, std::move(action), std::move(target), json::serialize(detail));
}

Result<store::WarningFilter> warning_filter(const Request& req) {
  store::WarningFilter f;
  for (auto s : list_param(req, "status")) {
    auto st = store::parse_warning_status(s);
    if (!st) return make_error(Errc::malformed, fmt::format("unknown status '{}' (new, acknowledged, in_progress, resolved, false_positive)", s));
    f.statuses.push_back(*st);
  }
  for (auto s : list_param(req, "severity")) {
    auto sv = store::parse_severity(s);
    if (!sv) return make_error(Errc::malformed, fmt::format("unknown severity '{}' (informational, low, medium, high, critical)", s));
    f.severities.push_back(*sv);
  }
  if (auto s = req.query("min_severity")) {
    auto sv = store::parse_severity(*s);
    if (!sv) return make_error(Errc::malformed, fmt::format("unknown min_severity '{}'", *s));
    f.min_severity = *sv;
  }
  if (auto s = req.query("organisation")) f.org_id = *s;
  if (auto s = req.query("province")) f.province = *s;
  if (auto s = req.query("sector")) f.sector = *s;
  if (auto s = req.query("rule")) f.rule_id = *s;
  if (auto s = req.query("q")) f.text = *s;
  if (auto s = req.query("since")) {
    auto t = parse_time_param(*s);
    if (!t) return make_error(Errc::malformed, fmt::format("since: '{}' is not a time (RFC 3339 or ms since the epoch)", *s));
    f.since = *t;
  }
  if (auto s = req.query("until")) {
    auto t = parse_time_param(*s);
    if (!t) return make_error(Errc::malformed, fmt::format("until: '{}' is not a time (RFC 3339 or ms since the epoch)", *s));
    f.until = *t;
  }
  return f;
}

Result<int> limit_param(const Request& req, int def) {
  auto s = req.query("limit");
  if (!s) return def;
  int v = 0;
  auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || p != s->data() + s->size() || v < 1)
    return make_error(Errc::malformed, fmt::format("limit: '{}' is not a positive integer", *s));
  return std::min(v, store::kMaxPageSize);
}

Result<json::object> body_object(const Request& req) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec) return make_error(Errc::malformed, "the body is not JSON: " + ec.message());
  if (!v.is_object()) return make_error(Errc::malformed, "the body must be a JSON object");
  return v.as_object();
}

std::string str_field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || !it->value().is_string()) return {};
  return std::string(it->value().as_string());
}

}  // namespace

Response error_response_for(const Error& e) {
  int st = status_of(e.code);
  return api::error_response(st, errc_name(e.code), st == 404 ? "not found" : e.message);
}

json::value caller_scope(const constituency::Constituency& reg, const Caller& c) {
  json::object o{{"kind", "organisation"}, {"province", nullptr}, {"province_id", nullptr}, {"sector", nullptr}};
  const auto* org = reg.find(c.org_id);
  if (!org) return o;
  auto set_province = [&] {
    if (org->province.empty()) return;
    o["province_id"] = org->province;
    const auto* p = reg.reference().find_province(org->province);
    o["province"] = p ? p->code : org->province;
  };
  switch (org->kind) {
    case store::OrgKind::national_centre:
      o["kind"] = "national";
      break;
    case store::OrgKind::provincial_unit:
      o["kind"] = "province";
      set_province();
      break;
    case store::OrgKind::sector_team:
      o["kind"] = "sector";
      if (!org->sectors.empty()) o["sector"] = org->sectors.front();
      break;
    default:  // a member sees its own warnings (and its children's)
      break;
  }
  return o;
}

std::string_view request_token(const Request& req, bool* from_cookie) {
  if (from_cookie) *from_cookie = false;
  if (auto h = req.header("Authorization")) {
    std::string_view v = *h;
    if (v.size() > 7 && (v.substr(0, 7) == "Bearer " || v.substr(0, 7) == "bearer ")) return v.substr(7);
  }
  if (auto c = req.header("Cookie")) {
    // Cookie: a=1; lachan_session=TOKEN; b=2 (the name at the start or after "; ")
    std::string_view v = *c;
    for (size_t p = v.find("lachan_session="); p != std::string_view::npos; p = v.find("lachan_session=", p + 1)) {
      if (p != 0 && v[p - 1] != ' ' && v[p - 1] != ';') continue;
      std::string_view token = v.substr(p + 15);
      token = token.substr(0, token.find(';'));
      if (token.empty()) continue;
      if (from_cookie) *from_cookie = true;
      return token;
    }
  }
  return {};
}

std::string session_cookie(const ServerContext& ctx, std::string_view token, int64_t max_age_s) {
  return fmt::format("lachan_session={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}", token, max_age_s,
                     ctx.tls ? "; Secure" : "");
}

std::optional<Caller> authenticate(ServerContext& ctx, const Request& req, Response& err) {
  bool from_cookie = false;
  std::string_view token = request_token(req, &from_cookie);
  if (token.empty()) {
    err = api::error_response(401, "unauthenticated", "send Authorization: Bearer <API key or session token>");
    err.with_header("WWW-Authenticate", "Bearer realm=\"lachan\"");
    return std::nullopt;
  }
  auto c = token.substr(0, 3) == "lk_" ? ctx.store->authenticate_api_key(token)
                                       : ctx.store->authenticate_session(token, store::system_now());
  if (!c.ok()) {
    err = api::error_response(401, "unauthenticated", "the API key or session is unknown, revoked or expired");
    err.with_header("WWW-Authenticate", "Bearer realm=\"lachan\", error=\"invalid_token\"");
    return std::nullopt;
  }
  // A browser sends the cookie whoever made it send the request: a change made with it must come
  // from the console's own script, which sets a header no cross-site form or link can.
  using api::Method;
  if (from_cookie && (req.method == Method::post || req.method == Method::put || req.method == Method::patch ||
                      req.method == Method::del || req.method == Method::other)) {
    auto h = req.header("X-Lachan-Request");
    if (!h || *h != "1") {
      err = api::error_response(403, "csrf", "a request authenticated by the session cookie that changes something "
                                             "must carry the header X-Lachan-Request: 1");
      return std::nullopt;
    }
  }
  return *c;
}

void audit_action(ServerContext& ctx, const Caller& c, std::string action, std::string target, std::string detail_json) {
  store::AuditEntry e;
  e.at = store::system_now();
  e.actor = c.actor;
  e.org_id = c.org_id;
  e.action = std::move(action);
  e.target = std::move(target);
  e.detail = std::move(detail_json);
  (void)ctx.store->append_audit(e);
}

std::optional<int64_t> parse_time_param(std::string_view s) {
  int64_t ms = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), ms);
  if (ec == std::errc() && p == s.data() + s.size()) return ms;
  if (auto ns = parse_timestamp(s)) return *ns / 1'000'000;
  return std::nullopt;
}

void add_routes(api::Router& router, ServerContext& ctx) {
  using api::Method;
  Auth auth{ctx};
  auto& m = *ctx.metrics;
  auto& ingest_seconds = m.histogram("lachan_stage_seconds", "Time per batch in a pipeline stage",
                                     api::metrics::default_seconds_buckets(), {{"stage", "ingest"}});
  auto add = [&](Method method, std::string_view pattern, api::Handler h) {
    auto r = router.add(method, pattern, std::move(h));
    if (!r.ok()) throw std::logic_error(r.error().message);  // a programming error in this file
  };
  // A route for authenticated callers only: 401 before the handler runs otherwise.
  auto add_authed = [&](Method method, std::string_view pattern, std::function<Response(Request&, const Caller&)> h) {
    add(method, pattern, [auth, h = std::move(h)](Request& req) {
      Response err;
      auto c = auth.caller(req, err);
      return c ? h(req, *c) : err;
    });
  };

  add(Method::get, "/healthz", [](Request&) { return api::json_response(200, json::object{{"status", "ok"}}); });
  add(Method::get, "/readyz", [&ctx](Request&) {
    if (!ctx.ready.load() || ctx.stopping.load())
      return api::error_response(503, "not_ready", ctx.stopping.load() ? "shutting down" : "starting");
    std::string err = ctx.pipeline ? ctx.pipeline->last_error() : "";
    if (!err.empty()) return api::error_response(503, "not_ready", err);
    return api::json_response(200, json::object{{"status", "ready"}});
  });
  add(Method::get, "/metrics", [&ctx](Request&) {
    Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = ctx.metrics->render();
    return r;
  });
  add(Method::get, "/api/v1/openapi.json", [](Request&) {
    Response r;
    r.body = openapi_document();
    return r;
  });

  // ---- Sessions ----
  add(Method::post, "/api/v1/auth/login", [&ctx](Request& req) {
    auto b = body_object(req);
    if (!b.ok()) return fail(b.error());
    std::string user = str_field(*b, "username"), pass = str_field(*b, "password");
    if (user.empty() || pass.empty()) return api::error_response(400, "malformed", "username and password are required");
    auto c = ctx.store->authenticate_password(user, pass);
    if (!c.ok()) return api::error_response(401, "unauthenticated", "unknown user or wrong password");
    int64_t ttl = ctx.cfg.session_ttl_s * 1000;
    auto tok = ctx.store->create_session(user, ttl);
    if (!tok.ok()) return fail(tok.error());
    audit(ctx, *c, "auth.login", "user:" + user, {});
    Response r = api::json_response(200, json::object{{"token", *tok},
                                                      {"expires", format_ms(store::system_now() + ttl)},
                                                      {"organisation", c->org_id},
                                                      {"role", store::to_string(c->role)}});
    r.with_header("Set-Cookie", session_cookie(ctx, *tok, ctx.cfg.session_ttl_s));
    return r;
  });
  add_authed(Method::post, "/api/v1/auth/logout", [&ctx](Request& req, const Caller& c) {
    bool from_cookie = false;
    std::string_view token = request_token(req, &from_cookie);
    // An API key is not a session: logging out with one ends nothing.
    if (!token.empty() && token.substr(0, 3) != "lk_") (void)ctx.store->delete_session(token);
    audit(ctx, c, "auth.logout", c.actor, {});
    Response r = api::json_response(200, json::object{{"status", "logged out"}});
    r.with_header("Set-Cookie", session_cookie(ctx, "", 0));
    return r;
  });
  add_authed(Method::get, "/api/v1/me", [&ctx](Request& req, const Caller& c) {
    auto reg = ctx.registry->get();
    const auto* org = reg->find(c.org_id);
    json::object o{{"actor", c.actor},
                   {"organisation", c.org_id},
                   {"organisation_name", org ? org->name : ""},
                   {"role", store::to_string(c.role)}};
    std::string_view token = request_token(req, nullptr);
    o["expires"] = nullptr;
    if (token.substr(0, 3) != "lk_")
      if (auto e = ctx.store->session_expires(token, store::system_now()); e.ok()) o["expires"] = format_ms(*e);
    o["username"] = nullptr;
    o["display_name"] = nullptr;
    if (c.actor.rfind("user:", 0) == 0) {
      std::string name = c.actor.substr(5);
      o["username"] = name;
      if (auto u = ctx.store->get_user(name); u.ok()) o["display_name"] = u->display_name;
    }
    o["organisation_kind"] = org ? json::value(store::to_string(org->kind)) : json::value(nullptr);
    o["province"] = org && !org->province.empty() ? json::value(org->province) : json::value(nullptr);
    o["sectors"] = org ? json::value_from(org->sectors) : json::array{};
    o["scope"] = caller_scope(*reg, c);
    return api::json_response(200, o);
  });

  // ---- Ingest ----
  add_authed(Method::post, "/api/v1/events", [&ctx, &ingest_seconds](Request& req, const Caller& c) {
    auto t0 = std::chrono::steady_clock::now();
    if (!role_in(c.role, {Role::admin, Role::analyst, Role::responder, Role::reporter})) return forbidden("send events");
    auto src = req.query("source");
    if (!src || src->empty())
      return api::error_response(400, "malformed", "the source parameter is required: ?source=json|windows|winlogbeat|suricata|zeek|zeek_<log>|auditd|web_access|cef|cert_feed|syslog");
    auto source = parse::parse_source(*src);
    if (!source.ok()) return api::error_response(400, "unsupported", source.error().message);
    IngestResult r = ingest_body(ctx, c.org_id, *source, req.body, store::system_now());
    ingest_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    if (r.status != 200 && r.status != 400) {
      Response resp = api::error_response(r.status, r.status == 503 ? "busy" : r.status == 413 ? "limit" : "internal", r.message);
      if (r.status == 503) resp.with_header("Retry-After", "1");
      return resp;
    }
    json::array errs;
    for (const auto& e : r.errors) errs.push_back(json::object{{"line", e.line}, {"error", e.error}});
    return api::json_response(r.status, json::object{{"accepted", r.accepted}, {"rejected", r.rejected}, {"errors", std::move(errs)}});
  });

  // ---- Warnings ----
  add_authed(Method::get, "/api/v1/warnings", [&ctx](Request& req, const Caller& c) {
    auto f = warning_filter(req);
    if (!f.ok()) return fail(f.error());
    auto lim = limit_param(req, 50);
    if (!lim.ok()) return fail(lim.error());
    store::WarningQuery q;
    q.filter = std::move(*f);
    q.limit = *lim;
    if (auto s = req.query("cursor")) q.cursor = *s;
    if (auto s = req.query("sort")) {
      if (*s == "last_seen") q.sort = store::WarningSort::last_seen;
      else if (*s == "first_seen") q.sort = store::WarningSort::first_seen;
      else if (*s == "severity") q.sort = store::WarningSort::severity;
      else if (*s == "count") q.sort = store::WarningSort::count;
      else if (*s == "id") q.sort = store::WarningSort::id;
      else return api::error_response(400, "malformed", fmt::format("sort: '{}' is not one of last_seen, first_seen, severity, count, id", *s));
    }
    if (auto s = req.query("order")) {
      if (*s == "asc") q.descending = false;
      else if (*s == "desc") q.descending = true;
      else return api::error_response(400, "malformed", "order: asc or desc");
    }
    auto page = ctx.store->query_warnings(c, q);
    if (!page.ok()) return fail(page.error());
    json::array items;
    for (const auto& w : page->items) items.push_back(warning_json(w, false));
    json::object o{{"items", std::move(items)}};
    o["next_cursor"] = page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor);
    return api::json_response(200, o);
  });
  add_authed(Method::get, "/api/v1/warnings/count", [&ctx](Request& req, const Caller& c) {
    auto f = warning_filter(req);
    if (!f.ok()) return fail(f.error());
    auto n = ctx.store->count_warnings(c, *f);
    if (!n.ok()) return fail(n.error());
    return api::json_response(200, json::object{{"count", *n}});
  });
  auto warning_id = [](const Request& req) -> std::optional<int64_t> {
    std::string_view s = req.param("id");
    int64_t id = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc() || p != s.data() + s.size() || id <= 0) return std::nullopt;
    return id;
  };
  add_authed(Method::get, "/api/v1/warnings/{id}", [&ctx, warning_id](Request& req, const Caller& c) {
    auto id = warning_id(req);
    if (!id) return api::error_response(404, "not_found", "not found");
    auto w = ctx.store->get_warning(c, *id);
    if (!w.ok()) return fail(w.error());
    // What a detail page shows besides the warning: the organisation hit, every organisation it
    // is routed to (names and kinds), and where its history is.
    json::object o = warning_json(*w, true);
    auto reg = ctx.registry->get();
    auto org_ref = [&](const std::string& id) {
      const auto* org = reg->find(id);
      return json::object{{"id", id},
                          {"name", org ? org->name : id},
                          {"kind", org ? json::value(store::to_string(org->kind)) : json::value(nullptr)},
                          {"province", org ? json::value(org->province) : json::value(nullptr)}};
    };
    o["organisation_detail"] = org_ref(w->org_id);
    json::array routes;
    for (const auto& r : w->routed_to) routes.push_back(org_ref(r));
    o["routes"] = std::move(routes);
    o["links"] = json::object{{"history", fmt::format("/api/v1/warnings/{}/history", w->id)},
                              {"escalate", fmt::format("/api/v1/warnings/{}/escalate", w->id)}};
    return api::json_response(200, o);
  });
  add_authed(Method::patch, "/api/v1/warnings/{id}", [&ctx, warning_id](Request& req, const Caller& c) {
    auto id = warning_id(req);
    if (!id) return api::error_response(404, "not_found", "not found");
    auto b = body_object(req);
    if (!b.ok()) return fail(b.error());
    std::string status = str_field(*b, "status");
    auto to = store::parse_warning_status(status);
    if (!to)
      return api::error_response(400, "malformed", fmt::format("status: '{}' is not one of new, acknowledged, in_progress, resolved, false_positive", status));
    auto w = ctx.store->update_warning_status(c, *id, *to, str_field(*b, "comment"), store::system_now());
    if (!w.ok()) {
      if (w.error().code == Errc::denied) return forbidden("change the state of warnings");
      if (w.error().code == Errc::conflict) return api::error_response(409, "conflict", w.error().message);
      return fail(w.error());
    }
    return api::json_response(200, warning_json(*w, false));
  });
  add_authed(Method::get, "/api/v1/warnings/{id}/history", [&ctx, warning_id](Request& req, const Caller& c) {
    auto id = warning_id(req);
    if (!id) return api::error_response(404, "not_found", "not found");
    auto h = ctx.store->list_warning_changes(c, *id);
    if (!h.ok()) return fail(h.error());
    json::array items;
    for (const auto& ch : *h)
      items.push_back(json::object{{"from", store::to_string(ch.from)},
                                   {"to", store::to_string(ch.to)},
                                   {"actor", ch.actor},
                                   {"comment", ch.comment},
                                   {"at", format_ms(ch.at)}});
    return api::json_response(200, json::object{{"items", std::move(items)}});
  });

  // ---- Organisations ----
  add_authed(Method::get, "/api/v1/organisations", [&ctx](Request& req, const Caller& c) {
    auto reg = ctx.registry->get();
    json::array items;
    auto prov = req.query("province");
    auto sector = req.query("sector");
    for (const auto& id : reg->visible_orgs(c.org_id)) {
      const auto* o = reg->find(id);
      if (!o) continue;
      if (prov && o->province != *prov) continue;
      if (sector && std::find(o->sectors.begin(), o->sectors.end(), *sector) == o->sectors.end()) continue;
      items.push_back(org_json(*o));
    }
    return api::json_response(200, json::object{{"items", std::move(items)}});
  });
  add_authed(Method::get, "/api/v1/organisations/{id}", [&ctx](Request& req, const Caller& c) {
    auto reg = ctx.registry->get();
    auto vis = reg->visible_orgs(c.org_id);
    std::string id(req.param("id"));
    if (!std::binary_search(vis.begin(), vis.end(), id)) return api::error_response(404, "not_found", "not found");
    const auto* o = reg->find(id);
    if (!o) return api::error_response(404, "not_found", "not found");
    return api::json_response(200, org_json(*o));
  });

  // ---- Audit ----
  add_authed(Method::get, "/api/v1/audit", [&ctx](Request& req, const Caller& c) {
    if (!role_in(c.role, {Role::admin, Role::analyst})) return forbidden("read the audit log");
    auto lim = limit_param(req, 100);
    if (!lim.ok()) return fail(lim.error());
    auto reg = ctx.registry->get();
    auto vis = reg->visible_orgs(c.org_id);
    std::vector<std::string> visible(vis.begin(), vis.end());
    store::AuditFilter f;
    if (auto s = req.query("actor")) f.actor = *s;
    if (auto s = req.query("action")) f.action = *s;
    if (auto s = req.query("since")) f.since = parse_time_param(*s);
    if (auto s = req.query("until")) f.until = parse_time_param(*s);
    auto page = ctx.store->query_audit(c, visible, f, *lim, req.query("cursor").value_or(""));
    if (!page.ok()) return fail(page.error());
    json::array items;
    for (const auto& e : page->items) {
      boost::system::error_code ec;
      json::value detail = json::parse(e.detail.empty() ? "{}" : e.detail, ec);
      if (ec) detail = json::object{};
      items.push_back(json::object{{"id", e.id},
                                   {"at", format_ms(e.at)},
                                   {"actor", e.actor},
                                   {"organisation", e.org_id},
                                   {"action", e.action},
                                   {"target", e.target},
                                   {"detail", std::move(detail)}});
    }
    json::object o{{"items", std::move(items)}};
    o["next_cursor"] = page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor);
    return api::json_response(200, o);
  });

  // ---- API keys (admins, for organisations they may see) ----
  add_authed(Method::post, "/api/v1/keys", [&ctx](Request& req, const Caller& c) {
    if (c.role != Role::admin) return forbidden("create API keys");
    auto b = body_object(req);
    if (!b.ok()) return fail(b.error());
    std::string org = str_field(*b, "organisation");
    if (org.empty()) org = c.org_id;
    auto reg = ctx.registry->get();
    auto vis = reg->visible_orgs(c.org_id);
    if (!std::binary_search(vis.begin(), vis.end(), org)) return api::error_response(404, "not_found", "not found");
    auto role = store::parse_role(str_field(*b, "role"));
    if (!role) return api::error_response(400, "malformed", "role: one of admin, analyst, responder, reporter, viewer");
    auto k = ctx.store->create_api_key(org, *role, str_field(*b, "label"));
    if (!k.ok()) return fail(k.error());
    audit(ctx, c, "key.create", "key:" + k->key.id, json::object{{"organisation", org}, {"role", store::to_string(*role)}});
    return api::json_response(201, json::object{{"id", k->key.id}, {"key", k->plaintext}, {"organisation", org},
                                                {"role", store::to_string(*role)}});
  });
  add_authed(Method::get, "/api/v1/keys", [&ctx](Request& req, const Caller& c) {
    if (c.role != Role::admin) return forbidden("list API keys");
    std::string org(req.query("organisation").value_or(""));
    if (org.empty()) org = c.org_id;
    if (!may_see(*ctx.registry->get(), c, org)) return not_found();
    auto keys = ctx.store->list_api_keys(org);
    if (!keys.ok()) return fail(keys.error());
    json::array items;
    for (const auto& k : *keys) items.push_back(key_json(k));
    return api::json_response(200, json::object{{"items", std::move(items)}});
  });
  add_authed(Method::del, "/api/v1/keys/{id}", [&ctx](Request& req, const Caller& c) {
    if (c.role != Role::admin) return forbidden("revoke API keys");
    std::string id(req.param("id"));
    auto k = ctx.store->get_api_key(id);
    if (!k.ok()) return fail(k.error());
    if (!may_see(*ctx.registry->get(), c, k->org_id)) return not_found();
    if (auto r = ctx.store->revoke_api_key(id); !r.ok()) return fail(r.error());
    audit(ctx, c, "key.revoke", "key:" + id, json::object{{"organisation", k->org_id}});
    auto revoked = ctx.store->get_api_key(id);
    if (!revoked.ok()) return fail(revoked.error());
    return api::json_response(200, key_json(*revoked));
  });

  // ---- Users (admins, for organisations they may see) ----
  add_authed(Method::get, "/api/v1/users", [&ctx](Request& req, const Caller& c) {
    if (c.role != Role::admin) return forbidden("list users");
    std::string org(req.query("organisation").value_or(""));
    if (org.empty()) org = c.org_id;
    if (!may_see(*ctx.registry->get(), c, org)) return not_found();
    auto users = ctx.store->list_users(org);
    if (!users.ok()) return fail(users.error());
    json::array items;
    for (const auto& u : *users) items.push_back(user_json(u));
    return api::json_response(200, json::object{{"items", std::move(items)}});
  });
  add_authed(Method::post, "/api/v1/users", [&ctx](Request& req, const Caller& c) {
    if (c.role != Role::admin) return forbidden("add users");
    auto b = body_object(req);
    if (!b.ok()) return fail(b.error());
    std::string org = str_field(*b, "organisation");
    if (org.empty()) org = c.org_id;
    if (!may_see(*ctx.registry->get(), c, org)) return not_found();
    std::string name = str_field(*b, "username"), password = str_field(*b, "password");
    const bool name_ok = !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char ch) {
      return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
    });
    if (!name_ok)
      return api::error_response(400, "malformed", "username: 1 to 64 of a-z, 0-9, '.', '_' and '-'");
    auto role = store::parse_role(str_field(*b, "role"));
    if (!role) return api::error_response(400, "malformed", "role: one of admin, analyst, responder, reporter, viewer");
    if (password.size() < 8) return api::error_response(400, "malformed", "password: at least 8 characters");
    std::string display = str_field(*b, "display_name");
    auto u = ctx.store->add_user(name, org, *role, display.empty() ? name : display, password);
    if (!u.ok()) return fail(u.error());
    audit(ctx, c, "user.create", "user:" + name, json::object{{"organisation", org}, {"role", store::to_string(*role)}});
    return api::json_response(201, user_json(*u));
  });
  add_authed(Method::patch, "/api/v1/users/{username}", [&ctx](Request& req, const Caller& c) {
    if (c.role != Role::admin) return forbidden("enable or disable users");
    std::string name(req.param("username"));
    auto u = ctx.store->get_user(name);
    if (!u.ok()) return fail(u.error());
    if (!may_see(*ctx.registry->get(), c, u->org_id)) return not_found();
    auto b = body_object(req);
    if (!b.ok()) return fail(b.error());
    auto it = b->find("disabled");
    if (it == b->end() || !it->value().is_bool())
      return api::error_response(400, "malformed", "disabled: true or false is required");
    bool disabled = it->value().as_bool();
    // Nobody locks themself out: another admin has to do it.
    if (disabled && c.actor == "user:" + name)
      return api::error_response(409, "conflict", "you may not disable your own account; ask another admin");
    auto changed = ctx.store->set_user_disabled(name, disabled);
    if (!changed.ok()) return fail(changed.error());
    audit(ctx, c, disabled ? "user.disable" : "user.enable", "user:" + name,
          json::object{{"organisation", changed->org_id}});
    return api::json_response(200, user_json(*changed));
  });

  // ---- Dead letters: records that could not be processed ----
  add_authed(Method::get, "/api/v1/dead-letters", [&ctx](Request& req, const Caller& c) {
    if (!role_in(c.role, {Role::admin, Role::analyst})) return forbidden("read dead letters");
    auto lim = limit_param(req, 100);
    if (!lim.ok()) return fail(lim.error());
    auto reg = ctx.registry->get();
    auto vis = reg->visible_orgs(c.org_id);
    std::vector<std::string> visible(vis.begin(), vis.end());
    // Records nobody could be attributed to are the national centre's.
    if (c.org_id == reg->national_centre()) visible.emplace_back();
    auto page = ctx.store->list_dead_letters(visible, *lim, req.query("cursor").value_or(""));
    if (!page.ok()) return fail(page.error());
    json::array items;
    for (const auto& d : page->items) items.push_back(dead_letter_json(d));
    json::object o{{"items", std::move(items)}};
    o["next_cursor"] = page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor);
    return api::json_response(200, o);
  });
}

}  // namespace lachan::app
