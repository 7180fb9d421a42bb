#include "inventory/consistency_jobs.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "common/clock.h"
#include "infra/pg/connection.h"
#include "inventory/reconcile.h"

namespace minishop::inventory {
namespace {
constexpr std::chrono::milliseconds kRebuildCheck{2'000};
}  // namespace

ConsistencyJobs::ConsistencyJobs(const Config& config, MetricsRegistry& metrics)
    : config_(config),
      redis_(std::make_unique<redis::SyncClient>(
          config.redis.host, config.redis.port,
          std::chrono::milliseconds(config.redis.command_timeout_ms))),
      drift_(metrics.GetGauge("minishop_inventory_drift",
                              "Redis/PostgreSQL disagreement summed over sales, at the last "
                              "reconciliation (units and records; 0 is healthy)")),
      drifting_(metrics.GetGauge("minishop_inventory_sales_drifting",
                                 "Sales whose Redis keys disagree with PostgreSQL")),
      rebuilt_(metrics.GetCounter("minishop_inventory_rebuilds_total",
                                  "Sales rebuilt in Redis from PostgreSQL")) {}

ConsistencyJobs::~ConsistencyJobs() { Stop(); }

void ConsistencyJobs::Start() {
  thread_.Start(
      "inv-consistency", [this] { Run(); }, config_.server.background_nice);
}

void ConsistencyJobs::Stop() { thread_.Stop(); }

bool ConsistencyJobs::Stopping() { return thread_.stopping(); }

Status ConsistencyJobs::EnsurePg() {
  if (pg_ != nullptr) return OkStatus();
  auto conn = pg::Connection::Open(config_.postgres.conninfo);
  if (!conn.ok()) return conn.error();
  pg_ = std::move(conn).value();
  return OkStatus();
}

void ConsistencyJobs::Run() {
  int64_t next_reconcile_ms = NowSteadyUs() / 1000 + config_.inventory.reconcile_interval_ms;
  for (;;) {
    if (config_.inventory.rebuild_on_start) {
      if (Status s = RebuildMissing(); !s.ok())
        spdlog::warn("inventory rebuild check: {}", s.error().message);
    }
    const int64_t now_ms = NowSteadyUs() / 1000;
    if (config_.inventory.reconcile_interval_ms > 0 && now_ms >= next_reconcile_ms) {
      next_reconcile_ms = now_ms + config_.inventory.reconcile_interval_ms;
      if (Status s = ReconcileAll(); !s.ok())
        spdlog::warn("inventory reconciliation: {}", s.error().message);
    }
    if (!thread_.SleepUnlessStopped(kRebuildCheck)) return;
  }
}

Status ConsistencyJobs::RebuildMissing() {
  if (Status s = EnsurePg(); !s.ok()) return s;
  Result<std::vector<int64_t>> missing = SalesMissingFromRedis(*pg_, *redis_);
  if (!missing.ok()) return missing.error();
  for (int64_t sale : *missing) {
    if (Stopping()) break;
    spdlog::warn("sale {} has no Redis keys: rebuilding it from PostgreSQL", sale);
    Result<Drift> r = Rebuild(config_, *pg_, *redis_, sale);
    if (r.ok()) {
      rebuilt_.Inc();
    } else if (r.code() != Code::kConflict) {
      return r.error();
    }
  }
  return OkStatus();
}

bool SaleIsFinal(const Sale& sale, const Config& config, int64_t now_epoch_ms) {
  const int64_t settle_ms =
      config.order.payment_deadline_ms + config.order.expiry_scan_interval_ms +
      config.order.return_retry_after_ms + config.inventory.reconcile_interval_ms;
  return now_epoch_ms > sale.ends_at_ms + settle_ms;
}

Status ConsistencyJobs::ReconcileAll() {
  redis::DistributedLock lock(*redis_, "ms:lock:reconcile");
  auto lease = lock.TryAcquire(std::chrono::milliseconds(
      std::max<int64_t>(config_.inventory.reconcile_interval_ms, 10'000)));
  if (!lease.ok()) return lease.error();
  if (!lease->has_value()) return OkStatus();  // another instance reconciles this round
  if (Status s = EnsurePg(); !s.ok()) return s;
  Result<std::vector<Sale>> sales = LoadSales(*pg_);
  if (!sales.ok()) return sales.error();
  int64_t total = 0, drifting = 0;
  for (const Sale& sale : *sales) {
    if (final_and_clean_.count(sale.id) > 0) continue;
    // Decided before reading: an order may still change while this round reads.
    const bool final = SaleIsFinal(sale, config_, NowEpochMs());
    Result<ReconcileReport> report = Reconcile(*pg_, *redis_, sale, /*repair=*/false);
    if (!report.ok()) return report.error();
    if (report->before.total() > 0) {
      ++drifting;
      spdlog::warn("sale {} drifts: {}", sale.id, report->before.ToJson().dump());
    } else if (final) {
      final_and_clean_.insert(sale.id);
    }
    total += report->before.total();
  }
  drift_.Set(total);
  drifting_.Set(drifting);
  (void)lock.Release(**lease);
  return OkStatus();
}

}  // namespace minishop::inventory
