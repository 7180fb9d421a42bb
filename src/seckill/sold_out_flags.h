// SoldOutFlags: per-loop memory of which sales are sold out, so that the stampede after a
// sell-out is answered without Redis. Single-threaded (one instance per event loop).
//
// A flag lasts `horizon_ms`; after that exactly one request re-checks Redis (ShouldAnswer
// returns false to it) while all others keep the sold-out answer until the re-check
// reports back. The short horizon keeps the flag honest when stock comes back.
#pragma once

#include <cstdint>
#include <unordered_map>

namespace minishop::seckill {

class SoldOutFlags {
 public:
  explicit SoldOutFlags(int64_t horizon_ms) : horizon_ms_(horizon_ms) {}

  // True: answer "sold out" without Redis. False: go to Redis, then report with
  // SoldOut(), InStock() or Inconclusive().
  bool ShouldAnswer(int64_t sale_id, int64_t now_ms) {
    auto it = flags_.find(sale_id);
    if (it == flags_.end()) return false;
    if (it->second.until_ms > now_ms || it->second.probing) return true;
    it->second.probing = true;
    return false;
  }
  void SoldOut(int64_t sale_id, int64_t now_ms) { flags_[sale_id] = {now_ms + horizon_ms_, false}; }
  void InStock(int64_t sale_id) { flags_.erase(sale_id); }
  // The answer said nothing about the stock (e.g. limit reached, Redis down): the next
  // request re-checks.
  void Inconclusive(int64_t sale_id) {
    if (auto it = flags_.find(sale_id); it != flags_.end()) it->second.probing = false;
  }

 private:
  struct Flag {
    int64_t until_ms = 0;
    bool probing = false;
  };
  int64_t horizon_ms_;
  std::unordered_map<int64_t, Flag> flags_;
};

}  // namespace minishop::seckill
