#include "sigma/logsource_map.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/strings.h"

namespace lachan::sigma {
namespace {

uint32_t line_of(const YAML::Node& n) { return n.Mark().line >= 0 ? static_cast<uint32_t>(n.Mark().line + 1) : 0; }
uint32_t col_of(const YAML::Node& n) { return n.Mark().column >= 0 ? static_cast<uint32_t>(n.Mark().column + 1) : 0; }

bool parse_when(const YAML::Node& n, const std::string& file, Diagnostics& d, std::vector<WhenTest>& out) {
  if (!n || n.IsNull()) return true;
  if (!n.IsMap()) {
    d.error(file, line_of(n), col_of(n), "invalid-mapping", "'when' must be a map of event field -> value(s)");
    return false;
  }
  bool ok = true;
  for (const auto& kv : n) {
    WhenTest t;
    std::string key = kv.first.Scalar();
    size_t bar = key.find('|');
    t.field = key.substr(0, bar);
    if (bar != std::string::npos) {
      if (key.substr(bar + 1) != "exists" || !kv.second.IsScalar()) {
        d.error(file, line_of(kv.first), col_of(kv.first), "invalid-mapping",
                fmt::format("'{}': the only modifier allowed in 'when' is |exists with true or false", key));
        ok = false;
        continue;
      }
      t.exists_test = true;
      t.exists_value = iequals(kv.second.Scalar(), "true");
    } else if (kv.second.IsScalar()) {
      t.values.push_back(to_lower(kv.second.Scalar()));
    } else if (kv.second.IsSequence()) {
      for (const auto& v : kv.second) t.values.push_back(to_lower(v.Scalar()));
    } else {
      d.error(file, line_of(kv.second), col_of(kv.second), "invalid-mapping",
              fmt::format("'{}': a 'when' value must be a scalar or a list", key));
      ok = false;
      continue;
    }
    out.push_back(std::move(t));
  }
  return ok;
}

bool parse_fields(const YAML::Node& n, const std::string& file, Diagnostics& d,
                  std::map<std::string, std::vector<std::string>>& out) {
  if (!n || n.IsNull()) return true;
  if (!n.IsMap()) {
    d.error(file, line_of(n), col_of(n), "invalid-mapping", "'fields' must be a map of rule field -> event field(s)");
    return false;
  }
  for (const auto& kv : n) {
    auto& v = out[kv.first.Scalar()];
    if (kv.second.IsSequence())
      for (const auto& e : kv.second) v.push_back(e.Scalar());
    else
      v.push_back(kv.second.Scalar());
  }
  return true;
}

}  // namespace

bool LogSourceMap::load_text(const std::string& text, const std::string& file, Diagnostics& d) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    d.error(file, static_cast<uint32_t>(e.mark.line + 1), static_cast<uint32_t>(e.mark.column + 1), "yaml-syntax", e.msg);
    return false;
  }
  try {
    YAML::Node list = root["logsources"];
    if (!list || !list.IsSequence()) {
      d.error(file, 1, 1, "invalid-mapping", "a log-source mapping file needs a 'logsources' list");
      return false;
    }
    bool ok = true;
    for (const auto& e : list) {
      LogSourceEntry entry;
      entry.file = file;
      entry.line = line_of(e);
      YAML::Node m = e["match"];
      if (!m || !m.IsMap()) {
        d.error(file, line_of(e), col_of(e), "invalid-mapping", "every entry needs a 'match' map (product/category/service)");
        ok = false;
        continue;
      }
      for (const auto& kv : m) {
        std::string k = kv.first.Scalar();
        std::string v = to_lower(kv.second.Scalar());
        if (k == "product") entry.match.product = v;
        else if (k == "category") entry.match.category = v;
        else if (k == "service") entry.match.service = v;
        else {
          d.error(file, line_of(kv.first), col_of(kv.first), "invalid-mapping",
                  fmt::format("'match' key '{}' is not product, category or service", k));
          ok = false;
        }
      }
      entry.specificity = !entry.match.product.empty() + !entry.match.category.empty() + !entry.match.service.empty();
      std::string base = fmt::format("{}/{}", entry.match.product.empty() ? "*" : entry.match.product,
                                     !entry.match.category.empty() ? entry.match.category
                                     : !entry.match.service.empty() ? entry.match.service
                                                                    : "*");
      if (YAML::Node vars = e["variants"]) {
        for (const auto& v : vars) {
          LogSourceVariant var;
          var.name = base + "/" + (v["name"] ? v["name"].Scalar() : std::to_string(entry.variants.size()));
          ok &= parse_when(v["when"], file, d, var.when);
          ok &= parse_fields(v["fields"], file, d, var.fields);
          entry.variants.push_back(std::move(var));
        }
      } else {
        LogSourceVariant var;
        var.name = base;
        ok &= parse_when(e["when"], file, d, var.when);
        entry.variants.push_back(std::move(var));
      }
      if (YAML::Node f = e["fields"]) {
        std::map<std::string, std::vector<std::string>> common;
        ok &= parse_fields(f, file, d, common);
        for (auto& var : entry.variants)
          for (auto& [k, v] : common) var.fields.emplace(k, v);  // variant-specific renames win
      }
      entries_.push_back(std::move(entry));
    }
    return ok;
  } catch (const YAML::Exception& e) {
    d.error(file, static_cast<uint32_t>(e.mark.line + 1), static_cast<uint32_t>(e.mark.column + 1), "invalid-mapping", e.msg);
    return false;
  }
}

bool LogSourceMap::load(const std::vector<std::string>& paths, Diagnostics& d) {
  namespace fs = std::filesystem;
  bool ok = true;
  std::vector<fs::path> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.path().extension() == ".yml" || e.path().extension() == ".yaml") files.push_back(e.path());
    } else if (fs::exists(p, ec)) {
      files.emplace_back(p);
    } else {
      d.error(p, 0, 0, "file-not-found", "log-source mapping not found");
      ok = false;
    }
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f);
    std::stringstream ss;
    ss << in.rdbuf();
    ok &= load_text(ss.str(), f.string(), d);
  }
  return ok;
}

std::vector<const LogSourceVariant*> LogSourceMap::variants_for(const LogSource& rule) const {
  int best = -1;
  for (const auto& e : entries_)
    if (logsource_contains(e.match, rule)) best = std::max(best, e.specificity);
  std::vector<const LogSourceVariant*> out;
  if (best < 0) return out;
  for (const auto& e : entries_)
    if (e.specificity == best && logsource_contains(e.match, rule))
      for (const auto& v : e.variants) out.push_back(&v);
  return out;
}

bool Placeholders::load(const std::string& path, Diagnostics& d) {
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap()) {
      d.error(path, 1, 1, "invalid-placeholders", "the placeholder file must be a map of name -> list of values");
      return false;
    }
    YAML::Node m = root["placeholders"] ? root["placeholders"] : root;
    for (const auto& kv : m) {
      std::vector<std::string> vals;
      if (kv.second.IsSequence())
        for (const auto& v : kv.second) vals.push_back(v.Scalar());
      else if (kv.second.IsScalar())
        vals.push_back(kv.second.Scalar());
      set(kv.first.Scalar(), std::move(vals));
    }
    return true;
  } catch (const YAML::Exception& e) {
    d.error(path, static_cast<uint32_t>(e.mark.line + 1), static_cast<uint32_t>(e.mark.column + 1), "yaml-syntax", e.msg);
    return false;
  }
}

}  // namespace lachan::sigma
