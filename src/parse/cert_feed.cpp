// cert_feed: CSV reports from CERTs and feed providers (Shadowserver style: timestamp, ip,
// port, asn, geo, hostname, tag, …). Each row becomes an object of its non-empty columns; the
// columns that name the affected host give the victim hints used for attribution.
#include <algorithm>

#include "core/time.h"
#include "parse/decoder.h"
#include "parse/json_out.h"

namespace lachan::parse {

namespace {

enum Role : uint8_t { kNone, kIp, kDomain, kAsn, kTime };

// Column name → role, compared lowercased without '_', '.', '-', ' ' (so "src_ip", "source.ip",
// "SourceIp" are all "sourceip").
Role role_of(std::string_view name) {
  std::string n;
  for (char c : name) {
    if (c == '_' || c == '.' || c == '-' || c == ' ') continue;
    n.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c);
  }
  static constexpr std::pair<std::string_view, Role> kRoles[] = {
      {"ip", kIp},           {"srcip", kIp},          {"sourceip", kIp},     {"ipaddress", kIp},
      {"hostip", kIp},       {"victimip", kIp},       {"hostname", kDomain}, {"domain", kDomain},
      {"fqdn", kDomain},     {"sourcefqdn", kDomain}, {"asn", kAsn},         {"srcasn", kAsn},
      {"sourceasn", kAsn},   {"sourceipasnnr", kAsn}, {"timestamp", kTime},  {"time", kTime},
      {"datetime", kTime},   {"date", kTime},         {"firstseen", kTime},  {"sourcetime", kTime},
      {"timesource", kTime}, {"lastseen", kTime}};
  for (auto [k, r] : kRoles)
    if (n == k) return r;
  return kNone;
}

bool plausible_ip(std::string_view v) {
  if (v.size() < 2 || v.size() > 49) return false;
  bool sep = false;
  for (char c : v) {
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (c == '.' || c == ':') sep = true;
    if (!hex && c != '.' && c != ':' && c != '/') return false;
  }
  return sep;
}

bool plausible_domain(std::string_view v) {
  if (v.size() < 3 || v.size() > 253 || v.find('.') == std::string_view::npos) return false;
  for (char c : v)
    if (c == ' ' || c == '/' || c == '@' || c == ',' || static_cast<unsigned char>(c) < 0x21) return false;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

// RFC 4180 cells of one row into cell_text_ (quotes removed, "" → "). A quote inside an
// unquoted cell is kept as text; text after a closing quote is kept too (lenient).
Result<void> Decoder::split_cells(std::string_view row) {
  cell_text_.clear();
  cells_.clear();
  size_t i = 0;
  for (;;) {
    if (cells_.size() >= limits_.max_fields)
      return make_error(Errc::limit, "more than max_fields (" + std::to_string(limits_.max_fields) + ") columns");
    const size_t start = cell_text_.size();
    if (i < row.size() && row[i] == '"') {
      ++i;
      for (;;) {
        if (i >= row.size()) return make_error(Errc::malformed, "unterminated quoted CSV field");
        if (row[i] == '"') {
          if (i + 1 < row.size() && row[i + 1] == '"') {
            cell_text_.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cell_text_.push_back(row[i++]);
      }
    }
    while (i < row.size() && row[i] != ',') cell_text_.push_back(row[i++]);
    cells_.emplace_back(static_cast<uint32_t>(start), static_cast<uint32_t>(cell_text_.size() - start));
    if (i >= row.size()) break;
    ++i;  // ','
  }
  return {};
}

Result<void> Decoder::set_header(std::string_view header_row) {
  header_.clear();
  header_role_.clear();
  auto r = split_cells(header_row);
  if (!r) return r.error();
  for (size_t k = 0; k < cells_.size(); ++k) {
    std::string_view name = trim(std::string_view(cell_text_).substr(cells_[k].first, cells_[k].second));
    if (k == 0 && name.substr(0, 3) == "\xEF\xBB\xBF") name.remove_prefix(3);
    if (k == 0 && !name.empty() && name.front() == '#') name = trim(name.substr(1));
    header_.emplace_back(name.empty() ? "column_" + std::to_string(k + 1) : std::string(name));
    header_role_.push_back(role_of(header_.back()));
  }
  return {};
}

Result<Decoded> Decoder::decode_csv_row(std::string_view row, std::string& out) {
  hints_.clear();
  if (header_.empty()) return make_error(Errc::malformed, "no CSV header row before the data");
  auto r = split_cells(row);
  if (!r) return r.error();
  if (cells_.size() > header_.size())
    return make_error(Errc::malformed, "row has " + std::to_string(cells_.size()) + " columns, the header " +
                                           std::to_string(header_.size()));
  Decoded d;
  keys_.clear();
  detail::ObjectWriter w(out);
  std::string_view text(cell_text_);
  for (size_t k = 0; k < cells_.size(); ++k) {
    std::string_view v = trim(text.substr(cells_[k].first, cells_[k].second));
    if (v.empty()) continue;
    const std::string& name = header_[k];
    bool dup = std::find(keys_.begin(), keys_.end(), std::string_view(name)) != keys_.end();
    if (dup) continue;
    keys_.push_back(name);
    w.key_escaped(name);
    append_json_string(out, v);
    switch (header_role_[k]) {
      case kIp:
        if (plausible_ip(v) && hints_.ips.size() < 16) hints_.ips.emplace_back(v);
        break;
      case kDomain:
        if (plausible_domain(v) && hints_.domains.size() < 16) {
          if (v.back() == '.') v.remove_suffix(1);
          hints_.domains.emplace_back(v);
        }
        break;
      case kAsn: {
        std::string_view a = v;
        if (a.size() > 2 && (a[0] == 'A' || a[0] == 'a') && (a[1] == 'S' || a[1] == 's')) a.remove_prefix(2);
        uint64_t n = 0;
        bool ok = !a.empty() && a.size() <= 10;
        for (char c : a) {
          ok = ok && c >= '0' && c <= '9';
          n = n * 10 + static_cast<uint64_t>(c - '0');
        }
        if (ok && n > 0 && n <= UINT32_MAX) hints_.asns.push_back(static_cast<uint32_t>(n));
        break;
      }
      case kTime:
        if (!d.time_ms) {
          auto ns = parse_timestamp(v);
          if (ns) d.time_ms = *ns / 1000000;
        }
        break;
      default:
        break;
    }
  }
  out.push_back('}');
  return d;
}

}  // namespace lachan::parse
