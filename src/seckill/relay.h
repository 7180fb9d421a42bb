// OutboxRelay: moves reservations from the sales' Redis outbox streams to RabbitMQ. It
// runs on its own thread with blocking clients; Start and Stop may be called from any one
// controlling thread. An entry leaves its stream (XACK + XDEL) only after RabbitMQ has
// confirmed the batch that carries it, so every reservation reaches the queue at least
// once through any Redis or RabbitMQ outage, and a crashed relay's entries are claimed by
// the others. Stream and message formats: contracts/keys.h.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/held_work.h"
#include "common/metrics.h"
#include "common/periodic_task.h"
#include "common/result.h"
#include "infra/amqp/connection.h"
#include "infra/redis/reply.h"

namespace minishop::amqp {
class Publisher;
}
namespace minishop::redis {
class SyncClient;
}

namespace minishop::seckill {

// One outbox stream entry as read from Redis. `fields` is empty when the entry was
// deleted while pending (nothing left to publish).
struct OutboxEntry {
  int64_t sale_id = 0;  // of the stream it was read from
  std::string id;       // stream entry id, e.g. "1700000000000-0"
  std::vector<std::pair<std::string, std::string>> fields;
};

// Parses the entries of an XREADGROUP reply (nil: no entries). kInternal on a reply of
// another shape or from a stream that is not an outbox key. The entries take the reply's
// strings (moved, not copied).
Result<std::vector<OutboxEntry>> ParseReadReply(redis::Reply reply);
// Parses the entries of an XAUTOCLAIM reply on the outbox of `sale_id`.
Result<std::vector<OutboxEntry>> ParseClaimReply(int64_t sale_id, redis::Reply reply);

// The reservation JSON object of a well-formed entry (contracts/keys.h), written out.
// kInvalidArgument naming the problem when a field is missing or invalid.
Result<std::string> ReservationJson(const OutboxEntry& entry);

// What the relay publishes for a batch of entries.
struct OutboxMessages {
  std::vector<amqp::Message> messages;
  uint64_t reservations = 0;  // well-formed entries carried
  uint64_t malformed = 0;     // entries parked in the dead-letter queue
};
// The messages for `entries`: the well-formed ones in order, packed into reservation
// messages (contracts/keys.h) of at most `per_message` to topology.queue through
// topology.exchange; each malformed one as a DeadLetterMessage. Deleted entries (no
// fields) are skipped.
OutboxMessages PackEntries(const std::vector<OutboxEntry>& entries, const amqp::Topology& topology,
                           size_t per_message);
// The message that parks a malformed entry in the dead-letter queue: the raw fields as a
// JSON object, headers x-minishop-reason and x-minishop-source.
amqp::Message DeadLetterMessage(const OutboxEntry& entry, const std::string& reason,
                                const amqp::Topology& topology);

class OutboxRelay {
 public:
  // Uses config.redis, config.amqp, config.relay and config.instance_id (the consumer
  // name in group "relay"; defaults to host name + pid when empty). Connects nothing yet.
  OutboxRelay(const Config& config, MetricsRegistry& metrics);
  ~OutboxRelay();  // Stop()
  OutboxRelay(const OutboxRelay&) = delete;
  OutboxRelay& operator=(const OutboxRelay&) = delete;

  // Starts the relay thread: rounds back to back (each waits up to relay.block_ms for new
  // entries); after a failure 50 ms, doubling up to redis.reconnect_max_ms. Call once.
  void Start();
  // Lets the batch in flight finish (published and removed from its stream, or left
  // pending for the next run if a dependency is down), then joins the thread. Idempotent.
  void Stop();

  // OK while the last attempt to reach Redis and RabbitMQ succeeded (before the first
  // attempt: OK); kUnavailable otherwise. Thread-safe and non-blocking, for /readyz.
  Status Health() const;

  // Whether the relay holds entries it read and RabbitMQ has not confirmed yet (released
  // once confirmed). Thread-safe, for the inventory rebuild.
  const HeldWork& held() const { return held_; }

 private:
  struct Batch {
    std::vector<OutboxEntry> entries;
    bool published = false;
  };

  Status Step();
  // After a failed Step: counts and logs it, and forgets what an outage may have undone.
  void Recover(const Error& error);
  Status EnsureConnected();
  Status RefreshSales();
  Result<std::vector<OutboxEntry>> ReadEntries();
  Result<std::vector<OutboxEntry>> ClaimEntries();
  Status Deliver();
  Status Publish();
  Status RemoveFromStreams();

  HeldWork held_;
  const Config config_;
  const amqp::ConnectOptions amqp_options_;
  const amqp::Topology topology_;
  const std::string consumer_;
  std::unique_ptr<redis::SyncClient> redis_;
  std::unique_ptr<amqp::Publisher> publisher_;

  std::vector<int64_t> sales_;    // whose outbox this relay drains
  int64_t next_refresh_ms_ = 0;   // steady ms of the next SMEMBERS ms:sales
  int64_t next_claim_ms_ = 0;     // steady ms of the next XAUTOCLAIM round
  int64_t linger_until_ms_ = 0;   // steady ms before which the next read waits (relay.linger_ms)
  bool read_own_pending_ = true;  // re-read our pending entries before new ones
  Batch batch_;                   // in flight; empty when idle

  Counter& published_;
  Counter& dead_lettered_;
  Counter& errors_;
  Gauge& backlog_;

  PeriodicTask task_;
};

}  // namespace minishop::seckill
