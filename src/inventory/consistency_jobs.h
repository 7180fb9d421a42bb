// ConsistencyJobs: the inventory role's background thread, with blocking clients.
//   - Rebuild: sales whose Redis keys are missing (Redis lost its data, or a warm-up
//     failed) are rebuilt from PostgreSQL, at start and every few seconds after
//     (inventory.rebuild_on_start).
//   - Reconciliation: every inventory.reconcile_interval_ms, the instance holding the lease
//     ms:lock:reconcile compares every sale's Redis keys with PostgreSQL and publishes the
//     drift (gauges minishop_inventory_drift and minishop_inventory_sales_drifting). It
//     never repairs by itself: `minishop reconcile --sale ID --repair` does.
// Start and Stop from one controlling thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "common/background_thread.h"
#include "common/config.h"
#include "common/metrics.h"
#include "common/result.h"
#include "infra/redis/lock.h"

namespace minishop::pg {
class Connection;
}

namespace minishop::inventory {

class ConsistencyJobs {
 public:
  ConsistencyJobs(const Config& config, MetricsRegistry& metrics);
  ~ConsistencyJobs();  // Stop()
  ConsistencyJobs(const ConsistencyJobs&) = delete;
  ConsistencyJobs& operator=(const ConsistencyJobs&) = delete;

  void Start();
  void Stop();  // idempotent

 private:
  void Run();
  Status RebuildMissing();
  Status ReconcileAll();
  Status EnsurePg();
  bool Stopping();

  const Config config_;
  std::unique_ptr<redis::SyncClient> redis_;
  std::unique_ptr<pg::Connection> pg_;
  Gauge& drift_;
  Gauge& drifting_;
  Counter& rebuilt_;

  BackgroundThread thread_;
};

}  // namespace minishop::inventory
