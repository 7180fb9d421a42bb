// OrderWorker: turns reservation messages into PostgreSQL orders. It runs on its own thread
// with blocking clients; Start and Stop may be called from any one controlling thread.
// Each batch is written in one transaction (idempotent by reservation id), its status is
// set in Redis (ms:{s<id>}:status <reservation_id> → "<status>:<order_id>"; a reservation
// Redis lost is re-reserved there: contracts::CacheOrdersLua), and only
// then acknowledged, so a crash at any point leads to a redelivery, never a lost or
// duplicated order. A message carries one reservation or an array of them (contracts/keys.h).
// A message that is not JSON of that shape is rejected to the dead-letter queue whole; a
// poison reservation inside one (malformed, unknown sale or user) is published to the
// dead-letter queue alone, confirmed, before its message is acknowledged.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/config.h"
#include "common/held_work.h"
#include "common/metrics.h"
#include "common/periodic_task.h"
#include "common/result.h"
#include "infra/amqp/connection.h"
#include "order/order_store.h"
#include "order/reservation.h"

namespace minishop::amqp {
class Consumer;
class Publisher;
}  // namespace minishop::amqp
namespace minishop::pg {
class Connection;
}
namespace minishop::redis {
class SyncClient;
}

namespace minishop::order {

class OrderWorker {
 public:
  // Uses config.amqp (queue, prefetch), config.postgres.conninfo, config.redis and
  // config.order (batch_size, batch_wait_ms). Connects nothing yet.
  OrderWorker(const Config& config, MetricsRegistry& metrics);
  ~OrderWorker();  // Stop()
  OrderWorker(const OrderWorker&) = delete;
  OrderWorker& operator=(const OrderWorker&) = delete;

  // Starts the worker thread: rounds back to back (an idle round waits a moment for a first
  // message); after a failure 50 ms, doubling up to redis.reconnect_max_ms. Call once.
  void Start();
  // Lets the batch in flight finish (written, cached and acked — or, if a dependency is
  // down, left unacked for redelivery), then joins the thread. Idempotent.
  void Stop();

  // OK while the last round reached RabbitMQ, PostgreSQL and Redis (before the first: OK);
  // kUnavailable otherwise. Thread-safe and non-blocking, for /readyz.
  Status Health() const;

  // Whether the worker holds deliveries it has not acknowledged (released once acked or
  // rejected; abandoned when its channel broke and the broker took them back). Thread-safe,
  // for the inventory rebuild.
  const HeldWork& held() const { return held_; }

 private:
  struct Item {
    uint64_t tag;
    Reservation reservation;
    bool replayed = false;  // republished from the dead-letter queue: readmit first
  };
  struct Batch {
    std::vector<Item> items;
    std::vector<PoisonReservation> poison;  // to park in the dead-letter queue
    std::vector<Reservation> refused;       // refused by PostgreSQL: to void once parked
    std::vector<StoredOrder> orders;
    uint64_t ack_tag = 0;   // highest delivery tag to acknowledge (0: none)
    uint64_t messages = 0;  // deliveries to acknowledge
    bool readmitted = false;
    bool written = false;
    bool parked = false;
    bool voided = false;
    bool cached = false;
    int64_t started_us = 0;
  };

  Status Step();
  // After a failed Step: counts and logs it; drops a broken channel and the batch whose
  // delivery tags died with it.
  void Recover(const Error& error);
  Status EnsureConnected();
  Status Collect();
  Status Readmit();
  Status Write();
  Status Park();
  Status Void();
  Status Cache();
  Status Acknowledge();
  Status Reject(uint64_t tag, const std::string& why);

  const Config config_;
  const amqp::ConnectOptions amqp_options_;
  const amqp::Topology topology_;
  std::unique_ptr<amqp::Consumer> consumer_;
  std::unique_ptr<amqp::Publisher> dead_letters_;  // opened when poison first needs parking
  std::unique_ptr<pg::Connection> pg_;
  std::unique_ptr<redis::SyncClient> redis_;
  Batch batch_;  // in flight; no items when idle

  Counter& written_;
  Counter& batches_;
  Counter& messages_;
  Counter& dead_lettered_;
  Counter& adopted_;
  Counter& failed_;
  Counter& readmitted_;
  Counter& errors_;
  Histogram& batch_seconds_;

  HeldWork held_;
  PeriodicTask task_;
};

}  // namespace minishop::order
