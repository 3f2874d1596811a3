#include "intel/stix_import.h"

#include <algorithm>
#include <boost/json.hpp>
#include <unordered_map>
#include <unordered_set>

#include "core/strings.h"
#include "intel/stix_pattern.h"

namespace lachan::intel {
namespace {

namespace json = boost::json;

// Types whose objects must carry created/modified (STIX 2.1 sections 4 and 5).
bool is_sdo_or_sro(std::string_view t) {
  static const std::unordered_set<std::string_view> kTypes{
      "attack-pattern", "campaign",     "course-of-action", "grouping", "identity",   "incident",
      "indicator",      "infrastructure", "intrusion-set",  "location", "malware",    "malware-analysis",
      "note",           "observed-data",  "opinion",        "report",   "threat-actor", "tool",
      "vulnerability",  "relationship",   "sighting"};
  return kTypes.contains(t);
}

bool valid_type_name(std::string_view t) {
  if (t.size() < 3 || t.size() > 250) return false;
  for (char c : t)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return t.front() != '-' && t.back() != '-';
}

bool valid_uuid(std::string_view u) {
  if (u.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    char c = u[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

// "T1566" or "T1566.001" (any case of the T).
std::optional<std::string> technique_id(std::string_view s) {
  if (s.size() != 5 && s.size() != 9) return std::nullopt;
  if (s[0] != 'T' && s[0] != 't') return std::nullopt;
  for (size_t i = 1; i < s.size(); ++i) {
    bool dot = i == 5;
    if (dot ? s[i] != '.' : (s[i] < '0' || s[i] > '9')) return std::nullopt;
  }
  std::string out(s);
  out[0] = 'T';
  return out;
}

bool is_attack_source(std::string_view s) {
  return s == "mitre-attack" || s == "mitre-ics-attack" || s == "mitre-mobile-attack";
}

void add_unique(std::vector<std::string>& v, std::string s) {
  if (std::find(v.begin(), v.end(), s) == v.end()) v.push_back(std::move(s));
}

Tlp most_restrictive(std::optional<Tlp> a, Tlp b) { return a && *a > b ? *a : b; }

// Reads one object's fields, each error naming the object and the field.
class Fields {
 public:
  Fields(const json::object& o, std::string where) : o_(o), where_(std::move(where)) {}

  const std::string& where() const { return where_; }

  Error error(std::string_view field, std::string_view what) const {
    return make_error(Errc::malformed, where_ + ": '" + std::string(field) + "' " + std::string(what));
  }

  // nullptr when absent; an error when present and not a string.
  Result<const json::string*> string(std::string_view field, bool required = false) const {
    const json::value* v = o_.if_contains(field);
    if (!v) {
      if (required) return error(field, "is missing");
      return static_cast<const json::string*>(nullptr);
    }
    if (!v->is_string()) return error(field, "must be a string");
    return &v->get_string();
  }

  Result<std::string_view> text(std::string_view field) const {
    auto s = string(field);
    if (!s) return std::move(s).error();
    return *s ? std::string_view(**s) : std::string_view();
  }

  Result<int64_t> timestamp(std::string_view field, bool required) const {
    auto s = string(field, required);
    if (!s) return std::move(s).error();
    if (!*s) return int64_t{0};
    auto ms = parse_stix_timestamp(**s);
    if (!ms) return error(field, "is not an RFC 3339 timestamp: '" + std::string(**s) + "'");
    return *ms;
  }

  // nullptr when absent.
  Result<const json::array*> array(std::string_view field) const {
    const json::value* v = o_.if_contains(field);
    if (!v) return static_cast<const json::array*>(nullptr);
    if (!v->is_array()) return error(field, "must be a list");
    return &v->get_array();
  }

  Result<std::vector<std::string>> strings(std::string_view field) const {
    auto a = array(field);
    if (!a) return std::move(a).error();
    std::vector<std::string> out;
    if (!*a) return out;
    out.reserve((*a)->size());
    for (const auto& v : **a) {
      if (!v.is_string()) return error(field, "must be a list of strings");
      out.emplace_back(v.get_string());
    }
    return out;
  }

 private:
  const json::object& o_;
  std::string where_;
};

struct Importer {
  const ImportOptions& opts;
  ImportBatch batch;
  std::unordered_map<std::string_view, std::string_view> identity_names;
  std::unordered_map<std::string_view, Tlp> marking_tlp;              // TLP marking definitions in the input
  std::unordered_map<std::string_view, std::vector<std::string>> techniques;  // attack-pattern id -> T…
  std::unordered_map<std::string_view, std::vector<std::string>> indicates;   // indicator id -> attack-pattern ids

  explicit Importer(const ImportOptions& o) : opts(o) {}

  static std::string where(size_t i, std::string_view id) {
    std::string w = "stix: object #" + std::to_string(i);
    if (!id.empty()) w += " (" + std::string(id) + ")";
    return w;
  }

  // Shape of every object, and what other objects refer to: identities, TLP markings, techniques.
  Result<void> check(const json::value& v, size_t i) {
    const json::object* o = v.if_object();
    if (!o) return make_error(Errc::malformed, where(i, "") + " is not a JSON object");
    Fields f(*o, where(i, ""));
    auto type = f.string("type", true);
    if (!type) return std::move(type).error();
    std::string_view t = **type;
    if (!valid_type_name(t)) return f.error("type", "is not a STIX type name: '" + std::string(t) + "'");
    auto id_s = f.string("id", true);
    if (!id_s) return std::move(id_s).error();
    std::string_view id = **id_s;
    Fields g(*o, where(i, id));
    if (id.size() != t.size() + 38 || id.substr(0, t.size()) != t || id.substr(t.size(), 2) != "--" ||
        !valid_uuid(id.substr(t.size() + 2)))
      return g.error("id", "must be '" + std::string(t) + "--<uuid>'");
    auto spec = g.string("spec_version");
    if (!spec) return std::move(spec).error();
    // Absent in STIX 2.0 objects (and optional on 2.1 SCOs): accepted.
    if (*spec && **spec != "2.1" && **spec != "2.0")
      return make_error(Errc::unsupported, g.where() + ": spec_version '" + std::string(**spec) + "' (2.1 or 2.0 expected)");
    bool sdo = is_sdo_or_sro(t);
    for (const char* field : {"created", "modified"}) {
      auto ms = g.timestamp(field, sdo);
      if (!ms) return std::move(ms).error();
    }
    for (const char* field : {"name", "description", "created_by_ref"}) {
      auto s = g.string(field);
      if (!s) return std::move(s).error();
    }
    if (const json::value* c = o->if_contains("confidence")) {
      auto n = c->is_int64() ? std::optional(c->get_int64())
               : c->is_uint64() && c->get_uint64() <= 100 ? std::optional(static_cast<int64_t>(c->get_uint64()))
                                                          : std::nullopt;
      if (!n || *n < 0 || *n > 100) return g.error("confidence", "must be an integer from 0 to 100");
    }
    if (const json::value* r = o->if_contains("revoked"); r && !r->is_bool())
      return g.error("revoked", "must be true or false");
    for (const char* field : {"labels", "object_marking_refs"}) {
      auto s = g.strings(field);
      if (!s) return std::move(s).error();
    }
    auto refs = g.array("external_references");
    if (!refs) return std::move(refs).error();
    std::vector<std::string> attack;
    if (*refs)
      for (const auto& r : **refs) {
        const json::object* ro = r.if_object();
        if (!ro) return g.error("external_references", "must be a list of objects");
        Fields rf(*ro, g.where() + " external_references");
        auto src = rf.string("source_name", true);
        if (!src) return std::move(src).error();
        auto ext = rf.string("external_id");
        if (!ext) return std::move(ext).error();
        if (*ext && is_attack_source(**src))
          if (auto tid = technique_id(**ext)) add_unique(attack, *tid);
      }
    auto phases = g.array("kill_chain_phases");
    if (!phases) return std::move(phases).error();
    if (*phases)
      for (const auto& p : **phases) {
        const json::object* po = p.if_object();
        if (!po) return g.error("kill_chain_phases", "must be a list of objects");
        Fields pf(*po, g.where() + " kill_chain_phases");
        for (const char* field : {"kill_chain_name", "phase_name"}) {
          auto s = pf.string(field, true);
          if (!s) return std::move(s).error();
        }
      }

    if (t == "identity") {
      if (auto name = g.text("name"); name && !name->empty()) identity_names.emplace(id, *name);
    } else if (t == "attack-pattern") {
      if (!attack.empty()) techniques.emplace(id, std::move(attack));
    } else if (t == "marking-definition") {
      if (auto level = marking_level(*o)) marking_tlp.emplace(id, *level);
    } else if (t == "relationship") {
      for (const char* field : {"relationship_type", "source_ref", "target_ref"}) {
        auto s = g.string(field, true);
        if (!s) return std::move(s).error();
      }
      if (o->at("relationship_type").get_string() == "indicates") {
        std::string_view src = o->at("source_ref").get_string(), dst = o->at("target_ref").get_string();
        if (starts_with(src, "indicator--") && starts_with(dst, "attack-pattern--"))
          indicates[src].emplace_back(dst);
      }
    } else if (t == "indicator") {
      for (const char* field : {"pattern", "pattern_type"}) {
        auto s = g.string(field, std::string_view(field) == "pattern");
        if (!s) return std::move(s).error();
      }
      for (const char* field : {"valid_from", "valid_until"}) {
        auto ms = g.timestamp(field, false);
        if (!ms) return std::move(ms).error();
      }
    }
    return {};
  }

  // A TLP marking definition: STIX 2.1 TLP 1.0 ({"definition_type": "tlp", "definition":
  // {"tlp": "green"}}) or the TLP 2.0 extension ({"extensions": {…: {"tlp_2_0": "amber+strict"}}}).
  static std::optional<Tlp> marking_level(const json::object& o) {
    if (auto known = tlp_from_marking_ref(o.at("id").get_string())) return known;
    const json::value* dt = o.if_contains("definition_type");
    const json::value* def = o.if_contains("definition");
    if (dt && dt->is_string() && dt->get_string() == "tlp" && def && def->is_object())
      if (const json::value* level = def->get_object().if_contains("tlp"); level && level->is_string())
        return parse_tlp(level->get_string());
    if (const json::value* ext = o.if_contains("extensions"); ext && ext->is_object())
      for (const auto& kv : ext->get_object())
        if (const json::object* eo = kv.value().if_object())
          if (const json::value* level = eo->if_contains("tlp_2_0"); level && level->is_string())
            return parse_tlp(level->get_string());
    return std::nullopt;
  }

  std::optional<Tlp> tlp_of(const json::object& o) const {
    std::optional<Tlp> level;
    if (const json::value* refs = o.if_contains("object_marking_refs"))
      for (const auto& r : refs->get_array()) {
        std::string_view ref = r.get_string();
        auto it = marking_tlp.find(ref);
        auto t = it != marking_tlp.end() ? std::optional(it->second) : tlp_from_marking_ref(ref);
        if (t) level = most_restrictive(level, *t);
      }
    return level;
  }

  Tlp tlp_or_default(const json::object& o) const {
    if (auto t = tlp_of(o)) return *t;
    return opts.default_tlp.value_or(Tlp::amber);
  }

  static int64_t ms(const json::object& o, std::string_view field) {
    const json::value* v = o.if_contains(field);
    return v ? parse_stix_timestamp(v->get_string()).value_or(0) : 0;
  }

  static std::string str(const json::object& o, std::string_view field) {
    const json::value* v = o.if_contains(field);
    return v ? std::string(v->get_string()) : std::string();
  }

  void keep(const json::object& o, std::string_view type) {
    IntelObject obj;
    obj.id = o.at("id").get_string();
    obj.type = type;
    obj.name = str(o, "name");
    obj.json = json::serialize(o);
    obj.modified_ms = ms(o, "modified");
    if (!obj.modified_ms) obj.modified_ms = ms(o, "created");
    // A TLP marking definition is itself as shareable as the level it names.
    auto own = type == "marking-definition" ? marking_level(o) : std::nullopt;
    obj.tlp = own ? *own : tlp_or_default(o);
    batch.objects.push_back(std::move(obj));
  }

  Result<void> indicator(const json::object& o, size_t i) {
    std::string_view id = o.at("id").get_string();
    std::string pattern_type = o.contains("pattern_type") ? str(o, "pattern_type") : "stix";
    if (pattern_type != "stix") {
      batch.notes.push_back("indicator " + std::string(id) + ": pattern_type '" + pattern_type +
                            "' is kept as an object, not matched");
      keep(o, "indicator");
      return {};
    }
    Indicator ind;
    ind.ref = id;
    ind.pattern = str(o, "pattern");
    auto parsed = parse_pattern(ind.pattern);
    if (!parsed) {
      Error e = std::move(parsed).error();
      return make_error(e.code, where(i, id) + ": 'pattern': " + e.message);
    }
    std::vector<std::string> rejected;
    auto terms = indexable_terms(*parsed, &rejected);
    if (!terms) {
      Error e = std::move(terms).error();
      return make_error(e.code, where(i, id) + ": 'pattern': " + e.message);
    }
    ind.any_of = std::move(*terms);
    for (auto& r : rejected) batch.notes.push_back("indicator " + std::string(id) + ": " + r + ", not indexed");
    ind.name = str(o, "name");
    ind.description = str(o, "description");
    ind.tlp = tlp_or_default(o);
    if (const json::value* c = o.if_contains("confidence"))
      ind.confidence = static_cast<int>(c->is_int64() ? c->get_int64() : static_cast<int64_t>(c->get_uint64()));
    ind.created_ms = ms(o, "created");
    ind.modified_ms = ms(o, "modified");
    ind.valid_from_ms = ms(o, "valid_from");
    ind.valid_until_ms = ms(o, "valid_until");
    if (const json::value* r = o.if_contains("revoked")) ind.revoked = r->get_bool();
    ind.source = opts.source;
    if (const json::value* by = o.if_contains("created_by_ref"))
      if (auto it = identity_names.find(by->get_string()); it != identity_names.end()) ind.source = it->second;
    if (const json::value* labels = o.if_contains("labels"))
      for (const auto& l : labels->get_array()) {
        std::string_view s = l.get_string();
        add_unique(ind.tags, std::string(s));
        if (auto tid = technique_id(s)) add_unique(ind.attack, *tid);
      }
    if (const json::value* refs = o.if_contains("external_references"))
      for (const auto& r : refs->get_array()) {
        const json::object& ro = r.get_object();
        const json::value* ext = ro.if_contains("external_id");
        if (ext && is_attack_source(ro.at("source_name").get_string()))
          if (auto tid = technique_id(ext->get_string())) add_unique(ind.attack, *tid);
      }
    if (auto it = indicates.find(id); it != indicates.end())
      for (const auto& ap : it->second)
        if (auto t = techniques.find(ap); t != techniques.end())
          for (const auto& tid : t->second) add_unique(ind.attack, tid);
    if (const json::value* phases = o.if_contains("kill_chain_phases"))
      for (const auto& p : phases->get_array()) {
        const json::object& po = p.get_object();
        add_unique(ind.kill_chain, str(po, "kill_chain_name") + ":" + str(po, "phase_name"));
      }
    batch.indicators.push_back(std::move(ind));
    return {};
  }

  Result<ImportBatch> run(std::string_view text) {
    json::parse_options po;
    po.max_depth = 128;
    std::error_code ec;
    json::value root = json::parse(text, ec, {}, po);
    if (ec) return make_error(Errc::malformed, "stix: not JSON: " + ec.message());
    const json::object* top = root.if_object();
    if (!top) return make_error(Errc::malformed, "stix: the input is not a JSON object");

    std::vector<const json::value*> objects;
    if (const json::value* list = top->if_contains("objects")) {
      const json::array* a = list->if_array();
      if (!a) return make_error(Errc::malformed, "stix: 'objects' must be a list");
      if (const json::value* t = top->if_contains("type"); t && !(t->is_string() && t->get_string() == "bundle"))
        return make_error(Errc::malformed, "stix: an object with 'objects' must be a bundle or a TAXII envelope");
      if (a->size() > opts.max_objects)
        return make_error(Errc::limit, "stix: " + std::to_string(a->size()) + " objects, more than the " +
                                           std::to_string(opts.max_objects) + " allowed");
      objects.reserve(a->size());
      for (const auto& v : *a) objects.push_back(&v);
    } else if (top->contains("type")) {
      if (const json::value& t = top->at("type"); t.is_string() && t.get_string() == "bundle")
        return std::move(batch);  // a bundle with no objects
      if (opts.max_objects < 1) return make_error(Errc::limit, "stix: 1 object, more than the 0 allowed");
      objects.push_back(&root);
    } else if (!top->contains("more")) {  // a TAXII envelope may be empty: {"more": false}
      return make_error(Errc::malformed, "stix: neither a bundle, a TAXII envelope nor a STIX object (no 'type')");
    }

    for (size_t i = 0; i < objects.size(); ++i)
      if (auto r = check(*objects[i], i); !r) return r.error();
    for (size_t i = 0; i < objects.size(); ++i) {
      const json::object& o = objects[i]->get_object();
      std::string_view type = o.at("type").get_string();
      if (type == "indicator") {
        if (auto r = indicator(o, i); !r) return r.error();
      } else {
        keep(o, type);
      }
    }
    return std::move(batch);
  }
};

}  // namespace

Result<ImportBatch> import_stix(std::string_view json, const ImportOptions& opts) {
  Importer imp(opts);
  return imp.run(json);
}

}  // namespace lachan::intel
