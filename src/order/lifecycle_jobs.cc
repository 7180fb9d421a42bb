#include "order/lifecycle_jobs.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/clock.h"
#include "infra/pg/connection.h"
#include "order/saga.h"

namespace minishop::order {
namespace {
constexpr int kBatch = 500;
constexpr const char* kFenceName = "order-lifecycle";
}  // namespace

LifecycleJobs::LifecycleJobs(const Config& config, MetricsRegistry& metrics)
    : config_(config),
      redis_(std::make_unique<redis::SyncClient>(
          config.redis.host, config.redis.port,
          std::chrono::milliseconds(config.redis.command_timeout_ms))),
      lock_(*redis_, kLockKey),
      expired_(metrics.GetCounter("minishop_orders_expired_total",
                                  "Orders expired unpaid by the expiry scanner")),
      returned_(metrics.GetCounter("minishop_stock_returns_total",
                                   "Orders whose units went back to the Redis stock")),
      recovered_(metrics.GetCounter("minishop_stock_returns_recovered_total",
                                    "Half-done stock returns finished by recovery")),
      errors_(metrics.GetCounter("minishop_lifecycle_errors_total",
                                 "Lifecycle job rounds that failed on a dependency")) {}

LifecycleJobs::~LifecycleJobs() { Stop(); }

void LifecycleJobs::Start() {
  const auto interval =
      std::chrono::milliseconds(std::max<int64_t>(config_.order.expiry_scan_interval_ms, 10));
  const PeriodicTask::Settings settings{.period = interval,
                                        .backoff = interval,
                                        .max_backoff = interval,
                                        .nice = config_.server.background_nice};
  task_.Start("order-lifecycle", settings, [this] {
    Status s = Round();
    if (!s.ok()) {
      errors_.Inc();
      spdlog::warn("order lifecycle: {} (retrying)", s.error().message);
    }
    return s;
  });
}

void LifecycleJobs::Stop() {
  task_.Stop();
  if (lease_) {
    (void)lock_.Release(*lease_);
    lease_.reset();
  }
}

Result<bool> LifecycleJobs::HoldLease() {
  // The lease outlives a few rounds, so a holder that stops renewing is replaced soon.
  const auto ttl = std::chrono::milliseconds(
      std::max<int64_t>(3 * config_.order.expiry_scan_interval_ms, 3'000));
  if (lease_) {
    Result<bool> extended = lock_.Extend(*lease_, ttl);
    if (!extended.ok()) return extended.error();
    if (*extended) return true;
    spdlog::warn("order lifecycle: lease {} lost", lease_->fence);
    lease_.reset();
  }
  Result<std::optional<redis::Lease>> acquired = lock_.TryAcquire(ttl);
  if (!acquired.ok()) return acquired.error();
  if (!acquired->has_value()) return false;
  lease_ = std::move(*acquired);
  spdlog::info("order lifecycle: this instance runs expiry and recovery (fence {})", lease_->fence);
  return true;
}

Status LifecycleJobs::Round() {
  Result<bool> held = HoldLease();
  if (!held.ok()) return held.error();
  if (!*held) return OkStatus();
  if (pg_ == nullptr) {
    auto conn = pg::Connection::Open(config_.postgres.conninfo);
    if (!conn.ok()) return conn.error();
    pg_ = std::move(conn).value();
  }
  if (Status s = Expire(); !s.ok()) return s;
  return Recover();
}

Status LifecycleJobs::Expire() {
  for (;;) {
    const int64_t now = NowEpochMs();
    Result<std::vector<OrderRow>> due = ExpireDue(*pg_, now - config_.order.payment_deadline_ms,
                                                  kBatch, kFenceName, lease_->fence, now);
    if (due.code() == Code::kConflict) lease_.reset();  // stale fence: someone else runs now
    if (!due.ok()) return due.error();
    expired_.Inc(due->size());
    // A failure leaves the returns pending in PostgreSQL: Recover finishes them.
    Result<std::vector<ReturnOutcome>> done = FinishReturns(*pg_, *redis_, *due);
    if (!done.ok()) return done.error();
    returned_.Inc(std::count(done->begin(), done->end(), ReturnOutcome::kReturned));
    if (due->size() < static_cast<size_t>(kBatch)) return OkStatus();
  }
}

Status LifecycleJobs::Recover() {
  const int64_t before = NowEpochMs() - config_.order.return_retry_after_ms;
  Result<std::vector<OrderRow>> pending = PendingReturns(*pg_, before, kBatch);
  if (!pending.ok()) return pending.error();
  Result<std::vector<ReturnOutcome>> done = FinishReturns(*pg_, *redis_, *pending);
  if (!done.ok()) return done.error();
  for (size_t i = 0; i < pending->size(); ++i) {
    recovered_.Inc();
    if ((*done)[i] == ReturnOutcome::kReturned) returned_.Inc();
    spdlog::info("order lifecycle: finished the stock return of order {} ({})",
                 (*pending)[i].order_id,
                 (*done)[i] == ReturnOutcome::kReturned ? "returned now" : "already returned");
  }
  return OkStatus();
}

}  // namespace minishop::order
