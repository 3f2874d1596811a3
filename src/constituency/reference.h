// The reference lists the constituency is checked against: Vietnam's 34 provincial-level units
// and the 11 priority sectors (config/reference/vn-provinces.json, vn-priority-sectors.json).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace lachan::constituency {

struct Province {
  std::string id;       // slug, e.g. "ha-noi"
  std::string code;     // official two-digit code, e.g. "01"
  std::string name;     // without diacritics, e.g. "Ha Noi"
  std::string name_vi;  // e.g. "Hà Nội"
  std::string kind;     // "city" (thành phố trực thuộc trung ương) or "province" (tỉnh)
};

struct Sector {
  std::string id;  // slug, e.g. "banking"
  std::string name;
  std::string name_vi;
};

struct Reference {
  std::vector<Province> provinces;  // in file order
  std::vector<Sector> sectors;      // in file order

  // nullptr when the id is not in the reference.
  const Province* find_province(std::string_view id) const noexcept;
  const Sector* find_sector(std::string_view id) const noexcept;
};

inline constexpr std::string_view kProvincesFile = "vn-provinces.json";
inline constexpr std::string_view kSectorsFile = "vn-priority-sectors.json";

// Parses the two files' texts ({"units":[...]} and {"sectors":[...]}). Fails with
// Errc::invalid_config naming the file and entry when a field is missing, empty or repeated.
Result<Reference> parse_reference(std::string_view provinces_json, std::string_view sectors_json);

// Reads kProvincesFile and kSectorsFile from `dir` (Errc::io when one cannot be read).
Result<Reference> load_reference(const std::string& dir);

}  // namespace lachan::constituency
