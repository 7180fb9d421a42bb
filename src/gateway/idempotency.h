// Idempotency-Key support: a retried request with the same key gets the first request's
// answer; the same key with a different request is refused (422).
//
// Two stores, because the two endpoints live in different places:
//   - order transitions (pay, cancel) already write PostgreSQL, so their keys live in table
//     idempotency_keys, and a successful transition records its answer in the same
//     transaction (blocking functions: run them on a pg::Pool thread);
//   - purchases never touch PostgreSQL on the request path, so their keys live in Redis
//     next to the sale (ms:{s<id>}:idem:<user>:<key>, expiring after
//     order.idempotency_ttl_s).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "infra/pg/connection.h"
#include "net/http_types.h"

namespace minishop::gateway {

// The Idempotency-Key header, if present. kBadRequest for an empty or over-long key, one
// with a byte outside printable ASCII, or several Idempotency-Key fields.
Result<std::optional<std::string>> IdempotencyKeyOf(const net::Request& request);

// Hex SHA-256 of what identifies a request: `scope` (e.g. "pay:42") and the body.
std::string RequestFingerprint(std::string_view scope, std::string_view body);

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
// (same key, another request: 422) or kInProgress (a first request still runs: 409). A
// claim left unfinished for a minute (its process died) is taken over as kNew.
Result<KeyClaim> ClaimKey(pg::Connection& db, const KeyRef& ref);
// Records the answer of a claimed key (inside the caller's transaction, if any).
Status StoreAnswer(pg::Connection& db, const KeyRef& ref, const StoredAnswer& answer);
// Drops a claim whose request failed transiently, so that a retry runs again.
Status ForgetKey(pg::Connection& db, const KeyRef& ref);

// Purchase keys (Redis). Key of the stored answer for (sale, user, key).
std::string PurchaseKeyName(int64_t sale_id, int64_t user_id, std::string_view key);
// Whether a purchase answer is final, so that a retry must get it again (202, 409, 410,
// 404, 400) rather than be run again (429, 503, 425, ...).
bool IsFinalPurchaseAnswer(int status);

}  // namespace minishop::gateway
