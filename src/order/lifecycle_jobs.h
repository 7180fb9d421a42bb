// LifecycleJobs: the order role's background work on its own thread, with blocking clients.
// Every round (order.expiry_scan_interval_ms) it holds or renews a distributed lease
// (ms:lock:order-lifecycle), so one instance at a time, across processes, runs:
//   - expiry: awaiting_payment orders reserved more than order.payment_deadline_ms ago
//     become expired (conditional UPDATE, fenced by the lease's token) and their stock is
//     returned (saga step, order/saga.h);
//   - recovery: stock returns left 'pending' for order.return_retry_after_ms (a crash
//     between the PostgreSQL update and Redis) are finished.
// Start and Stop from one controlling thread.
#pragma once

#include <memory>
#include <optional>

#include "common/config.h"
#include "common/metrics.h"
#include "common/periodic_task.h"
#include "common/result.h"
#include "infra/redis/lock.h"

namespace minishop::pg {
class Connection;
}

namespace minishop::order {

class LifecycleJobs {
 public:
  LifecycleJobs(const Config& config, MetricsRegistry& metrics);
  ~LifecycleJobs();  // Stop()
  LifecycleJobs(const LifecycleJobs&) = delete;
  LifecycleJobs& operator=(const LifecycleJobs&) = delete;

  // Starts the job thread: the first round at once, the next ones (after a failure too)
  // every order.expiry_scan_interval_ms. Call once.
  void Start();
  // Finishes the round in flight, joins, releases the lease. Idempotent.
  void Stop();

  static constexpr const char* kLockKey = "ms:lock:order-lifecycle";

 private:
  Status Round();
  Result<bool> HoldLease();
  Status Expire();
  Status Recover();

  const Config config_;
  std::unique_ptr<redis::SyncClient> redis_;
  std::unique_ptr<pg::Connection> pg_;
  redis::DistributedLock lock_;
  std::optional<redis::Lease> lease_;

  Counter& expired_;
  Counter& returned_;
  Counter& recovered_;
  Counter& errors_;

  PeriodicTask task_;
};

}  // namespace minishop::order
