// The order lifecycle in PostgreSQL and its mirror in Redis: the state transitions
// (awaiting_payment → paid | cancelled | expired, each a conditional UPDATE so that exactly
// one of racing transitions wins) and the compensation saga step that returns a closed
// order's units to the sale's Redis stock exactly once (invariant I5).
//
// The saga step, keyed by order id:
//   1. PostgreSQL: the transition to cancelled/expired sets stock_return = 'pending' in the
//      same UPDATE (CloseOrder / ExpireDue): the units leave the order atomically.
//   2. Redis: the stock-return script adds the units back unless ms:{s<id>}:returned already
//      names the order (so any retry is harmless) and updates buyers/status.
//   3. PostgreSQL: stock_return = 'done' (MarkReturned).
// A crash after 1 leaves the order 'pending'; the recovery job redoes 2 and 3 (FinishReturns).
//
// PostgreSQL functions block (run them on a pool or job thread); the Redis scripts are
// exposed as keys/args builders so that both the event loops (AsyncClient) and the jobs
// (SyncClient) run the same script.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "infra/pg/connection.h"
#include "infra/redis/async_client.h"
#include "infra/redis/reply.h"
#include "infra/redis/sync_client.h"

namespace minishop::order {

// An order row with what the saga needs.
struct OrderRow {
  int64_t order_id = 0;
  int64_t sale_id = 0;
  int64_t user_id = 0;
  int64_t quantity = 0;
  int64_t price_cents = 0;
  std::string reservation_id;
  std::string status;               // awaiting_payment | paid | cancelled | expired
  std::string stock_return;         // none | pending | done
  bool rebuy_after_return = false;  // the sale's setting
  int64_t reserved_at_ms = 0;
};

// The row of `order_id` (and, when `owner` > 0, only if that user owns it); nullopt if none.
Result<std::optional<OrderRow>> LoadOrder(pg::Connection& db, int64_t order_id, int64_t owner);

// awaiting_payment → paid for the owner's order. Returns the updated row, or nullopt when
// the order is not (or no longer) awaiting payment — the caller reads it to tell why.
Result<std::optional<OrderRow>> MarkPaid(pg::Connection& db, int64_t order_id, int64_t owner,
                                         const std::string& payment_ref, int64_t now_ms);

// awaiting_payment → `to` ("cancelled" or "expired"), stock_return = 'pending', in one
// conditional UPDATE. `owner` > 0 restricts it to that user's order. nullopt when another
// transition won (or the order does not exist).
Result<std::optional<OrderRow>> CloseOrder(pg::Connection& db, int64_t order_id, int64_t owner,
                                           std::string_view to, int64_t now_ms);

// Expires up to `limit` awaiting_payment orders reserved before `reserved_before_ms`
// (SKIP LOCKED: concurrent payers are not waited for), in one transaction that first
// claims `fence` for job `job` (ClaimFence). kConflict when the fence is stale.
Result<std::vector<OrderRow>> ExpireDue(pg::Connection& db, int64_t reserved_before_ms, int limit,
                                        const std::string& job, int64_t fence, int64_t now_ms);

// Records `fence` as the newest token of `job` unless a newer one was recorded: OK, or
// kConflict when the caller's lease is stale. Run inside the caller's transaction.
Status ClaimFence(pg::Connection& db, const std::string& job, int64_t fence);

// stock_return 'pending' → 'done' for every order of `order_ids`, in one UPDATE. Idempotent.
Status MarkReturned(pg::Connection& db, const std::vector<int64_t>& order_ids);

// Orders whose stock return has been pending since before `closed_before_ms`.
Result<std::vector<OrderRow>> PendingReturns(pg::Connection& db, int64_t closed_before_ms,
                                             int limit);

// --- Redis side -----------------------------------------------------------------------

enum class ReturnOutcome {
  kReturned,         // the units went back to the stock now
  kAlreadyReturned,  // an earlier attempt did it
  kSaleNotInRedis,   // the sale has no stock key: a rebuild will count the order from PG
};

// The stock-return script (contracts::ReturnStockLua, which states its KEYS, ARGV and
// reply), its keys and arguments for `order`, and its reply as an outcome.
const redis::Script& ReturnStockScript();
std::vector<std::string> ReturnStockKeys(const OrderRow& order);
std::vector<std::string> ReturnStockArgs(const OrderRow& order);
Result<ReturnOutcome> MapReturnReply(const redis::Reply& reply);

// Sets the reservation's status to "<status>:<order_id>" unless Redis already shows a
// final state of this order or the id now names a newer reservation
// (contracts::SetStatusLua). KEYS: status. ARGV: reservation_id, order_id, status.
const redis::Script& SetStatusScript();

// --- A reservation that cannot become an order ------------------------------------------
//
// PostgreSQL refused it (an unknown user or sale, a value out of range): the reservation is
// voided — its units go back to the stock and to the shopper's quota, its status becomes
// "failed" — exactly once, remembered as r:<reservation_id>:<ts_ms> in the returned hash.
// A replay of its dead letter (after the cause was fixed) readmits it: it takes the units
// again, if the stock and the shopper's limit still allow, and clears the mark, so that it
// is written as an order like any other (docs/consistency.md, "Failed reservations").

enum class VoidOutcome {
  kVoided,          // the units went back now; the status says "failed"
  kAlreadyVoided,   // an earlier attempt did it
  kIsAnOrder,       // the status names an order: nothing to undo
  kSaleNotInRedis,  // the sale has no stock key: a rebuild counts from PostgreSQL
};

// The void script (contracts::VoidReservationLua; KEYS: contracts::LedgerKeys), its
// arguments, and its reply as an outcome.
const redis::Script& VoidReservationScript();
std::vector<std::string> VoidArgs(const std::string& reservation_id, int64_t ts_ms, int64_t user_id,
                                  int64_t qty);
Result<VoidOutcome> MapVoidReply(const redis::Reply& reply);

enum class ReadmitOutcome {
  kReadmitted,    // the units are taken again; write the order
  kNeverVoided,   // no mark: write the order as usual (ON CONFLICT keeps it single)
  kNoLongerFits,  // sold out or over the shopper's limit since: it stays failed
  kSaleNotInRedis,
};

// The readmit script (contracts::ReadmitReservationLua; KEYS: contracts::LedgerKeys, ARGV
// as VoidArgs), and its reply as an outcome.
const redis::Script& ReadmitReservationScript();
Result<ReadmitOutcome> MapReadmitReply(const redis::Reply& reply);

// Steps 2 and 3 of the saga for orders PostgreSQL has already closed, in one pipelined
// round trip to Redis and one UPDATE. Blocks. Outcomes in order of `orders`. On failure some
// returns may be done in Redis and still pending in PostgreSQL; finishing them again is safe (the
// script remembers returned orders).
Result<std::vector<ReturnOutcome>> FinishReturns(pg::Connection& db, redis::SyncClient& redis,
                                                 const std::vector<OrderRow>& orders);

}  // namespace minishop::order
