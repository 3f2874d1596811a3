#include "constituency/reference.h"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <fstream>
#include <set>
#include <sstream>

namespace lachan::constituency {
namespace json = boost::json;
namespace {

// The string member `key` of `o`, or nullptr when absent, not a string or empty.
const json::string* text_member(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || !v->is_string() || v->get_string().empty()) return nullptr;
  return &v->get_string();
}

// Parses `text` and returns the array under `list_key`, or an error naming `file`.
Result<json::array> entries(std::string_view text, std::string_view file, std::string_view list_key) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return make_error(Errc::invalid_config, fmt::format("{}: not JSON: {}", file, ec.message()));
  const json::object* root = doc.if_object();
  const json::value* list = root ? root->if_contains(list_key) : nullptr;
  if (!list || !list->is_array())
    return make_error(Errc::invalid_config, fmt::format("{}: no \"{}\" array", file, list_key));
  return list->get_array();
}

// Copies the required string fields `keys` of entry `i` into `out` (same order).
Result<void> fields(const json::value& entry, size_t i, std::string_view file,
                    std::initializer_list<std::pair<std::string_view, std::string*>> keys) {
  const json::object* o = entry.if_object();
  if (!o) return make_error(Errc::invalid_config, fmt::format("{}: entry {}: not an object", file, i));
  for (const auto& [key, out] : keys) {
    const json::string* s = text_member(*o, key);
    if (!s) return make_error(Errc::invalid_config, fmt::format("{}: entry {}: missing \"{}\"", file, i, key));
    out->assign(s->data(), s->size());
  }
  return {};
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::io, fmt::format("cannot open {}", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(Errc::io, fmt::format("cannot read {}", path));
  return ss.str();
}

}  // namespace

const Province* Reference::find_province(std::string_view id) const noexcept {
  for (const auto& p : provinces)
    if (p.id == id) return &p;
  return nullptr;
}

const Sector* Reference::find_sector(std::string_view id) const noexcept {
  for (const auto& s : sectors)
    if (s.id == id) return &s;
  return nullptr;
}

Result<Reference> parse_reference(std::string_view provinces_json, std::string_view sectors_json) {
  Reference ref;
  std::set<std::string, std::less<>> seen;
  auto units = entries(provinces_json, kProvincesFile, "units");
  if (!units) return std::move(units).error();
  for (size_t i = 0; i < units->size(); ++i) {
    Province p;
    auto r = fields((*units)[i], i, kProvincesFile,
                    {{"id", &p.id}, {"code", &p.code}, {"name", &p.name}, {"name_vi", &p.name_vi}, {"kind", &p.kind}});
    if (!r) return r.error();
    if (!seen.insert(p.id).second || !seen.insert("code:" + p.code).second)
      return make_error(Errc::invalid_config, fmt::format("{}: entry {}: id or code repeated", kProvincesFile, i));
    ref.provinces.push_back(std::move(p));
  }
  auto sectors = entries(sectors_json, kSectorsFile, "sectors");
  if (!sectors) return std::move(sectors).error();
  seen.clear();
  for (size_t i = 0; i < sectors->size(); ++i) {
    Sector s;
    auto r = fields((*sectors)[i], i, kSectorsFile, {{"id", &s.id}, {"name", &s.name}, {"name_vi", &s.name_vi}});
    if (!r) return r.error();
    if (!seen.insert(s.id).second)
      return make_error(Errc::invalid_config, fmt::format("{}: entry {}: id repeated", kSectorsFile, i));
    ref.sectors.push_back(std::move(s));
  }
  return ref;
}

Result<Reference> load_reference(const std::string& dir) {
  auto provinces = read_file(dir + "/" + std::string(kProvincesFile));
  if (!provinces) return std::move(provinces).error();
  auto sectors = read_file(dir + "/" + std::string(kSectorsFile));
  if (!sectors) return std::move(sectors).error();
  return parse_reference(*provinces, *sectors);
}

}  // namespace lachan::constituency
