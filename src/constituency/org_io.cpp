#include "constituency/org_io.h"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <limits>

#include "constituency/syntax.h"

namespace lachan::constituency {
namespace json = boost::json;
using store::Contact;
using store::Organisation;

namespace {

// Collects the problems of one record; the org id is filled in once known.
struct Record {
  std::string where;
  std::vector<Problem>& out;
  std::string org_id;
  bool bad = false;

  void add(std::string field, std::string message, Errc code = Errc::malformed) {
    out.push_back(Problem{where, org_id, std::move(field), code, std::move(message)});
    bad = true;
  }
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string item_field(std::string_view field, size_t i) {
  return fmt::format("{}[{}]", field, i);
}

// Lowercase and strip the trailing dot of domains and hosts, as lookups expect them.
void normalise_names(Organisation& o) {
  for (auto& d : o.domains) d = normalise_name(d);
  for (auto& h : o.hosts) h = normalise_name(h);
}

Result<std::vector<Organisation>> finish(std::vector<Organisation> orgs, std::vector<Problem>& found,
                                         std::vector<Problem>* problems) {
  if (problems) problems->insert(problems->end(), found.begin(), found.end());
  if (!found.empty()) return to_error(Errc::malformed, found);
  for (auto& o : orgs) normalise_names(o);
  return orgs;
}

// ---- JSON ----

bool json_text(const json::value& v, Record& r, const std::string& field, std::string& out, const ImportLimits& lim) {
  if (v.is_null()) {
    out.clear();
    return true;
  }
  if (!v.is_string()) {
    r.add(field, "expected a string");
    return false;
  }
  const json::string& s = v.get_string();
  if (s.size() > lim.max_field_bytes) {
    r.add(field, fmt::format("longer than {} bytes", lim.max_field_bytes), Errc::limit);
    return false;
  }
  out.assign(s.data(), s.size());
  return true;
}

const json::array* json_list(const json::value& v, Record& r, const std::string& field, const ImportLimits& lim) {
  if (!v.is_array()) {
    if (!v.is_null()) r.add(field, "expected an array");
    return nullptr;
  }
  if (v.get_array().size() > lim.max_items) {
    r.add(field, fmt::format("more than {} items", lim.max_items), Errc::limit);
    return nullptr;
  }
  return &v.get_array();
}

void json_strings(const json::value& v, Record& r, const std::string& field, std::vector<std::string>& out,
                  const ImportLimits& lim) {
  const json::array* a = json_list(v, r, field, lim);
  if (!a) return;
  for (size_t i = 0; i < a->size(); ++i) {
    std::string s;
    if (!(*a)[i].is_string()) {
      r.add(item_field(field, i), "expected a string");
      continue;
    }
    if (json_text((*a)[i], r, item_field(field, i), s, lim)) out.push_back(std::move(s));
  }
}

void json_asns(const json::value& v, Record& r, std::vector<std::uint32_t>& out, const ImportLimits& lim) {
  const json::array* a = json_list(v, r, "asns", lim);
  if (!a) return;
  for (size_t i = 0; i < a->size(); ++i) {
    const json::value& e = (*a)[i];
    std::optional<std::uint32_t> n;
    if (e.is_int64() && e.get_int64() > 0 && e.get_int64() <= std::numeric_limits<std::uint32_t>::max())
      n = static_cast<std::uint32_t>(e.get_int64());
    else if (e.is_uint64() && e.get_uint64() > 0 && e.get_uint64() <= std::numeric_limits<std::uint32_t>::max())
      n = static_cast<std::uint32_t>(e.get_uint64());
    else if (e.is_string())
      n = parse_asn(e.get_string());
    if (n)
      out.push_back(*n);
    else
      r.add(item_field("asns", i), "expected an AS number 1..4294967295");
  }
}

void json_contacts(const json::value& v, Record& r, std::vector<Contact>& out, const ImportLimits& lim) {
  const json::array* a = json_list(v, r, "contacts", lim);
  if (!a) return;
  for (size_t i = 0; i < a->size(); ++i) {
    const std::string field = item_field("contacts", i);
    const json::object* o = (*a)[i].if_object();
    if (!o) {
      r.add(field, "expected an object");
      continue;
    }
    Contact c;
    for (const auto& kv : *o) {
      const std::string_view key = kv.key();
      std::string* target = key == "name"    ? &c.name
                            : key == "email" ? &c.email
                            : key == "phone" ? &c.phone
                            : key == "role"  ? &c.role
                                             : nullptr;
      if (!target)
        r.add(fmt::format("{}.{}", field, key), "unknown field");
      else
        json_text(kv.value(), r, fmt::format("{}.{}", field, key), *target, lim);
    }
    out.push_back(std::move(c));
  }
}

void json_org(const json::value& v, Record& r, Organisation& o, const ImportLimits& lim) {
  const json::object* obj = v.if_object();
  if (!obj) {
    r.add("", "expected an object");
    return;
  }
  // The id first, so that every later problem names it.
  if (const json::value* id = obj->if_contains("id"); id && id->is_string() && json_text(*id, r, "id", o.id, lim))
    r.org_id = o.id;
  for (const char* required : {"id", "name", "kind"}) {
    const json::value* f = obj->if_contains(required);
    if (!f || !f->is_string() || f->get_string().empty()) r.add(required, "required (a non-empty string)");
  }
  for (const auto& kv : *obj) {
    const std::string key(kv.key());
    const json::value& f = kv.value();
    if (key == "id") {
      // read above
    } else if (key == "name") {
      json_text(f, r, key, o.name, lim);
    } else if (key == "kind") {
      std::string kind;
      if (f.is_string() && json_text(f, r, key, kind, lim)) {
        if (auto k = store::parse_org_kind(kind))
          o.kind = *k;
        else if (!kind.empty())
          r.add(key, fmt::format("unknown kind \"{}\"", kind));
      }
    } else if (key == "parent") {
      json_text(f, r, key, o.parent, lim);
    } else if (key == "province") {
      json_text(f, r, key, o.province, lim);
    } else if (key == "sectors") {
      json_strings(f, r, key, o.sectors, lim);
    } else if (key == "criticality") {
      if (f.is_int64() && f.get_int64() >= std::numeric_limits<int>::min() &&
          f.get_int64() <= std::numeric_limits<int>::max())
        o.criticality = static_cast<int>(f.get_int64());
      else
        r.add(key, "expected an integer 1..5");
    } else if (key == "contacts") {
      json_contacts(f, r, o.contacts, lim);
    } else if (key == "it_providers") {
      json_strings(f, r, key, o.it_providers, lim);
    } else if (key == "networks") {
      json_strings(f, r, key, o.networks, lim);
    } else if (key == "asns") {
      json_asns(f, r, o.asns, lim);
    } else if (key == "domains") {
      json_strings(f, r, key, o.domains, lim);
    } else if (key == "hosts") {
      json_strings(f, r, key, o.hosts, lim);
    } else {
      r.add(key, "unknown field");
    }
  }
}

// ---- CSV ----

// Offset of the first byte that is not part of well-formed UTF-8 (no overlongs, surrogates or
// code points past U+10FFFF), or npos. JSON import gets this check from Boost.JSON.
size_t invalid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (n == 0 || i + n > s.size()) return i;
    std::uint32_t cp = n == 1 ? c : c & (0x7f >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc >> 6) != 0x2) return i;
      cp = (cp << 6) | (cc & 0x3f);
    }
    static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n;
  }
  return std::string_view::npos;
}

struct CsvRow {
  size_t line = 0;  // 1-based line where the row starts
  std::vector<std::string> fields;
};

// RFC 4180 rows; blank lines are skipped. Returns false (with a problem) on an unterminated quote.
bool split_csv(std::string_view text, std::vector<CsvRow>& rows, std::vector<Problem>& problems) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  size_t line = 1;
  CsvRow row{1, {std::string()}};
  bool quoted = false, was_quoted = false;
  auto end_row = [&] {
    if (!(row.fields.size() == 1 && row.fields[0].empty() && !was_quoted)) rows.push_back(std::move(row));
    row = CsvRow{line, {std::string()}};
    was_quoted = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          row.fields.back() += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++line;
        row.fields.back() += c;
      }
    } else if (c == '"' && row.fields.back().empty()) {
      quoted = was_quoted = true;
    } else if (c == ',') {
      row.fields.emplace_back();
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      if (c == '\r') ++i;
      ++line;
      end_row();
    } else {
      row.fields.back() += c;
    }
  }
  if (quoted) {
    problems.push_back(Problem{fmt::format("line {}", row.line), "", "", Errc::malformed, "unterminated quoted field"});
    return false;
  }
  end_row();
  return true;
}

// Items of a multi-valued cell: split on `sep`, blanks around items dropped, empty items skipped.
std::vector<std::string_view> split_items(std::string_view cell, char sep, bool keep_empty = false) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= cell.size()) {
    size_t end = cell.find(sep, start);
    if (end == std::string_view::npos) end = cell.size();
    std::string_view item = trim(cell.substr(start, end - start));
    if (keep_empty || !item.empty()) out.push_back(item);
    start = end + 1;
  }
  return out;
}

void csv_cell(std::string_view column, std::string_view cell, Record& r, Organisation& o, const ImportLimits& lim) {
  const std::string col(column);
  auto text = [&](std::string& out, std::string_view v) {
    if (v.size() > lim.max_field_bytes)
      r.add(col, fmt::format("longer than {} bytes", lim.max_field_bytes), Errc::limit);
    else
      out.assign(v);
  };
  auto list = [&](std::vector<std::string>& out) {
    auto items = split_items(cell, ';');
    if (items.size() > lim.max_items) return r.add(col, fmt::format("more than {} items", lim.max_items), Errc::limit);
    for (size_t i = 0; i < items.size(); ++i) {
      if (items[i].size() > lim.max_field_bytes)
        r.add(item_field(col, i), fmt::format("longer than {} bytes", lim.max_field_bytes), Errc::limit);
      else
        out.emplace_back(items[i]);
    }
  };
  if (column == "id") {
    // read before the other cells
  } else if (column == "name") {
    text(o.name, cell);
  } else if (column == "kind") {
    if (auto k = store::parse_org_kind(trim(cell)))
      o.kind = *k;
    else if (!trim(cell).empty())
      r.add(col, fmt::format("unknown kind \"{}\"", trim(cell).substr(0, 64)));
  } else if (column == "parent") {
    text(o.parent, trim(cell));
  } else if (column == "province") {
    text(o.province, trim(cell));
  } else if (column == "criticality") {
    const std::string_view v = trim(cell);
    if (v.empty()) return;  // the default
    int n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || p != v.data() + v.size())
      r.add(col, "expected an integer 1..5");
    else
      o.criticality = n;
  } else if (column == "sectors") {
    list(o.sectors);
  } else if (column == "it_providers") {
    list(o.it_providers);
  } else if (column == "networks") {
    list(o.networks);
  } else if (column == "domains") {
    list(o.domains);
  } else if (column == "hosts") {
    list(o.hosts);
  } else if (column == "asns") {
    auto items = split_items(cell, ';');
    if (items.size() > lim.max_items) return r.add(col, fmt::format("more than {} items", lim.max_items), Errc::limit);
    for (size_t i = 0; i < items.size(); ++i) {
      if (auto n = parse_asn(items[i]))
        o.asns.push_back(*n);
      else
        r.add(item_field(col, i), "expected an AS number 1..4294967295");
    }
  } else if (column == "contacts") {
    auto items = split_items(cell, ';');
    if (items.size() > lim.max_items) return r.add(col, fmt::format("more than {} items", lim.max_items), Errc::limit);
    for (size_t i = 0; i < items.size(); ++i) {
      auto parts = split_items(items[i], '|', true);
      if (parts.size() > 4) {
        r.add(item_field(col, i), "expected name|email|phone|role");
        continue;
      }
      Contact c;
      std::string* targets[] = {&c.name, &c.email, &c.phone, &c.role};
      for (size_t k = 0; k < parts.size(); ++k) text(*targets[k], parts[k]);
      o.contacts.push_back(std::move(c));
    }
  }
}

// ---- CSV export ----

void append_cell(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos && trim(v) == v) {
    out += v;
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

Result<std::vector<Organisation>> parse_orgs_json(std::string_view text, std::vector<Problem>* problems,
                                                  const ImportLimits& limits) {
  if (text.size() > limits.max_bytes)
    return make_error(Errc::limit, fmt::format("input larger than {} bytes", limits.max_bytes));
  std::vector<Problem> found;
  boost::system::error_code ec;
  json::parse_options opts;
  opts.max_depth = 8;  // root, list, org, contacts, contact: deeper is not ours
  json::value doc = json::parse(text, ec, {}, opts);
  const json::array* list = nullptr;
  if (ec) {
    found.push_back(Problem{"input", "", "", Errc::malformed, fmt::format("not JSON: {}", ec.message())});
  } else if (doc.is_array()) {
    list = &doc.get_array();
  } else if (const json::object* root = doc.if_object();
             root && root->contains("organisations") && root->at("organisations").is_array()) {
    list = &root->at("organisations").get_array();
  } else {
    found.push_back(
        Problem{"input", "", "", Errc::malformed, "expected an array of organisations or {\"organisations\": [...]}"});
  }
  std::vector<Organisation> orgs;
  if (list) {
    if (list->size() > limits.max_orgs)
      return make_error(Errc::limit, fmt::format("more than {} organisations", limits.max_orgs));
    orgs.reserve(list->size());
    for (size_t i = 0; i < list->size(); ++i) {
      Record r{fmt::format("record {}", i), found, {}};
      Organisation o;
      json_org((*list)[i], r, o, limits);
      orgs.push_back(std::move(o));
    }
  }
  return finish(std::move(orgs), found, problems);
}

Result<std::vector<Organisation>> parse_orgs_csv(std::string_view text, std::vector<Problem>* problems,
                                                 const ImportLimits& limits) {
  if (text.size() > limits.max_bytes)
    return make_error(Errc::limit, fmt::format("input larger than {} bytes", limits.max_bytes));
  std::vector<Problem> found;
  if (size_t bad = invalid_utf8(text); bad != std::string_view::npos) {
    const size_t line = 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + bad, '\n'));
    found.push_back(Problem{fmt::format("line {}", line), "", "", Errc::malformed, "not UTF-8"});
    return finish({}, found, problems);
  }
  std::vector<CsvRow> rows;
  if (!split_csv(text, rows, found)) return finish({}, found, problems);
  if (rows.empty()) {
    found.push_back(Problem{"line 1", "", "", Errc::malformed, "no header row"});
    return finish({}, found, problems);
  }
  if (rows.size() - 1 > limits.max_orgs)
    return make_error(Errc::limit, fmt::format("more than {} organisations", limits.max_orgs));
  // Header: each known column at most once; id, name and kind present.
  std::vector<std::string_view> columns;
  const std::string header_where = fmt::format("line {}", rows[0].line);
  for (const auto& h : rows[0].fields) {
    const std::string_view name = trim(h);
    const std::string_view* known = nullptr;
    for (const auto& c : kCsvColumns)
      if (c == name) known = &c;
    if (!known)
      found.push_back(Problem{header_where, "", std::string(name.substr(0, 64)), Errc::malformed, "unknown column"});
    else if (std::find(columns.begin(), columns.end(), *known) != columns.end())
      found.push_back(Problem{header_where, "", std::string(name), Errc::malformed, "column repeated"});
    columns.push_back(known ? *known : std::string_view());
  }
  for (std::string_view required : {"id", "name", "kind"})
    if (std::find(columns.begin(), columns.end(), required) == columns.end())
      found.push_back(Problem{header_where, "", std::string(required), Errc::malformed, "required column missing"});
  if (!found.empty()) return finish({}, found, problems);

  std::vector<Organisation> orgs;
  orgs.reserve(rows.size() - 1);
  for (size_t i = 1; i < rows.size(); ++i) {
    const CsvRow& row = rows[i];
    Record r{fmt::format("line {}", row.line), found, {}};
    Organisation o;
    for (size_t c = 0; c < row.fields.size() && c < columns.size(); ++c) {
      if (columns[c] != "id") continue;
      const std::string_view id = trim(row.fields[c]);
      if (id.size() <= limits.max_field_bytes) o.id = r.org_id = std::string(id);
    }
    if (row.fields.size() != columns.size()) {
      r.add("", fmt::format("{} fields, the header has {}", row.fields.size(), columns.size()));
      continue;
    }
    for (size_t c = 0; c < columns.size(); ++c) csv_cell(columns[c], row.fields[c], r, o, limits);
    for (const char* required : {"id", "name", "kind"}) {
      const size_t c = std::find(columns.begin(), columns.end(), required) - columns.begin();
      // The name is kept as written; id and kind are read trimmed.
      if ((std::string_view(required) == "name" ? std::string_view(row.fields[c]) : trim(row.fields[c])).empty())
        r.add(required, "required");
    }
    orgs.push_back(std::move(o));
  }
  return finish(std::move(orgs), found, problems);
}

std::string write_orgs_json(const std::vector<Organisation>& orgs) {
  auto strings = [](const std::vector<std::string>& v) {
    json::array a;
    for (const auto& s : v) a.emplace_back(json::string_view(s));
    return a;
  };
  json::array list;
  for (const auto& o : orgs) {
    json::object j;
    j["id"] = o.id;
    j["name"] = o.name;
    j["kind"] = json::string_view(store::to_string(o.kind));
    j["parent"] = o.parent;
    j["province"] = o.province;
    j["sectors"] = strings(o.sectors);
    j["criticality"] = o.criticality;
    json::array contacts;
    for (const auto& c : o.contacts)
      contacts.push_back(json::object{{"name", c.name}, {"email", c.email}, {"phone", c.phone}, {"role", c.role}});
    j["contacts"] = std::move(contacts);
    j["it_providers"] = strings(o.it_providers);
    j["networks"] = strings(o.networks);
    json::array asns;
    for (auto n : o.asns) asns.emplace_back(static_cast<std::uint64_t>(n));
    j["asns"] = std::move(asns);
    j["domains"] = strings(o.domains);
    j["hosts"] = strings(o.hosts);
    list.push_back(std::move(j));
  }
  return json::serialize(json::object{{"organisations", std::move(list)}});
}

Result<std::string> write_orgs_csv(const std::vector<Organisation>& orgs) {
  std::string out;
  for (size_t c = 0; c < std::size(kCsvColumns); ++c) {
    if (c) out += ',';
    out += kCsvColumns[c];
  }
  out += "\r\n";
  auto cannot = [](const Organisation& o, std::string field, std::string_view why) {
    return make_error(Errc::unsupported, fmt::format("org {}: {}: cannot be written as CSV: {}", o.id, field, why));
  };
  // A single value that import reads trimmed must not carry blanks of its own.
  auto single = [&](const Organisation& o, std::string_view field, std::string_view v) -> Result<void> {
    if (trim(v) != v) return cannot(o, std::string(field), "blanks around the value");
    append_cell(out, v);
    return {};
  };
  auto list = [&](const Organisation& o, std::string_view field, const std::vector<std::string>& v) -> Result<void> {
    std::string cell;
    for (size_t i = 0; i < v.size(); ++i) {
      if (v[i].empty() || trim(v[i]) != v[i] || v[i].find(';') != std::string::npos)
        return cannot(o, item_field(field, i), "empty, blanks around it, or contains ';'");
      if (i) cell += ';';
      cell += v[i];
    }
    append_cell(out, cell);
    return {};
  };
  for (const auto& o : orgs) {
    std::string cell;
    Result<void> r = single(o, "id", o.id);
    out += ',';
    append_cell(out, o.name);
    out += ',';
    out += store::to_string(o.kind);
    out += ',';
    if (r) r = single(o, "parent", o.parent);
    out += ',';
    if (r) r = single(o, "province", o.province);
    out += ',';
    if (r) r = list(o, "sectors", o.sectors);
    out += ',';
    out += std::to_string(o.criticality);
    out += ',';
    for (size_t i = 0; r && i < o.contacts.size(); ++i) {
      const Contact& c = o.contacts[i];
      if (i) cell += ';';
      const std::string* parts[] = {&c.name, &c.email, &c.phone, &c.role};
      for (size_t k = 0; k < 4; ++k) {
        if (trim(*parts[k]) != *parts[k] || parts[k]->find_first_of(";|") != std::string::npos)
          r = cannot(o, item_field("contacts", i), "blanks around a part, or a part contains ';' or '|'");
        if (k) cell += '|';
        cell += *parts[k];
      }
    }
    append_cell(out, cell);
    out += ',';
    if (r) r = list(o, "it_providers", o.it_providers);
    out += ',';
    if (r) r = list(o, "networks", o.networks);
    out += ',';
    for (size_t i = 0; i < o.asns.size(); ++i) out += (i ? ";" : "") + std::to_string(o.asns[i]);
    out += ',';
    if (r) r = list(o, "domains", o.domains);
    out += ',';
    if (r) r = list(o, "hosts", o.hosts);
    out += "\r\n";
    if (!r) return r.error();
  }
  return out;
}

}  // namespace lachan::constituency
