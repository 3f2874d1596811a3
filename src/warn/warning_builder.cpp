#include "warn/warning_builder.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <utility>

#include "core/strings.h"
#include "match/cidr.h"

namespace lachan::warn {
namespace {

struct KeyRole {
  std::string_view key;  // lowercased last path component, or a dotted suffix
  std::string_view type;
};

// Field names across the sources we decode; matched case-insensitively against the last path
// component (or the last two, joined by a dot).
constexpr std::array<KeyRole, 52> kRoles{{
    {"computer", "host"},          {"computername", "host"},      {"hostname", "host"},
    {"host.name", "host"},         {"host.hostname", "host"},     {"workstationname", "host"},
    {"dvchost", "host"},           {"dhost", "host"},             {"agent.hostname", "host"},
    {"targetusername", "user"},    {"subjectusername", "user"},   {"user", "user"},
    {"username", "user"},          {"user.name", "user"},         {"c-user", "user"},
    {"accountname", "user"},       {"suser", "user"},             {"duser", "user"},
    {"sourceip", "ip"},            {"destinationip", "ip"},       {"ipaddress", "ip"},
    {"src_ip", "ip"},              {"dest_ip", "ip"},             {"id.orig_h", "ip"},
    {"id.resp_h", "ip"},           {"c-ip", "ip"},                {"src", "ip"},
    {"dst", "ip"},                 {"source.ip", "ip"},           {"destination.ip", "ip"},
    {"ip", "ip"},                  {"clientip", "ip"},            {"addr", "ip"},
    {"queryname", "domain"},       {"query", "domain"},           {"rrname", "domain"},
    {"destinationhostname", "domain"}, {"cs-host", "domain"},     {"http.hostname", "domain"},
    {"server_name", "domain"},     {"sni", "domain"},             {"domain", "domain"},
    {"hashes", "hash"},            {"hash", "hash"},              {"md5", "hash"},
    {"sha1", "hash"},              {"sha256", "hash"},            {"imphash", "hash"},
    {"url", "url"},                {"request_url", "url"},        {"image", "process"},
    {"newprocessname", "process"},
}};

// The type of the first entry of kRoles that names `last` (or, for a dotted key, `last2`).
std::string_view role_of(std::string_view last, std::string_view last2) {
  struct Index {
    std::unordered_map<std::string_view, std::size_t> plain, dotted;  // key -> first position
    Index() {
      for (std::size_t i = 0; i < kRoles.size(); ++i)
        (kRoles[i].key.find('.') != std::string_view::npos ? dotted : plain).try_emplace(kRoles[i].key, i);
    }
  };
  static const Index index;
  std::size_t best = kRoles.size();
  if (auto it = index.plain.find(last); it != index.plain.end()) best = it->second;
  if (auto it = index.dotted.find(last2); it != index.dotted.end()) best = std::min(best, it->second);
  return best < kRoles.size() ? kRoles[best].type : std::string_view{};
}

void lower_into(std::string& out, std::string_view s) {
  out.resize(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    out[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
}

class EntityCollector {
 public:
  explicit EntityCollector(std::size_t max) : max_(max) {}

  void walk(simdjson::dom::element v, std::string_view parent, std::string_view key, int depth) {
    if (depth > 32 || out_.size() >= max_) return;
    if (v.is_object()) {
      for (auto field : simdjson::dom::object(v)) walk(field.value, key, field.key, depth + 1);
      return;
    }
    if (v.is_array()) {
      for (auto item : simdjson::dom::array(v)) walk(item, parent, key, depth + 1);
      return;
    }
    if (!v.is_string() && !v.is_int64() && !v.is_uint64()) return;
    lower_into(last_, key);
    lower_into(last2_, parent);
    last2_ += '.';
    last2_ += last_;
    std::string_view type = role_of(last_, last2_);
    if (type.empty()) return;
    std::string text = v.is_string() ? std::string(std::string_view(v)) : std::string(simdjson::to_string(v));
    if (text.empty() || text == "-" || text.size() > 2048) return;
    add(type, text);
  }

  std::vector<store::Entity> take() { return std::move(out_); }

 private:
  void add(std::string_view type, std::string_view value) {
    if (type == "ip") {
      if (!match::parse_ip(value)) return;
    } else if (type == "hash") {
      // Sysmon: "SHA1=…,MD5=…,SHA256=…,IMPHASH=…"; each value its own entity.
      if (value.find('=') != std::string_view::npos) {
        for (std::string_view part : split(value, ',')) {
          auto eq = part.find('=');
          if (eq != std::string_view::npos) push("hash", part.substr(eq + 1));
        }
        return;
      }
    } else if (type == "user") {
      if (value == "SYSTEM" || value == "N/A") return;
    }
    push(type, value);
  }

  void push(std::string_view type, std::string_view value) {
    if (value.empty() || out_.size() >= max_) return;
    store::Entity e{std::string(type), std::string(value)};
    if (std::find(out_.begin(), out_.end(), e) == out_.end()) out_.push_back(std::move(e));
  }

  static std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
      if (i == s.size() || s[i] == sep) {
        parts.push_back(s.substr(start, i - start));
        start = i + 1;
      }
    }
    return parts;
  }

  std::size_t max_;
  std::string last_, last2_;
  std::vector<store::Entity> out_;
};

// The entity a warning is about, for deduplication: a host before an address before a user.
const store::Entity* primary(const std::vector<store::Entity>& entities) {
  for (std::string_view type : {"host", "ip", "user", "domain", "hash", "url"})
    for (const auto& e : entities)
      if (e.type == type) return &e;
  return nullptr;
}

std::string tlp_from_tags(std::span<const std::string> tags) {
  for (const auto& t : tags) {
    std::string l = to_lower(t);
    if (l.rfind("tlp.", 0) == 0) return l.substr(4);
  }
  return {};
}

}  // namespace

std::vector<store::Entity> extract_entities(simdjson::dom::element event, std::size_t max) {
  EntityCollector c(max);
  c.walk(event, "", "", 0);
  return c.take();
}

std::string dedup_key(std::string_view rule_id, std::string_view org_id, const std::vector<store::Entity>& entities) {
  std::string key;
  key.reserve(rule_id.size() + org_id.size() + 64);
  key.append(rule_id).append("|").append(org_id).append("|");
  if (const store::Entity* p = primary(entities)) key.append(p->type).append(":").append(to_lower(p->value));
  return key;
}

WarningBuilder::WarningBuilder(std::shared_ptr<const constituency::Constituency> registry, WarnOptions options)
    : registry_(std::move(registry)), options_(std::move(options)) {}

const store::Organisation* WarningBuilder::victim_of(const Detection& d) const {
  const auto& reg = *registry_;
  if (d.victim_ips.empty() && d.victim_domains.empty() && d.victim_asns.empty()) {
    if (const auto* o = reg.find(d.sender_org)) return o;
    return reg.find(reg.national_centre());
  }
  for (const auto& ip : d.victim_ips) {
    std::string_view addr = ip;
    if (auto slash = addr.find('/'); slash != std::string_view::npos) addr = addr.substr(0, slash);
    if (const auto* o = reg.owner_of_ip(addr)) return o;
  }
  for (const auto& name : d.victim_domains) {
    if (const auto* o = reg.owner_of_host(name)) return o;
    if (const auto* o = reg.owner_of_domain(name)) return o;
  }
  for (std::uint32_t asn : d.victim_asns)
    if (const auto* o = reg.owner_of_asn(asn)) return o;
  return reg.find(reg.national_centre());
}

store::WarningUpsert WarningBuilder::build(const Detection& d) {
  store::WarningUpsert up;
  up.window_ms = options_.dedup_window_ms;
  store::Warning& w = up.warning;
  const store::Organisation* victim = victim_of(d);
  w.org_id = victim ? victim->id : std::string(d.sender_org);
  w.detector = std::string(d.detector);
  w.rule_id = std::string(d.rule_id);
  w.rule_title = std::string(d.rule_title);
  w.severity = d.severity;
  w.tags.assign(d.tags.begin(), d.tags.end());
  std::string tlp = tlp_from_tags(d.tags);
  w.tlp = tlp.empty() ? options_.tlp : tlp;

  padded_.assign(d.event_json);
  padded_.resize(d.event_json.size() + simdjson::SIMDJSON_PADDING);
  simdjson::dom::element root;
  if (parser_.parse(padded_.data(), d.event_json.size(), false).get(root) == simdjson::SUCCESS) {
    w.entities = extract_entities(root, options_.max_entities);
  }
  // For reports about someone else, the victim's address is the entity that matters.
  if (!d.victim_ips.empty()) {
    store::Entity e{"ip", d.victim_ips.front()};
    auto it = std::find(w.entities.begin(), w.entities.end(), e);
    if (it != w.entities.end()) w.entities.erase(it);
    w.entities.insert(w.entities.begin(), std::move(e));
  }
  w.dedup_key = dedup_key(w.rule_id, w.org_id, w.entities);
  store::TimeMs t = d.event_time > 0 ? d.event_time : d.received_at;
  w.first_seen = t;
  w.last_seen = t;
  w.count = 1;
  if (victim) {
    w.province = victim->province;
    w.sectors = victim->sectors;
    auto routes = registry_->routes(victim->id);
    w.routed_to.assign(routes.begin(), routes.end());
  } else {
    w.routed_to.push_back(registry_->national_centre());
  }
  w.evidence.push_back(evidence_text(d.event_json, options_.max_evidence_bytes));
  return up;
}

std::string evidence_text(std::string_view event_json, std::size_t max_bytes) {
  if (event_json.size() <= max_bytes) return std::string(event_json);
  return std::string(R"({"lachan_truncated":true,"size":)") + std::to_string(event_json.size()) + "}";
}

}  // namespace lachan::warn
