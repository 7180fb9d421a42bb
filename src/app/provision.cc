#include "app/provision.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

#include "auth/jwt.h"
#include "auth/password.h"
#include "auth/user_store.h"
#include "infra/pg/connection.h"

namespace minishop::app {
namespace {

std::string RandomPassword() {
  static const char kHex[] = "0123456789abcdef";
  std::random_device rd;
  std::string out;
  for (int i = 0; i < 24; ++i) out.push_back(kHex[rd() & 15]);
  return out;
}

// Inserts users first..last (inclusive) in one statement; an existing email keeps its row
// (and password) and still returns its id. Returns the ids in email order.
Result<std::vector<int64_t>> InsertBatch(pg::Connection& db, const ProvisionOptions& options,
                                         const std::string& password, int64_t first,
                                         int64_t last) {
  std::string sql = "INSERT INTO users (email, password_hash) VALUES ";
  std::vector<std::optional<std::string>> params;
  params.reserve(static_cast<size_t>(2 * (last - first + 1)));
  for (int64_t i = first; i <= last; ++i) {
    auto hash = auth::HashPassword(password, auth::PasswordCost::kMinimum);
    if (!hash.ok()) return hash.error();
    if (i != first) sql += ", ";
    sql += "($" + std::to_string(params.size() + 1) + ", $" + std::to_string(params.size() + 2) + ")";
    params.emplace_back(options.prefix + "-" + std::to_string(i) + "@load.test");
    params.emplace_back(std::move(*hash));
  }
  // DO UPDATE (a no-op write) rather than DO NOTHING so that existing rows are returned too.
  sql += " ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id, email";
  auto rows = db.Exec(sql, params);
  if (!rows.ok()) return rows.error();
  std::unordered_map<std::string, int64_t> by_email;
  for (size_t r = 0; r < rows->size(); ++r)
    by_email.emplace(std::string(rows->Get(r, 1)), rows->GetInt64(r, 0).value_or(0));
  std::vector<int64_t> ids;
  for (size_t k = 0; k < params.size(); k += 2) {
    auto it = by_email.find(*params[k]);
    if (it == by_email.end()) return MakeError(Code::kInternal, "no id returned for " + *params[k]);
    ids.push_back(it->second);
  }
  return ids;
}

}  // namespace

Result<int64_t> ProvisionUsers(const Config& config, const ProvisionOptions& options,
                               std::ostream& out) {
  if (options.count < 1 || options.count > 10'000'000)
    return MakeError(Code::kInvalidArgument, "--count must be in 1..10000000");
  if (options.prefix.empty() || options.prefix.find_first_of("@ \t") != std::string::npos)
    return MakeError(Code::kInvalidArgument, "--prefix must be non-empty, without '@' or spaces");
  if (options.batch_size < 1 || options.batch_size > 10'000)
    return MakeError(Code::kInvalidArgument, "batch size must be in 1..10000");
  std::string password = options.password.empty() ? RandomPassword() : options.password;
  if (Status s = auth::CheckPassword(password); !s.ok()) return s.error();
  auto db = pg::Connection::Open(config.postgres.conninfo);
  if (!db.ok()) return db.error();

  const auth::JwtCodec jwt(config.auth.jwt_secret);
  const int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  const int64_t ttl = options.token_ttl_s > 0 ? options.token_ttl_s : config.auth.token_ttl_s;
  for (int64_t first = 1; first <= options.count; first += options.batch_size) {
    int64_t last = std::min(options.count, first + options.batch_size - 1);
    auto ids = InsertBatch(**db, options, password, first, last);
    if (!ids.ok()) return ids.error();
    for (int64_t id : *ids) {
      out << id << ' ' << jwt.Sign({id, auth::Role::kUser, now_s, now_s + ttl}) << '\n';
    }
  }
  out.flush();
  if (!out) return MakeError(Code::kInternal, "writing the token file failed");
  return options.count;
}

}  // namespace minishop::app
