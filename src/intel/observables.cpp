#include "intel/observables.h"

#include <array>
#include <cctype>
#include <unordered_map>

#include "match/cidr.h"

namespace lachan::intel {
namespace {

enum class Kind : uint8_t { ip, domain, url, email, hash, sysmon_hashes, ja3, ja4, file_path };

struct KeyKind {
  std::string_view key;  // lowercased last path component, or the last two joined by a dot
  Kind kind;
};

constexpr std::array<KeyKind, 64> kKeys{{
    {"sourceip", Kind::ip},          {"destinationip", Kind::ip},       {"ipaddress", Kind::ip},
    {"src_ip", Kind::ip},            {"dest_ip", Kind::ip},             {"id.orig_h", Kind::ip},
    {"id.resp_h", Kind::ip},         {"c-ip", Kind::ip},                {"s-ip", Kind::ip},
    {"src", Kind::ip},               {"dst", Kind::ip},                 {"source.ip", Kind::ip},
    {"destination.ip", Kind::ip},    {"clientip", Kind::ip},            {"client_ip", Kind::ip},
    {"remote_addr", Kind::ip},       {"answers", Kind::ip},             {"rdata", Kind::ip},
    {"x-forwarded-for", Kind::ip},   {"ip", Kind::ip},                  {"addr", Kind::ip},
    {"queryname", Kind::domain},     {"query", Kind::domain},           {"rrname", Kind::domain},
    {"destinationhostname", Kind::domain}, {"cs-host", Kind::domain},   {"http.hostname", Kind::domain},
    {"server_name", Kind::domain},   {"sni", Kind::domain},             {"tls.sni", Kind::domain},
    {"host.domain", Kind::domain},   {"dns.question.name", Kind::domain}, {"url.domain", Kind::domain},
    {"domain", Kind::domain},        {"hostname", Kind::domain},        {"host", Kind::domain},
    {"url", Kind::url},              {"request_url", Kind::url},        {"url.full", Kind::url},
    {"url.original", Kind::url},     {"cs-uri", Kind::url},             {"referrer", Kind::url},
    {"mailfrom", Kind::email},       {"rcptto", Kind::email},           {"from", Kind::email},
    {"to", Kind::email},             {"sender", Kind::email},           {"recipient", Kind::email},
    {"email", Kind::email},          {"hashes", Kind::sysmon_hashes},   {"hash", Kind::hash},
    {"md5", Kind::hash},             {"sha1", Kind::hash},              {"sha256", Kind::hash},
    {"ja3", Kind::ja3},              {"ja3.hash", Kind::ja3},           {"ja3s", Kind::ja3},
    {"ja4", Kind::ja4},              {"image", Kind::file_path},        {"targetfilename", Kind::file_path},
    {"filename", Kind::file_path},   {"originalfilename", Kind::file_path}, {"imageloaded", Kind::file_path},
    {"file.name", Kind::file_path},
}};

const KeyKind* kind_of(std::string_view last, std::string_view last2) {
  struct Index {
    std::unordered_map<std::string_view, const KeyKind*> plain, dotted;
    Index() {
      for (const auto& k : kKeys) (k.key.find('.') != std::string_view::npos ? dotted : plain).try_emplace(k.key, &k);
    }
  };
  static const Index index;
  if (auto it = index.dotted.find(last2); it != index.dotted.end()) return it->second;
  if (auto it = index.plain.find(last); it != index.plain.end()) return it->second;
  // Flat keys with a dot of their own (Zeek's "id.resp_h").
  if (last.find('.') != std::string_view::npos)
    if (auto it = index.dotted.find(last); it != index.dotted.end()) return it->second;
  return nullptr;
}

void lower_into(std::string& out, std::string_view s) {
  out.resize(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    out[i] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
}

bool all_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

}  // namespace

void ObservableExtractor::extract(simdjson::dom::element event, std::vector<EventObservable>& out, size_t max) {
  out.clear();
  walk(event, "", "", 0, out, max);
}

void ObservableExtractor::walk(simdjson::dom::element v, std::string_view parent, std::string_view key, int depth,
                               std::vector<EventObservable>& out, size_t max) {
  if (depth > 32 || out.size() >= max) return;
  if (v.is_object()) {
    for (auto field : simdjson::dom::object(v)) walk(field.value, key, field.key, depth + 1, out, max);
    return;
  }
  if (v.is_array()) {
    for (auto item : simdjson::dom::array(v)) walk(item, parent, key, depth + 1, out, max);
    return;
  }
  if (!v.is_string()) return;
  std::string_view text(v);
  if (text.empty() || text.size() > 4096 || text == "-") return;
  lower_into(last_, key);
  lower_into(last2_, parent);
  last2_ += '.';
  last2_ += last_;
  const KeyKind* k = kind_of(last_, last2_);
  if (!k) return;
  switch (k->kind) {
    case Kind::ip: add(ValueType::ip, text, out, max); break;
    case Kind::domain:
      // Host fields may hold an address ("host": "10.0.0.1") or a name with a port.
      if (!text.empty() && (std::isdigit(static_cast<unsigned char>(text.front())) || text.find(':') != text.npos) &&
          match::parse_ip(text)) {
        add(ValueType::ip, text, out, max);
      } else {
        add(ValueType::domain, text.substr(0, text.find(':')), out, max);
      }
      break;
    case Kind::url:
      if (text.find("://") != std::string_view::npos) add(ValueType::url, text, out, max);
      break;
    case Kind::email: {
      auto at = text.find('@');
      if (at == std::string_view::npos) break;
      // "Name <a@b.example>"
      auto lt = text.rfind('<');
      if (lt != std::string_view::npos && lt < at) {
        auto gt = text.find('>', at);
        text = text.substr(lt + 1, (gt == std::string_view::npos ? text.size() : gt) - lt - 1);
      }
      add(ValueType::email, text, out, max);
      break;
    }
    case Kind::hash:
    case Kind::sysmon_hashes: {
      // Sysmon: "SHA1=…,MD5=…,SHA256=…,IMPHASH=…"; plain fields: the hash alone.
      size_t start = 0;
      while (start <= text.size()) {
        size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view part = text.substr(start, end - start);
        std::string_view name;
        if (auto eq = part.find('='); eq != std::string_view::npos) {
          name = part.substr(0, eq);
          part = part.substr(eq + 1);
        }
        if (!(name.size() == 7 && (name[0] == 'I' || name[0] == 'i')) && all_hex(part)) {  // not IMPHASH
          if (part.size() == 32) add(ValueType::md5, part, out, max);
          else if (part.size() == 40) add(ValueType::sha1, part, out, max);
          else if (part.size() == 64) add(ValueType::sha256, part, out, max);
        }
        start = end + 1;
      }
      break;
    }
    case Kind::ja3:
      if (text.size() == 32 && all_hex(text)) add(ValueType::ja3, text, out, max);
      break;
    case Kind::ja4: add(ValueType::ja4, text, out, max); break;
    case Kind::file_path: {
      auto slash = text.find_last_of("\\/");
      add(ValueType::file_name, slash == std::string_view::npos ? text : text.substr(slash + 1), out, max);
      break;
    }
  }
}

void ObservableExtractor::add(ValueType t, std::string_view v, std::vector<EventObservable>& out, size_t max) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '"')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '"')) v.remove_suffix(1);
  if (v.empty() || out.size() >= max) return;
  for (const auto& o : out)
    if (o.type == t && o.value == v) return;
  out.push_back({t, v});
}

}  // namespace lachan::intel
