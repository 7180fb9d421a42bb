// The purchase Lua script and the mapping of its reply to an outcome. The script is the
// only writer of a sale's stock, buyers and outbox: it checks the sale window (Redis
// clock), the per-user limit and the stock, then decrements the stock, records the buyer,
// marks the reservation pending and XADDs it to the outbox — atomically, so nothing can
// observe a half-done reservation. One call carries every purchase of one sale that an
// event loop gathered in one iteration, decided one after the other in ARGV order.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "infra/redis/reply.h"

namespace minishop::seckill {

// KEYS: meta, stock, buyers, status, outbox (contracts/keys.h).
// ARGV: sale_id, then user_id, qty, traceparent of each purchase.
// Reply: one array per purchase, in order: {0, stock_left, reservation_id, now_ms}
// reserved · {1, stock_left} sold out · {2, units_already} limit reached · {3, now_ms}
// not started · {4, now_ms} ended · {5, stock_left} fewer units left than asked · {-1}
// no meta key (an unknown sale, or one whose Redis state is lost or being rebuilt).
extern const char* const kPurchaseLua;

// KEYS: status, meta. ARGV: user_id. Reply: -1 when the sale has no meta key, nil when the
// user has no reservation, or {reservation_id, status}.
extern const char* const kOrderStatusLua;

// The message of kRecovering when a sale's meta key is missing.
extern const char* const kSaleStateMissing;

struct Reservation {
  std::string reservation_id;
  int64_t stock_left = 0;
  int64_t reserved_at_ms = 0;
};

// Maps one purchase's part of the script's reply to a Reservation or to kSoldOut, kLimitReached,
// kNotStarted, kEnded, kRecovering (no meta key: Redis knows no such sale; whether the sale
// exists is for the caller to decide); a Redis error reply or an unexpected shape is
// kInternal.
Result<Reservation> MapPurchaseReply(const redis::Reply& reply);

}  // namespace minishop::seckill
