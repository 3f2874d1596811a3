#include "intel/stix_export.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <map>
#include <set>

#include "core/strings.h"
#include "intel/stix_pattern.h"

namespace lachan::intel {
namespace {

namespace json = boost::json;

// TLP 2.0 marking definitions as FIRST/OASIS publish them (the extension-definition id is the
// OASIS TLP 2.0 extension).
json::object tlp_marking(Tlp t) {
  std::string name = to_lower(tlp_name(t));
  std::string upper = "TLP:";
  for (char c : name) upper.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c);
  json::object ext{{"extension_type", "property-extension"}, {"tlp_2_0", name}};
  return json::object{
      {"type", "marking-definition"},
      {"spec_version", "2.1"},
      {"id", tlp_marking_ref(t)},
      {"created", "2022-10-01T00:00:00.000Z"},
      {"name", upper},
      {"extensions", json::object{{"extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d", ext}}},
  };
}

bool is_stix_indicator_id(std::string_view ref) {
  if (!starts_with(ref, "indicator--") || ref.size() != 11 + 36) return false;
  for (size_t i = 11; i < ref.size(); ++i) {
    char c = ref[i];
    size_t k = i - 11;
    bool dash = k == 8 || k == 13 || k == 18 || k == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
      return false;
  }
  return true;
}

// Observations joined by AND inside a conjunction, conjunctions by OR: comparisons on different
// object types may not share one observation (STIX 2.1 section 9.5).
std::string pattern_of(const std::vector<std::vector<Observable>>& any_of) {
  std::string out;
  for (const auto& conj : any_of) {
    if (conj.empty()) continue;
    if (!out.empty()) out += " OR ";
    bool group = conj.size() > 1 && any_of.size() > 1;
    if (group) out += "(";
    for (size_t i = 0; i < conj.size(); ++i) {
      if (i) out += " AND ";
      out += pattern_for(conj[i]);
    }
    if (group) out += ")";
  }
  return out;
}

json::object indicator_object(const Indicator& ind, const std::string& pattern, const std::string& identity) {
  int64_t created = ind.created_ms ? ind.created_ms : ind.modified_ms ? ind.modified_ms : ind.valid_from_ms;
  int64_t modified = std::max(created, ind.modified_ms);
  int64_t valid_from = ind.valid_from_ms ? ind.valid_from_ms : created;
  json::object o;
  o["type"] = "indicator";
  o["spec_version"] = "2.1";
  o["id"] = is_stix_indicator_id(ind.ref) ? ind.ref : "indicator--" + stix_uuid5("indicator:" + ind.ref);
  o["created"] = format_stix_timestamp(created);
  o["modified"] = format_stix_timestamp(modified);
  if (!identity.empty()) o["created_by_ref"] = identity;
  if (!ind.name.empty()) o["name"] = ind.name;
  if (!ind.description.empty()) o["description"] = ind.description;
  o["pattern"] = pattern;
  o["pattern_type"] = "stix";
  o["pattern_version"] = "2.1";
  o["valid_from"] = format_stix_timestamp(valid_from);
  if (ind.valid_until_ms > valid_from) o["valid_until"] = format_stix_timestamp(ind.valid_until_ms);
  if (ind.confidence >= 0 && ind.confidence <= 100) o["confidence"] = ind.confidence;
  if (ind.revoked) o["revoked"] = true;
  if (!ind.tags.empty()) {
    json::array labels;
    for (const auto& t : ind.tags) labels.emplace_back(t);
    o["labels"] = std::move(labels);
  }
  if (!ind.kill_chain.empty()) {
    json::array phases;
    for (const auto& k : ind.kill_chain) {
      size_t colon = k.find(':');
      std::string chain = colon == std::string::npos ? "lachan" : k.substr(0, colon);
      std::string phase = colon == std::string::npos ? k : k.substr(colon + 1);
      phases.emplace_back(json::object{{"kill_chain_name", chain}, {"phase_name", phase}});
    }
    o["kill_chain_phases"] = std::move(phases);
  }
  if (!ind.attack.empty()) {
    json::array refs;
    for (const auto& t : ind.attack) {
      std::string path = t;
      std::replace(path.begin(), path.end(), '.', '/');
      refs.emplace_back(json::object{{"source_name", "mitre-attack"},
                                     {"external_id", t},
                                     {"url", "https://attack.mitre.org/techniques/" + path + "/"}});
    }
    o["external_references"] = std::move(refs);
  }
  o["object_marking_refs"] = json::array{tlp_marking_ref(ind.tlp)};
  return o;
}

}  // namespace

std::optional<json::object> stix_indicator_object(const Indicator& ind) {
  std::string pattern = ind.pattern.empty() ? pattern_of(ind.any_of) : ind.pattern;
  if (pattern.empty()) return std::nullopt;
  std::string identity = ind.source.empty() ? "" : "identity--" + stix_uuid5("identity:" + ind.source);
  return indicator_object(ind, pattern, identity);
}

std::string stix_uuid5(std::string_view name) {
  // RFC 4122 URL namespace 6ba7b811-9dad-11d1-80b4-00c04fd430c8, names prefixed "urn:lachan:".
  static constexpr std::array<unsigned char, 16> kNamespace{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                                            0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  std::string data(kNamespace.begin(), kNamespace.end());
  data += "urn:lachan:";
  data += name;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha1(), nullptr);
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x50);
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 15]);
  }
  return out;
}

std::string export_stix_bundle(const std::vector<Indicator>& indicators, const std::vector<IntelObject>& objects) {
  std::vector<std::string> parts;  // serialised objects, in bundle order
  std::set<std::string> ids;       // of the kept objects, so generated ones do not duplicate them
  std::vector<std::string> kept;
  for (const auto& obj : objects) {
    std::error_code ec;
    json::value v = json::parse(obj.json, ec);
    if (ec || !v.is_object()) continue;
    if (const json::value* id = v.get_object().if_contains("id"); id && id->is_string()) ids.emplace(id->get_string());
    kept.push_back(obj.json);
  }

  std::set<Tlp> levels;
  std::map<std::string, int64_t> sources;  // source -> earliest created of its indicators
  for (const auto& ind : indicators) {
    if (ind.source.empty()) continue;
    auto [it, fresh] = sources.emplace(ind.source, ind.created_ms);
    if (!fresh) it->second = std::min(it->second, ind.created_ms);
  }
  for (const auto& [name, created] : sources) {
    std::string id = "identity--" + stix_uuid5("identity:" + name);
    if (ids.contains(id)) continue;
    std::string ts = format_stix_timestamp(created);
    parts.push_back(json::serialize(json::object{{"type", "identity"},
                                                 {"spec_version", "2.1"},
                                                 {"id", id},
                                                 {"created", ts},
                                                 {"modified", ts},
                                                 {"name", name}}));
  }
  for (const auto& ind : indicators) {
    auto o = stix_indicator_object(ind);
    if (!o) continue;  // nothing to say what it indicates
    levels.insert(ind.tlp);
    parts.push_back(json::serialize(*o));
  }
  for (Tlp t : levels)
    if (!ids.contains(tlp_marking_ref(t))) parts.push_back(json::serialize(tlp_marking(t)));
  for (auto& k : kept) parts.push_back(std::move(k));

  // Same content, same bundle id.
  std::string digest_input;
  for (const auto& p : parts) digest_input += p;
  std::string out = "{\"type\":\"bundle\",\"id\":\"bundle--" + stix_uuid5("bundle:" + digest_input) + "\",\"objects\":[";
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i) out.push_back(',');
    out += parts[i];
  }
  out += "]}";
  return out;
}

}  // namespace lachan::intel
