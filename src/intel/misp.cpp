#include "intel/misp.h"

#include "intel/stix_export.h"
#include "intel/stix_pattern.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include <boost/json.hpp>

#include "core/strings.h"
#include "core/time.h"

namespace lachan::intel {
namespace {

namespace json = boost::json;

// ---------------------------------------------------------------------------------------------
// Small helpers

const json::value* field(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->value();
}

std::string_view str_field(const json::object& o, std::string_view key) {
  const auto* v = field(o, key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

const json::array* array_field(const json::object& o, std::string_view key) {
  const auto* v = field(o, key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

// MISP writes booleans as true/false, older exports as "1"/"0".
bool truthy(const json::value* v) {
  if (!v) return false;
  if (v->is_bool()) return v->get_bool();
  if (v->is_int64()) return v->get_int64() != 0;
  if (v->is_uint64()) return v->get_uint64() != 0;
  if (v->is_string()) {
    std::string_view s = v->get_string();
    return s == "1" || iequals(s, "true");
  }
  return false;
}

// The latest epoch second we accept: times are kept as nanoseconds elsewhere (int64 ends in 2262).
constexpr int64_t kMaxEpochSeconds = 9'000'000'000;

// Epoch seconds, as a string or a number; 0 when absent or null; nullopt when anything else.
std::optional<int64_t> epoch_seconds(const json::value* v) {
  if (!v || v->is_null()) return 0;
  int64_t out = 0;
  if (v->is_int64()) {
    out = v->get_int64();
  } else if (v->is_uint64()) {
    if (v->get_uint64() > static_cast<uint64_t>(kMaxEpochSeconds)) return std::nullopt;
    out = static_cast<int64_t>(v->get_uint64());
  } else if (v->is_string()) {
    std::string_view s = v->get_string();
    if (s.empty()) return 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  } else {
    return std::nullopt;
  }
  if (out < 0 || out > kMaxEpochSeconds) return std::nullopt;
  return out;
}

// first_seen / last_seen: ISO 8601 ("2019-06-12T14:39:00.000000+00:00"); 0 when absent or null.
std::optional<int64_t> iso_ms(const json::value* v) {
  if (!v || v->is_null()) return 0;
  if (!v->is_string()) return std::nullopt;
  std::string_view s = v->get_string();
  if (s.empty()) return 0;
  auto ns = parse_timestamp(s);
  if (!ns) return std::nullopt;
  return *ns / 1'000'000;
}

std::string iso(int64_t ms) {
  return format_timestamp(ms * 1'000'000);
}

std::string value_text(const json::value* v) {
  if (!v) return {};
  if (v->is_string()) return std::string(v->get_string());
  return json::serialize(*v);
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

void add_once(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

// ATT&CK technique ids ("T1566", "T1566.001") standing alone in `s`.
void find_attack_ids(std::string_view s, std::vector<std::string>& out) {
  for (size_t i = 0; i + 5 <= s.size(); ++i) {
    if (s[i] != 'T' || (i > 0 && is_alnum(s[i - 1]))) continue;
    size_t j = i + 1;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j - i - 1 != 4) continue;
    if (j + 4 <= s.size() && s[j] == '.' && is_digit(s[j + 1]) && is_digit(s[j + 2]) && is_digit(s[j + 3]) &&
        (j + 4 == s.size() || !is_alnum(s[j + 4])))
      j += 4;
    else if (j < s.size() && is_alnum(s[j]))
      continue;
    add_once(out, std::string(s.substr(i, j - i)));
    i = j - 1;
  }
}

// "ns:pred=\"value\"" -> value, when the tag is of that namespace:predicate.
std::optional<std::string_view> machine_tag_value(std::string_view tag, std::string_view ns_pred) {
  if (tag.size() <= ns_pred.size() + 1 || !iequals(tag.substr(0, ns_pred.size()), ns_pred) ||
      tag[ns_pred.size()] != '=')
    return std::nullopt;
  std::string_view v = tag.substr(ns_pred.size() + 1);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  return v;
}

std::optional<int> confidence_from_tag(std::string_view tag) {
  if (auto v = machine_tag_value(tag, "misp:confidence-level")) {
    if (iequals(*v, "completely-confident")) return 100;
    if (iequals(*v, "usually-confident")) return 75;
    if (iequals(*v, "fairly-confident")) return 50;
    if (iequals(*v, "rarely-confident")) return 25;
    if (iequals(*v, "unconfident")) return 0;
    return std::nullopt;
  }
  if (auto v = machine_tag_value(tag, "admiralty-scale:information-credibility")) {
    if (v->size() == 1 && (*v)[0] >= '1' && (*v)[0] <= '5') return 90 - 20 * ((*v)[0] - '1');
    return std::nullopt;
  }
  if (auto v = machine_tag_value(tag, "osint:certainty")) {
    int n = -1;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec == std::errc() && p == v->data() + v->size() && n >= 0 && n <= 100) return n;
  }
  return std::nullopt;
}

// What the tags and galaxies of an event or attribute say.
struct Marks {
  std::optional<Tlp> tlp;
  std::optional<int> confidence;
  std::vector<std::string> tags;
  std::vector<std::string> attack;
};

void read_tag_name(std::string_view name, Marks& m) {
  if (name.empty()) return;
  if (iequals(name.substr(0, 4), "tlp:")) {
    if (auto t = parse_tlp(name)) {
      if (!m.tlp || *t > *m.tlp) m.tlp = *t;  // two TLP tags: the more restrictive holds
      return;
    }
  }
  if (auto c = confidence_from_tag(name)) m.confidence = *c;
  if (iequals(name.substr(0, 18), "misp-galaxy:mitre-")) find_attack_ids(name, m.attack);
  add_once(m.tags, std::string(name));
}

Result<void> read_marks(const json::object& o, std::string_view what, Marks& m) {
  if (const auto* tags = field(o, "Tag"); tags && !tags->is_null()) {
    if (!tags->is_array()) return make_error(Errc::malformed, std::string(what) + ": Tag is not an array");
    for (const auto& t : tags->get_array()) {
      if (t.is_object())
        read_tag_name(str_field(t.get_object(), "name"), m);
      else if (t.is_string())
        read_tag_name(t.get_string(), m);
    }
  }
  if (const auto* gal = field(o, "Galaxy"); gal && !gal->is_null()) {
    if (!gal->is_array()) return make_error(Errc::malformed, std::string(what) + ": Galaxy is not an array");
    for (const auto& g : gal->get_array()) {
      if (!g.is_object()) continue;
      std::string_view gtype = str_field(g.get_object(), "type");
      const auto* clusters = array_field(g.get_object(), "GalaxyCluster");
      if (!clusters) continue;
      for (const auto& c : *clusters) {
        if (!c.is_object()) continue;
        const auto& co = c.get_object();
        std::string_view type = str_field(co, "type");
        if (type.empty()) type = gtype;
        std::string_view value = str_field(co, "value");
        std::string_view tag_name = str_field(co, "tag_name");
        if (value.empty() && tag_name.empty()) continue;
        std::string tag = !tag_name.empty() ? std::string(tag_name)
                                            : "misp-galaxy:" + std::string(type) + "=\"" + std::string(value) + "\"";
        add_once(m.tags, std::move(tag));
        if (starts_with(type, "mitre-") || starts_with(gtype, "mitre-")) {
          find_attack_ids(value, m.attack);
          if (const auto* meta = field(co, "meta"); meta && meta->is_object())
            if (const auto* ext = array_field(meta->get_object(), "external_id"))
              for (const auto& e : *ext)
                if (e.is_string()) find_attack_ids(e.get_string(), m.attack);
        }
      }
    }
  }
  return {};
}

// ---------------------------------------------------------------------------------------------
// Import

// How an attribute type becomes observables.
enum class Split : uint8_t { whole, first, second, both };
struct Mapping {
  ValueType type;
  Split split = Split::whole;
};

std::optional<Mapping> map_type(std::string_view type, std::string_view object_relation) {
  static const std::map<std::string_view, Mapping, std::less<>> kTypes{
      {"ip-src", {ValueType::ip}},
      {"ip-dst", {ValueType::ip}},
      {"ip-src|port", {ValueType::ip, Split::first}},
      {"ip-dst|port", {ValueType::ip, Split::first}},
      {"domain", {ValueType::domain}},
      {"hostname", {ValueType::domain}},
      {"hostname|port", {ValueType::domain, Split::first}},
      {"domain|ip", {ValueType::domain, Split::both}},
      {"url", {ValueType::url}},
      {"email", {ValueType::email}},
      {"email-src", {ValueType::email}},
      {"email-dst", {ValueType::email}},
      {"md5", {ValueType::md5}},
      {"sha1", {ValueType::sha1}},
      {"sha256", {ValueType::sha256}},
      {"filename", {ValueType::file_name}},
      {"filename|md5", {ValueType::md5, Split::second}},
      {"filename|sha1", {ValueType::sha1, Split::second}},
      {"filename|sha256", {ValueType::sha256, Split::second}},
      {"ja3-fingerprint-md5", {ValueType::ja3}},
      {"ja4-fingerprint", {ValueType::ja4}},
  };
  if (auto it = kTypes.find(type); it != kTypes.end()) return it->second;
  if (type == "text" && object_relation == "ja4-fingerprint") return Mapping{ValueType::ja4};
  return std::nullopt;
}

struct EventContext {
  std::string uuid, info, source;
  Marks marks;
};

struct Importer {
  const ImportOptions& opts;
  ImportBatch& out;
  size_t attributes = 0;  // over the whole input, for opts.max_objects

  Result<void> event(const json::object& ev);
  Result<void> attribute(const json::object& a, std::string_view object_relation, const EventContext& ctx,
                         std::vector<std::string>& refs, json::array& context);
  Result<void> attributes_of(const json::object& holder, std::string_view where, const EventContext& ctx,
                             std::vector<std::string>& refs, json::array& context);
};

Error bad_attribute(const EventContext& ctx, std::string_view uuid, std::string_view what) {
  return make_error(Errc::malformed, "MISP event " + ctx.uuid + ", attribute " +
                                         (uuid.empty() ? std::string("(no uuid)") : std::string(uuid)) + ": " +
                                         std::string(what));
}

Result<void> Importer::attribute(const json::object& a, std::string_view object_relation, const EventContext& ctx,
                                 std::vector<std::string>& refs, json::array& context) {
  if (++attributes > opts.max_objects)
    return make_error(Errc::limit,
                      "MISP event " + ctx.uuid + ": more than " + std::to_string(opts.max_objects) + " attributes");
  const auto* uuid_v = field(a, "uuid");
  const auto* type_v = field(a, "type");
  const auto* value_v = field(a, "value");
  std::string_view uuid = uuid_v && uuid_v->is_string() ? std::string_view(uuid_v->get_string()) : std::string_view();
  if (uuid.empty()) return bad_attribute(ctx, uuid, "no uuid");
  if (!type_v || !type_v->is_string() || type_v->get_string().empty()) return bad_attribute(ctx, uuid, "no type");
  if (!value_v || !value_v->is_string()) return bad_attribute(ctx, uuid, "no value (a string)");
  std::string_view type = type_v->get_string();
  std::string_view value = value_v->get_string();
  auto ts = epoch_seconds(field(a, "timestamp"));
  if (!ts) return bad_attribute(ctx, uuid, "bad timestamp " + value_text(field(a, "timestamp")));
  auto first_seen = iso_ms(field(a, "first_seen"));
  if (!first_seen) return bad_attribute(ctx, uuid, "bad first_seen " + value_text(field(a, "first_seen")));
  auto last_seen = iso_ms(field(a, "last_seen"));
  if (!last_seen) return bad_attribute(ctx, uuid, "bad last_seen " + value_text(field(a, "last_seen")));
  if (truthy(field(a, "deleted"))) return {};

  if (!truthy(field(a, "to_ids"))) {
    json::object c;
    c["uuid"] = uuid;
    c["type"] = type;
    c["value"] = value;
    if (auto cat = str_field(a, "category"); !cat.empty()) c["category"] = cat;
    if (auto com = str_field(a, "comment"); !com.empty()) c["comment"] = com;
    if (!object_relation.empty()) c["object_relation"] = object_relation;
    context.emplace_back(std::move(c));
    return {};
  }
  auto mapping = map_type(type, object_relation);
  if (!mapping) {
    out.notes.push_back("MISP event " + ctx.uuid + ", attribute " + std::string(uuid) + ": type " + std::string(type) +
                        (type == "uri" ? " (a relative URI)" : "") + " is not indexed");
    return {};
  }

  Indicator ind;
  ind.ref = "misp-attribute--" + std::string(uuid);
  ind.name = ctx.info;
  ind.description = std::string(str_field(a, "comment"));
  auto normal = [&](ValueType t, std::string_view v) -> Result<Observable> {
    auto n = normalise(t, v);
    if (!n)
      return bad_attribute(
          ctx, uuid,
          "type " + std::string(type) + ": value '" + std::string(value) + "' is not a valid " + value_type_name(t));
    return Observable{t, std::move(*n)};
  };
  size_t bar = value.find('|');
  if (mapping->split != Split::whole && bar == std::string_view::npos)
    return bad_attribute(ctx, uuid,
                         "type " + std::string(type) + ": value '" + std::string(value) + "' has no '|' separator");
  switch (mapping->split) {
    case Split::whole: {
      auto o = normal(mapping->type, value);
      if (!o) return o.error();
      ind.any_of.push_back({std::move(*o)});
      break;
    }
    case Split::first: {
      auto o = normal(mapping->type, value.substr(0, bar));
      if (!o) return o.error();
      ind.any_of.push_back({std::move(*o)});
      break;
    }
    case Split::second: {
      auto o = normal(mapping->type, value.substr(bar + 1));
      if (!o) return o.error();
      ind.any_of.push_back({std::move(*o)});
      std::string name(value.substr(0, bar));
      ind.description += (ind.description.empty() ? "file name: " : "; file name: ") + name;
      break;
    }
    case Split::both: {
      auto d = normal(ValueType::domain, value.substr(0, bar));
      if (!d) return d.error();
      auto ip = normal(ValueType::ip, value.substr(bar + 1));
      if (!ip) return ip.error();
      ind.any_of.push_back({std::move(*d)});
      ind.any_of.push_back({std::move(*ip)});
      break;
    }
  }
  ind.pattern = pattern_for(ind.any_of);
  ind.source = ctx.source;
  ind.source_ref = ctx.uuid;

  Marks m;
  if (auto r = read_marks(a, "MISP event " + ctx.uuid + ", attribute " + std::string(uuid), m); !r) return r;
  ind.tlp = m.tlp ? *m.tlp : ctx.marks.tlp ? *ctx.marks.tlp : opts.default_tlp.value_or(Tlp::amber);
  ind.confidence = m.confidence ? *m.confidence : ctx.marks.confidence.value_or(-1);
  ind.tags = ctx.marks.tags;
  for (auto& t : m.tags) add_once(ind.tags, std::move(t));
  ind.attack = ctx.marks.attack;
  for (auto& t : m.attack) add_once(ind.attack, std::move(t));
  ind.created_ms = ind.modified_ms = *ts * 1000;
  ind.valid_from_ms = *first_seen;
  ind.valid_until_ms = *last_seen;
  refs.push_back(ind.ref);
  out.indicators.push_back(std::move(ind));
  return {};
}

Result<void> Importer::attributes_of(const json::object& holder, std::string_view where, const EventContext& ctx,
                                     std::vector<std::string>& refs, json::array& context) {
  const auto* attrs = field(holder, "Attribute");
  if (!attrs || attrs->is_null()) return {};
  if (!attrs->is_array())
    return make_error(Errc::malformed, "MISP event " + ctx.uuid + std::string(where) + ": Attribute is not an array");
  std::string_view relation;
  for (const auto& a : attrs->get_array()) {
    if (!a.is_object())
      return make_error(Errc::malformed,
                        "MISP event " + ctx.uuid + std::string(where) + ": an attribute is not an object");
    relation = str_field(a.get_object(), "object_relation");
    if (auto r = attribute(a.get_object(), relation, ctx, refs, context); !r) return r;
  }
  return {};
}

Result<void> Importer::event(const json::object& ev) {
  EventContext ctx;
  ctx.uuid = std::string(str_field(ev, "uuid"));
  if (ctx.uuid.empty())
    return make_error(Errc::malformed, "MISP event '" + std::string(str_field(ev, "info")) + "': no uuid");
  ctx.info = std::string(str_field(ev, "info"));
  if (const auto* orgc = field(ev, "Orgc"); orgc && orgc->is_object())
    ctx.source = std::string(str_field(orgc->get_object(), "name"));
  if (ctx.source.empty()) ctx.source = opts.source;
  if (auto r = read_marks(ev, "MISP event " + ctx.uuid, ctx.marks); !r) return r;
  auto ts = epoch_seconds(field(ev, "timestamp"));
  if (!ts)
    return make_error(Errc::malformed,
                      "MISP event " + ctx.uuid + ": bad timestamp " + value_text(field(ev, "timestamp")));
  auto published_ts = epoch_seconds(field(ev, "publish_timestamp"));
  if (!published_ts)
    return make_error(Errc::malformed, "MISP event " + ctx.uuid + ": bad publish_timestamp " +
                                           value_text(field(ev, "publish_timestamp")));

  std::vector<std::string> refs;
  json::array context;
  if (auto r = attributes_of(ev, "", ctx, refs, context); !r) return r;
  if (const auto* objs = field(ev, "Object"); objs && !objs->is_null()) {
    if (!objs->is_array()) return make_error(Errc::malformed, "MISP event " + ctx.uuid + ": Object is not an array");
    for (const auto& o : objs->get_array()) {
      if (!o.is_object()) return make_error(Errc::malformed, "MISP event " + ctx.uuid + ": an Object is not an object");
      const auto& oo = o.get_object();
      if (truthy(field(oo, "deleted"))) continue;
      std::string where =
          ", object " + std::string(str_field(oo, "uuid")) + " (" + std::string(str_field(oo, "name")) + ")";
      if (auto r = attributes_of(oo, where, ctx, refs, context); !r) return r;
    }
  }

  // The event itself, as a STIX-like report linking its indicators.
  int64_t modified_ms = *ts * 1000;
  std::string date(str_field(ev, "date"));
  json::object rep;
  rep["type"] = "report";
  rep["spec_version"] = "2.1";
  rep["id"] = "report--" + ctx.uuid;
  rep["created"] = !date.empty() ? date + "T00:00:00Z" : iso(modified_ms);
  rep["modified"] = iso(modified_ms);
  rep["name"] = ctx.info;
  rep["published"] = *published_ts ? iso(*published_ts * 1000) : iso(modified_ms);
  rep["report_types"] = json::array{"threat-report"};
  json::array object_refs;
  for (const auto& r : refs) object_refs.emplace_back(r);
  rep["object_refs"] = std::move(object_refs);
  if (!ctx.marks.tags.empty()) {
    json::array labels;
    for (const auto& t : ctx.marks.tags) labels.emplace_back(t);
    rep["labels"] = std::move(labels);
  }
  Tlp tlp = ctx.marks.tlp ? *ctx.marks.tlp : opts.default_tlp.value_or(Tlp::amber);
  rep["object_marking_refs"] = json::array{tlp_marking_ref(tlp)};
  json::object x;
  x["uuid"] = ctx.uuid;
  x["org"] = ctx.source;
  x["published"] = truthy(field(ev, "published"));
  if (auto v = value_text(field(ev, "threat_level_id")); !v.empty()) x["threat_level_id"] = v;
  if (auto v = value_text(field(ev, "analysis")); !v.empty()) x["analysis"] = v;
  if (!context.empty()) x["context_attributes"] = std::move(context);
  rep["x_misp_event"] = std::move(x);

  IntelObject obj;
  obj.id = "report--" + ctx.uuid;
  obj.type = "report";
  obj.name = ctx.info;
  obj.json = json::serialize(rep);
  obj.modified_ms = modified_ms;
  obj.tlp = tlp;
  out.objects.push_back(std::move(obj));
  return {};
}

Result<json::value> parse_json(std::string_view text, std::string_view what) {
  boost::system::error_code ec;
  json::parse_options po;
  po.max_depth = 64;
  json::value v = json::parse(text, ec, {}, po);
  if (ec) return make_error(Errc::malformed, std::string(what) + ": not JSON (" + ec.message() + ")");
  return v;
}

Result<void> import_into(std::string_view text, Importer& imp) {
  auto v = parse_json(text, "MISP event");
  if (!v) return std::move(v).error();
  if (!v->is_object()) return make_error(Errc::malformed, "MISP event: not a JSON object");
  const auto& root = v->get_object();
  auto one = [&](const json::value& item) -> Result<void> {
    if (!item.is_object()) return make_error(Errc::malformed, "MISP event: not a JSON object");
    const auto& o = item.get_object();
    if (const auto* e = field(o, "Event")) {
      if (!e->is_object()) return make_error(Errc::malformed, "MISP event: Event is not an object");
      return imp.event(e->get_object());
    }
    if (field(o, "uuid") && (field(o, "info") || field(o, "Attribute"))) return imp.event(o);
    return make_error(Errc::malformed, "MISP event: no Event");
  };
  if (const auto* resp = field(root, "response")) {
    if (resp->is_object()) return one(*resp);
    if (!resp->is_array()) return make_error(Errc::malformed, "MISP event: response is not an array");
    for (const auto& item : resp->get_array())
      if (auto r = one(item); !r) return r;
    return {};
  }
  return one(*v);
}

Result<std::string> read_whole(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error(Errc::io, "cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(Errc::io, "cannot read " + p.string());
  return ss.str();
}

// ---------------------------------------------------------------------------------------------
// Export


std::string md5_hex(std::string_view s) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(s.data(), s.size(), md, &n, EVP_md5(), nullptr) != 1) std::abort();
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

struct AttrOut {
  std::string type, category, value, relation;
};

std::string ts_string(int64_t ms) {
  return std::to_string(ms / 1000);
}

json::object attribute_json(const Indicator& ind, const AttrOut& a, std::string uuid) {
  json::object o;
  o["uuid"] = std::move(uuid);
  o["type"] = a.type;
  o["category"] = a.category;
  o["value"] = a.value;
  if (!a.relation.empty()) o["object_relation"] = a.relation;
  o["to_ids"] = true;
  o["distribution"] = "5";
  o["timestamp"] = ts_string(ind.modified_ms ? ind.modified_ms : ind.created_ms);
  o["comment"] = ind.description;
  if (ind.valid_from_ms) o["first_seen"] = iso(ind.valid_from_ms);
  if (ind.valid_until_ms) o["last_seen"] = iso(ind.valid_until_ms);
  json::array tags;
  tags.emplace_back(json::object{{"name", std::string("tlp:") + tlp_name(ind.tlp)}});
  bool has_mitre = false;
  for (const auto& t : ind.tags) {
    tags.emplace_back(json::object{{"name", t}});
    if (starts_with(t, "misp-galaxy:mitre-")) has_mitre = true;
  }
  if (!has_mitre)
    for (const auto& t : ind.attack)
      tags.emplace_back(json::object{{"name", "misp-galaxy:mitre-attack-pattern=\"" + t + "\""}});
  o["Tag"] = std::move(tags);
  return o;
}

AttrOut single_attribute(const Observable& o) {
  switch (o.type) {
    case ValueType::ip:
      return {"ip-dst", "Network activity", o.value, {}};
    case ValueType::domain:
      return {"domain", "Network activity", o.value, {}};
    case ValueType::url:
      return {"url", "Network activity", o.value, {}};
    case ValueType::email:
      return {"email", "Payload delivery", o.value, {}};
    case ValueType::md5:
      return {"md5", "Payload delivery", o.value, {}};
    case ValueType::sha1:
      return {"sha1", "Payload delivery", o.value, {}};
    case ValueType::sha256:
      return {"sha256", "Payload delivery", o.value, {}};
    case ValueType::ja3:
      return {"ja3-fingerprint-md5", "Network activity", o.value, {}};
    case ValueType::ja4:
      return {"text", "Network activity", o.value, "ja4-fingerprint"};
    case ValueType::file_name:
      return {"filename", "Payload delivery", o.value, {}};
  }
  return {"text", "Other", o.value, {}};
}

struct EventOut {
  json::array attributes, objects;
  int64_t max_ms = 0;
  std::vector<std::string> hashed;  // attribute values for hashes.csv
};

void add_indicator(const Indicator& ind, EventOut& ev) {
  const std::string ref_uuid = starts_with(ind.ref, "misp-attribute--") && is_uuid(ind.ref.substr(16))
                                   ? ind.ref.substr(16)
                                   : stix_uuid5("misp-attribute:" + ind.ref);
  std::vector<AttrOut> attrs;
  const auto& a = ind.any_of;
  bool all_single = !a.empty() && std::all_of(a.begin(), a.end(), [](const auto& c) { return c.size() == 1; });
  if (a.size() == 2 && all_single &&
      ((a[0][0].type == ValueType::domain && a[1][0].type == ValueType::ip) ||
       (a[0][0].type == ValueType::ip && a[1][0].type == ValueType::domain))) {
    const auto& d = a[0][0].type == ValueType::domain ? a[0][0] : a[1][0];
    const auto& ip = a[0][0].type == ValueType::ip ? a[0][0] : a[1][0];
    attrs.push_back({"domain|ip", "Network activity", d.value + "|" + ip.value, {}});
  } else if (all_single) {
    for (const auto& c : a) attrs.push_back(single_attribute(c[0]));
  } else {
    std::string pattern = !ind.pattern.empty() ? ind.pattern : pattern_for(a);
    if (pattern.empty()) return;
    attrs.push_back({"stix2-pattern", "Payload installation", std::move(pattern), {}});
  }
  ev.max_ms = std::max(ev.max_ms, ind.modified_ms ? ind.modified_ms : ind.created_ms);
  for (size_t i = 0; i < attrs.size(); ++i) {
    std::string uuid = i == 0 ? ref_uuid : stix_uuid5("misp-attribute:" + ind.ref + "#" + std::to_string(i));
    if (attrs[i].type == "domain|ip") {
      auto bar = attrs[i].value.find('|');
      ev.hashed.push_back(attrs[i].value.substr(0, bar));
      ev.hashed.push_back(attrs[i].value.substr(bar + 1));
    } else {
      ev.hashed.push_back(attrs[i].value);
    }
    if (!attrs[i].relation.empty()) {
      // JA4 has no attribute type of its own: MISP keeps it in a ja4-plus object.
      json::object obj;
      obj["uuid"] = stix_uuid5("misp-object:" + uuid);
      obj["name"] = "ja4-plus";
      obj["meta-category"] = "network";
      obj["distribution"] = "5";
      obj["timestamp"] = ts_string(ind.modified_ms ? ind.modified_ms : ind.created_ms);
      obj["Attribute"] = json::array{attribute_json(ind, attrs[i], std::move(uuid))};
      ev.objects.emplace_back(std::move(obj));
    } else {
      ev.attributes.emplace_back(attribute_json(ind, attrs[i], std::move(uuid)));
    }
  }
}

std::string date_of(int64_t ms) {
  auto c = civil_from_ns(ms * 1'000'000);
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.year, c.month, c.day);
  return buf;
}

json::object event_json(const EventOut& ev, std::string_view info, std::string_view org, std::string_view uuid) {
  json::object e;
  e["uuid"] = uuid;
  e["info"] = info;
  e["date"] = date_of(ev.max_ms);
  e["timestamp"] = ts_string(ev.max_ms);
  e["publish_timestamp"] = ts_string(ev.max_ms);
  e["published"] = true;
  e["analysis"] = "2";
  e["threat_level_id"] = "4";
  e["distribution"] = "0";
  e["Orgc"] = json::object{{"name", org}, {"uuid", stix_uuid5("misp-org:" + std::string(org))}};
  e["Tag"] = json::array();
  e["Attribute"] = ev.attributes;
  e["Object"] = ev.objects;
  return e;
}

}  // namespace

// ---------------------------------------------------------------------------------------------


Result<ImportBatch> import_misp_event(std::string_view json, const ImportOptions& opts) {
  ImportBatch batch;
  Importer imp{opts, batch};
  if (auto r = import_into(json, imp); !r) return r.error();
  return batch;
}

Result<ImportBatch> import_misp_feed(std::string_view manifest_json, const MispFetch& fetch_event,
                                     const ImportOptions& opts) {
  auto v = parse_json(manifest_json, "MISP feed manifest");
  if (!v) return std::move(v).error();
  if (!v->is_object()) return make_error(Errc::malformed, "MISP feed manifest: not a JSON object");
  ImportBatch batch;
  Importer imp{opts, batch};
  for (const auto& [key, summary] : v->get_object()) {
    std::string_view uuid = key;
    if (!is_uuid(uuid))
      return make_error(Errc::malformed, "MISP feed manifest: '" + std::string(uuid) + "' is not an event uuid");
    if (!summary.is_object())
      return make_error(Errc::malformed, "MISP feed manifest: event " + std::string(uuid) + " is not an object");
    auto text = fetch_event(uuid);
    if (!text) return std::move(text).error();
    size_t before = batch.objects.size();
    if (auto r = import_into(*text, imp); !r)
      return make_error(r.error().code, "MISP feed event " + std::string(uuid) + ": " + r.error().message);
    // A feed event is exactly the event the manifest names: anything else is a wrong or spoofed file.
    if (batch.objects.size() != before + 1 || !iequals(batch.objects.back().id.substr(8), uuid))
      return make_error(Errc::malformed, "MISP feed event " + std::string(uuid) + ": the file holds another event");
  }
  return batch;
}

Result<ImportBatch> import_misp_feed_dir(const std::filesystem::path& dir, const ImportOptions& opts) {
  auto manifest = read_whole(dir / "manifest.json");
  if (!manifest) return std::move(manifest).error();
  return import_misp_feed(
      *manifest,
      [&](std::string_view uuid) { return read_whole(dir / (std::string(uuid) + ".json")); },  // uuid checked: no path
      opts);
}


std::string export_misp_event(const std::vector<Indicator>& indicators, std::string_view info,
                              const MispExportOptions& opts) {
  std::string org = !opts.org.empty()                                           ? opts.org
                    : !indicators.empty() && !indicators.front().source.empty() ? indicators.front().source
                                                                                : "Lachan";
  std::string uuid =
      !opts.event_uuid.empty() ? opts.event_uuid : stix_uuid5("misp-event:" + org + "\n" + std::string(info));
  EventOut ev;
  for (const auto& ind : indicators) add_indicator(ind, ev);
  return json::serialize(json::object{{"Event", event_json(ev, info, org, uuid)}});
}

MispFeedExport export_misp_feed(const std::vector<Indicator>& indicators) {
  std::map<std::string, std::vector<const Indicator*>> by_source;
  for (const auto& ind : indicators) by_source[ind.source.empty() ? "Lachan" : ind.source].push_back(&ind);
  std::map<std::string, std::pair<std::string, EventOut>> events;  // uuid -> (source, event)
  for (const auto& [source, list] : by_source) {
    auto& [src, ev] = events[stix_uuid5("misp-feed-event:" + source)];
    src = source;
    for (const auto* ind : list) add_indicator(*ind, ev);
  }
  MispFeedExport out;
  json::object manifest;
  for (const auto& [uuid, se] : events) {
    const auto& [source, ev] = se;
    std::string info = source + " indicators";
    json::object e = event_json(ev, info, source, uuid);
    json::object summary;
    summary["Orgc"] = e["Orgc"];
    summary["Tag"] = json::array();
    summary["info"] = info;
    summary["date"] = e["date"];
    summary["analysis"] = "2";
    summary["threat_level_id"] = "4";
    summary["timestamp"] = e["timestamp"];
    manifest[uuid] = std::move(summary);
    out.events.emplace_back(uuid, json::serialize(json::object{{"Event", std::move(e)}}));
    for (const auto& v : ev.hashed) out.hashes_csv += md5_hex(v) + "," + uuid + "\n";
  }
  out.manifest = json::serialize(manifest);
  return out;
}

}  // namespace lachan::intel
