// The delivery routes: subscriptions (CRUD, scoped by the caller), the outbox's notifications
// with their delivery log and replay, the VAPID public key for browsers, and the live stream
// (GET /api/v1/stream, Server-Sent Events, resumable with Last-Event-ID).
#include <boost/json.hpp>
#include <boost/url/parse.hpp>

#include <charconv>

#include <fmt/format.h>

#include "app/notifier.h"
#include "app/server.h"
#include "core/time.h"

namespace lachan::app {
namespace json = boost::json;
using api::Request;
using api::Response;
using store::Caller;
using store::Role;

namespace {

Response fail(const Error& e) {
  return error_response_for(e);
}

Response bad(std::string_view message) {
  return api::error_response(400, "invalid", message);
}

std::optional<int64_t> int_of(std::string_view s) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

json::value maybe_json(const std::string& text) {
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  return ec ? json::value(text) : v;
}

json::object subscription_json(const store::Subscription& s) {
  json::array topics;
  for (auto t : s.topics) topics.emplace_back(store::to_string(t));
  return json::object{{"id", s.id},
                      {"organisation", s.org_id},
                      {"username", s.username},
                      {"topics", std::move(topics)},
                      {"min_severity", store::to_string(s.min_severity)},
                      {"categories", json::value_from(s.categories)},
                      {"orgs", json::value_from(s.orgs)},
                      {"channel", store::to_string(s.channel)},
                      {"destination", s.channel == store::ChannelKind::web_push ? maybe_json(s.destination)
                                                                                : json::value(s.destination)},
                      {"has_secret", !s.secret.empty()},
                      {"digest_minutes", s.digest_minutes},
                      {"language", s.language},
                      {"enabled", s.enabled},
                      {"created", format_ms(s.created)},
                      {"updated", format_ms(s.updated)}};
}

json::object notification_json(const store::Notification& n) {
  return json::object{{"id", n.id},
                      {"channel", store::to_string(n.channel)},
                      {"subscription", int_of(n.destination).value_or(0)},
                      {"organisation", n.org_id},
                      {"dedup_key", n.dedup_key},
                      {"state", store::to_string(n.state)},
                      {"attempts", n.attempts},
                      {"max_attempts", n.max_attempts},
                      {"next_attempt_at", format_ms(n.next_attempt_at)},
                      {"last_error", n.last_error},
                      {"created", format_ms(n.created)},
                      {"sent_at", format_ms(n.sent_at)},
                      {"payload", maybe_json(n.payload)}};
}

json::object delivery_json(const store::Delivery& d) {
  return json::object{{"id", d.id},
                      {"attempt", d.attempt},
                      {"at", format_ms(d.at)},
                      {"outcome", store::to_string(d.outcome)},
                      {"status_code", d.status_code},
                      {"latency_ms", d.latency_ms},
                      {"error", d.error}};
}

bool http_url(std::string_view s) {
  auto u = boost::urls::parse_absolute_uri(s);
  return u && (u->scheme() == "http" || u->scheme() == "https") && !u->host().empty();
}

bool email_address(std::string_view s) {
  auto at = s.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= s.size() || s.find('@', at + 1) != std::string_view::npos)
    return false;
  if (s.substr(at + 1).find('.') == std::string_view::npos || s.size() > 254) return false;
  for (char c : s)
    if (static_cast<unsigned char>(c) <= ' ' || c == '<' || c == '>' || c == ',' || c == ';' || c == '"') return false;
  return true;
}

// The fields of `body` over `s` (a new one, or the stored one for PUT). Validates the result.
Result<void> apply_fields(const json::object& body, store::Subscription& s) {
  auto err = [](std::string m) { return make_error(Errc::malformed, std::move(m)); };
  auto string_list = [&](std::string_view key, std::vector<std::string>& out) -> bool {
    auto it = body.find(key);
    if (it == body.end()) return true;
    if (!it->value().is_array()) return false;
    out.clear();
    for (const auto& x : it->value().get_array()) {
      if (!x.is_string()) return false;
      out.emplace_back(x.get_string());
    }
    return true;
  };
  std::vector<std::string> topics;
  if (body.contains("topics")) {
    if (!string_list("topics", topics)) return err("topics: a list of warnings, incidents, sla_breach");
    s.topics.clear();
    for (const auto& t : topics) {
      auto p = store::parse_subscription_topic(t);
      if (!p) return err(fmt::format("topics: unknown '{}' (warnings, incidents, sla_breach)", t));
      s.topics.push_back(*p);
    }
  }
  if (s.topics.empty()) return err("topics: at least one of warnings, incidents, sla_breach");
  if (auto it = body.find("min_severity"); it != body.end()) {
    auto sv = it->value().is_string() ? store::parse_severity(it->value().get_string()) : std::nullopt;
    if (!sv) return err("min_severity: informational, low, medium, high or critical");
    s.min_severity = *sv;
  }
  if (!string_list("categories", s.categories)) return err("categories: a list of strings");
  if (!string_list("orgs", s.orgs)) return err("orgs: a list of organisation ids");
  if (auto it = body.find("channel"); it != body.end()) {
    auto ch = it->value().is_string() ? store::parse_channel_kind(it->value().get_string()) : std::nullopt;
    if (!ch) return err("channel: email, webhook or web_push");
    s.channel = *ch;
  }
  if (auto it = body.find("destination"); it != body.end()) {
    if (it->value().is_string())
      s.destination = it->value().get_string();
    else if (it->value().is_object())
      s.destination = json::serialize(it->value());
    else
      return err("destination: a string (or, for web_push, the PushSubscription object)");
  }
  if (auto it = body.find("secret"); it != body.end()) {
    if (!it->value().is_string()) return err("secret: a string");
    s.secret = it->value().get_string();
  }
  if (auto it = body.find("digest_minutes"); it != body.end()) {
    if (!it->value().is_int64() || it->value().get_int64() < 0 || it->value().get_int64() > 1440)
      return err("digest_minutes: 0 (immediately) to 1440");
    s.digest_minutes = static_cast<int>(it->value().get_int64());
  }
  if (auto it = body.find("language"); it != body.end()) {
    if (!it->value().is_string() ||
        (it->value().get_string() != "" && it->value().get_string() != "vi" && it->value().get_string() != "en"))
      return err("language: vi, en, or \"\" for the notifier's default");
    s.language = it->value().get_string();
  }
  if (auto it = body.find("enabled"); it != body.end()) {
    if (!it->value().is_bool()) return err("enabled: true or false");
    s.enabled = it->value().get_bool();
  }
  switch (s.channel) {
    case store::ChannelKind::webhook:
      if (!http_url(s.destination)) return err("destination: a webhook needs an http or https URL");
      if (s.secret.size() < 16) return err("secret: a webhook needs a signing secret of at least 16 characters");
      break;
    case store::ChannelKind::email:
      if (!email_address(s.destination)) return err("destination: an e-mail address");
      s.secret.clear();
      break;
    case store::ChannelKind::web_push: {
      boost::system::error_code ec;
      auto v = json::parse(s.destination, ec);
      const json::object* o = !ec && v.is_object() ? &v.get_object() : nullptr;
      const json::value* ep = o ? o->if_contains("endpoint") : nullptr;
      const json::value* keys = o ? o->if_contains("keys") : nullptr;
      bool good = ep && ep->is_string() && http_url(ep->get_string()) && keys && keys->is_object();
      if (good) {
        for (const char* k : {"p256dh", "auth"}) {
          auto x = keys->get_object().if_contains(k);
          if (!x || !x->is_string() || x->get_string().empty()) good = false;
        }
      }
      if (!good) return err("destination: a web push subscription {endpoint, keys: {p256dh, auth}}");
      s.secret.clear();
      break;
    }
  }
  return {};
}

Result<json::object> body_object(const Request& req) {
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec) return make_error(Errc::malformed, "the body is not JSON: " + ec.message());
  if (!v.is_object()) return make_error(Errc::malformed, "the body must be a JSON object");
  return v.as_object();
}

std::vector<std::string> visible_of(ServerContext& ctx, const Caller& c) {
  auto vis = ctx.registry->get()->visible_orgs(c.org_id);
  return std::vector<std::string>(vis.begin(), vis.end());
}

}  // namespace

void add_notify_routes(api::Router& router, ServerContext& ctx) {
  using api::Method;
  auto add = [&](Method method, std::string_view pattern, std::function<Response(Request&, const Caller&)> h) {
    auto r = router.add(method, pattern, [&ctx, h = std::move(h)](Request& req) {
      Response err;
      auto c = authenticate(ctx, req, err);
      return c ? h(req, *c) : err;
    });
    if (!r.ok()) throw std::logic_error(r.error().message);
  };

  // ---- Subscriptions ----
  add(Method::get, "/api/v1/subscriptions", [&ctx](Request&, const Caller& c) {
    auto subs = ctx.store->list_subscriptions(c);
    if (!subs.ok()) return fail(subs.error());
    json::array items;
    for (const auto& s : *subs) items.push_back(subscription_json(s));
    return api::json_response(200, json::object{{"items", std::move(items)}});
  });
  add(Method::post, "/api/v1/subscriptions", [&ctx](Request& req, const Caller& c) {
    auto body = body_object(req);
    if (!body.ok()) return fail(body.error());
    store::Subscription s;
    s.org_id = c.org_id;
    if (auto it = body->find("organisation"); it != body->end() && it->value().is_string())
      s.org_id = it->value().get_string();
    if (auto it = body->find("username"); it != body->end() && it->value().is_string()) {
      s.username = it->value().get_string();
    } else if (auto p = body->find("personal"); p != body->end() && p->value().is_bool() && p->value().get_bool()) {
      if (c.actor.rfind("user:", 0) != 0)
        return bad("personal: only a person (a session, not an API key) has personal subscriptions");
      s.username = c.actor.substr(5);
    }
    if (auto r = apply_fields(*body, s); !r.ok()) return bad(r.error().message);
    auto made = ctx.store->create_subscription(c, s, store::system_now());
    if (!made.ok()) return fail(made.error());
    audit_action(
        ctx, c, "subscription.create", fmt::format("subscription:{}", made->id),
        json::serialize(json::object{{"channel", store::to_string(made->channel)}, {"username", made->username}}));
    return api::json_response(201, subscription_json(*made));
  });
  add(Method::get, "/api/v1/subscriptions/{id}", [&ctx](Request& req, const Caller& c) {
    auto id = int_of(req.param("id"));
    if (!id) return api::error_response(404, "not_found", "not found");
    auto s = ctx.store->get_subscription(c, *id);
    return s.ok() ? api::json_response(200, subscription_json(*s)) : fail(s.error());
  });
  add(Method::put, "/api/v1/subscriptions/{id}", [&ctx](Request& req, const Caller& c) {
    auto id = int_of(req.param("id"));
    if (!id) return api::error_response(404, "not_found", "not found");
    auto s = ctx.store->get_subscription(c, *id);
    if (!s.ok()) return fail(s.error());
    auto body = body_object(req);
    if (!body.ok()) return fail(body.error());
    if (auto r = apply_fields(*body, *s); !r.ok()) return bad(r.error().message);
    auto changed = ctx.store->update_subscription(c, *s, store::system_now());
    if (!changed.ok()) return fail(changed.error());
    audit_action(ctx, c, "subscription.update", fmt::format("subscription:{}", *id),
                 json::serialize(json::object{{"enabled", changed->enabled}}));
    return api::json_response(200, subscription_json(*changed));
  });
  add(Method::del, "/api/v1/subscriptions/{id}", [&ctx](Request& req, const Caller& c) {
    auto id = int_of(req.param("id"));
    if (!id) return api::error_response(404, "not_found", "not found");
    auto r = ctx.store->delete_subscription(c, *id);
    if (!r.ok()) return fail(r.error());
    audit_action(ctx, c, "subscription.delete", fmt::format("subscription:{}", *id));
    Response res;
    res.status = 204;
    return res;
  });

  // ---- Notifications: the outbox and its delivery log ----
  add(Method::get, "/api/v1/notifications", [&ctx](Request& req, const Caller& c) {
    store::NotificationFilter f;
    if (auto s = req.query("state")) {
      f.state = store::parse_notification_state(*s);
      if (!f.state) return api::error_response(400, "malformed", "state: pending, in_flight, sent or dead");
    }
    if (auto s = req.query("channel")) {
      f.channel = store::parse_channel_kind(*s);
      if (!f.channel) return api::error_response(400, "malformed", "channel: email, webhook or web_push");
    }
    int limit = 50;
    if (auto s = req.query("limit")) {
      auto v = int_of(*s);
      if (!v || *v < 1) return api::error_response(400, "malformed", "limit: a positive integer");
      limit = static_cast<int>(std::min<int64_t>(*v, store::kMaxPageSize));
    }
    auto page = ctx.store->list_notifications(visible_of(ctx, c), f, limit, req.query("cursor").value_or(""));
    if (!page.ok()) return fail(page.error());
    json::array items;
    for (const auto& n : page->items) items.push_back(notification_json(n));
    json::object o{{"items", std::move(items)}};
    o["next_cursor"] = page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor);
    return api::json_response(200, o);
  });
  add(Method::get, "/api/v1/notifications/{id}/deliveries", [&ctx](Request& req, const Caller& c) {
    auto id = int_of(req.param("id"));
    if (!id) return api::error_response(404, "not_found", "not found");
    auto ds = ctx.store->list_deliveries(visible_of(ctx, c), *id);
    if (!ds.ok()) return fail(ds.error());
    json::array items;
    for (const auto& d : *ds) items.push_back(delivery_json(d));
    return api::json_response(200, json::object{{"items", std::move(items)}});
  });
  add(Method::post, "/api/v1/notifications/{id}/replay", [&ctx](Request& req, const Caller& c) {
    if (c.role != Role::admin && c.role != Role::analyst)
      return api::error_response(403, "denied", "your role may not replay notifications");
    auto id = int_of(req.param("id"));
    if (!id) return api::error_response(404, "not_found", "not found");
    auto n = ctx.store->requeue_notification(visible_of(ctx, c), *id, store::system_now());
    if (!n.ok()) return fail(n.error());
    audit_action(ctx, c, "notification.replay", fmt::format("notification:{}", *id));
    if (ctx.notifier) ctx.notifier->wake_dispatcher();
    return api::json_response(200, notification_json(*n));
  });

  // ---- Web Push ----
  add(Method::get, "/api/v1/push/vapid-public-key", [&ctx](Request&, const Caller&) {
    if (!ctx.notifier) return api::error_response(503, "busy", "notifications are not running");
    return api::json_response(200, json::object{{"public_key", ctx.notifier->vapid_public_key()}});
  });

  // ---- Live stream ----
  add(Method::get, "/api/v1/stream", [&ctx](Request& req, const Caller& c) {
    Notifier* nt = ctx.notifier;
    if (!nt) return api::error_response(503, "busy", "the stream is not running");
    int64_t after = 0;
    if (auto h = req.header("Last-Event-ID"); h && !h->empty()) {
      auto v = int_of(*h);
      if (!v || *v < 0) return api::error_response(400, "malformed", "Last-Event-ID: an event id of this stream");
      after = *v;
    } else if (auto q = req.query("after")) {
      auto v = int_of(*q);
      if (!v || *v < 0) return api::error_response(400, "malformed", "after: an event id of this stream");
      after = *v;
    }
    if (nt->open_streams.fetch_add(1) >= nt->config().max_streams) {
      --nt->open_streams;
      return api::error_response(503, "busy", "too many open streams").with_header("Retry-After", "5");
    }
    Response res;
    res.content_type = "text/event-stream; charset=utf-8";
    res.with_header("Cache-Control", "no-cache").with_header("X-Accel-Buffering", "no");
    // The slot is given back when the function is destroyed, run or not (a client that left
    // before the headers were written).
    struct Slot {
      Notifier* nt;
      ~Slot() { --nt->open_streams; }
    };
    std::shared_ptr<Slot> slot(new Slot{nt});
    res.stream = [&ctx, nt, c, after, slot](const api::StreamWriter& write) mutable {
      if (!write("retry: 3000\n\n")) return;
      auto last_sent = std::chrono::steady_clock::now();
      std::uint64_t seen = nt->stream_version();
      bool first = true;
      while (true) {
        auto page = ctx.store->read_stream_after(c, after, 100);
        if (page.ok()) {
          std::string out;
          // Resuming from before the oldest event kept: what came between was pruned, and the
          // client must reload instead of trusting the stream to be complete.
          if (first && after > 0 && page->first_kept > after + 1)
            out += fmt::format("event: reset\ndata: {{\"first_kept\":{}}}\n\n", page->first_kept);
          first = false;
          for (const auto& e : page->items)
            out += fmt::format("id: {}\nevent: {}\ndata: {}\n\n", e.seq, store::to_string(e.kind), e.body);
          after = std::max(after, page->last_seq);
          if (!out.empty()) {
            if (!write(out)) return;
            last_sent = std::chrono::steady_clock::now();
            if (page->items.size() == 100) continue;  // more waiting
          }
        }
        if (std::chrono::steady_clock::now() - last_sent > std::chrono::seconds(15)) {
          if (!write(": keepalive\n\n")) return;
          last_sent = std::chrono::steady_clock::now();
        }
        if (!write("")) return;
        seen = nt->wait_stream(seen, std::chrono::milliseconds(500));
      }
    };
    return res;
  });
}

}  // namespace lachan::app
