// Recovery of sales whose Redis state is missing: in which order they are rebuilt, the
// queue the rebuild threads take them from, and the requests the request path files when
// it meets such a sale. Pure and thread-safe; nothing here blocks on I/O.
//
// Value order (docs/consistency.md): a live sale first (shoppers are waiting on it; the one
// ending soonest first), then upcoming ones (the one starting soonest first), then ended
// ones (the most recent first: their shoppers still look at their orders).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "inventory/sale.h"

namespace minishop::inventory {

enum class SalePhase { kLive, kUpcoming, kEnded };

SalePhase PhaseOf(const Sale& sale, int64_t now_epoch_ms);
const char* PhaseName(SalePhase phase);

// A sale's place in the rebuild order: smaller is rebuilt first.
using RecoveryRank = std::pair<int, int64_t>;
RecoveryRank RankOf(const Sale& sale, int64_t now_epoch_ms);

// `sales` sorted into the rebuild order (ties by id).
std::vector<Sale> RecoveryOrder(std::vector<Sale> sales, int64_t now_epoch_ms);

// Sales waiting for a rebuild, taken by a bounded set of rebuild threads in rank order.
// A sale is in it at most once: pushing one that is queued only updates its rank, and one
// that a thread is rebuilding is not queued again until Done. Thread-safe.
class RebuildQueue {
 public:
  // Queues `sale_id`; false if it was already queued (rank updated) or is being rebuilt.
  bool Push(int64_t sale_id, RecoveryRank rank);
  // Blocks until a sale is queued (returns the best-ranked one, now in progress) or Close.
  std::optional<int64_t> Pop();
  // The rebuild of `sale_id` taken by Pop finished (successfully or not).
  void Done(int64_t sale_id);
  // Queued or in progress.
  bool Busy(int64_t sale_id) const;
  // Wakes every Pop with nullopt, now and from then on.
  void Close();

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::pair<RecoveryRank, int64_t>> queued_;
  std::map<int64_t, RecoveryRank> rank_of_;
  std::set<int64_t> in_progress_;
  bool closed_ = false;
};

// Sales the request path found without Redis state, for the consistency job to look at.
// Thread-safe and cheap: an event loop calls Add on every such request.
class RebuildRequests {
 public:
  // True if `sale_id` was not already waiting: the caller then wakes the job (so a stampede
  // on a missing sale wakes it once per Take, not once per request).
  bool Add(int64_t sale_id);
  // Every waiting sale, in the order they were first asked for; empties the set.
  std::vector<int64_t> Take();

 private:
  std::mutex mu_;
  std::vector<int64_t> waiting_;
};

}  // namespace minishop::inventory
