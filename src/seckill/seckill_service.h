// SeckillService: the purchase hot path of one event loop. Answers from a local sold-out
// flag when it can, otherwise runs the purchase script on this loop's Redis connection
// (pipelined with every other request of the loop), one call for all the purchases of a
// sale that the loop gathered in one iteration. Call only from the owning loop.
#pragma once

#include <algorithm>
#include <array>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/metrics.h"
#include "common/result.h"
#include "contracts/sale_scripts.h"
#include "infra/redis/async_client.h"
#include "seckill/purchase_script.h"
#include "seckill/seckill_api.h"
#include "seckill/sold_out_flags.h"

namespace minishop::seckill {

// Parses "awaiting_payment:<order_id>" (or a bare "pending").
ReservationStatus ParseStatus(std::string reservation_id, std::string_view value);

// The purchase script's KEYS for a sale (contracts::kPurchaseKeySuffixes) rendered into a
// fixed buffer inside the object: building them allocates nothing. The views stay valid
// while the object lives.
class SaleKeys {
 public:
  explicit SaleKeys(int64_t sale_id);
  SaleKeys(const SaleKeys&) = delete;
  SaleKeys& operator=(const SaleKeys&) = delete;

  redis::ArgViews keys() const { return keys_; }
  std::string_view id() const {
    return keys_[0].substr(contracts::kSaleKeyPrefix.size(), id_size_);
  }

 private:
  static constexpr size_t kKeys = contracts::kPurchaseKeySuffixes.size();
  // Prefix, an id of at most 20 characters, tag end and the longest suffix.
  static constexpr size_t kMaxKeySize =
      contracts::kSaleKeyPrefix.size() + 20 + contracts::kSaleTagEnd.size() +
      std::ranges::max(contracts::kPurchaseKeySuffixes, {}, [](std::string_view s) {
        return s.size();
      }).size();

  size_t id_size_ = 0;
  char keys_buf_[kKeys * kMaxKeySize];
  std::array<std::string_view, kKeys> keys_;
};

// The purchases of one sale gathered during one loop iteration: one script call. ARGV is
// kept in one string (sale id, then user, qty, traceparent and idempotency key of each
// purchase).
class PurchaseBatch {
 public:
  using Handler = boost::asio::any_completion_handler<void(Result<Reservation>)>;
  static constexpr size_t kMaxPurchases = 64;

  explicit PurchaseBatch(int64_t sale_id);
  int64_t sale_id() const { return sale_id_; }
  size_t size() const { return handlers_.size(); }
  bool full() const { return size() >= kMaxPurchases; }

  void Add(int64_t user_id, int64_t qty, std::string_view traceparent,
           std::string_view idempotency_key, Handler handler);
  redis::ArgViews keys() const { return keys_.keys(); }
  // Views into the batch; valid while it lives and nothing more is added.
  redis::ArgViews args();
  // Answers every purchase of the batch from the script's reply (or the call's error).
  void Complete(Result<redis::Reply> reply);

 private:
  void AppendArg(std::string_view arg);

  int64_t sale_id_;
  SaleKeys keys_;
  std::string argv_;
  std::vector<uint32_t> ends_;  // end offset of each argument in argv_
  std::vector<std::string_view> views_;
  std::vector<Handler> handlers_;
};

class SeckillService {
 public:
  // `redis` must outlive the service and belong to the same loop.
  SeckillService(redis::AsyncClient& redis, MetricsRegistry& metrics);
  ~SeckillService();
  SeckillService(const SeckillService&) = delete;
  SeckillService& operator=(const SeckillService&) = delete;

  // Reserves `qty` units for the user. Errors: kSoldOut (possibly from the local flag,
  // without a Redis round trip), kLimitReached, kConflict (fewer units left than asked),
  // kNotStarted, kEnded, kRecovering (the sale has no meta key in Redis),
  // kUnavailable/kDeadlineExceeded (Redis down or slow).
  boost::asio::awaitable<Result<Reservation>> Purchase(int64_t sale_id, int64_t user_id,
                                                       int64_t qty, std::string traceparent);

  // Purchase in two steps, for callers that want to skip work (e.g. making a traceparent)
  // when the local flag answers: LocalAnswer returns kSoldOut when the flag says so (no
  // Redis), otherwise nullopt, and then the caller must call Reserve for that sale.
  std::optional<Error> LocalAnswer(int64_t sale_id);
  // The Redis part of Purchase; `traceparent` and `idempotency_key` are only borrowed until
  // it returns. Every purchase issued during one loop iteration for the same sale joins one
  // script call. With a non-empty `idempotency_key` (validated by the caller: 1..200
  // printable ASCII), a reservation the user made earlier with the same key is returned
  // (Reservation::replayed) instead of a new one.
  boost::asio::awaitable<Result<Reservation>> Reserve(int64_t sale_id, int64_t user_id, int64_t qty,
                                                      std::string_view traceparent,
                                                      std::string_view idempotency_key = {});

  // The user's latest reservation in the sale; kNotFound if none, kRecovering if the sale
  // has no meta key in Redis.
  boost::asio::awaitable<Result<ReservationStatus>> Status(int64_t sale_id, int64_t user_id);

 private:
  void Enqueue(int64_t sale_id, int64_t user_id, int64_t qty, std::string_view traceparent,
               std::string_view idempotency_key, PurchaseBatch::Handler handler);
  void SendBatches();

  redis::AsyncClient& redis_;
  SoldOutFlags sold_out_{500};
  Counter& reserved_;
  Counter& rejected_locally_;
  Counter& script_calls_;
  Counter& scripted_purchases_;
  std::vector<std::unique_ptr<PurchaseBatch>> gathering_;  // sent at the end of this iteration
  bool send_posted_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace minishop::seckill
