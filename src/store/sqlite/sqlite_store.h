// The embedded default Store backend: one SQLite file in WAL mode.
#pragma once

#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace lachan::store {

struct SqliteOptions {
  Clock clock = system_now;    // "now" for created/updated stamps and session expiry
  int readers = 4;             // read connections kept open (reads beyond this wait for one)
  int busy_timeout_ms = 5000;  // how long to wait for another process holding the write lock
};

// Opens (creating when missing) the database at `path` and migrates its schema.
// io when the file cannot be opened, unsupported when its schema is newer than this build.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path, SqliteOptions options = {});

}  // namespace lachan::store
