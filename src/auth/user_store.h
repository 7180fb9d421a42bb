// UserStore: accounts in PostgreSQL (users table). Every function blocks on the database:
// call it on a pg::Pool thread (through pg::AsyncRun), never on an event loop.
#pragma once

#include <string>

#include "auth/jwt.h"
#include "auth/password.h"
#include "common/result.h"
#include "infra/pg/connection.h"

namespace minishop::auth {

struct User {
  int64_t id = 0;
  std::string email;
  Role role = Role::kUser;
};

// Emails are trimmed and lower-cased; a valid one has a single '@' with text on both
// sides and at most 254 characters. Passwords need 8..128 bytes.
Result<std::string> NormalizeEmail(std::string_view email);
Status CheckPassword(std::string_view password);

// Creates a user. kInvalidArgument for an invalid email/password, kConflict if the email is
// taken, kUnavailable if the database is unreachable.
Result<User> RegisterUser(pg::Connection& db, std::string_view email, std::string_view password,
                          PasswordCost cost, Role role = Role::kUser);

// kUnauthenticated for an unknown email or a wrong password (same message for both).
Result<User> LoginUser(pg::Connection& db, std::string_view email, std::string_view password);

// Creates the admin account from config if no user has that email; an existing account
// is left as it is. Used at start-up.
Status EnsureAdmin(pg::Connection& db, std::string_view email, std::string_view password,
                   PasswordCost cost);

}  // namespace minishop::auth
