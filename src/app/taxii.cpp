// TAXII 2.1 routes (taxii.h) and the collection configuration.
#include "app/taxii.h"

#include <openssl/rand.h>

#include <toml++/toml.h>
#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <filesystem>
#include <functional>

#include <fmt/format.h>

#include "app/intel_service.h"
#include "core/strings.h"
#include "core/toml.h"
#include "intel/repository.h"
#include "intel/stix_export.h"
#include "intel/stix_import.h"
#include "intel/stix_pattern.h"

namespace lachan::app {
namespace json = boost::json;
using api::Method;
using api::Request;
using api::Response;
using store::Caller;

namespace {

constexpr const char* kTaxiiType = "application/taxii+json;version=2.1";
constexpr const char* kStixType = "application/stix+json;version=2.1";
constexpr const char* kRoot = "/taxii2/lachan/";
constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 1000;

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits on `sep`, trimming each part and dropping empty ones.
std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == sep) {
      auto p = trim(s.substr(start, i - start));
      if (!p.empty()) out.push_back(p);
      start = i + 1;
    }
  return out;
}

bool selector_valid(std::string_view sel) {
  for (auto part : split(sel, '+')) {
    if (part == "*" || part == "national") continue;
    size_t colon = part.find(':');
    if (colon == std::string_view::npos || colon + 1 == part.size()) return false;
    auto key = part.substr(0, colon), val = part.substr(colon + 1);
    if (key == "kind") {
      if (!store::parse_org_kind(val)) return false;
    } else if (key != "org" && key != "sector" && key != "province") {
      return false;
    }
  }
  return !split(sel, '+').empty();
}

// A media type ("application/taxii+json; version=2.1") is TAXII 2.1 when its version parameter
// is absent or 2.1.
bool is_taxii_21(std::string_view range, bool wildcards) {
  auto parts = split(range, ';');
  if (parts.empty()) return false;
  std::string type = to_lower(parts[0]);
  if (wildcards && (type == "*/*" || type == "application/*")) return true;
  if (type != "application/taxii+json") return false;
  for (size_t i = 1; i < parts.size(); ++i) {
    auto eq = parts[i].find('=');
    if (eq == std::string_view::npos) continue;
    if (iequals(trim(parts[i].substr(0, eq)), "version")) {
      auto v = trim(parts[i].substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return v == "2.1";
    }
  }
  return true;
}

bool accepts_taxii(const Request& req) {
  auto a = req.header("Accept");
  if (!a || trim(*a).empty()) return true;
  for (auto range : split(*a, ','))
    if (is_taxii_21(range, true)) return true;
  return false;
}

Response taxii_json(int status, const json::value& v) {
  Response r;
  r.status = status;
  r.content_type = kTaxiiType;
  r.body = json::serialize(v);
  return r;
}

Response taxii_error(int status, std::string_view title, std::string_view description) {
  return taxii_json(
      status, json::object{{"title", title}, {"description", description}, {"http_status", std::to_string(status)}});
}

Response no_collection(std::string_view id) {
  return taxii_error(404, "Not Found", fmt::format("no collection '{}' that you may read or write", id));
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

std::string ts(int64_t ms) {
  return intel::format_stix_timestamp(ms);
}

std::string random_uuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return intel::stix_uuid5(std::to_string(store::system_now()));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 15]);
  }
  return out;
}

// A record as the STIX object a client receives: indicator records are rebuilt as STIX
// indicators, other objects were kept verbatim. nullopt for a record that cannot be shown.
std::optional<std::string> stix_text(const store::IntelRecord& r) {
  // Indicator record bodies are written by indicator_to_json, which starts with "ref"; an
  // indicator in another pattern language is a kept STIX object like any other.
  if (r.kind == "indicator" && starts_with(r.body, "{\"ref\":")) {
    auto ind = intel::indicator_from_json(r.body);
    if (!ind) return std::nullopt;
    auto o = intel::stix_indicator_object(*ind);
    if (!o) return std::nullopt;
    return json::serialize(*o);
  }
  return r.body;
}

std::string spec_version_of(const store::IntelRecord& r, const std::string& text) {
  if (r.kind == "indicator" && starts_with(r.body, "{\"ref\":")) return "2.1";
  std::error_code ec;
  json::value v = json::parse(text, ec);
  if (!ec && v.is_object())
    if (const json::value* s = v.get_object().if_contains("spec_version"); s && s->is_string())
      return std::string(s->get_string());
  return "2.0";  // STIX 2.0 objects carry no spec_version
}

struct Listing {
  store::IntelQuery q;
  std::vector<std::string> spec_versions;  // match[spec_version]; empty: any
};

// The query parameters every listing shares (TAXII 2.1 section 3.4).
Result<Listing> listing(const Request& req, const TaxiiCollection& col, intel::Tlp tlp) {
  Listing l;
  auto& q = l.q;
  q.collections = {col.alias};
  q.max_tlp = static_cast<int>(tlp);
  q.limit = kDefaultLimit;
  if (auto s = req.query("added_after")) {
    auto t = intel::parse_stix_timestamp(*s);
    if (!t) return make_error(Errc::malformed, fmt::format("added_after: '{}' is not an RFC 3339 timestamp", *s));
    q.added_after = *t;
  }
  if (auto s = req.query("limit")) {
    int v = 0;
    auto [p, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
    if (ec != std::errc() || p != s->data() + s->size() || v < 1)
      return make_error(Errc::malformed, fmt::format("limit: '{}' is not a positive integer", *s));
    q.limit = std::min(v, kMaxLimit);
  }
  if (auto s = req.query("next")) q.cursor = *s;
  for (auto v : req.query_all("match[id]"))
    for (auto id : split(v, ',')) q.refs.emplace_back(id);
  for (auto v : req.query_all("match[type]"))
    for (auto t : split(v, ',')) q.kinds.emplace_back(t);
  for (auto v : req.query_all("match[spec_version]"))
    for (auto s : split(v, ',')) l.spec_versions.emplace_back(s);
  bool first = false, last = false, all = false;
  for (auto v : req.query_all("match[version]"))
    for (auto s : split(v, ',')) {
      if (s == "first")
        first = true;
      else if (s == "last")
        last = true;
      else if (s == "all")
        all = true;
      else if (auto t = intel::parse_stix_timestamp(s))
        q.modified.push_back(*t);
      else
        return make_error(Errc::malformed,
                          fmt::format("match[version]: '{}' is not first, last, all or a timestamp", s));
    }
  int kinds = first + last + all + !q.modified.empty();
  if (all || kinds == 0)
    q.versions = all ? store::IntelVersions::all : store::IntelVersions::latest;
  else if (kinds > 1)
    return make_error(Errc::unsupported, "match[version]: combine none of first, last and timestamps (use all)");
  else if (first)
    q.versions = store::IntelVersions::first;
  else if (last)
    q.versions = store::IntelVersions::latest;
  else
    q.versions = store::IntelVersions::all;  // only the listed timestamps
  if (all) q.modified.clear();
  return l;
}

Response listing_error(const Error& e) {
  if (e.code == Errc::malformed || e.code == Errc::unsupported) return taxii_error(400, "Bad Request", e.message);
  return taxii_error(500, "Internal Server Error", e.message);
}

// A page of records with the shown ones' STIX text (spec_version filtered afterwards, so a page
// may be shorter than the limit, which TAXII allows).
struct Shown {
  store::IntelPage page;
  std::vector<std::pair<size_t, std::string>> items;  // index in page.items, STIX text
  const store::IntelRecord& at(size_t i) const { return page.items[items[i].first]; }
};

Result<Shown> fetch(ServerContext& ctx, const Listing& l, bool need_text) {
  auto page = ctx.store->query_intel(l.q);
  if (!page) return std::move(page).error();
  Shown s;
  s.page = std::move(*page);
  for (size_t i = 0; i < s.page.items.size(); ++i) {
    const auto& r = s.page.items[i];
    std::string text;
    if (need_text || !l.spec_versions.empty()) {
      auto t = stix_text(r);
      if (!t) continue;
      text = std::move(*t);
    }
    if (!l.spec_versions.empty() &&
        std::find(l.spec_versions.begin(), l.spec_versions.end(), spec_version_of(r, text)) == l.spec_versions.end())
      continue;
    s.items.emplace_back(i, std::move(text));
  }
  return s;
}

void date_headers(Response& r, const Shown& s) {
  if (s.items.empty()) return;
  r.with_header("X-TAXII-Date-Added-First", ts(s.at(0).added));
  r.with_header("X-TAXII-Date-Added-Last", ts(s.at(s.items.size() - 1).added));
}

// {"more":…,"next":…,"<key>":[…]} with the items already serialised.
std::string paged_body(const Shown& s, std::string_view key, const std::vector<std::string>& items) {
  std::string out = s.page.more ? "{\"more\":true,\"next\":" + json::serialize(json::value(s.page.next_cursor))
                                : std::string("{\"more\":false");
  if (!items.empty()) {
    out += ",\"";
    out += key;
    out += "\":[";
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out.push_back(',');
      out += items[i];
    }
    out += "]";
  }
  out += "}";
  return out;
}

Response paged(const Shown& s, std::string_view key, const std::vector<std::string>& items) {
  Response r;
  r.content_type = kTaxiiType;
  r.body = paged_body(s, key, items);
  date_headers(r, s);
  return r;
}

struct Access {
  const TaxiiCollection* col = nullptr;
  bool read = false, write = false;
  intel::Tlp tlp = intel::Tlp::clear;
};

json::object collection_json(const Access& a) {
  return json::object{
      {"id", a.col->id},    {"title", a.col->title}, {"description", a.col->description},    {"alias", a.col->alias},
      {"can_read", a.read}, {"can_write", a.write},  {"media_types", json::array{kStixType}}};
}

json::object failed_status(const std::string& id, const json::array& objects, const std::string& why, int64_t now) {
  json::array failures;
  for (const auto& v : objects) {
    const json::object* o = v.if_object();
    const json::value* oid = o ? o->if_contains("id") : nullptr;
    json::object f{{"id", oid && oid->is_string() ? oid->get_string() : json::string("")}, {"message", why}};
    if (const json::value* m = o ? o->if_contains("modified") : nullptr; m && m->is_string()) f["version"] = *m;
    failures.push_back(std::move(f));
  }
  return json::object{{"id", id},
                      {"status", "complete"},
                      {"request_timestamp", ts(now)},
                      {"total_count", objects.size()},
                      {"success_count", 0},
                      {"failure_count", objects.size()},
                      {"pending_count", 0},
                      {"failures", std::move(failures)}};
}

json::object ok_status(const std::string& id, const json::array& objects, int64_t now) {
  json::array successes;
  for (const auto& v : objects) {
    const json::object& o = v.get_object();
    json::object s{{"id", o.at("id")}};
    const json::value* ver = o.if_contains("modified");
    if (!ver) ver = o.if_contains("created");
    if (ver && ver->is_string()) s["version"] = *ver;
    successes.push_back(std::move(s));
  }
  return json::object{{"id", id},
                      {"status", "complete"},
                      {"request_timestamp", ts(now)},
                      {"total_count", objects.size()},
                      {"success_count", objects.size()},
                      {"failure_count", 0},
                      {"pending_count", 0},
                      {"successes", std::move(successes)}};
}

}  // namespace

const TaxiiCollection* TaxiiCollections::find(std::string_view id_or_alias) const noexcept {
  for (const auto& c : items)
    if (c.alias == id_or_alias || iequals(c.id, id_or_alias)) return &c;
  return nullptr;
}

Result<TaxiiCollections> parse_taxii_toml(std::string_view text, std::string_view origin) {
  auto parsed = parse_toml(text, origin);
  if (!parsed) return parsed.error();
  toml::table& t = *parsed;
  TaxiiCollections out;
  auto* arr = t["collection"].as_array();
  if (!arr) return make_error(Errc::invalid_config, fmt::format("{}: no [[collection]] tables", origin));
  size_t n = 0;
  for (auto& node : *arr) {
    ++n;
    auto* tab = node.as_table();
    if (!tab) return make_error(Errc::invalid_config, fmt::format("{}: collection {} is not a table", origin, n));
    TaxiiCollection c;
    c.alias = (*tab)["alias"].value_or(std::string());
    std::string where = fmt::format("{}: collection {} ({})", origin, n, c.alias.empty() ? "no alias" : c.alias);
    for (auto&& [k, v] : *tab) {
      static const std::vector<std::string_view> known{"id",      "alias",   "title",  "description",
                                                       "readers", "writers", "max_tlp"};
      if (std::find(known.begin(), known.end(), k.str()) == known.end())
        return make_error(Errc::invalid_config, fmt::format("{}: unknown key '{}'", where, k.str()));
      (void)v;
    }
    c.id = to_lower((*tab)["id"].value_or(std::string()));
    if (!is_uuid(c.id)) return make_error(Errc::invalid_config, fmt::format("{}: id must be a UUID", where));
    if (c.alias.empty() || c.alias.find_first_of("/ ") != std::string::npos || is_uuid(c.alias))
      return make_error(Errc::invalid_config,
                        fmt::format("{}: alias must be a non-empty name without '/' or spaces", where));
    c.title = (*tab)["title"].value_or(c.alias);
    c.description = (*tab)["description"].value_or(std::string());
    for (auto [key, list] : {std::pair{"readers", &c.readers}, std::pair{"writers", &c.writers}}) {
      auto* a = (*tab)[key].as_array();
      if (!a) return make_error(Errc::invalid_config, fmt::format("{}: {} must be a list of selectors", where, key));
      for (auto& s : *a) {
        auto v = s.value<std::string>();
        if (!v || !selector_valid(*v))
          return make_error(
              Errc::invalid_config,
              fmt::format("{}: {}: '{}' is not a selector (*, national, org:, sector:, kind:, province:, a+b)", where,
                          key, v.value_or("?")));
        list->push_back(*v);
      }
    }
    if (auto m = (*tab)["max_tlp"].value<std::string>()) {
      auto tlp = intel::parse_tlp(*m);
      if (!tlp) return make_error(Errc::invalid_config, fmt::format("{}: max_tlp '{}' is not a TLP level", where, *m));
      c.max_tlp = *tlp;
    }
    for (const auto& o : out.items)
      if (o.id == c.id || o.alias == c.alias)
        return make_error(Errc::invalid_config, fmt::format("{}: id or alias already used by {}", where, o.alias));
    out.items.push_back(std::move(c));
  }
  return out;
}

Result<TaxiiCollections> load_taxii_toml(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(Errc::io, fmt::format("{}: {}", path, ec.message()));
  std::string text(size, '\0');
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return make_error(Errc::io, fmt::format("{}: cannot open", path));
  size_t got = std::fread(text.data(), 1, size, f);
  std::fclose(f);
  text.resize(got);
  return parse_taxii_toml(text, path);
}

std::string taxii_config_path(const ServeConfig& cfg) {
  std::error_code ec;
  std::string p = cfg.config_dir + "/taxii.toml";
  if (!cfg.config_dir.empty() && std::filesystem::exists(p, ec)) return p;
#ifdef LACHAN_SOURCE_DIR
  return std::string(LACHAN_SOURCE_DIR) + "/config/taxii.toml";
#else
  return p;
#endif
}

Result<void> check_taxii_collections(const TaxiiCollections& cols, const constituency::Constituency& reg) {
  for (const auto& c : cols.items)
    for (const auto* list : {&c.readers, &c.writers})
      for (const auto& sel : *list)
        for (auto part : split(sel, '+')) {
          size_t colon = part.find(':');
          if (colon == std::string_view::npos) continue;
          auto key = part.substr(0, colon), val = part.substr(colon + 1);
          bool known = true;
          if (key == "org")
            known = reg.find(val) != nullptr;
          else if (key == "sector")
            known = std::any_of(reg.sectors().begin(), reg.sectors().end(), [&](const auto& s) { return s.id == val; });
          else if (key == "province")
            known =
                std::any_of(reg.provinces().begin(), reg.provinces().end(), [&](const auto& p) { return p.id == val; });
          if (!known)
            return make_error(
                Errc::invalid_config,
                fmt::format("TAXII collection {}: '{}' names no {} of the constituency", c.alias, part, key));
        }
  return {};
}

bool selector_matches(std::string_view selector, const store::Organisation& org, std::string_view national_centre) {
  auto parts = split(selector, '+');
  if (parts.empty()) return false;
  for (auto part : parts) {
    bool ok = false;
    if (part == "*")
      ok = true;
    else if (part == "national")
      ok = org.id == national_centre;
    else if (starts_with(part, "org:"))
      ok = org.id == part.substr(4);
    else if (starts_with(part, "sector:"))
      ok = std::find(org.sectors.begin(), org.sectors.end(), part.substr(7)) != org.sectors.end();
    else if (starts_with(part, "kind:"))
      ok = store::to_string(org.kind) == part.substr(5);
    else if (starts_with(part, "province:"))
      ok = org.province == part.substr(9);
    if (!ok) return false;
  }
  return true;
}

namespace {
bool any_matches(const std::vector<std::string>& sels, const constituency::Constituency& reg, std::string_view org_id) {
  const store::Organisation* org = reg.find(org_id);
  if (!org) return false;
  return std::any_of(sels.begin(), sels.end(),
                     [&](const std::string& s) { return selector_matches(s, *org, reg.national_centre()); });
}
}  // namespace

bool may_read(const TaxiiCollection& c, const constituency::Constituency& reg, std::string_view org_id) {
  return any_matches(c.readers, reg, org_id);
}
bool may_write(const TaxiiCollection& c, const constituency::Constituency& reg, std::string_view org_id) {
  return any_matches(c.writers, reg, org_id);
}
intel::Tlp max_tlp_for(const TaxiiCollection& c, const constituency::Constituency& reg, std::string_view org_id) {
  intel::Tlp base = org_id == reg.national_centre() ? intel::Tlp::red : intel::Tlp::amber;
  return std::min(base, c.max_tlp);
}

Result<void> add_taxii_routes(api::Router& router, ServerContext& ctx) {
  std::string path = taxii_config_path(ctx.cfg);
  auto loaded = load_taxii_toml(path);
  if (!loaded) return std::move(loaded).error();
  if (auto r = check_taxii_collections(*loaded, *ctx.registry->get()); !r) return r;
  auto cols = std::make_shared<const TaxiiCollections>(std::move(*loaded));

  using Handler = std::function<Response(Request&, const Caller&)>;
  Result<void> failed;
  // Every TAXII route: Accept checked, caller authenticated; registered with and without the
  // trailing slash the specification writes.
  auto add = [&](Method m, const std::string& pattern, Handler h) {
    api::Handler wrapped = [&ctx, h = std::move(h)](Request& req) -> Response {
      if (!accepts_taxii(req))
        return taxii_error(406, "Not Acceptable", std::string("this server answers ") + kTaxiiType);
      Response err;
      auto c = authenticate(ctx, req, err);
      if (!c) {
        const bool sent = req.header("Authorization").has_value() || req.header("Cookie").has_value();
        Response r = taxii_error(401, "Unauthorized",
                                 sent ? "the API key or session is unknown, revoked or expired"
                                      : "an API key or session token is required (Authorization: Bearer)");
        r.headers = err.headers;
        return r;
      }
      return h(req, *c);
    };
    for (const auto& p : {pattern, pattern.substr(0, pattern.size() - 1)})
      if (failed) failed = router.add(m, p, wrapped);
  };
  auto access = [&ctx, cols](std::string_view id, const Caller& c) {
    Access a;
    a.col = cols->find(id);
    if (!a.col) return a;
    auto reg = ctx.registry->get();
    a.read = may_read(*a.col, *reg, c.org_id);
    a.write = may_write(*a.col, *reg, c.org_id);
    a.tlp = max_tlp_for(*a.col, *reg, c.org_id);
    if (!a.read && !a.write) a.col = nullptr;
    return a;
  };

  add(Method::get, "/taxii2/", [&ctx](Request& req, const Caller&) {
    std::string root = kRoot;
    // Clients follow api_roots as given: absolute URLs when the Host is known.
    if (auto host = req.header("Host"); host && !host->empty())
      root = fmt::format("{}://{}{}", ctx.cfg.tls_cert.empty() ? "http" : "https", *host, kRoot);
    return taxii_json(
        200, json::object{{"title", "Lachan TAXII 2.1"},
                          {"description", "Threat intelligence of the national cyber-security operations platform"},
                          {"default", root},
                          {"api_roots", json::array{json::value(root)}}});
  });
  add(Method::get, kRoot, [&ctx](Request&, const Caller&) {
    return taxii_json(200, json::object{{"title", "Lachan"},
                                        {"description", "Collections per audience: national, per sector, partners"},
                                        {"versions", json::array{kTaxiiType}},
                                        {"max_content_length", ctx.cfg.max_body_bytes}});
  });
  add(Method::get, std::string(kRoot) + "collections/", [cols, access](Request&, const Caller& c) {
    json::array out;
    for (const auto& col : cols->items) {
      Access a = access(col.id, c);
      if (a.col) out.push_back(collection_json(a));
    }
    json::object o;
    if (!out.empty()) o["collections"] = std::move(out);
    return taxii_json(200, o);
  });
  add(Method::get, std::string(kRoot) + "collections/{cid}/", [access](Request& req, const Caller& c) {
    Access a = access(req.param("cid"), c);
    if (!a.col) return no_collection(req.param("cid"));
    return taxii_json(200, collection_json(a));
  });

  // Reads of a collection: 404 unless listed, 403 unless readable.
  auto reader = [access](std::function<Response(Request&, const Access&)> h) {
    return [access, h = std::move(h)](Request& req, const Caller& c) {
      Access a = access(req.param("cid"), c);
      if (!a.col) return no_collection(req.param("cid"));
      if (!a.read)
        return taxii_error(403, "Forbidden", fmt::format("you may add to collection {} but not read it", a.col->alias));
      return h(req, a);
    };
  };

  add(Method::get, std::string(kRoot) + "collections/{cid}/objects/", reader([&ctx](Request& req, const Access& a) {
        auto l = listing(req, *a.col, a.tlp);
        if (!l) return listing_error(l.error());
        auto s = fetch(ctx, *l, true);
        if (!s) return listing_error(s.error());
        std::vector<std::string> items;
        for (auto& item : s->items) items.push_back(std::move(item.second));
        return paged(*s, "objects", items);
      }));
  add(Method::get, std::string(kRoot) + "collections/{cid}/manifest/", reader([&ctx](Request& req, const Access& a) {
        auto l = listing(req, *a.col, a.tlp);
        if (!l) return listing_error(l.error());
        auto s = fetch(ctx, *l, false);
        if (!s) return listing_error(s.error());
        std::vector<std::string> items;
        for (size_t i = 0; i < s->items.size(); ++i) {
          const auto& r = s->at(i);
          items.push_back(json::serialize(json::object{
              {"id", r.ref}, {"date_added", ts(r.added)}, {"version", ts(r.modified)}, {"media_type", kStixType}}));
        }
        return paged(*s, "objects", items);
      }));
  add(Method::get, std::string(kRoot) + "collections/{cid}/objects/{oid}/",
      reader([&ctx](Request& req, const Access& a) {
        auto l = listing(req, *a.col, a.tlp);
        if (!l) return listing_error(l.error());
        l->q.refs = {std::string(req.param("oid"))};
        auto s = fetch(ctx, *l, true);
        if (!s) return listing_error(s.error());
        if (s->items.empty() && l->q.cursor.empty())
          return taxii_error(404, "Not Found",
                             fmt::format("no object {} in collection {}", req.param("oid"), a.col->alias));
        std::vector<std::string> items;
        for (auto& item : s->items) items.push_back(std::move(item.second));
        return paged(*s, "objects", items);
      }));
  add(Method::get, std::string(kRoot) + "collections/{cid}/objects/{oid}/versions/",
      reader([&ctx](Request& req, const Access& a) {
        auto l = listing(req, *a.col, a.tlp);
        if (!l) return listing_error(l.error());
        l->q.refs = {std::string(req.param("oid"))};
        l->q.versions = store::IntelVersions::all;
        l->q.modified.clear();
        auto s = fetch(ctx, *l, false);
        if (!s) return listing_error(s.error());
        if (s->items.empty() && l->q.cursor.empty())
          return taxii_error(404, "Not Found",
                             fmt::format("no object {} in collection {}", req.param("oid"), a.col->alias));
        std::vector<std::string> items;
        for (size_t i = 0; i < s->items.size(); ++i)
          items.push_back(json::serialize(json::value(ts(s->at(i).modified))));
        return paged(*s, "versions", items);
      }));
  add(Method::del, std::string(kRoot) + "collections/{cid}/objects/{oid}/", [access](Request& req, const Caller& c) {
    Access a = access(req.param("cid"), c);
    if (!a.col) return no_collection(req.param("cid"));
    return taxii_error(405, "Method Not Allowed",
                       "objects are not deleted: add a newer version with revoked: true instead")
        .with_header("Allow", "GET, HEAD");
  });

  add(Method::post, std::string(kRoot) + "collections/{cid}/objects/", [&ctx, access](Request& req, const Caller& c) {
    Access a = access(req.param("cid"), c);
    if (!a.col) return no_collection(req.param("cid"));
    if (!a.write)
      return taxii_error(403, "Forbidden", fmt::format("your organisation may not add to collection {}", a.col->alias));
    if (c.role != store::Role::admin && c.role != store::Role::analyst)
      return taxii_error(403, "Forbidden", "adding objects needs the admin or analyst role");
    auto ct = req.header("Content-Type");
    if (!ct || !is_taxii_21(*ct, false))
      return taxii_error(415, "Unsupported Media Type", std::string("send an envelope as ") + kTaxiiType);
    if (req.body.size() > ctx.cfg.max_body_bytes)
      return taxii_error(413, "Payload Too Large", fmt::format("max_content_length is {}", ctx.cfg.max_body_bytes));
    std::error_code ec;
    json::value body = json::parse(req.body, ec);
    const json::array* objects = nullptr;
    if (!ec && body.is_object())
      if (const json::value* o = body.get_object().if_contains("objects")) objects = o->if_array();
    if (!objects) return taxii_error(400, "Bad Request", "the body is not a TAXII envelope ({\"objects\": [...]})");

    int64_t now = store::system_now();
    std::string sid = random_uuid();
    json::object status;
    intel::ImportOptions opts;
    opts.source = c.org_id;
    auto batch = intel::import_stix(req.body, opts);
    std::string why;
    if (!batch) {
      why = batch.error().message;
    } else {
      for (const auto& i : batch->indicators)
        if (i.tlp > a.col->max_tlp && why.empty())
          why = fmt::format("{} is TLP:{}; collection {} takes at most TLP:{}", i.ref, upper(intel::tlp_name(i.tlp)),
                            a.col->alias, upper(intel::tlp_name(a.col->max_tlp)));
      for (const auto& o : batch->objects)
        if (o.tlp > a.col->max_tlp && o.type != "marking-definition" && why.empty())
          why = fmt::format("{} is TLP:{}; collection {} takes at most TLP:{}", o.id, upper(intel::tlp_name(o.tlp)),
                            a.col->alias, upper(intel::tlp_name(a.col->max_tlp)));
    }
    int64_t added = 0;
    if (why.empty()) {
      auto s = ctx.intel->import(*batch, a.col->alias);
      if (!s) return taxii_error(500, "Internal Server Error", s.error().message);
      added = s->added;
      status = ok_status(sid, *objects, now);
    } else {
      status = failed_status(sid, *objects, why, now);
    }
    auto saved = ctx.store->put_state("taxii-status", sid,
                                      json::serialize(json::object{{"org", c.org_id}, {"status", status}}), now);
    if (!saved) return taxii_error(500, "Internal Server Error", saved.error().message);
    audit_action(ctx, c, "taxii.add", "collection:" + a.col->alias,
                 json::serialize(json::object{{"status", sid},
                                              {"objects", objects->size()},
                                              {"added", added},
                                              {"failed", why.empty() ? json::value(nullptr) : json::value(why)}}));
    return taxii_json(202, status);
  });

  add(Method::get, std::string(kRoot) + "status/{sid}/", [&ctx](Request& req, const Caller& c) {
    auto v = ctx.store->get_state("taxii-status", req.param("sid"));
    if (!v) return taxii_error(500, "Internal Server Error", v.error().message);
    std::error_code ec;
    json::value doc = *v ? json::parse(**v, ec) : json::value();
    const json::object* o = doc.if_object();
    const json::value* org = o ? o->if_contains("org") : nullptr;
    const json::value* st = o ? o->if_contains("status") : nullptr;
    // Another organisation's request is answered like an unknown one.
    if (!org || !st || !org->is_string() || org->get_string() != c.org_id)
      return taxii_error(404, "Not Found", fmt::format("no status {}", req.param("sid")));
    return taxii_json(200, *st);
  });

  if (!failed) return failed;
  add_intel_export_routes(router, ctx, cols);
  return {};
}

}  // namespace lachan::app
