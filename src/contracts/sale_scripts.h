// The Lua scripts that change a sale's keys (keys.h). The purchase writes the layout and
// the order and inventory roles rewrite it; with every writer here, the layout is defined
// in one place and a change to a key's shape is made to all of them at once. Each function
// returns a script's source: the caller wraps it once in a redis::Script (EVALSHA,
// NOSCRIPT-safe), builds its arguments and maps its reply to an outcome
// (seckill/purchase_script.h, order/saga.h, inventory/reconcile.h). Every script runs
// atomically: nothing can observe it half done.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "contracts/keys.h"

namespace minishop::contracts {

// --- The hot path (seckill) --------------------------------------------------------------

// The purchase, the only script that creates a reservation: checks the sale window (Redis
// clock), the per-user limit and the stock, then takes the units, records the buyer, marks
// the reservation pending and XADDs it to the outbox. One call carries the purchases of
// one sale that an event loop gathered in one iteration, decided one after the other in
// ARGV order. A purchase that carries the shopper's Idempotency-Key is recorded under it
// (status hash field `k:<user>:<key>` → reservation id), and a later purchase with the
// same user and key gets that reservation back instead of a second one: a retry after an
// answer that was lost or timed out cannot buy twice, even after sell-out or the end.
// KEYS: meta, stock, buyers, status, outbox (kPurchaseKeySuffixes).
// ARGV: sale_id, then user_id, qty, traceparent, idempotency key ("" for none) of each
// purchase.
// Reply: one array per purchase, in order: {0, stock_left, reservation_id, now_ms}
// reserved · {6, stock_left, reservation_id, now_ms} reserved earlier under this key ·
// {1, stock_left} sold out · {2, units_already} limit reached · {3, now_ms} not started ·
// {4, now_ms} ended · {5, stock_left} fewer units left than asked · {-1} no meta key (an
// unknown sale, or one whose Redis state is lost or being rebuilt).
std::string PurchaseLua();
inline constexpr std::array<std::string_view, 5> kPurchaseKeySuffixes = {
    kMetaSuffix, kStockSuffix, kBuyersSuffix, kStatusSuffix, kOutboxSuffix};

// A user's latest reservation; reads only.
// KEYS: status, meta. ARGV: user_id. Reply: -1 when the sale has no meta key, nil when the
// user has no reservation, or {reservation_id, status}.
std::string OrderStatusLua();

// --- The ledger after the purchase (order, inventory) ------------------------------------

// The KEYS of every script below but SetStatusLua, in this order: stock, buyers, status,
// returned, meta. One list, so that KEYS[n] names the same key in each of them; a script
// leaves alone the keys it does not need.
std::vector<std::string> LedgerKeys(int64_t sale_id);

// Returns a closed (cancelled or expired) order's units to the stock, exactly once: unless
// returned already names the order, adds them back, takes them from the buyer (or, without
// rebuy, counts them as kept_units) and sets the reservation's status to the final state.
// ARGV: order_id, user_id, qty, reservation_id, final status, rebuy (0/1).
// Reply: 1 returned, 0 already, -1 no sale (no stock key).
std::string ReturnStockLua();

// Sets the reservation's status to "<status>:<order_id>" unless Redis already shows a
// final state of this order or the id now names a newer reservation.
// KEYS: status alone. ARGV: reservation_id, order_id, status. Reply: 1 set, 0 left alone.
std::string SetStatusLua();

// Voids a reservation PostgreSQL refused, exactly once: its units go back to the stock and
// to the shopper's quota, its status becomes "failed", and returned remembers it as
// r:<reservation_id>:<ts_ms>.
// ARGV: reservation_id, ts_ms, user_id, qty. Reply: 1 voided, 0 already, 2 the status
// names an order (nothing to undo), -1 no sale.
std::string VoidReservationLua();

// Readmits a voided reservation whose dead letter was replayed: if the stock and the
// shopper's limit still allow, takes its units again, clears its mark and sets it pending.
// ARGV as VoidReservationLua. Reply: 1 readmitted, 2 never voided, 0 no longer fits,
// -1 no sale.
std::string ReadmitReservationLua();

// The order worker's publication of written orders: sets each order's status unless Redis
// already shows a final state of that order (or the id names a newer reservation). A
// reservation Redis has no trace of (its purchase was lost from the AOF, or the sale was
// rebuilt before the order landed) is adopted: its units are taken from the stock and
// added to the buyer, so Redis and PostgreSQL agree again; so is a voided one ("failed")
// that PostgreSQL took on a redelivery after all.
// ARGV: (reservation_id, order_id, status, user_id, qty) per order. Reply: units adopted.
std::string CacheOrdersLua();

// Inventory's repair from PostgreSQL: rewrites buyers, returned and statuses and sets the
// stock to stock_total − Σ buyers + kept_units. Keeps a user's in-flight reservation
// (latest status "pending") on top of PostgreSQL's units, and the marks of voided
// reservations (r:<rid>:<ts>, which no PostgreSQL row records).
// ARGV: stock_total, kept_units, then counted lists: users (user, units), closed orders
// (order_id, units), statuses (rid, value, live 0/1), latest reservation per user (user,
// rid). Reply: {stock, Σ buyers}.
std::string RepairLua();

}  // namespace minishop::contracts
