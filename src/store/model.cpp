#include "store/model.h"

#include <array>
#include <utility>

namespace lachan::store {
namespace {

template <typename E, std::size_t N>
std::optional<E> find_name(const std::array<std::pair<E, std::string_view>, N>& names,
                           std::string_view s) {
  for (const auto& [e, n] : names) {
    if (n == s) return e;
  }
  return std::nullopt;
}
template <typename E, std::size_t N>
std::string_view find_value(const std::array<std::pair<E, std::string_view>, N>& names, E e) {
  for (const auto& [v, n] : names) {
    if (v == e) return n;
  }
  return "unknown";
}

constexpr std::array<std::pair<OrgKind, std::string_view>, 7> kOrgKinds{{
    {OrgKind::national_centre, "national_centre"},
    {OrgKind::provincial_unit, "provincial_unit"},
    {OrgKind::ministry, "ministry"},
    {OrgKind::sector_team, "sector_team"},
    {OrgKind::important_operator, "important_operator"},
    {OrgKind::enterprise, "enterprise"},
    {OrgKind::it_provider, "it_provider"},
}};
constexpr std::array<std::pair<Role, std::string_view>, 5> kRoles{{
    {Role::admin, "admin"},
    {Role::analyst, "analyst"},
    {Role::responder, "responder"},
    {Role::reporter, "reporter"},
    {Role::viewer, "viewer"},
}};
constexpr std::array<std::pair<Severity, std::string_view>, 5> kSeverities{{
    {Severity::informational, "informational"},
    {Severity::low, "low"},
    {Severity::medium, "medium"},
    {Severity::high, "high"},
    {Severity::critical, "critical"},
}};
constexpr std::array<std::pair<WarningStatus, std::string_view>, 5> kStatuses{{
    {WarningStatus::new_, "new"},
    {WarningStatus::acknowledged, "acknowledged"},
    {WarningStatus::in_progress, "in_progress"},
    {WarningStatus::resolved, "resolved"},
    {WarningStatus::false_positive, "false_positive"},
}};

}  // namespace

std::string_view to_string(OrgKind k) { return find_value(kOrgKinds, k); }
std::string_view to_string(Role r) { return find_value(kRoles, r); }
std::string_view to_string(Severity s) { return find_value(kSeverities, s); }
std::string_view to_string(WarningStatus s) { return find_value(kStatuses, s); }
std::optional<OrgKind> parse_org_kind(std::string_view s) { return find_name(kOrgKinds, s); }
std::optional<Role> parse_role(std::string_view s) { return find_name(kRoles, s); }
std::optional<Severity> parse_severity(std::string_view s) { return find_name(kSeverities, s); }
std::optional<WarningStatus> parse_warning_status(std::string_view s) {
  return find_name(kStatuses, s);
}

}  // namespace lachan::store
