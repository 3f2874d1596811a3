// Intelligence exports under /api/v1/intel/export (Lachan auth, JSON errors, audited): what the
// caller's organisation may read through TAXII (readable collections, each up to the TLP it may
// receive from it), as a STIX 2.1 bundle, a MISP feed or CSV.
//
//   GET /api/v1/intel/export/stix?collection=&type=   STIX 2.1 bundle (latest versions)
//   GET /api/v1/intel/export/misp/manifest.json       MISP feed: one event per indicator source
//   GET /api/v1/intel/export/misp/{uuid}.json
//   GET /api/v1/intel/export/misp/hashes.csv
//   GET /api/v1/intel/export/csv?collection=          type,value,source,tlp,confidence,valid_from,valid_until,tags,ref
#include <boost/json.hpp>

#include <fmt/format.h>

#include "app/taxii.h"
#include "core/strings.h"
#include "intel/misp.h"
#include "intel/repository.h"
#include "intel/stix_export.h"
#include "intel/stix_pattern.h"

namespace lachan::app {
namespace json = boost::json;
using api::Method;
using api::Request;
using api::Response;
using store::Caller;

namespace {

// More than this many records in one export: refused (413), ask per collection or type.
constexpr size_t kMaxExport = 200'000;

struct Exported {
  std::vector<intel::Indicator> indicators;
  std::vector<intel::IntelObject> objects;
};

// The latest version of everything the caller may read, optionally one collection and some kinds.
Result<Exported> readable(ServerContext& ctx, const TaxiiCollections& cols, const Caller& c, const Request& req,
                          bool indicators_only) {
  auto reg = ctx.registry->get();
  std::vector<const TaxiiCollection*> which;
  if (auto id = req.query("collection"); id && !id->empty()) {
    const TaxiiCollection* col = cols.find(*id);
    if (!col || !may_read(*col, *reg, c.org_id))
      return make_error(Errc::not_found, fmt::format("no collection '{}' that you may read", *id));
    which.push_back(col);
  } else {
    for (const auto& col : cols.items)
      if (may_read(col, *reg, c.org_id)) which.push_back(&col);
  }
  std::vector<std::string> kinds;
  if (indicators_only)
    kinds = {"indicator"};
  else if (auto t = req.query("type"); t && !t->empty()) {
    size_t start = 0;
    for (size_t i = 0; i <= t->size(); ++i)
      if (i == t->size() || (*t)[i] == ',') {
        if (i > start) kinds.emplace_back(t->substr(start, i - start));
        start = i + 1;
      }
  }
  Exported out;
  size_t n = 0;
  for (const auto* col : which) {
    store::IntelQuery q;
    q.collections = {col->alias};
    q.kinds = kinds;
    q.max_tlp = static_cast<int>(max_tlp_for(*col, *reg, c.org_id));
    q.include_revoked = false;
    q.limit = store::kMaxPageSize * 10;
    while (true) {
      auto page = ctx.store->query_intel(q);
      if (!page) return std::move(page).error();
      for (auto& r : page->items) {
        if (++n > kMaxExport)
          return make_error(Errc::limit,
                            fmt::format("more than {} records: export one collection or type at a time", kMaxExport));
        if (r.kind == "indicator" && starts_with(r.body, "{\"ref\":")) {
          auto ind = intel::indicator_from_json(r.body);
          if (ind) out.indicators.push_back(std::move(*ind));
        } else if (!indicators_only) {
          out.objects.push_back(intel::IntelObject{r.ref, r.kind, r.source, std::move(r.body), r.modified,
                                                   static_cast<intel::Tlp>(r.tlp)});
        }
      }
      if (!page->more) break;
      q.cursor = page->next_cursor;
    }
  }
  return out;
}

Response fail(const Error& e) {
  switch (e.code) {
    case Errc::not_found:
      return api::error_response(404, "not_found", e.message);
    case Errc::limit:
      return api::error_response(413, "limit", e.message);
    case Errc::malformed:
      return api::error_response(400, "malformed", e.message);
    default:
      return api::error_response(500, "internal", e.message);
  }
}

Response text(std::string content_type, std::string body) {
  Response r;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

// RFC 4180: quoted when it holds a comma, quote or line break.
void csv_field(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out += v;
    return;
  }
  out.push_back('"');
  for (char ch : v) {
    if (ch == '"') out.push_back('"');
    out.push_back(ch);
  }
  out.push_back('"');
}

std::string ts_or_empty(int64_t ms) {
  return ms ? intel::format_stix_timestamp(ms) : std::string();
}

// One row per single-observable alternative of each indicator; an alternative that needs several
// observables together is one "stix-pattern" row holding the indicator's pattern (once).
std::string to_csv(const std::vector<intel::Indicator>& inds) {
  std::string out = "type,value,source,tlp,confidence,valid_from,valid_until,tags,ref\n";
  auto row = [&](const intel::Indicator& i, std::string_view type, std::string_view value) {
    std::string tags;
    for (const auto& t : i.tags) tags += (tags.empty() ? "" : ";") + t;
    for (std::string_view f : {type, value}) {
      csv_field(out, f);
      out.push_back(',');
    }
    csv_field(out, i.source);
    out.push_back(',');
    out += intel::tlp_name(i.tlp);
    out.push_back(',');
    if (i.confidence >= 0) out += std::to_string(i.confidence);
    out += "," + ts_or_empty(i.valid_from_ms) + "," + ts_or_empty(i.valid_until_ms) + ",";
    csv_field(out, tags);
    out.push_back(',');
    csv_field(out, i.ref);
    out.push_back('\n');
  };
  for (const auto& i : inds) {
    bool pattern_row = i.any_of.empty() && !i.pattern.empty();
    for (const auto& conj : i.any_of) {
      if (conj.size() == 1)
        row(i, intel::value_type_name(conj[0].type), conj[0].value);
      else if (!conj.empty())
        pattern_row = true;
    }
    if (pattern_row) row(i, "stix-pattern", i.pattern.empty() ? intel::pattern_for(i.any_of) : i.pattern);
  }
  return out;
}

}  // namespace

void add_intel_export_routes(api::Router& router, ServerContext& ctx, std::shared_ptr<const TaxiiCollections> cols) {
  auto add = [&](std::string_view pattern, std::function<Response(Request&, const Caller&)> h) {
    auto r = router.add(Method::get, pattern, [&ctx, h = std::move(h)](Request& req) {
      Response err;
      auto c = authenticate(ctx, req, err);
      return c ? h(req, *c) : err;
    });
    if (!r.ok()) throw std::logic_error(r.error().message);  // a programming error in this file
  };
  auto audited = [&ctx](const Caller& c, std::string_view format, const Request& req, const Exported& e) {
    audit_action(ctx, c, "intel.export", std::string(format),
                 json::serialize(json::object{{"collection", req.query("collection").value_or("")},
                                              {"indicators", e.indicators.size()},
                                              {"objects", e.objects.size()}}));
  };

  add("/api/v1/intel/export/stix", [&ctx, cols, audited](Request& req, const Caller& c) {
    auto e = readable(ctx, *cols, c, req, false);
    if (!e) return fail(e.error());
    audited(c, "stix", req, *e);
    return text("application/stix+json;version=2.1", intel::export_stix_bundle(e->indicators, e->objects));
  });
  add("/api/v1/intel/export/csv", [&ctx, cols, audited](Request& req, const Caller& c) {
    auto e = readable(ctx, *cols, c, req, true);
    if (!e) return fail(e.error());
    audited(c, "csv", req, *e);
    return text("text/csv; charset=utf-8", to_csv(e->indicators));
  });
  // The feed is built per request from what this caller may read: no cache shared between
  // organisations of different rights.
  auto feed = [&ctx, cols](Request& req, const Caller& c) -> Result<intel::MispFeedExport> {
    auto e = readable(ctx, *cols, c, req, true);
    if (!e) return std::move(e).error();
    return intel::export_misp_feed(e->indicators);
  };
  add("/api/v1/intel/export/misp/manifest.json", [&ctx, feed](Request& req, const Caller& c) {
    auto f = feed(req, c);
    if (!f) return fail(f.error());
    audit_action(ctx, c, "intel.export", "misp", json::serialize(json::object{{"events", f->events.size()}}));
    return text("application/json", std::move(f->manifest));
  });
  add("/api/v1/intel/export/misp/hashes.csv", [&ctx, feed](Request& req, const Caller& c) {
    auto f = feed(req, c);
    if (!f) return fail(f.error());
    audit_action(ctx, c, "intel.export", "misp:hashes.csv", "{}");
    return text("text/csv; charset=utf-8", std::move(f->hashes_csv));
  });
  add("/api/v1/intel/export/misp/{file}", [&ctx, feed](Request& req, const Caller& c) {
    std::string_view file = req.param("file");
    if (!ends_with(file, ".json")) return api::error_response(404, "not_found", "not found");
    std::string_view uuid = file.substr(0, file.size() - 5);
    auto f = feed(req, c);
    if (!f) return fail(f.error());
    for (auto& [id, body] : f->events)
      if (id == uuid) {
        audit_action(ctx, c, "intel.export", "misp:" + id, "{}");
        return text("application/json", std::move(body));
      }
    return api::error_response(404, "not_found", fmt::format("no event {} in the feed you may read", uuid));
  });
}

}  // namespace lachan::app
