// Bulk provisioning of load-test accounts: the admin path `minishop users provision`
// that creates many users directly in PostgreSQL and mints their tokens with the
// configured JWT secret, so a load generator can act as N real, authenticated shoppers
// without N Argon2id registrations through the API. Accounts made here get the
// minimum-cost password hash (auth.password_cost "min"): never use them for real people.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>

#include "common/config.h"
#include "common/result.h"

namespace minishop::app {

struct ProvisionOptions {
  int64_t count = 0;
  std::string prefix = "load";  // emails are "<prefix>-<i>@load.test", i = 1..count
  std::string password;         // empty: a random one (the tokens are what matters)
  int64_t token_ttl_s = 0;      // 0: config.auth.token_ttl_s
  int batch_size = 1000;        // rows per INSERT statement
};

// Creates (or reuses, when the email exists) `count` users in batched INSERTs on one
// connection to config.postgres, then writes one "<user_id> <token>" line per user to
// `out`, in email order. Blocks. kInvalidArgument for a bad option, kUnavailable/kInternal
// for database errors (users inserted by earlier batches stay).
Result<int64_t> ProvisionUsers(const Config& config, const ProvisionOptions& options,
                               std::ostream& out);

}  // namespace minishop::app
