#include "intel/warninglist.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <fstream>
#include <sstream>
#include <tuple>

#include <boost/json.hpp>

#include "core/strings.h"
#include "match/cidr.h"

namespace lachan::intel {
namespace {

namespace json = boost::json;

constexpr uint16_t bit(ValueType t) {
  return static_cast<uint16_t>(1u << static_cast<unsigned>(t));
}

uint16_t types_of_attribute(std::string_view a) {
  using V = ValueType;
  if (a == "ip-src" || a == "ip-dst" || a == "ip-src|port" || a == "ip-dst|port" || a == "ip") return bit(V::ip);
  if (a == "domain|ip") return bit(V::ip) | bit(V::domain);
  if (a == "domain" || a == "hostname" || a == "hostname|port") return bit(V::domain);
  if (a == "url" || a == "uri" || a == "link") return bit(V::url);
  if (a == "email" || a == "email-src" || a == "email-dst" || a == "target-email" || a == "whois-registrant-email")
    return bit(V::email);
  if (a == "md5" || a == "filename|md5") return bit(V::md5);
  if (a == "sha1" || a == "filename|sha1") return bit(V::sha1);
  if (a == "sha256" || a == "filename|sha256") return bit(V::sha256);
  if (a == "ja3-fingerprint-md5") return bit(V::ja3);
  if (a == "ja4-fingerprint") return bit(V::ja4);
  if (a == "filename") return bit(V::file_name);
  return 0;
}

// As intel::normalise trims, so that an entry and the value it lists agree.
std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A hostname entry: lowercase, without "*." / "." in front or a trailing dot.
std::string host_entry(std::string_view e) {
  e = trim(e);
  if (starts_with(e, "*.")) e.remove_prefix(2);
  while (!e.empty() && e.front() == '.') e.remove_prefix(1);
  while (!e.empty() && e.back() == '.') e.remove_suffix(1);
  return to_lower(e);
}

struct Network {
  std::array<uint8_t, 16> addr{};
  uint8_t bits = 0;  // over the 128-bit form
};

void mask(std::array<uint8_t, 16>& a, unsigned bits) {
  for (unsigned i = 0; i < 16; ++i) {
    unsigned lo = i * 8;
    if (bits >= lo + 8) continue;
    a[i] = bits <= lo ? 0 : static_cast<uint8_t>(a[i] & (0xff00u >> (bits - lo)));
  }
}

// "198.51.100.0/24", "2001:db8::/32" or a bare address.
std::optional<Network> parse_network(std::string_view s) {
  s = trim(s);
  if (!match::Cidr::parse(s)) return std::nullopt;
  auto slash = s.find('/');
  auto ip = match::parse_ip(s.substr(0, slash));
  if (!ip) return std::nullopt;
  unsigned max_bits = ip->v4 ? 32 : 128;
  unsigned len = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view l = s.substr(slash + 1);
    auto [p, ec] = std::from_chars(l.data(), l.data() + l.size(), len);
    if (ec != std::errc() || p != l.data() + l.size() || len > max_bits) return std::nullopt;
  }
  Network n;
  n.addr = ip->bytes;
  n.bits = static_cast<uint8_t>(ip->v4 ? len + 96 : len);
  mask(n.addr, n.bits);
  return n;
}

// A regex entry as RE2 source: a PCRE-style "/…/flags" is unwrapped, its i and s flags kept.
std::string regex_source(std::string_view e) {
  if (e.size() >= 2 && e.front() == '/') {
    auto close = e.rfind('/');
    std::string_view flags = e.substr(close + 1);
    if (close > 0 && std::all_of(flags.begin(), flags.end(),
                                 [](char c) { return std::string_view("imsxuU").find(c) != std::string_view::npos; })) {
      std::string out;
      if (flags.find('i') != std::string_view::npos) out += "(?i)";
      if (flags.find('s') != std::string_view::npos) out += "(?s)";
      out.append(e.substr(1, close - 1));
      return out;
    }
  }
  return std::string(e);
}

Error bad(std::string_view origin, std::string what) {
  return make_error(Errc::malformed, "warning list " + std::string(origin) + ": " + what);
}

Result<std::string> read_whole(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return make_error(Errc::io, "cannot open " + p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(Errc::io, "cannot read " + p.string());
  return ss.str();
}

}  // namespace

struct WarningListSet::Compiled {
  std::vector<WarningList> lists;
  struct Exact {
    ValueType type;
    std::string value;
    uint32_t list;
    bool operator<(const Exact& o) const { return std::tie(type, value, list) < std::tie(o.type, o.value, o.list); }
  };
  std::vector<Exact> exact;                             // string lists, in each applicable type's normal form
  std::vector<std::pair<std::string, uint32_t>> hosts;  // hostname lists
  struct Net {
    uint8_t bits;
    std::array<uint8_t, 16> addr;
    uint32_t list;
    bool operator<(const Net& o) const { return std::tie(bits, addr, list) < std::tie(o.bits, o.addr, o.list); }
  };
  std::vector<Net> nets;
  std::vector<uint8_t> net_lengths;  // prefix lengths present, ascending
  struct PatternList {
    uint32_t list;
    std::unique_ptr<re2::RE2::Set> set;
  };
  std::vector<PatternList> patterns;  // substring and regex lists, in list order

  uint32_t first_host(std::string_view host, ValueType t, uint32_t best) const {
    // The host, then each parent at a label boundary.
    for (std::string_view h = host; !h.empty();) {
      auto it = std::lower_bound(hosts.begin(), hosts.end(), h,
                                 [](const auto& e, std::string_view v) { return e.first < v; });
      for (; it != hosts.end() && it->first == h && it->second < best; ++it)
        if (lists[it->second].applies_to(t)) best = it->second;
      auto dot = h.find('.');
      if (dot == std::string_view::npos) break;
      h.remove_prefix(dot + 1);
    }
    return best;
  }
};

Result<WarningList> parse_warninglist(std::string_view text, std::string_view origin) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return bad(origin, "not JSON (" + ec.message() + ")");
  if (!v.is_object()) return bad(origin, "not a JSON object");
  const auto& o = v.get_object();
  auto str = [&](std::string_view k) -> std::string {
    auto it = o.find(k);
    return it != o.end() && it->value().is_string() ? std::string(it->value().get_string()) : std::string();
  };
  WarningList wl;
  wl.origin = std::string(origin);
  wl.name = str("name");
  if (wl.name.empty()) return bad(origin, "no name");
  wl.description = str("description");
  wl.category = str("category");
  if (auto it = o.find("version"); it != o.end()) {
    if (it->value().is_int64())
      wl.version = it->value().get_int64();
    else if (it->value().is_uint64())
      wl.version = static_cast<int64_t>(it->value().get_uint64());
    else if (it->value().is_string()) {
      std::string_view s = it->value().get_string();
      auto [p, e] = std::from_chars(s.data(), s.data() + s.size(), wl.version);
      if (e != std::errc() || p != s.data() + s.size())
        return bad(origin, "version '" + std::string(s) + "' is not a number");
    } else {
      return bad(origin, "version is not a number");
    }
  }
  const std::string type = str("type");
  if (type == "string")
    wl.kind = WarningList::Kind::string;
  else if (type == "substring")
    wl.kind = WarningList::Kind::substring;
  else if (type == "hostname")
    wl.kind = WarningList::Kind::hostname;
  else if (type == "cidr")
    wl.kind = WarningList::Kind::cidr;
  else if (type == "regex")
    wl.kind = WarningList::Kind::regex;
  else
    return bad(origin, "type '" + type + "' is none of string, substring, hostname, cidr, regex");

  if (auto it = o.find("matching_attributes"); it != o.end() && !it->value().is_null()) {
    if (!it->value().is_array()) return bad(origin, "matching_attributes is not an array");
    const auto& a = it->value().get_array();
    if (!a.empty()) {
      wl.types = 0;
      for (const auto& e : a) {
        if (!e.is_string()) return bad(origin, "matching_attributes holds a non-string");
        wl.types |= types_of_attribute(e.get_string());
      }
    }
  }

  auto it = o.find("list");
  if (it == o.end() || !it->value().is_array()) return bad(origin, "list is not an array");
  const auto& list = it->value().get_array();
  wl.entries.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_string()) return bad(origin, "list entry " + std::to_string(i) + " is not a string");
    std::string_view e = list[i].get_string();
    std::string where = "list entry " + std::to_string(i) + " '" + std::string(e) + "'";
    switch (wl.kind) {
      case WarningList::Kind::cidr:
        if (!parse_network(e)) return bad(origin, where + " is not an address or CIDR network");
        break;
      case WarningList::Kind::hostname:
        if (host_entry(e).empty()) return bad(origin, where + " is not a hostname");
        break;
      case WarningList::Kind::regex: {
        re2::RE2 re(regex_source(e), re2::RE2::Quiet);
        if (!re.ok()) return bad(origin, where + " is not a valid RE2 expression: " + re.error());
        break;
      }
      case WarningList::Kind::substring:
        if (e.empty()) return bad(origin, where + " is empty");
        break;
      case WarningList::Kind::string:
        break;
    }
    wl.entries.emplace_back(e);
  }
  return wl;
}

WarningListSet::WarningListSet() : c_(std::make_unique<Compiled>()) {}
WarningListSet::~WarningListSet() = default;
WarningListSet::WarningListSet(WarningListSet&&) noexcept = default;
WarningListSet& WarningListSet::operator=(WarningListSet&&) noexcept = default;

size_t WarningListSet::size() const noexcept {
  return c_->lists.size();
}
const std::vector<WarningList>& WarningListSet::lists() const noexcept {
  return c_->lists;
}

Result<WarningListSet> WarningListSet::build(std::vector<WarningList> lists) {
  WarningListSet s;
  auto& c = *s.c_;
  c.lists = std::move(lists);
  std::array<bool, 129> lengths{};
  for (uint32_t li = 0; li < c.lists.size(); ++li) {
    const auto& wl = c.lists[li];
    if (!wl.types) continue;
    switch (wl.kind) {
      case WarningList::Kind::string:
        for (const auto& e : wl.entries)
          for (unsigned t = 0; t <= static_cast<unsigned>(ValueType::file_name); ++t)
            if (wl.applies_to(static_cast<ValueType>(t)))
              if (auto n = normalise(static_cast<ValueType>(t), e))
                c.exact.push_back({static_cast<ValueType>(t), std::move(*n), li});
        break;
      case WarningList::Kind::hostname:
        for (const auto& e : wl.entries) c.hosts.emplace_back(host_entry(e), li);
        break;
      case WarningList::Kind::cidr:
        if (!wl.applies_to(ValueType::ip)) break;
        for (const auto& e : wl.entries) {
          auto n = parse_network(e);
          if (!n) return bad(wl.origin, "list entry '" + e + "' is not an address or CIDR network");
          c.nets.push_back({n->bits, n->addr, li});
          lengths[n->bits] = true;
        }
        break;
      case WarningList::Kind::substring:
      case WarningList::Kind::regex: {
        if (wl.entries.empty()) break;
        re2::RE2::Options ro;
        ro.set_log_errors(false);
        ro.set_max_mem(int64_t{64} << 20);
        if (wl.kind == WarningList::Kind::substring) {
          ro.set_literal(true);
          ro.set_case_sensitive(false);
        }
        auto set = std::make_unique<re2::RE2::Set>(ro, re2::RE2::UNANCHORED);
        for (const auto& e : wl.entries) {
          std::string err;
          std::string src = wl.kind == WarningList::Kind::regex ? regex_source(e) : e;
          if (set->Add(src, &err) < 0) return bad(wl.origin, "list entry '" + e + "' does not compile: " + err);
        }
        if (!set->Compile()) return make_error(Errc::limit, "warning list " + wl.origin + ": too large to compile");
        c.patterns.push_back({li, std::move(set)});
        break;
      }
    }
  }
  std::sort(c.exact.begin(), c.exact.end());
  std::sort(c.hosts.begin(), c.hosts.end());
  std::sort(c.nets.begin(), c.nets.end());
  for (unsigned b = 0; b < lengths.size(); ++b)
    if (lengths[b]) c.net_lengths.push_back(static_cast<uint8_t>(b));
  return s;
}

std::optional<std::string_view> WarningListSet::listed(ValueType t, std::string_view value) const {
  const auto& c = *c_;
  constexpr uint32_t kNone = UINT32_MAX;
  uint32_t best = kNone;

  auto it = std::lower_bound(c.exact.begin(), c.exact.end(), std::pair(t, value), [](const auto& e, const auto& k) {
    return e.type != k.first ? e.type < k.first : std::string_view(e.value) < k.second;
  });
  if (it != c.exact.end() && it->type == t && it->value == value) best = it->list;

  if (!c.hosts.empty()) {
    std::string_view host;
    if (t == ValueType::domain) {
      host = value;
    } else if (t == ValueType::url) {
      if (auto sep = value.find("://"); sep != std::string_view::npos) {
        host = value.substr(sep + 3);
        host = host.substr(0, host.find_first_of("/?"));
        if (!host.empty() && host.front() != '[') host = host.substr(0, host.find(':'));
      }
    } else if (t == ValueType::email) {
      if (auto at = value.rfind('@'); at != std::string_view::npos) host = value.substr(at + 1);
    }
    if (!host.empty()) best = c.first_host(host, t, best);
  }

  if (t == ValueType::ip && !c.nets.empty()) {
    if (auto n = parse_network(value)) {
      for (uint8_t len : c.net_lengths) {
        if (len > n->bits) break;  // a wider value network is not inside a narrower listed one
        Compiled::Net key{len, n->addr, 0};
        mask(key.addr, len);
        auto it = std::lower_bound(c.nets.begin(), c.nets.end(), key);
        if (it != c.nets.end() && it->bits == len && it->addr == key.addr && it->list < best) best = it->list;
      }
    }
  }

  for (const auto& p : c.patterns) {
    if (p.list >= best) break;
    if (c.lists[p.list].applies_to(t) && p.set->Match(value, nullptr)) {
      best = p.list;
      break;
    }
  }
  if (best == kNone) return std::nullopt;
  return std::string_view(c.lists[best].name);
}

Result<WarningListSet> load_warninglists(const std::filesystem::path& dir) {
  std::error_code ec;
  std::vector<std::filesystem::path> files;
  auto is_json = [](const std::filesystem::path& p) { return p.extension() == ".json"; };
  std::filesystem::directory_iterator top(dir, ec);
  if (ec) return make_error(Errc::io, "warning lists: cannot read folder " + dir.string() + ": " + ec.message());
  for (const auto& e : top) {
    if (e.is_regular_file(ec) && is_json(e.path())) {
      files.push_back(e.path());
    } else if (e.is_directory(ec)) {
      std::filesystem::directory_iterator sub(e.path(), ec);
      if (ec)
        return make_error(Errc::io, "warning lists: cannot read folder " + e.path().string() + ": " + ec.message());
      for (const auto& f : sub)
        if (f.is_regular_file(ec) && is_json(f.path())) files.push_back(f.path());
    }
  }
  std::sort(files.begin(), files.end());
  std::vector<WarningList> lists;
  lists.reserve(files.size());
  for (const auto& f : files) {
    auto text = read_whole(f);
    if (!text) return std::move(text).error();
    auto wl = parse_warninglist(*text, f.string());
    if (!wl) return std::move(wl).error();
    lists.push_back(std::move(*wl));
  }
  return WarningListSet::build(std::move(lists));
}

}  // namespace lachan::intel
