// Inventory on the event loops: warming a sale into Redis, keeping the SaleCatalog fresh
// and computing a sale's stats with its invariant checks. Coroutines here run on one loop
// and use that loop's Redis client; database work goes through the pg::Pool.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "common/result.h"
#include "infra/pg/pool.h"
#include "infra/redis/async_client.h"
#include "inventory/sale.h"

namespace minishop::inventory {

// Writes the sale's meta hash, sets its stock only if absent (re-warming never resets a
// live stock), registers it for the relay and creates the outbox consumer group.
boost::asio::awaitable<Status> WarmSale(redis::AsyncClient& redis, const Sale& sale);

// Reloads sales from PostgreSQL and their stock from Redis into `catalog`, every
// `interval`, until the loop stops. Failures are logged and retried next round.
boost::asio::awaitable<void> RefreshCatalog(redis::AsyncClient& redis, pg::Pool& pool,
                                            SaleCatalog& catalog,
                                            std::chrono::milliseconds interval);

// Counts in PostgreSQL and Redis for one sale and the invariants I1–I5 (docs/consistency.md,
// "Invariants in the stats") evaluated on them, plus the stock-return bookkeeping.
// kUnavailable if either store is unreachable.
boost::asio::awaitable<Result<nlohmann::json>> SaleStats(redis::AsyncClient& redis, pg::Pool& pool,
                                                         const Sale& sale);

// The pure part of SaleStats: evaluates the invariants from the raw counts.
struct StatsInput {
  int64_t initial_stock = 0;
  int64_t limit_per_user = 1;
  int64_t redis_stock = 0;
  int64_t outbox_backlog = 0;
  std::unordered_map<int64_t, int64_t> redis_units;  // user -> units reserved (buyers hash)
  // user -> units of the user's orders that count toward the limit: live ones, plus closed
  // (cancelled/expired) ones when the sale does not let returning shoppers buy again.
  std::unordered_map<int64_t, int64_t> pg_units;
  int64_t pg_orders = 0;
  // Stock returns (I5). Units of closed orders included in pg_units, and PostgreSQL's
  // closed orders / Redis's returned orders (order id -> units).
  int64_t pg_kept_units = 0;
  std::unordered_map<int64_t, int64_t> pg_closed;
  int64_t pg_returns_pending = 0;  // closed orders whose saga step is not finished
  std::unordered_map<int64_t, int64_t> redis_returned;
  int64_t redis_kept_units = 0;  // returned units whose buyer quota was kept
  // Reservations PostgreSQL refused, voided with their units returned (order/saga.h).
  int64_t redis_failed_reservations = 0;
  int64_t redis_failed_units = 0;
};
nlohmann::json EvaluateStats(const StatsInput& in);

}  // namespace minishop::inventory
