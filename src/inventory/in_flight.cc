#include "inventory/in_flight.h"

#include <spdlog/spdlog.h>

#include <thread>

#include "contracts/keys.h"
#include "infra/amqp/queue_info.h"

namespace minishop::inventory {
namespace {

using redis::Reply;
using Deadline = std::chrono::steady_clock::time_point;

Error DrainTimeout() {
  return MakeError(Code::kDeadlineExceeded, "reservations still in flight; rebuild later");
}

// Without a view of the whole pipeline: waits until nothing is queued for the order workers
// (two quiet looks in a row) and the sale's outbox is empty, then gives a batch held by a
// worker time to commit. 1.5 s at least, whatever is in flight.
Status WaitForQuietQueue(const Config& config, redis::SyncClient& redis, int64_t sale_id,
                         Deadline deadline) {
  const amqp::ConnectOptions options = amqp::ConnectOptions::FromConfig(config.amqp);
  int quiet = 0;
  while (quiet < 2) {
    if (std::chrono::steady_clock::now() > deadline) return DrainTimeout();
    Result<amqp::QueueCounts> q = amqp::InspectQueue(options, config.amqp.queue);
    Result<Reply> backlog = redis.Command({"XLEN", contracts::OutboxKey(sale_id)});
    if (!backlog.ok()) return backlog.error();
    if (q.ok() && q->ready == 0 && backlog->integer == 0) {
      ++quiet;
    } else {
      quiet = 0;
      if (!q.ok()) spdlog::warn("rebuild of sale {}: {}", sale_id, q.error().message);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  return OkStatus();
}

// Polls `stage` until everything it held at `before` is finished; false at `deadline`.
bool WaitFinished(const HeldWork& stage, const HeldWork::Snapshot& before, Deadline deadline) {
  while (!HeldWork::FinishedSince(before, stage.Look())) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

enum class Pipeline { kQuiet, kBusy, kUnprovable };

// One look along the way a reservation travels, in its order: this process's relay has
// handed to RabbitMQ what it held, the sale's outbox is empty, no message is ready, and
// whoever held unacknowledged messages — no consumer, or only this process's worker — has
// acknowledged them, which it does only after their orders are committed. Then every
// reservation made before the sale lost its meta key (none can be made after) is an order
// in PostgreSQL: kQuiet. The argument, step by step, is in docs/consistency.md. kBusy: some
// of it is still moving (the caller looks again); kUnprovable: another process may hold
// some (no local relay or worker, or other consumers on the queue).
Result<Pipeline> LookAlongThePipeline(const Config& config, redis::SyncClient& redis,
                                      int64_t sale_id, const PipelineProbe& probe,
                                      Deadline deadline) {
  if (probe.relay == nullptr || probe.worker == nullptr) return Pipeline::kUnprovable;
  const HeldWork::Snapshot worker_before = probe.worker->Look();
  if (!WaitFinished(*probe.relay, probe.relay->Look(), deadline)) return Pipeline::kBusy;
  Result<Reply> backlog = redis.Command({"XLEN", contracts::OutboxKey(sale_id)});
  if (!backlog.ok()) return backlog.error();
  if (backlog->integer != 0) return Pipeline::kBusy;
  Result<amqp::QueueCounts> q =
      amqp::InspectQueue(amqp::ConnectOptions::FromConfig(config.amqp), config.amqp.queue);
  if (!q.ok()) {
    spdlog::warn("rebuild of sale {}: {}", sale_id, q.error().message);
    return Pipeline::kBusy;
  }
  if (q->ready != 0) return Pipeline::kBusy;
  if (q->consumers == 0) return Pipeline::kQuiet;  // nobody holds unacknowledged messages
  if (q->consumers > 1) return Pipeline::kUnprovable;
  const HeldWork::Snapshot worker_after = probe.worker->Look();
  const bool stayed = worker_after.abandons == worker_before.abandons;
  if (!worker_before.connected || !worker_after.connected || !stayed) {
    // The one consumer is not ours, or ours reconnected meanwhile.
    return stayed ? Pipeline::kUnprovable : Pipeline::kBusy;
  }
  // Our worker was subscribed all along, so it is the one consumer: what it held when the
  // queue was looked at must be acknowledged (a batch between its commit and its ack
  // included), and must not have gone back to the queue instead.
  if (!WaitFinished(*probe.worker, worker_after, deadline)) return Pipeline::kBusy;
  if (probe.worker->Look().abandons != worker_before.abandons) return Pipeline::kBusy;
  return Pipeline::kQuiet;
}

}  // namespace

Status WaitForNothingInFlight(const Config& config, redis::SyncClient& redis, int64_t sale_id,
                              const PipelineProbe& probe) {
  const Deadline deadline = std::chrono::steady_clock::now() +
                            std::chrono::milliseconds(config.inventory.rebuild_drain_timeout_ms);
  for (;;) {
    Result<Pipeline> look = LookAlongThePipeline(config, redis, sale_id, probe, deadline);
    if (!look.ok()) return look.error();
    if (*look == Pipeline::kQuiet) return OkStatus();
    if (*look == Pipeline::kUnprovable) return WaitForQuietQueue(config, redis, sale_id, deadline);
    if (std::chrono::steady_clock::now() > deadline) return DrainTimeout();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace minishop::inventory
