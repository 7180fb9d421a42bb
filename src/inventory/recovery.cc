#include "inventory/recovery.h"

#include <algorithm>

namespace minishop::inventory {

SalePhase PhaseOf(const Sale& sale, int64_t now_epoch_ms) {
  if (now_epoch_ms >= sale.ends_at_ms) return SalePhase::kEnded;
  if (now_epoch_ms < sale.starts_at_ms) return SalePhase::kUpcoming;
  return SalePhase::kLive;
}

const char* PhaseName(SalePhase phase) {
  switch (phase) {
    case SalePhase::kLive:
      return "live";
    case SalePhase::kUpcoming:
      return "upcoming";
    case SalePhase::kEnded:
      return "ended";
  }
  return "ended";
}

RecoveryRank RankOf(const Sale& sale, int64_t now_epoch_ms) {
  switch (PhaseOf(sale, now_epoch_ms)) {
    case SalePhase::kLive:
      return {0, sale.ends_at_ms};
    case SalePhase::kUpcoming:
      return {1, sale.starts_at_ms};
    case SalePhase::kEnded:
      return {2, -sale.ends_at_ms};
  }
  return {2, -sale.ends_at_ms};
}

std::vector<Sale> RecoveryOrder(std::vector<Sale> sales, int64_t now_epoch_ms) {
  std::sort(sales.begin(), sales.end(), [now_epoch_ms](const Sale& a, const Sale& b) {
    return std::pair(RankOf(a, now_epoch_ms), a.id) < std::pair(RankOf(b, now_epoch_ms), b.id);
  });
  return sales;
}

bool RebuildQueue::Push(int64_t sale_id, RecoveryRank rank) {
  {
    std::lock_guard lock(mu_);
    if (closed_ || in_progress_.count(sale_id) > 0) return false;
    auto it = rank_of_.find(sale_id);
    if (it != rank_of_.end()) {
      queued_.erase({it->second, sale_id});
      queued_.insert({rank, sale_id});
      it->second = rank;
      return false;
    }
    rank_of_.emplace(sale_id, rank);
    queued_.insert({rank, sale_id});
  }
  cv_.notify_one();
  return true;
}

std::optional<int64_t> RebuildQueue::Pop() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return closed_ || !queued_.empty(); });
  if (closed_) return std::nullopt;
  const int64_t sale_id = queued_.begin()->second;
  queued_.erase(queued_.begin());
  rank_of_.erase(sale_id);
  in_progress_.insert(sale_id);
  return sale_id;
}

void RebuildQueue::Done(int64_t sale_id) {
  std::lock_guard lock(mu_);
  in_progress_.erase(sale_id);
}

bool RebuildQueue::Busy(int64_t sale_id) const {
  std::lock_guard lock(mu_);
  return rank_of_.count(sale_id) > 0 || in_progress_.count(sale_id) > 0;
}

void RebuildQueue::Close() {
  {
    std::lock_guard lock(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

bool RebuildRequests::Add(int64_t sale_id) {
  std::lock_guard lock(mu_);
  if (std::find(waiting_.begin(), waiting_.end(), sale_id) != waiting_.end()) return false;
  waiting_.push_back(sale_id);
  return true;
}

std::vector<int64_t> RebuildRequests::Take() {
  std::lock_guard lock(mu_);
  std::vector<int64_t> out;
  out.swap(waiting_);
  return out;
}

}  // namespace minishop::inventory
