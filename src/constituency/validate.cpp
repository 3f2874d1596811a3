#include "constituency/validate.h"

#include <fmt/format.h>

#include <map>
#include <unordered_map>

#include "constituency/syntax.h"

namespace lachan::constituency {
using store::Organisation;
using store::OrgKind;

namespace {

bool is_slug(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.'))) return false;
  }
  return true;
}

bool is_email(std::string_view e) {
  const size_t at = e.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < e.size() && e.find('@', at + 1) == std::string_view::npos &&
         e.find_first_of(" \t\r\n,;<>") == std::string_view::npos;
}

std::string item(std::string_view field, size_t i) {
  return fmt::format("{}[{}]", field, i);
}

}  // namespace

std::vector<Problem> validate(const std::vector<Organisation>& orgs, const Reference& ref) {
  std::vector<Problem> out;
  auto add = [&](size_t i, std::string field, Errc code, std::string message) {
    out.push_back(Problem{fmt::format("org {}", i), orgs[i].id, std::move(field), code, std::move(message)});
  };

  std::unordered_map<std::string_view, size_t> index;  // id -> first org with it
  for (size_t i = 0; i < orgs.size(); ++i) {
    if (!is_slug(orgs[i].id)) add(i, "id", Errc::malformed, "not a slug ([a-z0-9][a-z0-9._-]*, at most 64)");
    if (auto [it, fresh] = index.emplace(orgs[i].id, i); !fresh)
      add(i, "id", Errc::conflict, fmt::format("same id as org {}", it->second));
  }

  size_t centres = 0;
  // Ownership declared so far: key -> first org. Networks are keyed by their canonical bytes.
  std::map<std::pair<std::array<std::uint8_t, 16>, unsigned>, size_t> networks;
  std::unordered_map<std::string_view, size_t> domains, hosts, units;
  std::unordered_map<std::uint32_t, size_t> asns;
  auto claim = [&](auto& seen, const auto& key, size_t i, std::string field, std::string_view what) {
    if (auto [it, fresh] = seen.emplace(key, i); !fresh)
      add(i, std::move(field), Errc::conflict,
          it->second == i ? fmt::format("{} listed twice", what)
                          : fmt::format("{} also declared by {}", what, orgs[it->second].id));
  };

  for (size_t i = 0; i < orgs.size(); ++i) {
    const Organisation& o = orgs[i];
    if (o.name.empty()) add(i, "name", Errc::malformed, "empty");
    if (store::to_string(o.kind) == "unknown") add(i, "kind", Errc::malformed, "unknown kind");
    if (o.criticality < 1 || o.criticality > 5)
      add(i, "criticality", Errc::invalid_config, fmt::format("{} is outside 1..5", o.criticality));

    if (o.kind == OrgKind::national_centre) {
      if (++centres > 1) add(i, "kind", Errc::conflict, "a second national centre");
      if (!o.parent.empty()) add(i, "parent", Errc::invalid_config, "the national centre has no parent");
    }
    if (!o.parent.empty() && !index.count(o.parent))
      add(i, "parent", Errc::not_found, fmt::format("no organisation \"{}\"", o.parent));

    if (!o.province.empty() && !ref.find_province(o.province))
      add(i, "province", Errc::not_found, fmt::format("no province \"{}\" in the reference", o.province));
    for (size_t k = 0; k < o.sectors.size(); ++k)
      if (!ref.find_sector(o.sectors[k]))
        add(i, item("sectors", k), Errc::not_found, fmt::format("no sector \"{}\" in the reference", o.sectors[k]));
    if (o.kind == OrgKind::provincial_unit) {
      if (o.province.empty())
        add(i, "province", Errc::invalid_config, "a provincial unit needs its province");
      else
        claim(units, std::string_view(o.province), i, "province", "the provincial unit of " + o.province);
    }
    if (o.kind == OrgKind::sector_team && o.sectors.empty())
      add(i, "sectors", Errc::invalid_config, "a sector team needs its sector");

    for (size_t k = 0; k < o.it_providers.size(); ++k)
      if (!index.count(o.it_providers[k]))
        add(i, item("it_providers", k), Errc::not_found, fmt::format("no organisation \"{}\"", o.it_providers[k]));
    for (size_t k = 0; k < o.contacts.size(); ++k) {
      const auto& c = o.contacts[k];
      if (c.name.empty() && c.email.empty()) add(i, item("contacts", k), Errc::malformed, "neither name nor e-mail");
      if (!c.email.empty() && !is_email(c.email))
        add(i, item("contacts", k) + ".email", Errc::malformed, fmt::format("not an e-mail address: {}", c.email));
    }

    for (size_t k = 0; k < o.networks.size(); ++k) {
      auto n = parse_network(o.networks[k]);
      if (!n)
        add(i, item("networks", k), Errc::malformed, fmt::format("not a CIDR network: {}", o.networks[k]));
      else if (n->host_bits_set)
        add(i, item("networks", k), Errc::malformed, fmt::format("host bits set past the prefix: {}", o.networks[k]));
      else
        claim(networks, std::pair(n->bytes, n->bits), i, item("networks", k), "network " + o.networks[k]);
    }
    for (size_t k = 0; k < o.domains.size(); ++k) {
      if (!is_valid_domain(o.domains[k]))
        add(i, item("domains", k), Errc::malformed,
            fmt::format("not a domain in normal form (lowercase, no trailing dot, two labels or more): {}",
                        o.domains[k]));
      else
        claim(domains, std::string_view(o.domains[k]), i, item("domains", k), "domain " + o.domains[k]);
    }
    for (size_t k = 0; k < o.hosts.size(); ++k) {
      if (!is_valid_host(o.hosts[k]))
        add(i, item("hosts", k), Errc::malformed,
            fmt::format("not a host name in normal form (lowercase, no trailing dot): {}", o.hosts[k]));
      else
        claim(hosts, std::string_view(o.hosts[k]), i, item("hosts", k), "host " + o.hosts[k]);
    }
    for (size_t k = 0; k < o.asns.size(); ++k) {
      if (o.asns[k] == 0)
        add(i, item("asns", k), Errc::malformed, "AS 0 is reserved");
      else
        claim(asns, o.asns[k], i, item("asns", k), fmt::format("AS{}", o.asns[k]));
    }
  }
  if (centres == 0) out.push_back(Problem{"set", "", "kind", Errc::invalid_config, "no national centre"});

  // Cycles: walk each parent chain; a chain longer than the set must loop. Report each cycle
  // once, at the org of the cycle that comes first in the set.
  for (size_t i = 0; i < orgs.size(); ++i) {
    size_t cur = i, steps = 0;
    bool on_cycle = false;
    while (steps <= orgs.size()) {
      auto it = index.find(orgs[cur].parent);
      if (orgs[cur].parent.empty() || it == index.end()) break;
      cur = it->second;
      ++steps;
      if (cur == i) {
        on_cycle = true;
        break;
      }
    }
    if (!on_cycle) continue;
    // i is on a cycle; report it only if no earlier org is on the same cycle.
    size_t first = i;
    for (size_t c = index.at(orgs[i].parent); c != i; c = index.at(orgs[c].parent)) first = std::min(first, c);
    if (first == i) add(i, "parent", Errc::invalid_config, "the parent chain is a cycle");
  }
  return out;
}

}  // namespace lachan::constituency
