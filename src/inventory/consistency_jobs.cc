#include "inventory/consistency_jobs.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <thread>

#include "common/clock.h"
#include "infra/pg/connection.h"
#include "inventory/reconcile.h"

namespace minishop::inventory {
namespace {
// How often the job thread wakes by itself: reads Redis's run_id and key count (INFO and
// DBSIZE in one round trip), so a Redis that came back empty is noticed within this.
constexpr std::chrono::milliseconds kTick{250};
// The full look for missing sales (all sales in PostgreSQL, one EXISTS each) without a
// reason to look sooner.
constexpr int64_t kRebuildCheckMs = 2'000;
// Looks triggered by requests are at least this far apart (a sale another instance is
// rebuilding keeps being asked for until it is back).
constexpr int64_t kRequestedCheckSpacingMs = 100;

int64_t NowSteadyMs() { return NowSteadyUs() / 1000; }

// The run_id line of an INFO server reply; empty if absent.
std::string RunIdOf(const std::string& info) {
  constexpr std::string_view kField = "run_id:";
  size_t at = info.find(kField);
  if (at == std::string::npos) return "";
  at += kField.size();
  size_t end = info.find_first_of("\r\n", at);
  return info.substr(at, end == std::string::npos ? std::string::npos : end - at);
}
}  // namespace

ConsistencyJobs::ConsistencyJobs(const Config& config, MetricsRegistry& metrics,
                                 PipelineProbe probe)
    : config_(config),
      probe_(probe),
      redis_(std::make_unique<redis::SyncClient>(
          config.redis.host, config.redis.port,
          std::chrono::milliseconds(config.redis.command_timeout_ms))),
      drift_(metrics.GetGauge("minishop_inventory_drift",
                              "Redis/PostgreSQL disagreement summed over sales, at the last "
                              "reconciliation (units and records; 0 is healthy)")),
      drifting_(metrics.GetGauge("minishop_inventory_sales_drifting",
                                 "Sales whose Redis keys disagree with PostgreSQL")),
      rebuilt_(metrics.GetCounter("minishop_inventory_rebuilds_total",
                                  "Sales rebuilt in Redis from PostgreSQL")),
      rebuild_failures_(metrics.GetCounter("minishop_inventory_rebuild_failures_total",
                                           "Rebuilds that failed and wait for the next look")) {}

ConsistencyJobs::~ConsistencyJobs() { Stop(); }

void ConsistencyJobs::Start() {
  if (config_.inventory.rebuild_on_start) {
    for (int i = 0; i < config_.inventory.rebuild_parallelism; ++i) {
      auto& t = rebuilders_.emplace_back(std::make_unique<BackgroundThread>());
      t->Start(
          "inv-rebuild-" + std::to_string(i), [this] { RebuildLoop(); },
          config_.server.background_nice);
    }
  }
  next_reconcile_ms_ = NowSteadyMs() + config_.inventory.reconcile_interval_ms;
  last_check_ms_ = NowSteadyMs() - kRequestedCheckSpacingMs;
  // A failed round is logged and tried again when next due: the tick does not back off.
  const PeriodicTask::Settings settings{.period = kTick,
                                        .backoff = kTick,
                                        .max_backoff = kTick,
                                        .nice = config_.server.background_nice};
  task_.Start("inv-consistency", settings, [this] { return Round(); });
}

void ConsistencyJobs::Stop() {
  task_.Stop();
  queue_.Close();
  for (auto& t : rebuilders_) t->Stop();
}

void ConsistencyJobs::RequestRebuild(int64_t sale_id) {
  if (!config_.inventory.rebuild_on_start || queue_.Busy(sale_id)) return;
  if (requests_.Add(sale_id)) task_.Wake();
}

Status ConsistencyJobs::EnsurePg() {
  if (pg_ != nullptr) return OkStatus();
  auto conn = pg::Connection::Open(config_.postgres.conninfo);
  if (!conn.ok()) return conn.error();
  pg_ = std::move(conn).value();
  return OkStatus();
}

Status ConsistencyJobs::Round() {
  Status result = OkStatus();
  if (config_.inventory.rebuild_on_start) {
    // Woken by a request right after a look: leave the rebuild threads a moment first.
    const int64_t since = NowSteadyMs() - last_check_ms_;
    if (since < kRequestedCheckSpacingMs)
      std::this_thread::sleep_for(std::chrono::milliseconds(kRequestedCheckSpacingMs - since));
    const bool fresh = RedisLostData();
    const std::vector<int64_t> asked = requests_.Take();
    const int64_t now_ms = NowSteadyMs();
    if (fresh || !asked.empty() || now_ms >= next_check_ms_) {
      if (!asked.empty())
        spdlog::debug("a request met sale {} without Redis state: looking for missing sales",
                      asked.front());
      if (Status s = QueueMissing(); !s.ok()) {
        spdlog::warn("inventory rebuild check: {}", s.error().message);
        result = s;
      }
      last_check_ms_ = now_ms;
      next_check_ms_ = now_ms + kRebuildCheckMs;
    }
  }
  const int64_t now_ms = NowSteadyMs();
  if (config_.inventory.reconcile_interval_ms > 0 && now_ms >= next_reconcile_ms_) {
    next_reconcile_ms_ = now_ms + config_.inventory.reconcile_interval_ms;
    if (Status s = ReconcileAll(); !s.ok()) {
      spdlog::warn("inventory reconciliation: {}", s.error().message);
      if (result.ok()) result = s;
    }
  }
  return result;
}

bool ConsistencyJobs::RedisLostData() {
  const std::vector<std::vector<std::string>> look = {{"INFO", "server"}, {"DBSIZE"}};
  auto replies = redis_->Pipeline(look, redis::SyncClient::ErrorReplies::kFail);
  // A restarted Redis first breaks the old connection; the client reconnects on the retry.
  if (!replies.ok()) replies = redis_->Pipeline(look, redis::SyncClient::ErrorReplies::kFail);
  if (!replies.ok()) return false;
  std::string run_id = RunIdOf((*replies)[0].str);
  const int64_t keys = (*replies)[1].integer;
  const bool restarted = !run_id.empty() && !redis_run_id_.empty() && run_id != redis_run_id_;
  const bool emptied = keys == 0 && redis_keys_ > 0;
  if (restarted) {
    spdlog::warn("Redis restarted (run_id {} -> {}): looking for sales it lost", redis_run_id_,
                 run_id);
  } else if (emptied) {
    spdlog::warn("Redis has no keys any more: looking for sales it lost");
  }
  if (!run_id.empty()) redis_run_id_ = std::move(run_id);
  redis_keys_ = keys;
  return restarted || emptied;
}

Status ConsistencyJobs::QueueMissing() {
  if (Status s = EnsurePg(); !s.ok()) return s;
  Result<std::vector<Sale>> sales = LoadSales(*pg_);
  if (!sales.ok()) return sales.error();
  Result<std::vector<Sale>> missing = SalesMissingFromRedis(*redis_, std::move(*sales));
  if (!missing.ok()) return missing.error();
  const int64_t now = NowEpochMs();
  std::string live, upcoming;
  int queued = 0;
  // In value order: a rebuild thread waiting in Pop takes the first pushed at once.
  for (const Sale& sale : RecoveryOrder(std::move(*missing), now)) {
    if (!queue_.Push(sale.id, RankOf(sale, now))) continue;
    ++queued;
    const SalePhase phase = PhaseOf(sale, now);
    if (phase != SalePhase::kEnded) {
      std::string& ids = phase == SalePhase::kLive ? live : upcoming;
      ids += (ids.empty() ? "" : ",") + std::to_string(sale.id);
    }
  }
  if (queued > 0)
    spdlog::warn(
        "{} sales have no Redis keys: rebuilding them from PostgreSQL, live [{}] first, "
        "then upcoming [{}], then the ended ones",
        queued, live, upcoming);
  return OkStatus();
}

void ConsistencyJobs::RebuildLoop() {
  redis::SyncClient redis(config_.redis.host, config_.redis.port,
                          std::chrono::milliseconds(config_.redis.command_timeout_ms));
  std::unique_ptr<pg::Connection> pg;
  while (std::optional<int64_t> sale = queue_.Pop()) {
    Result<Drift> rebuilt = MakeError(Code::kUnavailable, "postgres unavailable");
    if (pg == nullptr) {
      auto conn = pg::Connection::Open(config_.postgres.conninfo);
      if (conn.ok()) {
        pg = std::move(conn).value();
      } else {
        rebuilt = conn.error();
      }
    }
    // This connection may predate a Redis restart (the usual reason for a rebuild): a PING
    // that fails drops it, and the rebuild's first command connects afresh.
    (void)redis.Command({"PING"});
    if (pg != nullptr) rebuilt = Rebuild(config_, *pg, redis, *sale, probe_);
    queue_.Done(*sale);
    if (rebuilt.ok()) {
      rebuilt_.Inc();
    } else if (rebuilt.code() != Code::kConflict) {
      rebuild_failures_.Inc();
      spdlog::warn("rebuild of sale {}: {} (tried again at the next look)", *sale,
                   rebuilt.error().message);
    }
  }
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
