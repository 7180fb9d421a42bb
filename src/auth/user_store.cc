#include "auth/user_store.h"

#include <algorithm>
#include <cctype>

namespace minishop::auth {

Result<std::string> NormalizeEmail(std::string_view email) {
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.front())))
    email.remove_prefix(1);
  while (!email.empty() && std::isspace(static_cast<unsigned char>(email.back())))
    email.remove_suffix(1);
  std::string out(email);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  size_t at = out.find('@');
  if (out.size() > 254 || at == std::string::npos || at == 0 || at + 1 == out.size() ||
      out.find('@', at + 1) != std::string::npos ||
      std::any_of(out.begin(), out.end(),
                  [](unsigned char c) { return std::isspace(c) || c < 0x20; }))
    return MakeError(Code::kInvalidArgument, "email is not a valid address");
  return out;
}

Status CheckPassword(std::string_view password) {
  if (password.size() < 8 || password.size() > 128)
    return MakeError(Code::kInvalidArgument, "password must be 8 to 128 bytes long");
  return OkStatus();
}

Result<User> RegisterUser(pg::Connection& db, std::string_view email, std::string_view password,
                          PasswordCost cost, Role role) {
  auto normalized = NormalizeEmail(email);
  if (!normalized.ok()) return normalized.error();
  if (Status s = CheckPassword(password); !s.ok()) return s.error();
  auto hash = HashPassword(password, cost);
  if (!hash.ok()) return hash.error();
  auto rows =
      db.Exec("INSERT INTO users (email, password_hash, role) VALUES ($1, $2, $3) RETURNING id",
              {*normalized, *hash, std::string(RoleName(role))});
  if (!rows.ok()) {
    if (rows.code() == Code::kConflict)
      return MakeError(Code::kConflict, "email is already registered");
    return rows.error();
  }
  return User{rows->GetInt64(0, 0).value_or(0), *normalized, role};
}

Result<User> LoginUser(pg::Connection& db, std::string_view email, std::string_view password) {
  auto normalized = NormalizeEmail(email);
  if (!normalized.ok()) return MakeError(Code::kUnauthenticated, "wrong email or password");
  auto rows = db.Exec("SELECT id, password_hash, role FROM users WHERE email = $1", {*normalized});
  if (!rows.ok()) return rows.error();
  if (rows->size() != 1 || !VerifyPassword(rows->Get(0, 1), password))
    return MakeError(Code::kUnauthenticated, "wrong email or password");
  return User{rows->GetInt64(0, 0).value_or(0), *normalized,
              rows->Get(0, 2) == "admin" ? Role::kAdmin : Role::kUser};
}

Status EnsureAdmin(pg::Connection& db, std::string_view email, std::string_view password,
                   PasswordCost cost) {
  auto normalized = NormalizeEmail(email);
  if (!normalized.ok()) return normalized.error();
  auto rows = db.Exec("SELECT 1 FROM users WHERE email = $1", {*normalized});
  if (!rows.ok()) return rows.error();
  if (rows->size() > 0) return OkStatus();
  auto created = RegisterUser(db, *normalized, password, cost, Role::kAdmin);
  if (!created.ok() && created.code() != Code::kConflict) return created.error();
  return OkStatus();
}

}  // namespace minishop::auth
