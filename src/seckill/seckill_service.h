// SeckillService: the purchase hot path of one event loop. Answers from a local sold-out
// flag when it can, otherwise runs the purchase script on this loop's Redis connection
// (pipelined with every other request of the loop). Call only from the owning loop.
#pragma once

#include <array>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/metrics.h"
#include "common/result.h"
#include "infra/redis/async_client.h"
#include "seckill/purchase_script.h"
#include "seckill/sold_out_flags.h"

namespace minishop::seckill {

struct ReservationStatus {
  std::string reservation_id;
  std::string status;    // pending | awaiting_payment | paid | cancelled | expired
  int64_t order_id = 0;  // 0 while pending
};

// Parses "awaiting_payment:<order_id>" (or a bare "pending").
ReservationStatus ParseStatus(std::string reservation_id, std::string_view value);

// The purchase script's KEYS (the sale's five keys, seckill/keys.h) and ARGV (user_id, qty,
// traceparent, sale_id), rendered into fixed buffers inside the object: building them
// allocates nothing. Views stay valid while the object lives; `traceparent` is borrowed.
class PurchaseArgs {
 public:
  PurchaseArgs(int64_t sale_id, int64_t user_id, int64_t qty, std::string_view traceparent);
  PurchaseArgs(const PurchaseArgs&) = delete;
  PurchaseArgs& operator=(const PurchaseArgs&) = delete;

  redis::ArgViews keys() const { return keys_; }
  redis::ArgViews args() const { return args_; }

 private:
  char sale_buf_[20], user_buf_[20], qty_buf_[20];
  char keys_buf_[5 * (5 + 20 + 1 + 7)];  // "ms:{s" id "}" ":outbox" at most
  std::array<std::string_view, 5> keys_;
  std::array<std::string_view, 4> args_;
};

class SeckillService {
 public:
  // `redis` must outlive the service and belong to the same loop.
  SeckillService(redis::AsyncClient& redis, MetricsRegistry& metrics);

  // Reserves `qty` units for the user. Errors: kSoldOut (possibly from the local flag,
  // without a Redis round trip), kLimitReached, kConflict (fewer units left than asked),
  // kNotStarted, kEnded, kNotFound, kUnavailable/kTimeout (Redis down or slow).
  boost::asio::awaitable<Result<Reservation>> Purchase(int64_t sale_id, int64_t user_id,
                                                       int64_t qty, std::string traceparent);

  // Purchase in two steps, for callers that want to skip work (e.g. making a traceparent)
  // when the local flag answers: LocalAnswer returns kSoldOut when the flag says so (no
  // Redis), otherwise nullopt, and then the caller must call Reserve for that sale.
  std::optional<Error> LocalAnswer(int64_t sale_id);
  // The Redis part of Purchase; `traceparent` is only borrowed until it returns.
  boost::asio::awaitable<Result<Reservation>> Reserve(int64_t sale_id, int64_t user_id, int64_t qty,
                                                      std::string_view traceparent);

  // The user's latest reservation in the sale; kNotFound if none.
  boost::asio::awaitable<Result<ReservationStatus>> Status(int64_t sale_id, int64_t user_id);

 private:
  redis::AsyncClient& redis_;
  SoldOutFlags sold_out_{500};
  Counter& reserved_;
  Counter& rejected_locally_;
  Counter& script_calls_;
};

}  // namespace minishop::seckill
