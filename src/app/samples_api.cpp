// The malware repository's REST routes (issue 4): upload, list, metadata by any hash, download.
// Samples are bytes nobody runs: a download is always an attachment of type
// application/octet-stream named <sha256>.bin, for admins and analysts only, and audited.
//
// Who sees what: a sample's metadata is visible to the organisations that submitted it, and to
// the national centre's admins and analysts; to anyone else it does not exist (404). Of its
// submitters, a caller sees only the organisations it may see.
#include <boost/json.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <filesystem>
#include <mutex>

#include <fmt/format.h>

#include "app/server.h"
#include "intel/samples.h"
#include "warn/warning_builder.h"

namespace lachan::app {
namespace json = boost::json;
namespace fs = std::filesystem;
using api::Request;
using api::Response;
using store::Caller;
using store::Role;

namespace {

// The repository, built on first use: compiling the rules costs nothing until someone uploads,
// and a folder that does not compile disables these routes only (503 with the reason).
class SampleService {
 public:
  explicit SampleService(ServerContext& ctx) : ctx_(ctx) {}

  intel::SampleRepository* repo(std::string& error) {
    std::call_once(once_, [this] {
      std::string folder = rules_folder();
      auto scanner = intel::YaraScanner::load(folder);
      if (!scanner.ok()) {
        error_ = scanner.error().message;
        fmt::print(stderr, "lachan serve: samples disabled: {}\n", error_);
        return;
      }
      intel::SampleOptions o;
      o.max_bytes = ctx_.cfg.max_sample_bytes;
      repo_ = std::make_unique<intel::SampleRepository>((fs::path(ctx_.cfg.data_dir) / "samples").string(), *ctx_.store,
                                                        std::move(*scanner), o);
    });
    error = error_;
    return repo_.get();
  }

  // Checkpoint offsets for the warnings raised here: increasing even when the clock is not.
  uint64_t next_offset(int64_t now_ms) {
    uint64_t want = static_cast<uint64_t>(now_ms), cur = last_offset_.load();
    while (!last_offset_.compare_exchange_weak(cur, std::max(want, cur + 1))) {
    }
    return std::max(want, cur + 1);
  }

 private:
  std::string rules_folder() const {
    std::error_code ec;
    if (!ctx_.cfg.config_dir.empty() && fs::is_directory(fs::path(ctx_.cfg.config_dir) / "yara", ec))
      return (fs::path(ctx_.cfg.config_dir) / "yara").string();
#ifdef LACHAN_SOURCE_DIR
    return std::string(LACHAN_SOURCE_DIR) + "/config/yara";
#else
    return (fs::path(ctx_.cfg.config_dir) / "yara").string();
#endif
  }

  ServerContext& ctx_;
  std::once_flag once_;
  std::unique_ptr<intel::SampleRepository> repo_;
  std::string error_;
  std::atomic<uint64_t> last_offset_{0};
};

int status_of(Errc c) {
  switch (c) {
    case Errc::not_found:
      return 404;
    case Errc::denied:
      return 403;
    case Errc::malformed:
    case Errc::unsupported:
      return 400;
    case Errc::limit:
      return 413;
    case Errc::busy:
      return 503;
    default:
      return 500;
  }
}

Response fail(const Error& e) {
  int st = status_of(e.code);
  return api::error_response(st, errc_name(e.code), st == 404 ? "not found" : e.message);
}

Response not_found() {
  return api::error_response(404, "not_found", "not found");
}

Response unavailable(const std::string& why) {
  return api::error_response(503, "unavailable", "the malware repository is unavailable: " + why);
}

bool role_in(Role r, std::initializer_list<Role> allowed) {
  return std::find(allowed.begin(), allowed.end(), r) != allowed.end();
}

bool sees_all(ServerContext& ctx, const Caller& c) {
  return role_in(c.role, {Role::admin, Role::analyst}) && c.org_id == ctx.registry->get()->national_centre();
}

bool may_see(ServerContext& ctx, const Caller& c, const intel::SampleRecord& r) {
  if (sees_all(ctx, c)) return true;
  return std::any_of(r.submitted_by.begin(), r.submitted_by.end(), [&](const auto& s) { return s.org == c.org_id; });
}

// The record as this caller may see it: who else submitted the sample (and the file name they
// gave it) is left out unless the caller may see that organisation.
intel::SampleRecord scoped(ServerContext& ctx, const Caller& c, intel::SampleRecord r) {
  if (sees_all(ctx, c)) return r;
  auto vis = ctx.registry->get()->visible_orgs(c.org_id);
  auto visible = [&](const intel::SampleSubmitter& s) {
    return s.org == c.org_id || std::binary_search(vis.begin(), vis.end(), s.org);
  };
  if (!r.submitted_by.empty() && !visible(r.submitted_by.front())) r.file_name.clear();
  std::erase_if(r.submitted_by, [&](const auto& s) { return !visible(s); });
  return r;
}

json::value record_json(ServerContext& ctx, const Caller& c, const intel::SampleRecord& r) {
  return json::parse(intel::sample_to_json(scoped(ctx, c, r)));
}

// A matching sample from an organisation: a warning for it, merged with the same sample's
// earlier ones within the dedup window.
void raise_warning(ServerContext& ctx, SampleService& svc, const Caller& c, const intel::SampleRecord& r, int64_t now) {
  warn::WarnOptions wo;
  wo.dedup_window_ms = ctx.cfg.dedup_window_s * 1000;
  warn::WarningBuilder builder(ctx.registry->get(), wo);
  std::vector<std::string> tags{"lachan.sample"};
  for (const auto& t : r.tags) tags.push_back(t);
  std::string rule_id = "yara:" + r.yara.front().rule;
  std::string title = "Malware sample: " + r.family;
  // The evidence is read by whoever the warning is routed to: it names no other submitter.
  std::string event = intel::sample_to_json(scoped(ctx, c, r));
  warn::Detection d;
  d.detector = "intel";
  d.rule_id = rule_id;
  d.rule_title = title;
  d.severity = store::Severity::high;
  d.tags = tags;
  d.event_json = event;
  d.event_time = now;
  d.received_at = now;
  d.sender_org = c.org_id;
  auto up = builder.build(d);
  auto r2 = ctx.store->apply_warnings({up}, store::Checkpoint{"samples", svc.next_offset(now)});
  if (!r2.ok())
    fmt::print(stderr, "lachan serve: sample {}: cannot store its warning: {}\n", r.sha256, r2.error().message);
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

}  // namespace

void add_sample_routes(api::Router& router, ServerContext& ctx) {
  using api::Method;
  auto svc = std::make_shared<SampleService>(ctx);
  auto add = [&](Method method, std::string_view pattern, std::function<Response(Request&, const Caller&)> h) {
    auto r = router.add(method, pattern, [&ctx, h = std::move(h)](Request& req) {
      Response err;
      auto c = authenticate(ctx, req, err);
      return c ? h(req, *c) : err;
    });
    if (!r.ok()) throw std::logic_error(r.error().message);  // a programming error in this file
  };

  add(Method::post, "/api/v1/samples", [&ctx, svc](Request& req, const Caller& c) {
    if (!role_in(c.role, {Role::admin, Role::analyst, Role::responder, Role::reporter}))
      return api::error_response(403, "denied", "your role may not upload samples");
    std::string why;
    auto* repo = svc->repo(why);
    if (!repo) return unavailable(why);
    if (req.body.size() > repo->options().max_bytes)
      return api::error_response(413, "limit",
                                 fmt::format("the sample has {} bytes, more than the limit of {}", req.body.size(),
                                             repo->options().max_bytes));
    int64_t now = store::system_now();
    auto out =
        repo->submit(req.body, req.query("filename").value_or(""), intel::SampleSubmitter{c.org_id, c.actor, now});
    if (!out.ok()) return fail(out.error());
    const auto& r = out->record;
    audit_action(ctx, c, "sample.upload", "sample:" + r.sha256,
                 json::serialize(json::object{
                     {"size", r.size}, {"created", out->created}, {"family", r.family}, {"file_name", r.file_name}}));
    if (!r.yara.empty() && c.org_id != ctx.registry->get()->national_centre()) raise_warning(ctx, *svc, c, r, now);
    return api::json_response(out->created ? 201 : 200, record_json(ctx, c, r));
  });

  add(Method::get, "/api/v1/samples", [&ctx, svc](Request& req, const Caller& c) {
    std::string why;
    auto* repo = svc->repo(why);
    if (!repo) return unavailable(why);
    auto lim = limit_param(req, 50);
    if (!lim.ok()) return fail(lim.error());
    std::function<bool(const intel::SampleRecord&)> visible;
    if (!sees_all(ctx, c)) visible = [&](const intel::SampleRecord& r) { return may_see(ctx, c, r); };
    auto page = repo->list(*lim, req.query("cursor").value_or(""), visible);
    if (!page.ok()) return fail(page.error());
    json::array items;
    for (const auto& r : page->items) items.push_back(record_json(ctx, c, r));
    json::object o{{"items", std::move(items)}};
    o["next_cursor"] = page->next_cursor.empty() ? json::value(nullptr) : json::value(page->next_cursor);
    return api::json_response(200, o);
  });

  add(Method::get, "/api/v1/samples/{hash}", [&ctx, svc](Request& req, const Caller& c) {
    std::string why;
    auto* repo = svc->repo(why);
    if (!repo) return unavailable(why);
    auto r = repo->get(req.param("hash"));
    if (!r.ok()) return fail(r.error());
    if (!may_see(ctx, c, *r)) return not_found();
    return api::json_response(200, record_json(ctx, c, *r));
  });

  add(Method::get, "/api/v1/samples/{hash}/content", [&ctx, svc](Request& req, const Caller& c) {
    if (!role_in(c.role, {Role::admin, Role::analyst}))
      return api::error_response(403, "denied", "your role may not download samples");
    std::string why;
    auto* repo = svc->repo(why);
    if (!repo) return unavailable(why);
    auto r = repo->get(req.param("hash"));
    if (!r.ok()) return fail(r.error());
    if (!may_see(ctx, c, *r)) return not_found();
    auto bytes = repo->open_content(r->sha256);
    if (!bytes.ok()) return fail(bytes.error());
    audit_action(ctx, c, "sample.download", "sample:" + r->sha256,
                 json::serialize(json::object{{"size", r->size}, {"family", r->family}}));
    Response resp;
    resp.content_type = "application/octet-stream";
    resp.body = std::move(*bytes);
    // Never something a browser renders or runs: a download under a neutral name.
    resp.with_header("Content-Disposition", fmt::format("attachment; filename=\"{}.bin\"", r->sha256));
    resp.with_header("X-Content-Type-Options", "nosniff");
    resp.with_header("Content-Security-Policy", "default-src 'none'; sandbox");
    resp.with_header("Cache-Control", "no-store");
    return resp;
  });
}

}  // namespace lachan::app
