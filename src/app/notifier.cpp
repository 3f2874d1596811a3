#include "app/notifier.h"

#include <toml++/toml.h>
#include <boost/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "app/server.h"
#include "core/time.h"
#include "notify/http_post.h"
#include "notify/mail_compose.h"
#include "notify/retry.h"
#include "notify/vapid.h"
#include "notify/web_push.h"
#include "notify/webhook_signature.h"

namespace lachan::app {
namespace json = boost::json;
namespace fs = std::filesystem;
using store::TimeMs;

namespace {

constexpr std::string_view kCheckpoint = "notifier";
// The greatest incident update time (ms) published; start() publishes changes after it again.
constexpr std::string_view kIncidentCheckpoint = "notifier.incidents";
// How far before that checkpoint start() looks: a change committed before one published later
// (another request thread) may not have been published itself.
constexpr TimeMs kIncidentCatchUpMarginMs = 10'000;

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

std::string read_text(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  if (!f) return {};
  std::ostringstream os;
  os << f.rdbuf();
  return os.str();
}

NotifyEvent warning_event(const store::Warning& w) {
  NotifyEvent e;
  e.topic = store::SubscriptionTopic::warnings;
  e.stream_kind = store::StreamKind::warning;
  e.kind = "warning.created";
  e.ref = fmt::format("warning:{}", w.id);
  e.orgs = {w.org_id};
  e.routes = w.routed_to;
  if (std::find(e.routes.begin(), e.routes.end(), w.org_id) == e.routes.end()) e.routes.push_back(w.org_id);
  e.severity = w.severity;
  e.categories = w.tags;
  e.title = w.rule_title;
  e.link = fmt::format("/warnings/{}", w.id);
  json::array ents;
  for (const auto& en : w.entities) ents.push_back(json::object{{"type", en.type}, {"value", en.value}});
  e.data = json::object{{"id", w.id},
                        {"organisation", w.org_id},
                        {"detector", w.detector},
                        {"rule_id", w.rule_id},
                        {"title", w.rule_title},
                        {"severity", store::to_string(w.severity)},
                        {"tags", json::value_from(w.tags)},
                        {"tlp", w.tlp},
                        {"entities", std::move(ents)},
                        {"count", w.count},
                        {"first_seen", format_ms(w.first_seen)},
                        {"last_seen", format_ms(w.last_seen)},
                        {"province", w.province},
                        {"sectors", json::value_from(w.sectors)},
                        {"routed_to", json::value_from(e.routes)}};
  return e;
}

bool category_matches(const std::string& want, const std::vector<std::string>& have) {
  for (const auto& h : have) {
    if (h == want) return true;
    if (h.size() > want.size() && h.compare(0, want.size(), want) == 0 &&
        (h[want.size()] == '.' || h[want.size()] == ':'))
      return true;
  }
  return false;
}

// The end of the digest period that `now` falls in.
TimeMs digest_due(TimeMs now, int minutes) {
  const TimeMs period = static_cast<TimeMs>(minutes) * 60'000;
  return (now / period + 1) * period;
}

NotifyEvent incident_event(std::string_view kind, const store::Incident& incident, const std::vector<std::string>& routes) {
  NotifyEvent e;
  const bool sla = kind.rfind("sla", 0) == 0;
  e.topic = sla ? store::SubscriptionTopic::sla_breach : store::SubscriptionTopic::incidents;
  e.stream_kind = store::StreamKind::incident;
  e.kind = std::string(kind);
  // One notification per incident and kind of event; a change is known by its update time
  // whatever its kind, so that one published again after a restart (as "incident.updated") is
  // dropped by the outbox's dedup key.
  e.ref = kind == "incident.created" || sla ? fmt::format("incident:{}:{}", incident.id, kind)
                                            : fmt::format("incident:{}:change:{}", incident.id, incident.updated);
  e.orgs = incident.affected_orgs;
  e.routes = routes.empty() ? incident.routed_to : routes;
  e.severity = incident.severity;
  if (!incident.category.empty()) e.categories = {incident.category};
  e.title = incident.ref + " " + incident.title;
  e.link = fmt::format("/incidents/{}", incident.id);
  e.data = json::object{{"id", incident.id},
                        {"ref", incident.ref},
                        {"title", incident.title},
                        {"category", incident.category},
                        {"severity", store::to_string(incident.severity)},
                        {"tlp", incident.tlp},
                        {"affected_orgs", json::value_from(incident.affected_orgs)},
                        {"team", incident.team},
                        {"assignee", incident.assignee},
                        {"created", format_ms(incident.created)},
                        {"updated", format_ms(incident.updated)},
                        {"first_response_due", format_ms(incident.first_response_due)},
                        {"resolution_due", format_ms(incident.resolution_due)}};
  return e;
}

}  // namespace

bool subscription_matches(const store::Subscription& s, const NotifyEvent& e) {
  if (!s.enabled) return false;
  if (std::find(s.topics.begin(), s.topics.end(), e.topic) == s.topics.end()) return false;
  if (std::find(e.routes.begin(), e.routes.end(), s.org_id) == e.routes.end()) return false;
  if (static_cast<int>(e.severity) < static_cast<int>(s.min_severity)) return false;
  if (!s.categories.empty() && std::none_of(s.categories.begin(), s.categories.end(),
                                            [&](const auto& c) { return category_matches(c, e.categories); }))
    return false;
  if (!s.orgs.empty() && std::none_of(s.orgs.begin(), s.orgs.end(), [&](const auto& o) {
        return std::find(e.orgs.begin(), e.orgs.end(), o) != e.orgs.end();
      }))
    return false;
  return true;
}

std::string render_template(std::string_view text, const std::vector<std::pair<std::string, std::string>>& vars) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    auto open = text.find("{{", i);
    if (open == std::string_view::npos) break;
    auto close = text.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    out.append(text.substr(i, open - i));
    std::string_view name = text.substr(open + 2, close - open - 2);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    for (const auto& [k, v] : vars)
      if (k == name) {
        out += v;
        break;
      }
    i = close + 2;
  }
  out.append(text.substr(i));
  return out;
}

Result<void> load_notify_toml(const std::string& path, NotifyConfig& cfg) {
  toml::table t;
  try {
    t = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    return make_error(Errc::invalid_config, fmt::format("{}:{}:{}: {}", path, e.source().begin.line,
                                                        e.source().begin.column, e.description()));
  }
  std::vector<std::string> problems;
  auto str = [&](const toml::node_view<toml::node>& n, const char* key, std::string& out) {
    if (auto x = n[key]) {
      if (auto v = x.value<std::string>())
        out = *v;
      else
        problems.push_back(fmt::format("{}: '{}' must be a string", path, key));
    }
  };
  auto num = [&](const toml::node_view<toml::node>& n, const char* key, int64_t lo,
                 int64_t hi) -> std::optional<int64_t> {
    if (auto x = n[key]) {
      auto v = x.value<int64_t>();
      if (v && *v >= lo && *v <= hi) return v;
      problems.push_back(fmt::format("{}: '{}' must be an integer in {}..{}", path, key, lo, hi));
    }
    return std::nullopt;
  };
  toml::node_view<toml::node> root(t);
  str(root, "console_url", cfg.console_url);
  while (!cfg.console_url.empty() && cfg.console_url.back() == '/') cfg.console_url.pop_back();
  str(root, "language", cfg.language);
  if (cfg.language != "vi" && cfg.language != "en")
    problems.push_back(fmt::format("{}: 'language' must be vi or en", path));
  std::string templates;
  str(root, "templates_dir", templates);
  if (!templates.empty())
    cfg.templates_dir =
        fs::path(templates).is_absolute() ? templates : (fs::path(path).parent_path() / templates).string();
  str(root, "push_subject", cfg.push_subject);
  if (auto v = num(root, "send_timeout_ms", 100, 600'000)) cfg.send_timeout = std::chrono::milliseconds(*v);
  if (auto v = num(root, "max_attempts", 1, 100)) cfg.max_attempts = static_cast<int>(*v);
  if (auto v = num(root, "retry_base_ms", 1, 86'400'000)) cfg.retry_base = std::chrono::milliseconds(*v);
  if (auto v = num(root, "retry_cap_ms", 1, 86'400'000)) cfg.retry_cap = std::chrono::milliseconds(*v);
  if (auto v = num(root, "lease_ms", 1000, 86'400'000)) cfg.lease = std::chrono::milliseconds(*v);
  if (auto v = num(root, "poll_ms", 10, 60'000)) cfg.poll = std::chrono::milliseconds(*v);
  if (auto v = num(root, "max_streams", 0, 100'000)) cfg.max_streams = static_cast<std::size_t>(*v);
  if (auto v = num(root, "stream_retention_s", 1, int64_t{3650} * 86'400))
    cfg.stream_retention = std::chrono::seconds(*v);
  if (t["smtp"]) {
    auto s = root["smtp"];
    str(s, "host", cfg.smtp.host);
    cfg.smtp_enabled = !cfg.smtp.host.empty();
    if (auto v = num(s, "port", 1, 65535)) cfg.smtp.port = static_cast<uint16_t>(*v);
    std::string sec = "starttls";
    str(s, "security", sec);
    if (sec == "none")
      cfg.smtp.security = notify::SmtpSecurity::none;
    else if (sec == "starttls")
      cfg.smtp.security = notify::SmtpSecurity::starttls;
    else if (sec == "tls")
      cfg.smtp.security = notify::SmtpSecurity::tls;
    else
      problems.push_back(fmt::format("{}: smtp.security must be none, starttls or tls", path));
    str(s, "username", cfg.smtp.username);
    std::string env, file;
    str(s, "password_env", env);
    str(s, "password_file", file);
    if (s["password"]) problems.push_back(fmt::format("{}: smtp.password: use password_env or password_file", path));
    if (!env.empty()) {
      const char* v = std::getenv(env.c_str());
      if (!v)
        problems.push_back(fmt::format("{}: smtp.password_env: {} is not set", path, env));
      else
        cfg.smtp.password = v;
    } else if (!file.empty()) {
      std::ifstream f(file);
      if (!f)
        problems.push_back(fmt::format("{}: smtp.password_file: cannot read {}", path, file));
      else
        std::getline(f, cfg.smtp.password);
    }
    str(s, "from", cfg.mail_from);
    str(s, "from_name", cfg.mail_from_name);
    str(s, "ca_file", cfg.smtp.ca_file);
    str(s, "helo", cfg.smtp.helo_name);
    if (auto v = num(s, "timeout_ms", 100, 600'000)) cfg.smtp.timeout = std::chrono::milliseconds(*v);
  }
  if (!problems.empty()) return make_error(Errc::invalid_config, join(problems, "\n"));
  return {};
}

// ---- The dispatcher ----

struct Notifier::Impl {
  Notifier& n;
  std::optional<notify::VapidKey> vapid;
  std::string vapid_public;
  notify::RetryPolicy retry;
  notify::UniformRandom random = notify::system_uniform_random();
  std::thread thread;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  bool wake = false;
  std::mutex publish_mu;  // one publisher at a time (pipeline thread, incident handlers)
  // Incident changes posted by request handlers, published by the dispatcher (under mu).
  std::vector<std::pair<std::string, store::Incident>> posted;
  TimeMs incident_checkpoint = 0;  // the dispatcher's copy of kIncidentCheckpoint

  // Publishes what request handlers posted; what the store refuses stays for the next round.
  void publish_posted() {
    std::vector<std::pair<std::string, store::Incident>> batch;
    {
      std::lock_guard lk(mu);
      batch.swap(posted);
    }
    if (batch.empty()) return;
    std::vector<NotifyEvent> events;
    TimeMs newest = incident_checkpoint;
    for (auto& [kind, inc] : batch) {
      events.push_back(incident_event(kind, inc, {}));
      newest = std::max(newest, inc.updated);
    }
    if (auto r = n.publish(events); !r.ok()) {
      fmt::print(stderr, "lachan serve: notify: {} incident changes not yet published (tried again): {}\n",
                 batch.size(), r.error().message);
      std::lock_guard lk(mu);
      posted.insert(posted.begin(), std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end()));
      return;
    }
    if (newest > incident_checkpoint) {
      auto r = st().apply_warnings(
          {}, store::Checkpoint{std::string(kIncidentCheckpoint), static_cast<std::uint64_t>(newest)});
      if (r.ok()) incident_checkpoint = newest;
    }
  }

  explicit Impl(Notifier& owner) : n(owner) {
    retry.base = n.cfg_.retry_base;
    retry.cap = n.cfg_.retry_cap;
    retry.max_attempts = n.cfg_.max_attempts;
  }

  store::Store& st() { return *n.ctx_.store; }
  static TimeMs now() { return store::system_now(); }

  void run() {
    TimeMs next_prune = 0;
    while (!stopping.load()) {
      // Live-stream events older than the retention go (a client resuming from before them is
      // told to reload); checked at least every 10 minutes.
      if (TimeMs t = now(); t >= next_prune) {
        const TimeMs keep = std::chrono::duration_cast<std::chrono::milliseconds>(n.cfg_.stream_retention).count();
        if (auto r = st().prune_stream(t - keep); !r.ok())
          fmt::print(stderr, "lachan serve: notify: pruning the live stream: {}\n", r.error().message);
        next_prune = t + std::min<TimeMs>(keep, 600'000);
      }
      publish_posted();
      auto claimed = st().claim_notifications(now(), n.cfg_.claim_batch, n.cfg_.lease.count());
      if (!claimed.ok() || claimed->empty()) {
        std::unique_lock lk(mu);
        cv.wait_for(lk, n.cfg_.poll, [&] { return wake || stopping.load(); });
        wake = false;
        continue;
      }
      std::map<std::int64_t, store::Subscription> subs;
      for (auto topic : {store::SubscriptionTopic::warnings, store::SubscriptionTopic::incidents,
                         store::SubscriptionTopic::sla_breach}) {
        auto s = st().subscriptions_for(topic);
        if (s.ok())
          for (auto& x : *s) subs.emplace(x.id, std::move(x));
      }
      // Digest subscriptions: their claimed notifications go out as one message.
      std::map<std::int64_t, std::vector<store::Notification>> digests;
      std::vector<store::Notification> single;
      for (auto& note : *claimed) {
        std::int64_t sid = std::atoll(note.destination.c_str());
        auto it = subs.find(sid);
        if (it != subs.end() && it->second.digest_minutes > 0)
          digests[sid].push_back(std::move(note));
        else
          single.push_back(std::move(note));
      }
      for (auto& note : single) {
        if (stopping.load()) {
          release(note);
          continue;
        }
        auto it = subs.find(std::atoll(note.destination.c_str()));
        std::vector<store::Notification> one{note};
        finish(one, it == subs.end() ? nullptr : &it->second);
      }
      for (auto& [sid, notes] : digests) {
        if (stopping.load()) {
          for (auto& note : notes) release(note);
          continue;
        }
        finish(notes, &subs.at(sid));
      }
    }
  }

  void release(const store::Notification& note) {
    store::DeliveryReport r;
    r.outcome = store::DeliveryOutcome::retry;
    r.error = "not sent: the server stopped";
    r.retry_at = now();
    (void)st().complete_notification(note.id, note.attempts, r, now());
  }

  void finish(const std::vector<store::Notification>& notes, const store::Subscription* sub) {
    store::DeliveryReport r;
    if (!sub) {
      r.outcome = store::DeliveryOutcome::failed;
      r.error = "the subscription no longer exists or is disabled";
    } else {
      r = deliver(notes, *sub);
      if (sub->channel == store::ChannelKind::web_push && r.error.rfind("gone:", 0) == 0) {
        // The browser unsubscribed (404/410): stop sending to it; the owner sees it disabled.
        store::Subscription off = *sub;
        off.enabled = false;
        store::Caller system{"system:notifier", sub->org_id, store::Role::admin};
        (void)st().update_subscription(system, off, now());
      }
    }
    for (const auto& note : notes) {
      store::DeliveryReport each = r;
      if (each.outcome == store::DeliveryOutcome::retry && each.retry_at == 0) {
        auto d = retry.next_delay(std::max(1, note.attempts), random);
        each.retry_at = now() + (d ? d->count() : retry.ceiling(std::max(1, note.attempts)).count());
      }
      auto done = st().complete_notification(note.id, note.attempts, each, now());
      if (!done.ok() && done.error().code != Errc::conflict)
        std::fprintf(stderr, "lachan notify: recording notification %lld: %s\n", static_cast<long long>(note.id),
                     done.error().message.c_str());
    }
  }

  static std::vector<std::pair<std::string, std::string>> vars_of(const json::object& p) {
    // The record's own fields first: an incident's "ref" is its LC-… reference, not the event's.
    std::vector<std::pair<std::string, std::string>> v;
    if (auto d = p.if_contains("data"); d && d->is_object())
      for (const auto& [k, x] : d->get_object()) {
        if (x.is_string())
          v.emplace_back(std::string(k), std::string(x.get_string()));
        else if (x.is_int64())
          v.emplace_back(std::string(k), std::to_string(x.get_int64()));
        else if (x.is_array()) {
          std::vector<std::string> parts;
          for (const auto& y : x.get_array())
            if (y.is_string()) parts.emplace_back(y.get_string());
          v.emplace_back(std::string(k), join(parts, ", "));
        }
      }
    for (const auto& [k, x] : p) {
      if (x.is_string())
        v.emplace_back(std::string(k), std::string(x.get_string()));
      else if (x.is_int64())
        v.emplace_back(std::string(k), std::to_string(x.get_int64()));
    }
    return v;
  }

  // The subscription's language when it has one, else the configured default.
  std::string language_of(const store::Subscription& sub) const {
    return sub.language.empty() ? n.cfg_.language : sub.language;
  }

  std::string load_template(const std::string& lang, const std::string& name, const std::string& part) {
    fs::path base =
        n.cfg_.templates_dir.empty() ? fs::path(n.ctx_.cfg.config_dir) / "templates" : fs::path(n.cfg_.templates_dir);
    std::string t = read_text(base / lang / (name + "." + part));
    if (t.empty()) t = read_text(base / lang / ("warning." + part));
    if (t.empty()) t = part == "subject" ? "[Lachan] {{title}}" : "{{title}}\n{{link}}\n";
    while (part == "subject" && !t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }

  static std::string template_name(const json::object& p) {
    auto k = p.if_contains("event");
    std::string kind = k && k->is_string() ? std::string(k->get_string()) : "";
    if (kind.rfind("warning", 0) == 0) return "warning";
    if (kind.rfind("sla", 0) == 0) return "sla_breach";
    return "incident";
  }

  store::DeliveryReport deliver(const std::vector<store::Notification>& notes, const store::Subscription& sub) {
    std::vector<json::object> payloads;
    for (const auto& note : notes) {
      boost::system::error_code ec;
      auto v = json::parse(note.payload, ec);
      payloads.push_back(!ec && v.is_object() ? v.get_object() : json::object{});
    }
    std::string ids;
    for (const auto& note : notes) ids += (ids.empty() ? "" : ",") + std::to_string(note.id);
    const bool digest = sub.digest_minutes > 0;
    switch (sub.channel) {
      case store::ChannelKind::webhook: {
        std::string body;
        if (digest) {
          json::array items;
          for (auto& p : payloads) items.emplace_back(p);
          body = json::serialize(
              json::object{{"event", "digest"}, {"count", payloads.size()}, {"items", std::move(items)}});
        } else {
          body = json::serialize(payloads.front());
        }
        notify::PostHeaders h{
            {"Content-Type", "application/json"},
            {std::string(notify::kWebhookSignatureHeader), notify::sign_webhook(sub.secret, body, now() / 1000)},
            {"X-Lachan-Delivery", ids}};
        return from_post(notify::post(sub.destination, h, body, n.cfg_.send_timeout), notify::Channel::webhook);
      }
      case store::ChannelKind::web_push: {
        boost::system::error_code ec;
        auto d = json::parse(sub.destination, ec);
        notify::PushSubscription ps;
        if (!ec && d.is_object()) {
          auto& o = d.get_object();
          if (auto e = o.if_contains("endpoint"); e && e->is_string()) ps.endpoint = e->get_string();
          if (auto k = o.if_contains("keys"); k && k->is_object()) {
            if (auto x = k->get_object().if_contains("p256dh"); x && x->is_string()) ps.p256dh = x->get_string();
            if (auto x = k->get_object().if_contains("auth"); x && x->is_string()) ps.auth = x->get_string();
          }
        }
        json::object msg;
        if (digest) {
          msg = json::object{{"title", render_template(load_template(language_of(sub), "digest", "subject"),
                                                       {{"count", std::to_string(payloads.size())}})},
                             {"url", n.cfg_.console_url},
                             {"count", payloads.size()},
                             {"lang", language_of(sub)},
                             {"delivery", ids}};
        } else {
          auto& p = payloads.front();
          msg = json::object{{"title", p.contains("title") ? p.at("title") : json::value("")},
                             {"severity", p.contains("severity") ? p.at("severity") : json::value("")},
                             {"url", p.contains("link") ? p.at("link") : json::value("")},
                             {"ref", p.contains("ref") ? p.at("ref") : json::value("")},
                             {"lang", language_of(sub)},
                             {"delivery", ids}};
        }
        notify::WebPushOptions wo;
        wo.timeout = n.cfg_.send_timeout;
        wo.subject = n.cfg_.push_subject;
        if (!vapid) return failed("no VAPID key");
        return from_post(notify::send_web_push(ps, json::serialize(msg), *vapid, wo, now() / 1000),
                         notify::Channel::web_push);
      }
      case store::ChannelKind::email:
        return send_email(payloads, sub, ids);
    }
    return failed("unknown channel");
  }

  static store::DeliveryReport failed(std::string why) {
    store::DeliveryReport r;
    r.outcome = store::DeliveryOutcome::failed;
    r.error = std::move(why);
    return r;
  }

  store::DeliveryReport from_post(const notify::PostResult& res, notify::Channel ch) {
    store::DeliveryReport r;
    r.status_code = static_cast<int>(res.status);
    r.latency_ms = res.latency.count();
    switch (notify::classify(res, ch)) {
      case notify::Disposition::delivered:
        r.outcome = store::DeliveryOutcome::sent;
        return r;
      case notify::Disposition::retry:
        r.outcome = store::DeliveryOutcome::retry;
        if (res.retry_after)
          r.retry_at = now() + std::chrono::duration_cast<std::chrono::milliseconds>(*res.retry_after).count();
        break;
      case notify::Disposition::gone:
        r.outcome = store::DeliveryOutcome::failed;
        r.error = fmt::format("gone: the push service no longer knows the subscription ({})", res.status);
        return r;
      case notify::Disposition::failed:
        r.outcome = store::DeliveryOutcome::failed;
        break;
    }
    r.error = fmt::format("{}: {}", notify::post_failure_name(res.failure), res.error);
    return r;
  }

  store::DeliveryReport send_email(const std::vector<json::object>& payloads, const store::Subscription& sub,
                                   const std::string& ids) {
    if (!n.cfg_.smtp_enabled) return failed("e-mail is not configured (notify.toml [smtp] host)");
    notify::OutgoingMail m;
    m.from = {n.cfg_.mail_from_name, n.cfg_.mail_from};
    m.to = {{"", sub.destination}};
    m.headers.push_back({"X-Lachan-Delivery", ids});
    // The same notification always has the same Message-ID, so that a send repeated after a crash
    // (at least once) is recognised as a duplicate by the recipient's mail system.
    {
      std::string id = ids;
      std::replace(id.begin(), id.end(), ',', '.');
      auto at = n.cfg_.mail_from.rfind('@');
      m.headers.push_back({"Message-ID", fmt::format("<lachan.notification.{}@{}>", id,
                                                     at == std::string::npos ? "lachan.invalid"
                                                                             : n.cfg_.mail_from.substr(at + 1))});
    }
    const std::string lang = language_of(sub);
    if (payloads.size() == 1 && sub.digest_minutes == 0) {
      auto vars = vars_of(payloads.front());
      auto name = template_name(payloads.front());
      m.subject = render_template(load_template(lang, name, "subject"), vars);
      m.text = render_template(load_template(lang, name, "txt"), vars);
    } else {
      std::string items;
      for (const auto& p : payloads) items += render_template(load_template(lang, "digest", "item"), vars_of(p));
      std::vector<std::pair<std::string, std::string>> vars{
          {"count", std::to_string(payloads.size())}, {"items", items}, {"console_url", n.cfg_.console_url}};
      m.subject = render_template(load_template(lang, "digest", "subject"), vars);
      m.text = render_template(load_template(lang, "digest", "txt"), vars);
    }
    auto bytes = notify::compose_mail(m);
    if (!bytes.ok()) return failed("compose: " + bytes.error().message);
    const auto start = std::chrono::steady_clock::now();
    auto sent = notify::send_mail(n.cfg_.smtp, n.cfg_.mail_from, {sub.destination}, *bytes);
    store::DeliveryReport r;
    r.latency_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
    if (sent.ok()) return r;
    r.outcome = sent.error().retryable ? store::DeliveryOutcome::retry : store::DeliveryOutcome::failed;
    r.status_code = sent.error().reply_code;
    r.error = sent.error().message;
    return r;
  }
};

Notifier::Notifier(ServerContext& ctx, NotifyConfig cfg)
    : ctx_(ctx), cfg_(std::move(cfg)), impl_(std::make_unique<Impl>(*this)) {}

Notifier::~Notifier() {
  stop();
}

const std::string& Notifier::vapid_public_key() const noexcept {
  return impl_->vapid_public;
}

Result<void> Notifier::start() {
  auto key = notify::VapidKey::load_or_create(fs::path(ctx_.cfg.data_dir) / "vapid.pem");
  if (!key.ok()) return key.error();
  impl_->vapid_public = key->public_key();
  impl_->vapid.emplace(std::move(*key));

  // Catch up: warnings created after the notifier's checkpoint (a crash between the pipeline's
  // commit and our enqueue). No checkpoint yet: start from now, do not notify history.
  auto cp = ctx_.store->get_checkpoint(kCheckpoint);
  if (!cp.ok()) return cp.error();
  store::Caller system{"system:notifier", ctx_.registry->get()->national_centre(), store::Role::admin};
  store::WarningQuery q;
  q.sort = store::WarningSort::id;
  q.descending = true;
  q.limit = store::kMaxPageSize;
  std::vector<NotifyEvent> missed;
  std::int64_t newest = 0;
  bool done = false;
  while (!done) {
    auto page = ctx_.store->query_warnings(system, q);
    if (!page.ok()) return page.error();
    for (const auto& w : page->items) {
      newest = std::max(newest, w.id);
      if (static_cast<std::uint64_t>(w.id) <= *cp || *cp == 0) {
        done = true;
        break;
      }
      missed.push_back(warning_event(w));
    }
    if (page->next_cursor.empty()) break;
    q.cursor = page->next_cursor;
  }
  std::reverse(missed.begin(), missed.end());
  if (!missed.empty()) {
    if (auto r = publish(missed); !r.ok()) return r;
  }
  if (*cp == 0 && newest > 0) {
    auto r =
        ctx_.store->apply_warnings({}, store::Checkpoint{std::string(kCheckpoint), static_cast<std::uint64_t>(newest)});
    if (!r.ok()) return r.error();
  }
  if (auto r = catch_up_incidents(system); !r.ok()) return r;
  impl_->thread = std::thread([this] { impl_->run(); });
  return {};
}

Result<void> Notifier::catch_up_incidents(const store::Caller& system) {
  auto cp = ctx_.store->get_checkpoint(kIncidentCheckpoint);
  if (!cp.ok()) return cp.error();
  const auto since = static_cast<TimeMs>(*cp);
  TimeMs newest = since;
  if (since > 0) {
    // Changes after the checkpoint, less the margin: a change published already is dropped by the
    // outbox's dedup key (its stream event may appear twice).
    store::IncidentQuery q;
    q.filter.updated_after = since - kIncidentCatchUpMarginMs;
    q.limit = store::kMaxPageSize;
    std::vector<NotifyEvent> missed;
    for (;;) {
      auto page = ctx_.store->query_incidents(system, q);
      if (!page.ok()) return page.error();
      for (const auto& inc : page->items) {
        newest = std::max(newest, inc.updated);
        if (inc.created > q.filter.updated_after) missed.push_back(incident_event("incident.created", inc, {}));
        if (inc.updated != inc.created) missed.push_back(incident_event("incident.updated", inc, {}));
      }
      if (page->next_cursor.empty()) break;
      q.cursor = page->next_cursor;
    }
    std::reverse(missed.begin(), missed.end());  // oldest incident first
    if (!missed.empty()) {
      if (auto r = publish(missed); !r.ok()) return r;
    }
  } else {
    // First start: from now on, no history (the checkpoint means "done up to it, less the margin").
    newest = store::system_now() + kIncidentCatchUpMarginMs;
  }
  if (newest != since) {
    auto r = ctx_.store->apply_warnings(
        {}, store::Checkpoint{std::string(kIncidentCheckpoint), static_cast<std::uint64_t>(newest)});
    if (!r.ok()) return r.error();
  }
  impl_->incident_checkpoint = newest;
  return {};
}

void Notifier::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->stopping = true;
  wake_dispatcher();
  impl_->thread.join();
  impl_->publish_posted();  // posted after the dispatcher's last round
}

void Notifier::post_incident_event(std::string kind, store::Incident incident) {
  {
    std::lock_guard lk(impl_->mu);
    impl_->posted.emplace_back(std::move(kind), std::move(incident));
  }
  wake_dispatcher();
}

void Notifier::wake_dispatcher() {
  {
    std::lock_guard lk(impl_->mu);
    impl_->wake = true;
  }
  impl_->cv.notify_all();
}

std::uint64_t Notifier::wait_stream(std::uint64_t seen, std::chrono::milliseconds timeout) {
  std::unique_lock lk(stream_mu_);
  stream_cv_.wait_for(lk, timeout, [&] { return stream_version_.load() != seen; });
  return stream_version_.load();
}

void Notifier::on_warnings(const std::vector<store::WarningUpsert>& upserts,
                           const std::vector<store::UpsertOutcome>& outcomes) {
  // Those a failed publish left (the pipeline's thread only): tried again first, so that the
  // checkpoint never passes a warning that was not notified. Enqueueing again is harmless
  // (dedup keys); only its stream event may then appear twice.
  std::vector<NotifyEvent> events = std::move(unpublished_);
  unpublished_.clear();
  for (size_t i = 0; i < upserts.size() && i < outcomes.size(); ++i) {
    if (!outcomes[i].created) continue;
    store::Warning w = upserts[i].warning;
    w.id = outcomes[i].warning_id;
    events.push_back(warning_event(w));
  }
  if (events.empty()) return;
  if (auto r = publish(events); !r.ok()) {
    std::fprintf(stderr, "lachan notify: %zu new warnings not yet notified (tried again with the next batch): %s\n",
                 events.size(), r.error().message.c_str());
    unpublished_ = std::move(events);
  }
}

Result<void> Notifier::notify_incident_event(std::string_view kind, const store::Incident& incident,
                                             const std::vector<std::string>& routes) {
  return publish({incident_event(kind, incident, routes)});
}

Result<void> Notifier::publish(const std::vector<NotifyEvent>& events) {
  std::lock_guard lk(impl_->publish_mu);
  std::vector<store::NewNotification> batch;
  std::int64_t newest_warning = 0;
  const TimeMs now = store::system_now();
  std::map<store::SubscriptionTopic, std::vector<store::Subscription>> subs;
  for (const auto& e : events) {
    if (!subs.count(e.topic)) {
      auto s = ctx_.store->subscriptions_for(e.topic);
      if (!s.ok()) return s.error();
      subs[e.topic] = std::move(*s);
    }
    if (e.topic == store::SubscriptionTopic::warnings)
      newest_warning = std::max<std::int64_t>(newest_warning, e.data.at("id").as_int64());
    for (const auto& s : subs[e.topic]) {
      if (!subscription_matches(s, e)) continue;
      json::object p{{"event", e.kind},
                     {"ref", e.ref},
                     {"title", e.title},
                     {"severity", store::to_string(e.severity)},
                     {"link", cfg_.console_url + e.link},
                     {"organisation", e.orgs.empty() ? "" : e.orgs.front()},
                     {"subscription", s.id},
                     {"data", e.data}};
      store::NewNotification nn;
      nn.channel = s.channel;
      nn.destination = std::to_string(s.id);
      nn.org_id = s.org_id;
      nn.payload = json::serialize(p);
      nn.dedup_key = fmt::format("{}:sub:{}", e.ref, s.id);
      nn.max_attempts = cfg_.max_attempts;
      if (s.digest_minutes > 0) nn.not_before = digest_due(now, s.digest_minutes);
      batch.push_back(std::move(nn));
    }
  }
  // The store may be busy for a moment: try again, as the pipeline does, unless stopping.
  auto retrying = [&](auto&& f) -> Result<void> {
    for (int i = 0;; ++i) {
      auto r = f();
      if (r.ok()) return {};
      if (ctx_.stopping.load() || i >= 50) return r.error();
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  };
  if (!batch.empty()) {
    auto r = retrying([&] { return ctx_.store->enqueue_notifications(batch, now); });
    if (!r.ok()) return r;
    wake_dispatcher();
  }
  for (const auto& e : events) {
    store::StreamEvent se;
    se.kind = e.stream_kind;
    se.org_ids = e.routes;
    json::object body = e.data;
    body["event"] = e.kind;
    body["ref"] = e.ref;
    se.body = json::serialize(body);
    auto r = retrying([&] { return ctx_.store->append_stream_event(se); });
    if (!r.ok()) return r;
  }
  if (!events.empty()) {
    {
      std::lock_guard sl(stream_mu_);
      ++stream_version_;
    }
    stream_cv_.notify_all();
  }
  if (newest_warning > 0) {
    auto r = retrying([&] {
      return ctx_.store->apply_warnings(
          {}, store::Checkpoint{std::string(kCheckpoint), static_cast<std::uint64_t>(newest_warning)});
    });
    if (!r.ok()) return r;
  }
  return {};
}

}  // namespace lachan::app
