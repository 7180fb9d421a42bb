// Redis ↔ PostgreSQL consistency for one sale, with PostgreSQL as the source of truth:
// compare (Reconcile), repair, and rebuild after Redis lost the sale's keys. Blocking: run
// on a job thread or from the command line (`minishop reconcile`, `minishop inventory
// rebuild`).
//
// What "agree" means (docs/consistency.md): for every user, buyers[user] equals the units
// of the user's orders that count toward the limit (all of them, or only live ones when the
// sale lets returning shoppers buy again) plus the units of a reservation still in flight
// (status "pending": in the outbox, RabbitMQ or the worker); the returned hash names exactly
// the cancelled/expired orders whose return is done; and
//   stock == stock_total − Σ buyers + kept_units.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "common/config.h"
#include "common/result.h"
#include "infra/pg/connection.h"
#include "infra/redis/sync_client.h"
#include "inventory/in_flight.h"
#include "inventory/sale.h"

namespace minishop::inventory {

struct Drift {
  int64_t stock = 0;            // Redis stock minus what PostgreSQL implies
  int64_t buyer_units = 0;      // Σ |buyers[user] − expected| over users
  int64_t returns = 0;          // closed orders not returned in Redis, or returned but live
  int64_t statuses = 0;         // orders whose Redis status differs from PostgreSQL
  int64_t in_flight_units = 0;  // reserved in Redis, not yet orders (not drift)
  int64_t returns_pending = 0;  // saga steps PostgreSQL started and Redis has not finished
  // Reservations PostgreSQL refused and the order worker voided (order/saga.h): consistent,
  // but each is a shopper told "failed" and a dead letter waiting for an operator, so they
  // count as drift until replayed.
  int64_t failed_reservations = 0;
  bool sale_in_redis = true;  // false: the sale's keys are missing (rebuild needed)

  int64_t total() const;
  nlohmann::json ToJson() const;
};

struct ReconcileReport {
  Drift before;
  bool repaired = false;
  Drift after;  // when repaired
};

// Compares the sale's Redis keys with PostgreSQL; with `repair`, rewrites stock, buyers,
// returned and order statuses from PostgreSQL in one atomic script, keeping reservations
// still in flight. kNotFound for an unknown sale; kUnavailable when a store is down.
Result<ReconcileReport> Reconcile(pg::Connection& db, redis::SyncClient& redis, int64_t sale_id,
                                  bool repair);
// The same for a sale already loaded (the periodic job loads them all once per round).
Result<ReconcileReport> Reconcile(pg::Connection& db, redis::SyncClient& redis, const Sale& sale,
                                  bool repair);

// Recreates a sale whose Redis keys are missing. First it makes sure every reservation
// still in flight (outbox, relay, RabbitMQ, order worker) has become an order, waiting up
// to config.inventory.rebuild_drain_timeout_ms: with `probe` naming this process's relay
// and worker and the worker the queue's only consumer, it proves that at once when nothing
// is in flight and waits only for what is; otherwise it waits until the queue and the
// outbox look empty twice (docs/consistency.md). Then it writes stock, buyers, statuses
// and returns from PostgreSQL and only then the meta hash that opens the sale to
// purchases. Runs under a distributed lock per sale. Blocks. kConflict when the sale still
// has its keys (use Reconcile with repair) or another rebuild runs; kDeadlineExceeded when the
// reservations in flight do not land in time; kNotFound for an unknown sale.
Result<Drift> Rebuild(const Config& config, pg::Connection& db, redis::SyncClient& redis,
                      int64_t sale_id, const PipelineProbe& probe = {});

// The sales of `sales` whose meta hash is missing in Redis (one pipelined round trip).
Result<std::vector<Sale>> SalesMissingFromRedis(redis::SyncClient& redis, std::vector<Sale> sales);

}  // namespace minishop::inventory
