// Administration commands on a data dir (`lachan key create|list|revoke`, `user add|disable|enable`,
// `org import|export`, `intel import|feeds`)
// and the demo (`lachan demo`). Each returns the process exit code and prints its errors.
#pragma once

#include <cstddef>
#include <memory>
#include <cstdint>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace lachan::app {

int cmd_key_create(const std::string& data_dir, const std::string& org, const std::string& role,
                   const std::string& label);
// The organisation's keys, revoked ones included, one a line; never a secret.
int cmd_key_list(const std::string& data_dir, const std::string& org);
// Revoking a revoked key again is fine; an unknown id is an error.
int cmd_key_revoke(const std::string& data_dir, const std::string& id);
// An empty password: one is generated and printed.
int cmd_user_add(const std::string& data_dir, const std::string& username, const std::string& org,
                 const std::string& role, const std::string& display_name, std::string password);
// Disabling also ends the user's sessions; an unknown user is an error.
int cmd_user_set_disabled(const std::string& data_dir, const std::string& username, bool disabled);
int cmd_org_import(const std::string& data_dir, const std::string& config_dir, const std::string& file);
int cmd_org_export(const std::string& data_dir, const std::string& format, const std::string& out_path);

// The data dir's store (the folder created when missing).
Result<std::unique_ptr<store::Store>> open_store(const std::string& data_dir);
// An audit entry for a command-line action, by `actor` (empty: "cli:<$USER>").
void cli_audit(store::Store& st, std::string action, std::string target, std::string org, std::string detail,
               std::string actor = {});

struct IntelImportArgs {
  std::string data_dir, location, format = "auto", feed, feeds_dir, source, tlp, collection = "national";
};
// `lachan intel import`: a file, folder (MISP feed) or URL into the data dir, all or nothing.
int cmd_intel_import(const IntelImportArgs& args);
// `lachan intel feeds`: every feed definition with its state; `pull` ("all" or a name) pulls now.
int cmd_intel_feeds(const std::string& data_dir, const std::string& feeds_dir, const std::string& pull);

struct ServeConfig;
// Loads the demo constituency and demo users into an empty data dir, starts the server and
// replays the demo telemetry through the real ingest path, each record sent as the
// organisation that owns its host; prints the URL and the credentials.
// synthetic_warnings > 0: that many synthetic warnings (fixed seed) are inserted once the demo
// constituency is loaded, for the console's scale tests.
int cmd_demo(ServeConfig cfg, const std::string& demo_dir, bool exit_after_replay, std::int64_t synthetic_warnings = 0);

struct MailInArgs {
  std::string data_dir;     // empty: the --config file's, else "lachan-data"
  std::string config_file;  // the serve TOML (data_dir, sla_config, max_evidence_bytes are used)
  std::string config_dir;   // the bundled configuration (reference, taxonomies, sla.toml)
  std::string sla_config;
  std::string category = "other:other";  // RSIT category of the incidents reported by mail
  std::size_t max_bytes = 25u << 20;     // the largest message accepted (EX_DATAERR beyond)
  bool match_domain = false;  // also accept any address at a domain an organisation owns
};
// `lachan mail-in`: one message on standard input from an MTA's pipe transport; returns a
// sysexits(3) code (mail_in.cpp; the codes are in README.md).
int cmd_mail_in(const MailInArgs& args);

}  // namespace lachan::app
