// The Redis key layout of a sale and the wire format of a reservation: the contract
// between the purchase script (seckill), the outbox relay, the order worker and the
// inventory role. Every key of one sale shares the hash tag {s<id>}, so one Lua script can
// touch all of them on a Redis Cluster node.
//
//   ms:{s<id>}:meta    hash   start_ms, end_ms, limit, price_cents, stock_total
//   ms:{s<id>}:stock   string units left (DECRBY'd by the purchase script only)
//   ms:{s<id>}:buyers  hash   <user_id> -> units reserved by that user
//   ms:{s<id>}:status  hash   u:<user_id> -> the user's latest reservation id
//                              <reservation_id> -> "pending" | "awaiting_payment:<order_id>"
//                                                  | "paid:<order_id>" | "cancelled:<order_id>"
//                                                  | "expired:<order_id>"
//   ms:{s<id>}:outbox  stream one entry per reservation, fields:
//                              rid, sale, user, qty, price, ts (epoch ms), tp (traceparent)
//   ms:{s<id>}:returned hash  o:<order_id> -> units returned to stock for that order (written
//                              once, by the stock-return script: order/saga.h), and
//                              kept_units -> returned units whose buyer quota was kept
//   ms:sales           set    ids of sales whose outbox the relay drains
//
// A reservation id is "<sale_id>-<user_id>-<n>" where n is the index of the user's first
// unit in this reservation (1-based). It is deterministic, unique per (sale, user, unit) and
// is, with the reservation's ts, the idempotency key of the order row (UNIQUE
// (reservation_id, reserved_at_ms): an id is reused only after its units were returned to
// a sale that lets returning shoppers buy again).
//
// The AMQP messages the relay publishes (persistent, content-type application/json) carry
// a JSON array of up to relay.reservations_per_message reservations, each
// {"reservation_id":"…","sale_id":N,"user_id":N,"qty":N,"price_cents":N,"ts_ms":N,
// "traceparent":"…"} (written by reservation_wire.h); header "traceparent" is the first
// one's. A body that is a single such object is one reservation (the shape of a reservation
// dead-lettered by the order worker). A message republished from the dead-letter queue by
// an operator carries header x-minishop-replayed: 1 (its reservations may have been voided:
// order/saga.h).
#pragma once

#include <cstdint>
#include <string>

namespace minishop::contracts {

inline std::string SaleTag(int64_t sale_id) { return "ms:{s" + std::to_string(sale_id) + "}"; }
inline std::string MetaKey(int64_t sale_id) { return SaleTag(sale_id) + ":meta"; }
inline std::string StockKey(int64_t sale_id) { return SaleTag(sale_id) + ":stock"; }
inline std::string BuyersKey(int64_t sale_id) { return SaleTag(sale_id) + ":buyers"; }
inline std::string StatusKey(int64_t sale_id) { return SaleTag(sale_id) + ":status"; }
inline std::string OutboxKey(int64_t sale_id) { return SaleTag(sale_id) + ":outbox"; }
inline std::string ReturnedKey(int64_t sale_id) { return SaleTag(sale_id) + ":returned"; }
inline constexpr const char* kActiveSalesKey = "ms:sales";
inline constexpr const char* kRelayGroup = "relay";
inline constexpr const char* kReplayedHeader = "x-minishop-replayed";

}  // namespace minishop::contracts

// The gateway, rewritten alongside this move, still spells these seckill::…; remove once it
// says contracts::.
namespace minishop::seckill {
using contracts::kReplayedHeader;
using contracts::SaleTag;
using contracts::StatusKey;
}  // namespace minishop::seckill
