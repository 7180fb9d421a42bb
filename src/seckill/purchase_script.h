// The outcome of a purchase: the mapping of the purchase script's reply
// (contracts::PurchaseLua, contracts/sale_scripts.h) to a Reservation or an error code.
#pragma once

#include <cstdint>
#include <string>

#include "common/result.h"
#include "infra/redis/reply.h"

namespace minishop::seckill {

// The message of kRecovering when a sale's meta key is missing.
extern const char* const kSaleStateMissing;

struct Reservation {
  std::string reservation_id;
  int64_t stock_left = 0;
  int64_t reserved_at_ms = 0;
  // Made earlier by a purchase with the same Idempotency-Key, not by this call.
  bool replayed = false;
};

// Maps one purchase's part of the script's reply to a Reservation or to kSoldOut, kLimitReached,
// kNotStarted, kEnded, kRecovering (no meta key: Redis knows no such sale; whether the sale
// exists is for the caller to decide); a Redis error reply or an unexpected shape is
// kInternal.
Result<Reservation> MapPurchaseReply(const redis::Reply& reply);

}  // namespace minishop::seckill
