// Idempotency-Keys of the order transitions (pay, cancel): a retried request with the same
// key gets the first request's answer; the same key with a different request is refused.
// The keys live in table idempotency_keys, and a transition records its answer in the same
// transaction as the order's change. Blocking functions: run them on a pg::Pool thread.
//
// (Purchases keep their keys in Redis, next to the sale, since they never touch PostgreSQL
// on the request path: gateway/purchase_keys.h.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "infra/pg/connection.h"

namespace minishop::order {

// A transition's answer as the key keeps it: `status` 200 and the order as JSON, or
// status 0 and the refusal as {"error":{"code","reason","message"}} (order_local.cc).
struct StoredAnswer {
  int status = 0;
  std::string body;  // JSON
};

struct KeyClaim {
  enum class Kind { kNew, kReplay, kMismatch, kInProgress };
  Kind kind = Kind::kNew;
  StoredAnswer answer;  // kReplay
};

struct KeyRef {
  int64_t user_id = 0;
  std::string scope;  // "pay", "cancel"
  std::string key;
  std::string fingerprint;
};

// Claims `ref` for this request: kNew (go ahead), kReplay (answer with `answer`), kMismatch
// (same key, another request) or kInProgress (a first request still runs). A claim left
// unfinished for a minute (its process died) is taken over as kNew. kNotFound ("no such
// order") when no user has `ref.user_id`.
Result<KeyClaim> ClaimKey(pg::Connection& db, const KeyRef& ref);
// Records the answer of a claimed key (inside the caller's transaction, if any).
Status StoreAnswer(pg::Connection& db, const KeyRef& ref, const StoredAnswer& answer);
// Drops a claim whose request failed transiently, so that a retry runs again.
Status ForgetKey(pg::Connection& db, const KeyRef& ref);

}  // namespace minishop::order
