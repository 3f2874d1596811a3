// The SQLite schema and its migrations: versions applied in order on open, each in its own
// transaction, recorded in schema_version.
#pragma once

#include "core/result.h"
#include "store/sqlite/db.h"

namespace lachan::store::sqlite {

inline constexpr int kSchemaVersion = 6;

// Brings the database to kSchemaVersion; unsupported when it is newer than this build knows.
Result<void> migrate(Db& db);

}  // namespace lachan::store::sqlite
