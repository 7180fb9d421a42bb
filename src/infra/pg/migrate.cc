#include "infra/pg/migrate.h"

#include <algorithm>
#include <charconv>

namespace minishop::pg {
namespace {

// Any constant shared by every MiniShop process: the key of the migration advisory lock.
constexpr const char* kMigrationLockKey = "7883960320012560240";

Status ApplyOne(Connection& conn, const Migration& m, bool& applied) {
  Result<Transaction> tx = Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  Result<Rows> r = conn.Exec("SELECT pg_advisory_xact_lock($1::bigint)", {kMigrationLockKey});
  if (r.ok()) {
    r = conn.Exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version BIGINT PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())");
  }
  if (r.ok()) {
    r = conn.Exec("SELECT 1 FROM schema_migrations WHERE version = $1",
                  {std::to_string(m.version)});
  }
  if (!r.ok()) return r.error();
  applied = r->size() == 0;
  if (!applied) return tx->Commit();
  if (Status s = conn.ExecScript(m.sql); !s.ok()) {
    return MakeError(s.code(), m.name + ": " + s.error().message);
  }
  r = conn.Exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                {std::to_string(m.version), m.name});
  if (!r.ok()) return r.error();
  return tx->Commit();
}

}  // namespace

Result<std::vector<Migration>> OrderMigrations(const std::vector<MigrationFile>& files) {
  std::vector<Migration> out;
  for (const MigrationFile& f : files) {
    Migration m;
    auto [ptr, ec] = std::from_chars(f.name.data(), f.name.data() + f.name.size(), m.version);
    if (ec != std::errc() || ptr == f.name.data() + f.name.size() || *ptr != '_') {
      return MakeError(Code::kInternal,
                       "migration " + std::string(f.name) + ": name must be NNNN_name.sql");
    }
    m.name = std::string(f.name);
    m.sql = std::string(f.sql);
    out.push_back(std::move(m));
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version) {
      return MakeError(Code::kInternal,
                       "migrations " + out[i - 1].name + " and " + out[i].name + " share a version");
    }
  }
  return out;
}

Result<int> ApplyMigrations(Connection& conn, const std::vector<Migration>& migrations) {
  int count = 0;
  for (const Migration& m : migrations) {
    bool applied = false;
    if (Status s = ApplyOne(conn, m, applied); !s.ok()) return s.error();
    if (applied) ++count;
  }
  return count;
}

Status Migrate(Connection& conn) {
  Result<std::vector<Migration>> migrations = OrderMigrations(EmbeddedMigrationFiles());
  if (!migrations.ok()) return migrations.error();
  Result<int> applied = ApplyMigrations(conn, *migrations);
  if (!applied.ok()) return applied.error();
  return OkStatus();
}

}  // namespace minishop::pg
