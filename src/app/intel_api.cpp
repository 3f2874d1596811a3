// The intelligence routes under /api/v1/intel: import (national centre analysts and admins),
// indicators with their sightings (TLP- and tenancy-scoped), feeds and their state.
#include <boost/json.hpp>

#include <charconv>

#include <fmt/format.h>

#include "app/intel_service.h"
#include "app/server.h"
#include "core/time.h"
#include "intel/importer.h"

namespace lachan::app {
namespace json = boost::json;
using api::Request;
using api::Response;
using store::Caller;
using store::Role;

namespace {

// The most restricted TLP an organisation may receive: the national centre everything, the
// others up to amber (amber+strict and red are the centre's alone).
int max_tlp_for(const ServerContext& ctx, const Caller& c) {
  return c.org_id == ctx.registry->get()->national_centre() ? static_cast<int>(intel::Tlp::red)
                                                             : static_cast<int>(intel::Tlp::amber);
}

json::object indicator_json(const intel::Indicator& i, const store::IntelRecord& r) {
  json::object o;
  o["ref"] = i.ref;
  o["name"] = i.name;
  o["description"] = i.description;
  o["pattern"] = i.pattern;
  json::array obs;
  for (const auto& conj : i.any_of) {
    json::array c;
    for (const auto& ob : conj) c.push_back(json::object{{"type", intel::value_type_name(ob.type)}, {"value", ob.value}});
    obs.emplace_back(std::move(c));
  }
  o["observables"] = std::move(obs);
  o["source"] = i.source;
  o["tlp"] = intel::tlp_name(i.tlp);
  o["confidence"] = i.confidence;
  o["score"] = i.any_of.empty() || i.any_of.front().empty()
                   ? 0.0
                   : intel::decayed_score(i.confidence, i.any_of.front().front().type,
                                          i.modified_ms ? i.modified_ms : i.valid_from_ms, store::system_now());
  o["valid_from"] = format_ms(i.valid_from_ms);
  o["valid_until"] = format_ms(i.valid_until_ms);
  o["modified"] = format_ms(i.modified_ms);
  o["tags"] = json::value_from(i.tags);
  o["attack"] = json::value_from(i.attack);
  o["kill_chain"] = json::value_from(i.kill_chain);
  o["revoked"] = i.revoked;
  o["collection"] = r.collection;
  o["added"] = format_ms(r.added);
  return o;
}

Response fail(const Error& e) { return error_response_for(e); }

}  // namespace

void add_intel_routes(api::Router& router, ServerContext& ctx) {
  using api::Method;
  auto add = [&](Method method, std::string_view pattern, std::function<Response(Request&, const Caller&)> h) {
    auto r = router.add(method, pattern, [&ctx, h = std::move(h)](Request& req) {
      Response err;
      auto c = authenticate(ctx, req, err);
      return c ? h(req, *c) : err;
    });
    if (!r.ok()) throw std::logic_error(r.error().message);
  };

  add(Method::post, "/api/v1/intel/import", [&ctx](Request& req, const Caller& c) {
    if (c.org_id != ctx.registry->get()->national_centre() || (c.role != Role::admin && c.role != Role::analyst))
      return api::error_response(403, "denied", "only the national centre's admins and analysts import intelligence");
    auto fmt_s = req.query("format");
    auto format = intel::parse_import_format(fmt_s ? *fmt_s : "auto");
    if (!format || *format == intel::ImportFormat::misp_feed)
      return api::error_response(400, "malformed", "format: auto, stix, misp or feed");
    intel::ImportOptions opts;
    opts.source = req.query("source") ? std::string(*req.query("source")) : "api:" + c.actor;
    if (auto t = req.query("tlp")) {
      auto tlp = intel::parse_tlp(*t);
      if (!tlp) return api::error_response(400, "malformed", "tlp: clear, green, amber, amber+strict or red");
      opts.default_tlp = *tlp;
    }
    std::string collection(req.query("collection").value_or("national"));
    std::optional<intel::FeedDefinition> feed;
    if (auto f = req.query("feed")) {
      for (auto& [d, s] : ctx.intel->feeds())
        if (d.name == *f) feed = d;
      if (!feed) return api::error_response(400, "malformed", fmt::format("feed: no definition '{}'", *f));
      if (*format == intel::ImportFormat::automatic) format = intel::ImportFormat::feed;
    }
    auto batch = intel::import_document(req.body, *format, opts, feed ? &*feed : nullptr, store::system_now());
    if (!batch) return fail(batch.error());
    auto sum = ctx.intel->import(*batch, collection);
    if (!sum) return fail(sum.error());
    audit_action(ctx, c, "intel.import", "collection:" + collection,
                 json::serialize(json::object{{"indicators", sum->indicators}, {"added", sum->added}}));
    json::array notes;
    for (size_t i = 0; i < sum->notes.size() && i < 100; ++i) notes.emplace_back(sum->notes[i]);
    return api::json_response(200, json::object{{"indicators", sum->indicators},
                                                {"objects", sum->objects},
                                                {"added", sum->added},
                                                {"unchanged", sum->unchanged},
                                                {"notes", std::move(notes)}});
  });

  add(Method::get, "/api/v1/intel/indicators", [&ctx](Request& req, const Caller& c) {
    store::IntelQuery q;
    q.kinds = {"indicator"};
    q.max_tlp = max_tlp_for(ctx, c);
    q.include_revoked = false;
    int limit = 50;
    if (auto s = req.query("limit")) {
      auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), limit);
      if (ec != std::errc() || p != s->data() + s->size() || limit < 1)
        return api::error_response(400, "malformed", "limit: a positive integer");
    }
    q.limit = std::min(limit, store::kMaxPageSize);
    if (auto s = req.query("cursor")) q.cursor = *s;
    if (auto s = req.query("collection")) q.collections = {std::string(*s)};
    auto page = ctx.store->query_intel(q);
    if (!page) return fail(page.error());
    json::array items;
    for (const auto& r : page->items) {
      auto ind = intel::indicator_from_json(r.body);
      if (ind) items.push_back(indicator_json(*ind, r));
    }
    return api::json_response(200, json::object{{"items", std::move(items)}, {"next_cursor", page->next_cursor}});
  });

  add(Method::get, "/api/v1/intel/indicators/{ref}", [&ctx](Request& req, const Caller& c) {
    if (req.param("ref").find("--") == std::string_view::npos)
      return api::error_response(400, "malformed", "ref: an intelligence ref looks like <kind>--<id>");
    store::IntelQuery q;
    q.kinds = {"indicator"};
    q.refs = {std::string(req.param("ref"))};
    q.max_tlp = max_tlp_for(ctx, c);
    auto page = ctx.store->query_intel(q);
    if (!page) return fail(page.error());
    if (page->items.empty()) return api::error_response(404, "not_found", "not found");
    auto ind = intel::indicator_from_json(page->items.front().body);
    if (!ind) return fail(ind.error());
    json::object o = indicator_json(*ind, page->items.front());
    auto reg = ctx.registry->get();
    auto vis = reg->visible_orgs(c.org_id);
    auto sightings = ctx.store->list_sightings(ind->ref, std::vector<std::string>(vis.begin(), vis.end()));
    if (!sightings) return fail(sightings.error());
    json::array sa;
    for (const auto& s : *sightings)
      sa.push_back(json::object{{"organisation", s.org_id}, {"count", s.count}, {"listed", s.listed},
                                {"first_seen", format_ms(s.first_seen)}, {"last_seen", format_ms(s.last_seen)}});
    o["sightings"] = std::move(sa);
    return api::json_response(200, o);
  });

  add(Method::get, "/api/v1/intel/feeds", [&ctx](Request&, const Caller& c) {
    if (c.role != Role::admin && c.role != Role::analyst)
      return api::error_response(403, "denied", "your role may not see feeds");
    json::array items;
    for (const auto& [d, s] : ctx.intel->feeds())
      items.push_back(json::object{{"name", d.name},
                                   {"description", d.description},
                                   {"url", d.url.empty() ? d.file : d.url},
                                   {"enabled", d.enabled},
                                   {"schedule_s", d.schedule_ms / 1000},
                                   {"tlp", intel::tlp_name(d.tlp)},
                                   {"indicators", s.indicator_count},
                                   {"last_attempt", format_ms(s.last_attempt_ms)},
                                   {"last_success", format_ms(s.last_success_ms)},
                                   {"last_error", s.last_error}});
    return api::json_response(200, json::object{{"items", std::move(items)}});
  });
}

}  // namespace lachan::app
