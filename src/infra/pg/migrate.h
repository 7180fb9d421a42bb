// Schema migrations: numbered SQL files (migrations/NNNN_name.sql) compiled into the
// binary and applied once each, in version order, tracked in schema_migrations.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "infra/pg/connection.h"

namespace minishop::pg {

struct MigrationFile {
  std::string_view name;  // e.g. "0001_init.sql"
  std::string_view sql;
};

struct Migration {
  int64_t version = 0;  // the file name's numeric prefix
  std::string name;
  std::string sql;
};

// The files of migrations/ as they were at build time (generated source).
std::vector<MigrationFile> EmbeddedMigrationFiles();

// Orders `files` by the numeric prefix of their names. kInternal for a name that does not
// start with digits followed by '_' or for two files with the same version.
Result<std::vector<Migration>> OrderMigrations(const std::vector<MigrationFile>& files);

// Applies each migration not yet recorded in schema_migrations, in order, each in its own
// transaction that also records it. Safe under concurrent callers on other connections
// (they serialise on an advisory lock). Blocks. Returns how many were applied; errors as
// Connection::Exec (a failed migration is rolled back and stops the run).
Result<int> ApplyMigrations(Connection& conn, const std::vector<Migration>& migrations);

// ApplyMigrations with the embedded migrations.
Status Migrate(Connection& conn);

}  // namespace minishop::pg
