// Idempotency-Key on the public API (the IETF httpapi Idempotency-Key draft; the header is
// read and validated by net::IdempotencyKeyOf): fingerprinting a request, and the
// purchase's stored answers, which live in Redis next to the sale
// (ms:{s<id>}:idem:<user>:<key>, expiring after order.idempotency_ttl_s) because a purchase
// never touches PostgreSQL on the request path. The order transitions' keys are the order
// service's (order/idempotency_store.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "net/http_types.h"

namespace minishop::gateway {

// Hex SHA-256 of what identifies a request: `scope` (e.g. "pay:42") and the body.
std::string RequestFingerprint(std::string_view scope, std::string_view body);

// Key of the stored purchase answer for (sale, user, key).
std::string PurchaseKeyName(int64_t sale_id, int64_t user_id, std::string_view key);
// Whether a purchase answer is final, so that a retry must get it again (202, 409, 410,
// 404, 400) rather than be run again (429, 503, 425, ...).
bool IsFinalPurchaseAnswer(int status);

}  // namespace minishop::gateway
