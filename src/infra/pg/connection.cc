#include "infra/pg/connection.h"

#include <libpq-fe.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <cstdlib>
#include <utility>

namespace minishop::pg {
namespace {

std::string Trimmed(const char* text) {
  std::string s = text ? text : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Server notices (e.g. "relation already exists, skipping") go to the log, not stderr.
void LogNotice(void*, const char* message) { spdlog::debug("postgres: {}", Trimmed(message)); }

}  // namespace

void Rows::Free::operator()(pg_result* r) const { PQclear(r); }

Rows::Rows(pg_result* result) : result_(result) {
  rows_ = static_cast<size_t>(PQntuples(result));
  columns_ = PQnfields(result);
  const char* tuples = PQcmdTuples(result);
  affected_ = (tuples && *tuples) ? std::atoll(tuples) : 0;
}

int Rows::Column(std::string_view name) const {
  for (int i = 0; i < columns_; ++i) {
    if (name == PQfname(result_.get(), i)) return i;
  }
  return -1;
}

std::string_view Rows::Get(size_t row, int col) const {
  const int r = static_cast<int>(row);
  return {PQgetvalue(result_.get(), r, col),
          static_cast<size_t>(PQgetlength(result_.get(), r, col))};
}

std::string_view Rows::command() const {
  return result_ ? PQcmdStatus(result_.get()) : "";
}

bool Rows::IsNull(size_t row, int col) const {
  return PQgetisnull(result_.get(), static_cast<int>(row), col) != 0;
}

std::optional<int64_t> Rows::GetInt64(size_t row, int col) const {
  if (IsNull(row, col)) return std::nullopt;
  std::string_view text = Get(row, col);
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return v;
}

Code CodeForSqlState(std::string_view s) {
  if (s == "23505") return Code::kConflict;
  if (s == "23514" || s == "23503" || s == "23502" || s.starts_with("22")) {
    return Code::kInvalidArgument;
  }
  if (s.starts_with("08") || s.starts_with("57P0") || s == "40001" || s == "40P01" ||
      s == "53300") {
    return Code::kUnavailable;
  }
  if (s == "57014") return Code::kDeadlineExceeded;
  return Code::kInternal;
}

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& conninfo) {
  // The conninfo comes last so that its settings override these defaults.
  const char* keys[] = {"connect_timeout", "keepalives",         "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "application_name",
                        "options",         "dbname",             nullptr};
  const char* values[] = {"5", "1", "10", "5", "3", "minishop",
                          "-c statement_timeout=30000", conninfo.c_str(), nullptr};
  pg_conn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) return MakeError(Code::kInternal, "postgres: out of memory");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = "postgres: connect: " + Trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return MakeError(Code::kUnavailable, std::move(message));
  }
  PQsetNoticeProcessor(conn, LogNotice, nullptr);
  return std::unique_ptr<Connection>(new Connection(conninfo, conn));
}

Connection::Connection(std::string conninfo, pg_conn* conn)
    : conninfo_(std::move(conninfo)), conn_(conn) {}

Connection::~Connection() { PQfinish(conn_); }

Status Connection::EnsureConnected() {
  if (PQstatus(conn_) == CONNECTION_OK) return OkStatus();
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return MakeError(Code::kUnavailable, "postgres: reconnect: " + Trimmed(PQerrorMessage(conn_)));
  }
  ++epoch_;
  return OkStatus();
}

Error Connection::ErrorFrom(pg_result* result, std::string_view what) {
  std::string prefix = "postgres: " + std::string(what) + ": ";
  if (result == nullptr || PQstatus(conn_) != CONNECTION_OK) {
    return MakeError(Code::kUnavailable, prefix + Trimmed(PQerrorMessage(conn_)));
  }
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  std::string_view sqlstate = state ? state : "";
  return MakeError(CodeForSqlState(sqlstate),
                   prefix + Trimmed(PQresultErrorMessage(result)) + " (SQLSTATE " +
                       std::string(sqlstate) + ")");
}

Result<Rows> Connection::Exec(std::string_view sql,
                              const std::vector<std::optional<std::string>>& params) {
  if (Status s = EnsureConnected(); !s.ok()) return s.error();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  std::string text(sql);
  pg_result* result = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr,
                                   values.data(), nullptr, nullptr, /*resultFormat=*/0);
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return Rows(result);
  Error error = ErrorFrom(result, "exec");
  PQclear(result);
  return error;
}

Status Connection::ExecScript(std::string_view sql) {
  if (Status s = EnsureConnected(); !s.ok()) return s;
  std::string text(sql);
  pg_result* result = PQexec(conn_, text.c_str());
  ExecStatusType status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY) {
    PQclear(result);
    return OkStatus();
  }
  Error error = ErrorFrom(result, "script");
  PQclear(result);
  return error;
}

Result<Transaction> Transaction::Begin(Connection& conn) {
  Result<Rows> r = conn.Exec("BEGIN");
  if (!r.ok()) return r.error();
  return Transaction(&conn, conn.epoch());
}

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)), epoch_(other.epoch_) {}

Transaction::~Transaction() {
  if (conn_ != nullptr) (void)Rollback();
}

Status Transaction::Commit() {
  Connection* conn = std::exchange(conn_, nullptr);
  if (conn == nullptr) return MakeError(Code::kInternal, "postgres: transaction already ended");
  if (conn->epoch() != epoch_) {
    return MakeError(Code::kUnavailable, "postgres: connection lost during the transaction");
  }
  // COMMIT of a transaction that already failed succeeds as a ROLLBACK: report it.
  Result<Rows> r = conn->Exec("COMMIT");
  if (!r.ok()) return r.error();
  if (r->command() != "COMMIT") {
    return MakeError(Code::kInternal, "postgres: transaction was aborted by an earlier error");
  }
  return OkStatus();
}

Status Transaction::Rollback() {
  Connection* conn = std::exchange(conn_, nullptr);
  if (conn == nullptr || conn->epoch() != epoch_) return OkStatus();
  Result<Rows> r = conn->Exec("ROLLBACK");
  if (!r.ok()) return r.error();
  return OkStatus();
}

}  // namespace minishop::pg
