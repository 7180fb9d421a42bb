// pg::Connection: one blocking libpq connection. Not thread-safe: one thread at a time
// (normally a pg::Pool worker thread). Statements use the extended protocol with text
// parameters; a broken connection is re-established transparently on the next call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct pg_conn;
struct pg_result;

namespace minishop::pg {

// The rows of one statement's result. Move-only; owns the libpq result.
class Rows {
 public:
  Rows() = default;
  explicit Rows(pg_result* result);
  Rows(Rows&&) noexcept = default;
  Rows& operator=(Rows&&) noexcept = default;

  size_t size() const { return rows_; }
  int columns() const { return columns_; }
  // The column index named `name`, or -1.
  int Column(std::string_view name) const;
  // The text of a cell; empty for NULL. Valid while this Rows lives.
  std::string_view Get(size_t row, int col) const;
  bool IsNull(size_t row, int col) const;
  // The cell as an integer; nullopt for NULL or non-integer text.
  std::optional<int64_t> GetInt64(size_t row, int col) const;
  // Rows affected by INSERT/UPDATE/DELETE (PQcmdTuples), 0 for other statements.
  int64_t affected() const { return affected_; }
  // The command tag, e.g. "INSERT 0 3" or "COMMIT".
  std::string_view command() const;

 private:
  struct Free {
    void operator()(pg_result* r) const;
  };
  std::unique_ptr<pg_result, Free> result_;
  size_t rows_ = 0;
  int columns_ = 0;
  int64_t affected_ = 0;
};

// Maps a SQLSTATE to a MiniShop code: 23505 → kConflict; 23514, 23503, 22xxx → kInvalidArgument;
// class 08, 57P0x, 40001, 40P01 → kUnavailable (retry may succeed); 57014 → kDeadlineExceeded;
// anything else → kInternal.
Code CodeForSqlState(std::string_view sqlstate);

class Connection {
 public:
  // Connects with `conninfo` (libpq keyword/value or URI). Defaults that the conninfo may
  // override: connect_timeout=5, TCP keepalives, statement_timeout=30s. Blocks up to the
  // connect timeout. kUnavailable when the server cannot be reached.
  static Result<std::unique_ptr<Connection>> Open(const std::string& conninfo);

  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one statement with text parameters ($1, $2, …; nullopt is SQL NULL). Blocks.
  // Errors carry the server's message: kUnavailable when the connection is broken (the
  // next call reconnects), kConflict on a unique violation, kInvalidArgument on a check or
  // foreign-key violation, kDeadlineExceeded on statement_timeout, kInternal otherwise.
  Result<Rows> Exec(std::string_view sql,
                    const std::vector<std::optional<std::string>>& params = {});

  // Runs a script of several ';'-separated statements without parameters (simple query
  // protocol), e.g. a migration. Same errors as Exec.
  Status ExecScript(std::string_view sql);

  // Incremented each time the connection is re-established; a transaction begun under an
  // older epoch is gone.
  uint64_t epoch() const { return epoch_; }

 private:
  Connection(std::string conninfo, pg_conn* conn);
  Status EnsureConnected();
  Error ErrorFrom(pg_result* result, std::string_view what);

  std::string conninfo_;
  pg_conn* conn_;
  uint64_t epoch_ = 0;
};

// Transaction: BEGIN on creation, ROLLBACK on destruction unless Commit() succeeded.
// Borrows the connection, which must outlive it; same thread rules as the connection.
class Transaction {
 public:
  // Starts a transaction. Errors as Connection::Exec.
  static Result<Transaction> Begin(Connection& conn);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  // Commits. kUnavailable if the connection was lost since Begin (the work was rolled
  // back by the server) or while committing (outcome unknown: callers must be idempotent).
  Status Commit();
  Status Rollback();

 private:
  Transaction(Connection* conn, uint64_t epoch) : conn_(conn), epoch_(epoch) {}
  Connection* conn_;
  uint64_t epoch_;
};

}  // namespace minishop::pg
