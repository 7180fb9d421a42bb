// SeckillApi: what the seckill service offers the gateway — purchase admission and a
// shopper's reservation status. Two implementations: LocalSeckill (the service in this
// process, seckill/seckill_local.h) and SeckillClient (instances elsewhere over the internal
// API, seckill/seckill_client.h); the gateway cannot tell them apart.
//
// One instance per event loop; call only from that loop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"

namespace minishop::seckill {

struct PurchaseRequest {
  int64_t sale_id = 0;
  int64_t user_id = 0;  // from the caller's verified token, never from the request body
  int64_t quantity = 1;  // 1..kMaxQuantity
  // A canonical W3C traceparent (common/trace_context.h) the gateway validated, or empty:
  // then the service starts a trace of its own.
  std::string_view traceparent;
  // The shopper's Idempotency-Key (1..200 printable ASCII, net::IdempotencyKeyOf), or empty.
  // A purchase with the key of an earlier reservation of the same user returns that
  // reservation instead of making another: a retry after a lost answer buys once.
  std::string_view idempotency_key;
};

inline constexpr int64_t kMaxQuantity = 1000;

// The purchase's outcomes beyond the generic codes (their names are the public error codes).
inline constexpr Outcome kSoldOut{Code::kResourceExhausted, "sold_out"};
inline constexpr Outcome kLimitReached{Code::kResourceExhausted, "limit_reached"};
inline constexpr Outcome kNotStarted{Code::kFailedPrecondition, "not_started"};
inline constexpr Outcome kEnded{Code::kFailedPrecondition, "ended"};
// The sale exists but its hot state in Redis is being rebuilt (after Redis lost its keys):
// retry shortly.
inline constexpr Outcome kRecovering{Code::kUnavailable, "recovering"};

// What a 202 tells the shopper.
struct Admission {
  std::string reservation_id;
  int64_t sale_id = 0;
  int64_t quantity = 0;
  // The reservation was made earlier under the request's idempotency key.
  bool replayed = false;
};

struct ReservationStatus {
  std::string reservation_id;
  std::string status;    // pending | awaiting_payment | paid | cancelled | expired | failed
  int64_t order_id = 0;  // 0 while pending
};

class SeckillApi {
 public:
  virtual ~SeckillApi() = default;

  // An answer known without any I/O — the sale has not started or has ended by this
  // process's copy of the catalog, the quantity is over the per-user limit, or the sale is
  // known to be sold out (kNotStarted, kEnded, kLimitReached, kSoldOut) — or nullopt: then
  // call Purchase. Never blocks; allocates nothing when it answers nullopt.
  virtual std::optional<Error> QuickAnswer(int64_t sale_id, int64_t quantity) = 0;

  // Reserves the units: the Admission, or kSoldOut, kLimitReached, kConflict (fewer units
  // left than asked), kNotStarted, kEnded, kNotFound (no such sale), kRecovering (the
  // sale's hot state is being rebuilt), kUnavailable/kDeadlineExceeded (Redis or the service is down
  // or slow; after kDeadlineExceeded the outcome is unknown and GET …/order tells it).
  // With `request.idempotency_key`, the reservation made earlier under that key (even
  // after sell-out or the end of the sale). `request`'s views are borrowed until the first
  // suspension.
  virtual boost::asio::awaitable<Result<Admission>> Purchase(PurchaseRequest request) = 0;

  // The shopper's latest reservation in the sale: kNotFound if none (or no such sale),
  // kRecovering, kUnavailable/kDeadlineExceeded.
  virtual boost::asio::awaitable<Result<ReservationStatus>> Status(int64_t sale_id,
                                                                   int64_t user_id) = 0;
};

}  // namespace minishop::seckill
