// Sales: their validation, their rows in PostgreSQL (the source of truth) and the
// in-memory catalog every event loop reads. Database functions block: run them on a
// pg::Pool thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "infra/pg/connection.h"

namespace minishop::inventory {

struct Sale {
  int64_t id = 0;
  std::string product_name;
  std::string product_description;
  int64_t price_cents = 0;
  int64_t stock_total = 0;
  int64_t limit_per_user = 1;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  // Whether a shopper whose order was cancelled or expired may buy again (the returned
  // units leave the shopper's count toward limit_per_user).
  bool rebuy_after_return = false;
};

// Bounds of a new sale (docs/decisions.md, "Validating a new sale").
inline constexpr size_t kMaxNameChars = 200;
inline constexpr size_t kMaxDescriptionChars = 4000;
inline constexpr int64_t kMaxPriceCents = 100'000'000;  // 1,000,000.00
inline constexpr int64_t kMaxStock = 100'000'000;
inline constexpr int64_t kMaxLimitPerUser = 1000;
inline constexpr int64_t kMinDurationMs = 1'000;
inline constexpr int64_t kMaxDurationMs = 90LL * 24 * 3600 * 1000;
inline constexpr int64_t kMaxLeadMs = 366LL * 24 * 3600 * 1000;  // start at most this far ahead

// Builds a new sale from an admin's JSON body, judged at `now_ms` (epoch ms). kInvalidArgument
// with a message that names the field for: an unknown field, a missing field, a wrong type,
// text too long or holding control characters (the description may hold newlines and tabs),
// a price, stock or limit out of the bounds above, a window that has already ended, ends
// before it starts, lasts under 1 s or over 90 days, or starts over 366 days ahead.
Result<Sale> ParseNewSale(const nlohmann::json& body, int64_t now_ms);

// {"id","product_name","product_description","price_cents","stock_total","limit_per_user",
//  "starts_at_ms","ends_at_ms","rebuy_after_return"} plus "stock_left" when >= 0.
nlohmann::json SaleToJson(const Sale& sale, int64_t stock_left);

Result<Sale> InsertSale(pg::Connection& db, Sale sale);
Result<std::vector<Sale>> LoadSales(pg::Connection& db);
// One sale by id; kNotFound if there is none.
Result<Sale> LoadSale(pg::Connection& db, int64_t sale_id);

// The sales known to this process, with an approximate stock left, refreshed in the
// background. Update from any thread; readers on event loops keep a per-loop copy of the
// snapshot and re-fetch it only when `version()` changed, so reads take no lock.
class SaleCatalog {
 public:
  struct Snapshot {
    std::vector<Sale> sales;                    // ordered by start time
    std::unordered_map<int64_t, size_t> index;  // id -> position in sales
    std::unordered_map<int64_t, int64_t> stock_left;
    const Sale* Find(int64_t id) const;
  };

  SaleCatalog();
  void Update(std::vector<Sale> sales, std::unordered_map<int64_t, int64_t> stock_left);
  // Adds or replaces one sale (after an admin created it here), keeping the rest.
  void Upsert(const Sale& sale, int64_t stock_left);
  std::shared_ptr<const Snapshot> Get() const;
  uint64_t version() const { return version_.load(std::memory_order_acquire); }

  // One event loop's view of the catalog: the latest snapshot, re-fetched (under the
  // catalog's lock) only when the version moved. Use from one thread; the catalog must
  // outlive it.
  class Reader {
   public:
    explicit Reader(const SaleCatalog& catalog) : catalog_(catalog) {}
    const Snapshot& Get() {
      const uint64_t v = catalog_.version();
      if (!snapshot_ || v != version_) {
        snapshot_ = catalog_.Get();
        version_ = v;
      }
      return *snapshot_;
    }

   private:
    const SaleCatalog& catalog_;
    std::shared_ptr<const Snapshot> snapshot_;
    uint64_t version_ = 0;
  };

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::atomic<uint64_t> version_{0};
};

}  // namespace minishop::inventory
