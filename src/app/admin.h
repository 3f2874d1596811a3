// Administration commands on a data dir (`lachan key create`, `user add`, `org import|export`)
// and the demo (`lachan demo`). Each returns the process exit code and prints its errors.
#pragma once

#include <string>

namespace lachan::app {

int cmd_key_create(const std::string& data_dir, const std::string& org, const std::string& role,
                   const std::string& label);
// An empty password: one is generated and printed.
int cmd_user_add(const std::string& data_dir, const std::string& username, const std::string& org,
                 const std::string& role, const std::string& display_name, std::string password);
int cmd_org_import(const std::string& data_dir, const std::string& config_dir, const std::string& file);
int cmd_org_export(const std::string& data_dir, const std::string& format, const std::string& out_path);

struct ServeConfig;
// Loads the demo constituency and demo users into an empty data dir, starts the server and
// replays the demo telemetry through the real ingest path, each record sent as the
// organisation that owns its host; prints the URL and the credentials.
int cmd_demo(ServeConfig cfg, const std::string& demo_dir, bool exit_after_replay);

}  // namespace lachan::app
