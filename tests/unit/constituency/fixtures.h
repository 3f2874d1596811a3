// A small constituency and the shipped reference lists, shared by the constituency tests.
#pragma once

#include <string>
#include <vector>

#include "constituency/reference.h"
#include "store/model.h"

namespace lachan::constituency::fixtures {

inline Reference shipped_reference() {
  auto r = load_reference(LACHAN_SOURCE_DIR "/config/reference");
  if (!r) return {};
  return std::move(r).value();
}

inline store::Organisation org(std::string id, store::OrgKind kind, std::string parent, std::string province = "",
                               std::vector<std::string> sectors = {}) {
  store::Organisation o;
  o.id = id;
  o.name = "Org " + id;
  o.kind = kind;
  o.parent = std::move(parent);
  o.province = std::move(province);
  o.sectors = std::move(sectors);
  o.criticality = 3;
  return o;
}

// ncsc
// ├── ca-ha-noi (provincial unit, ha-noi)      ├── ca-da-nang (provincial unit, da-nang)
// ├── csirt-banking (sector team, banking)     ├── csirt-energy (sector team, energy)
// ├── bo-tai-chinh (ministry)
// │   └── kho-bac (ha-noi, finance)
// │       └── kho-bac-dn (da-nang, finance, banking)
// ├── vcb (enterprise, ha-noi, banking)
// └── cloudvn (it provider, ho-chi-minh)
inline std::vector<store::Organisation> small_set() {
  using K = store::OrgKind;
  std::vector<store::Organisation> v{
      org("ncsc", K::national_centre, ""),
      org("ca-ha-noi", K::provincial_unit, "ncsc", "ha-noi"),
      org("ca-da-nang", K::provincial_unit, "ncsc", "da-nang"),
      org("csirt-banking", K::sector_team, "ncsc", "", {"banking"}),
      org("csirt-energy", K::sector_team, "ncsc", "", {"energy"}),
      org("bo-tai-chinh", K::ministry, "ncsc", "ha-noi", {"finance"}),
      org("kho-bac", K::important_operator, "bo-tai-chinh", "ha-noi", {"finance"}),
      org("kho-bac-dn", K::important_operator, "kho-bac", "da-nang", {"finance", "banking"}),
      org("vcb", K::enterprise, "ncsc", "ha-noi", {"banking"}),
      org("cloudvn", K::it_provider, "ncsc", "ho-chi-minh", {"information-communications"}),
  };
  v[0].criticality = 5;
  v[8].contacts = {{"Nguyễn Văn An", "an.nv@vcb.com.vn", "+84 24 3934 3137", "security officer"}};
  v[8].it_providers = {"cloudvn"};
  v[8].networks = {"14.160.32.0/24", "2001:ee0:100::/48"};
  v[8].asns = {45543};
  v[8].domains = {"vcb.com.vn"};
  v[8].hosts = {"core01.vcb.com.vn"};
  v[9].networks = {"14.160.0.0/16", "103.28.36.0/22"};
  v[9].asns = {131353};
  v[9].domains = {"cloudvn.vn", "com.vn.cloudvn.vn"};
  v[6].domains = {"kbnn.gov.vn"};
  v[7].domains = {"danang.kbnn.gov.vn"};
  v[7].networks = {"14.160.33.0/28"};
  return v;
}

}  // namespace lachan::constituency::fixtures
