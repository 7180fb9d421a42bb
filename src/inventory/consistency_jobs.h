// ConsistencyJobs: the inventory role's background threads, with blocking clients.
//   - Rebuild: sales whose Redis keys are missing (Redis lost its data, or a warm-up
//     failed) are rebuilt from PostgreSQL (inventory.rebuild_on_start). The job thread looks
//     for them at start, every 2 s, at once when Redis reports a fresh start (its run_id
//     changed) or has no keys any more, and at once when the request path met one
//     (RequestRebuild); it queues them in value order — live, upcoming, ended
//     (inventory/recovery.h) — and inventory.rebuild_parallelism rebuild threads, each with
//     its own Redis and PostgreSQL connection, take them from that queue.
//   - Reconciliation: every inventory.reconcile_interval_ms, the instance holding the lease
//     ms:lock:reconcile compares every sale's Redis keys with PostgreSQL and publishes the
//     drift (gauges minishop_inventory_drift and minishop_inventory_sales_drifting). It
//     never repairs by itself: `minishop reconcile --sale ID --repair` does. A sale that
//     reconciled clean once every order of it was final (SaleIsFinal) is not read again
//     by this process.
// Start and Stop from one controlling thread; RequestRebuild from any thread.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/background_thread.h"
#include "common/config.h"
#include "common/metrics.h"
#include "common/periodic_task.h"
#include "common/result.h"
#include "infra/redis/lock.h"
#include "inventory/reconcile.h"
#include "inventory/recovery.h"
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
  // `probe` names this process's relay and order worker, if it runs them; they must
  // outlive Stop().
  ConsistencyJobs(const Config& config, MetricsRegistry& metrics, PipelineProbe probe = {});
  ~ConsistencyJobs();  // Stop()
  ConsistencyJobs(const ConsistencyJobs&) = delete;
  ConsistencyJobs& operator=(const ConsistencyJobs&) = delete;

  void Start();
  void Stop();  // idempotent

  // Sale `sale_id` was found without its Redis state: look for missing sales now instead
  // of at the next round. Deduplicated (a sale queued or being rebuilt is not asked for
  // again); no-op without inventory.rebuild_on_start. Thread-safe; never blocks on I/O,
  // so event loops may call it.
  void RequestRebuild(int64_t sale_id);

 private:
  // One round of the job thread: looks for missing sales when due, reconciles when due.
  // Returns the first failure of either (each is logged and tried again when next due).
  Status Round();
  void RebuildLoop();
  // True when Redis reports a fresh start (its run_id changed) or lost every key (DBSIZE
  // fell to 0) since the last call.
  bool RedisLostData();
  Status QueueMissing();
  Status ReconcileAll();
  Status EnsurePg();

  const Config config_;
  const PipelineProbe probe_;
  std::unique_ptr<redis::SyncClient> redis_;
  std::unique_ptr<pg::Connection> pg_;
  Gauge& drift_;
  Gauge& drifting_;
  Counter& rebuilt_;
  Counter& rebuild_failures_;

  int64_t next_reconcile_ms_ = 0;      // steady ms
  int64_t next_check_ms_ = 0;          // steady ms of the next full look for missing sales
  int64_t last_check_ms_ = 0;          // steady ms of the last look
  std::string redis_run_id_;           // as last seen by INFO server
  int64_t redis_keys_ = 0;             // DBSIZE, as last seen
  std::set<int64_t> final_and_clean_;  // sales not read again (SaleIsFinal, then clean)
  RebuildRequests requests_;
  RebuildQueue queue_;
  std::vector<std::unique_ptr<BackgroundThread>> rebuilders_;
  PeriodicTask task_;
};

}  // namespace minishop::inventory
