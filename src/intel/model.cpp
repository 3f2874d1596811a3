#include "intel/model.h"

#include <array>
#include <cctype>

namespace lachan::intel {
namespace {

struct TlpRef {
  std::string_view id;
  Tlp tlp;
};

// TLP 2.0 (FIRST) and TLP 1.0 (STIX 2.1 section 7.2.1.4) marking definitions.
constexpr std::array<TlpRef, 9> kTlpRefs{{
    {"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", Tlp::clear},
    {"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", Tlp::green},
    {"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", Tlp::amber},
    {"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", Tlp::amber_strict},
    {"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", Tlp::red},
    {"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9", Tlp::clear},
    {"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", Tlp::green},
    {"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82", Tlp::amber},
    {"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed", Tlp::red},
}};

}  // namespace

const char* tlp_name(Tlp t) noexcept {
  switch (t) {
    case Tlp::clear: return "clear";
    case Tlp::green: return "green";
    case Tlp::amber: return "amber";
    case Tlp::amber_strict: return "amber+strict";
    case Tlp::red: return "red";
  }
  return "amber";
}

std::optional<Tlp> parse_tlp(std::string_view s) noexcept {
  std::string v;
  v.reserve(s.size());
  for (char c : s) v.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  std::string_view w = v;
  while (!w.empty() && (w.front() == ' ' || w.front() == '"')) w.remove_prefix(1);
  while (!w.empty() && (w.back() == ' ' || w.back() == '"')) w.remove_suffix(1);
  if (w.substr(0, 4) == "tlp:") w.remove_prefix(4);
  else if (w.substr(0, 4) == "tlp-" || w.substr(0, 4) == "tlp ") w.remove_prefix(4);
  if (w == "clear" || w == "white") return Tlp::clear;
  if (w == "green") return Tlp::green;
  if (w == "amber") return Tlp::amber;
  if (w == "amber+strict" || w == "amber-strict" || w == "amber_strict") return Tlp::amber_strict;
  if (w == "red") return Tlp::red;
  return std::nullopt;
}

std::optional<Tlp> tlp_from_marking_ref(std::string_view id) noexcept {
  for (const auto& r : kTlpRefs)
    if (r.id == id) return r.tlp;
  return std::nullopt;
}

const char* tlp_marking_ref(Tlp t) noexcept {
  for (const auto& r : kTlpRefs)
    if (r.tlp == t) return r.id.data();
  return kTlpRefs[2].id.data();
}

}  // namespace lachan::intel
