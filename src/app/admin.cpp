// Administration commands on a data dir: keys, users, organisations, and the demo.
#include "app/admin.h"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "constituency/constituency.h"
#include "constituency/org_io.h"
#include "constituency/reference.h"
#include "core/time.h"
#include "store/common.h"
#include "store/sqlite/sqlite_store.h"

namespace fs = std::filesystem;

namespace lachan::app {
namespace {

Result<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(Errc::io, fmt::format("cannot open {}", path));
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}


}  // namespace

Result<std::unique_ptr<store::Store>> open_store(const std::string& data_dir) {
  std::error_code ec;
  fs::create_directories(data_dir, ec);
  if (ec) return make_error(Errc::io, fmt::format("cannot create data dir {}: {}", data_dir, ec.message()));
  return store::open_sqlite_store((fs::path(data_dir) / "lachan.db").string());
}

void cli_audit(store::Store& st, std::string action, std::string target, std::string org, std::string detail,
               std::string actor) {
  store::AuditEntry e;
  e.at = store::system_now();
  e.actor = !actor.empty() ? std::move(actor)
                           : "cli:" + std::string(std::getenv("USER") ? std::getenv("USER") : "unknown");
  e.org_id = std::move(org);
  e.action = std::move(action);
  e.target = std::move(target);
  e.detail = std::move(detail);
  (void)st.append_audit(e);
}

int cmd_key_create(const std::string& data_dir, const std::string& org, const std::string& role_name,
                   const std::string& label) {
  auto role = store::parse_role(role_name);
  if (!role) {
    fmt::print(stderr, "lachan key create: --role '{}' is not one of admin, analyst, responder, reporter, viewer\n", role_name);
    return 2;
  }
  auto st = open_store(data_dir);
  if (!st.ok()) {
    fmt::print(stderr, "lachan key create: {}\n", st.error().message);
    return 1;
  }
  auto k = (*st)->create_api_key(org, *role, label);
  if (!k.ok()) {
    fmt::print(stderr, "lachan key create: {}\n",
               k.error().code == Errc::not_found ? fmt::format("no organisation '{}'", org) : k.error().message);
    return 1;
  }
  cli_audit(**st, "key.create", "key:" + k->key.id, org, fmt::format(R"({{"role":"{}"}})", role_name));
  fmt::print("{}\n", k->plaintext);
  return 0;
}

int cmd_key_list(const std::string& data_dir, const std::string& org) {
  auto st = open_store(data_dir);
  if (!st.ok()) {
    fmt::print(stderr, "lachan key list: {}\n", st.error().message);
    return 1;
  }
  // An unknown organisation simply has no keys; say so rather than print an empty list.
  if (auto o = (*st)->get_organisation(org); !o.ok()) {
    fmt::print(stderr, "lachan key list: {}\n",
               o.error().code == Errc::not_found ? fmt::format("no organisation '{}'", org) : o.error().message);
    return 1;
  }
  auto keys = (*st)->list_api_keys(org);
  if (!keys.ok()) {
    fmt::print(stderr, "lachan key list: {}\n", keys.error().message);
    return 1;
  }
  auto when = [](store::TimeMs ms) { return format_timestamp(ms * 1'000'000); };
  fmt::print("{:<12}  {:<9}  {:<27}  {:<35}  {}\n", "ID", "ROLE", "CREATED", "STATE", "LABEL");
  for (const auto& k : *keys) {
    std::string state = k.revoked ? (k.revoked_at ? "revoked " + when(k.revoked_at) : "revoked") : "active";
    fmt::print("{:<12}  {:<9}  {:<27}  {:<35}  {}\n", k.id, store::to_string(k.role), when(k.created), state, k.label);
  }
  return 0;
}

int cmd_key_revoke(const std::string& data_dir, const std::string& id) {
  auto st = open_store(data_dir);
  if (!st.ok()) {
    fmt::print(stderr, "lachan key revoke: {}\n", st.error().message);
    return 1;
  }
  auto k = (*st)->get_api_key(id);
  if (k.ok()) {
    if (auto r = (*st)->revoke_api_key(id); !r.ok()) k = r.error();
  }
  if (!k.ok()) {
    fmt::print(stderr, "lachan key revoke: {}\n",
               k.error().code == Errc::not_found ? fmt::format("no API key '{}'", id) : k.error().message);
    return 1;
  }
  cli_audit(**st, "key.revoke", "key:" + id, k->org_id, "{}");
  fmt::print("key {} of {} revoked\n", id, k->org_id);
  return 0;
}

int cmd_user_add(const std::string& data_dir, const std::string& username, const std::string& org,
                 const std::string& role_name, const std::string& display_name, std::string password) {
  auto role = store::parse_role(role_name);
  if (!role) {
    fmt::print(stderr, "lachan user add: --role '{}' is not one of admin, analyst, responder, reporter, viewer\n", role_name);
    return 2;
  }
  bool generated = false;
  if (password.empty()) {
    auto r = store::random_hex(9);
    if (!r.ok()) {
      fmt::print(stderr, "lachan user add: {}\n", r.error().message);
      return 1;
    }
    password = *r;
    generated = true;
  }
  if (password.size() < 8) {
    fmt::print(stderr, "lachan user add: the password must have at least 8 characters\n");
    return 2;
  }
  auto st = open_store(data_dir);
  if (!st.ok()) {
    fmt::print(stderr, "lachan user add: {}\n", st.error().message);
    return 1;
  }
  auto u = (*st)->add_user(username, org, *role, display_name.empty() ? username : display_name, password);
  if (!u.ok()) {
    fmt::print(stderr, "lachan user add: {}\n",
               u.error().code == Errc::not_found   ? fmt::format("no organisation '{}'", org)
               : u.error().code == Errc::conflict ? fmt::format("user '{}' exists already", username)
                                                  : u.error().message);
    return 1;
  }
  cli_audit(**st, "user.add", "user:" + username, org, fmt::format(R"({{"role":"{}"}})", role_name));
  if (generated) fmt::print("user {} added; password: {}\n", username, password);
  else fmt::print("user {} added\n", username);
  return 0;
}

int cmd_user_set_disabled(const std::string& data_dir, const std::string& username, bool disabled) {
  const char* cmd = disabled ? "lachan user disable" : "lachan user enable";
  auto st = open_store(data_dir);
  if (!st.ok()) {
    fmt::print(stderr, "{}: {}\n", cmd, st.error().message);
    return 1;
  }
  auto u = (*st)->set_user_disabled(username, disabled);
  if (!u.ok()) {
    fmt::print(stderr, "{}: {}\n", cmd,
               u.error().code == Errc::not_found ? fmt::format("no user '{}'", username) : u.error().message);
    return 1;
  }
  cli_audit(**st, disabled ? "user.disable" : "user.enable", "user:" + username, u->org_id, "{}");
  fmt::print("user {} {}\n", username, disabled ? "disabled (sessions ended)" : "enabled");
  return 0;
}

int cmd_org_import(const std::string& data_dir, const std::string& config_dir, const std::string& file) {
  auto text = read_file(file);
  if (!text.ok()) {
    fmt::print(stderr, "lachan org import: {}\n", text.error().message);
    return 1;
  }
  bool csv = file.size() > 4 && file.substr(file.size() - 4) == ".csv";
  size_t first = text->find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  if (!csv && first != std::string::npos && (*text)[first] != '[' && (*text)[first] != '{') csv = true;
  std::vector<constituency::Problem> problems;
  auto parsed = csv ? constituency::parse_orgs_csv(*text, &problems) : constituency::parse_orgs_json(*text, &problems);
  if (!parsed.ok()) {
    fmt::print(stderr, "lachan org import: {}: {}\n", file, parsed.error().message);
    return 1;
  }
  auto ref = constituency::load_reference(config_dir + "/reference");
  if (!ref.ok()) {
    fmt::print(stderr, "lachan org import: {}\n", ref.error().message);
    return 1;
  }
  auto st = open_store(data_dir);
  if (!st.ok()) {
    fmt::print(stderr, "lachan org import: {}\n", st.error().message);
    return 1;
  }
  auto existing = (*st)->list_organisations();
  if (!existing.ok()) {
    fmt::print(stderr, "lachan org import: {}\n", existing.error().message);
    return 1;
  }
  // The whole registry after the import must be consistent: imported records replace by id.
  std::vector<store::Organisation> all;
  for (auto& o : *existing) {
    bool replaced = std::any_of(parsed->begin(), parsed->end(), [&](const auto& n) { return n.id == o.id; });
    if (!replaced) all.push_back(o);
  }
  all.insert(all.end(), parsed->begin(), parsed->end());
  auto snap = constituency::Constituency::build(all, *ref);
  if (!snap.ok()) {
    fmt::print(stderr, "lachan org import: {}: nothing imported:\n{}\n", file, snap.error().message);
    return 1;
  }
  auto up = (*st)->upsert_organisations(*parsed);
  if (!up.ok()) {
    fmt::print(stderr, "lachan org import: {}\n", up.error().message);
    return 1;
  }
  cli_audit(**st, "org.import", "file:" + fs::path(file).filename().string(), (*snap)->national_centre(),
            fmt::format(R"({{"organisations":{}}})", parsed->size()));
  fmt::print("imported {} organisations ({} in the registry)\n", parsed->size(), all.size());
  return 0;
}

int cmd_org_export(const std::string& data_dir, const std::string& format, const std::string& out_path) {
  auto st = open_store(data_dir);
  if (!st.ok()) {
    fmt::print(stderr, "lachan org export: {}\n", st.error().message);
    return 1;
  }
  auto orgs = (*st)->list_organisations();
  if (!orgs.ok()) {
    fmt::print(stderr, "lachan org export: {}\n", orgs.error().message);
    return 1;
  }
  std::string text;
  if (format == "csv") {
    auto c = constituency::write_orgs_csv(*orgs);
    if (!c.ok()) {
      fmt::print(stderr, "lachan org export: {}\n", c.error().message);
      return 1;
    }
    text = std::move(*c);
  } else {
    text = constituency::write_orgs_json(*orgs);
  }
  if (out_path.empty() || out_path == "-") {
    std::fwrite(text.data(), 1, text.size(), stdout);
  } else {
    std::ofstream f(out_path, std::ios::binary);
    f << text;
    if (!f) {
      fmt::print(stderr, "lachan org export: cannot write {}\n", out_path);
      return 1;
    }
  }
  return 0;
}

}  // namespace lachan::app
