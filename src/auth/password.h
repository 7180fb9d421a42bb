// Password hashing with Argon2id (libsodium). CPU- and memory-hard by design: call it on
// a worker thread, never on an event loop. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"

namespace minishop::auth {

enum class PasswordCost {
  kInteractive,  // libsodium's OPSLIMIT/MEMLIMIT_INTERACTIVE: for real accounts
  kMinimum,      // the algorithm's minimum: tests and provisioned load-test users only
};

// Returns the encoded hash ("$argon2id$v=19$..."), or kInternal if memory is exhausted.
Result<std::string> HashPassword(std::string_view password, PasswordCost cost);

// True if `password` matches `encoded_hash` (constant time in the password).
bool VerifyPassword(std::string_view encoded_hash, std::string_view password);

// Initialises libsodium; call once at start-up. Returns false if it cannot.
bool InitCrypto();

}  // namespace minishop::auth
