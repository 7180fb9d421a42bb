// ConsistencyJobs: the inventory role's background thread, with blocking clients.
//   - Rebuild: sales whose Redis keys are missing (Redis lost its data, or a warm-up
//     failed) are rebuilt from PostgreSQL, at start and every few seconds after
//     (inventory.rebuild_on_start).
//   - Reconciliation: every inventory.reconcile_interval_ms, the instance holding the lease
//     ms:lock:reconcile compares every sale's Redis keys with PostgreSQL and publishes the
//     drift (gauges minishop_inventory_drift and minishop_inventory_sales_drifting). It
//     never repairs by itself: `minishop reconcile --sale ID --repair` does. A sale that
//     reconciled clean once every order of it was final (SaleIsFinal) is not read again
//     by this process.
// Start and Stop from one controlling thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "common/background_thread.h"
#include "common/config.h"
#include "common/metrics.h"
#include "common/result.h"
#include "infra/redis/lock.h"
#include "inventory/sale.h"

namespace minishop::pg {
class Connection;
}

namespace minishop::inventory {

// True once nothing but an operator can change sale `sale`'s orders any more: its end, the
// payment deadline, an expiry scan and the retry of a half-done stock return have passed,
// plus one reconciliation interval of margin. Pure.
bool SaleIsFinal(const Sale& sale, const Config& config, int64_t now_epoch_ms);

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

  std::set<int64_t> final_and_clean_;  // sales not read again (SaleIsFinal, then clean)
  BackgroundThread thread_;
};

}  // namespace minishop::inventory
