// OrderApi: what the order service offers the gateway — a shopper's orders, paying and
// cancelling them, and the admin's view of the dead-letter queue. Two implementations:
// LocalOrders (order/order_local.h, in this process) and OrderClient (order/order_client.h,
// instances elsewhere over the internal API).
//
// One instance per event loop; call only from that loop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "common/result.h"

namespace minishop::order {

// The order lifecycle's outcomes beyond the generic codes.
inline constexpr Outcome kPaymentDeclined{Code::kFailedPrecondition, "payment_declined"};
// The Idempotency-Key was used before for a different request.
inline constexpr Outcome kKeyReused{Code::kInvalidArgument, "idempotency_key_reused"};

// A pay or cancel as the shopper asked for it.
struct TransitionRequest {
  int64_t user_id = 0;
  int64_t order_id = 0;
  // The Idempotency-Key the gateway validated (1–200 printable ASCII) or empty (cancel
  // only: paying needs one).
  std::string idempotency_key;
  // What identifies the request for the key: a hash of the operation, the order and the
  // body (gateway: RequestFingerprint). Only meaningful with a key.
  std::string fingerprint;
};

// The answer a transition's key stores: the order as the API shows it (a cancel adds
// "stock_return": "done" | "pending"), or why the transition was refused (kNotFound: not
// the caller's order or none; kConflict: the order is in another state; kPaymentDeclined).
// `replayed`: an earlier request with the same key got this answer, and nothing ran now.
struct TransitionAnswer {
  Result<nlohmann::json> outcome = nlohmann::json();
  bool replayed = false;
};

class OrderApi {
 public:
  virtual ~OrderApi() = default;

  // The user's latest orders, newest first: {"orders":[…]} (at most 100). kUnavailable when
  // PostgreSQL (or the service) is down.
  virtual boost::asio::awaitable<Result<nlohmann::json>> List(int64_t user_id) = 0;
  // One of the user's orders; kNotFound for another user's order or none.
  virtual boost::asio::awaitable<Result<nlohmann::json>> Get(int64_t user_id, int64_t order_id) = 0;

  // Pays (needs request.idempotency_key) or cancels the order. An error is a call that did
  // not complete and stored nothing (retry with the same key): kUnavailable/kDeadlineExceeded, or
  // kConflict while another request with the same key runs; kKeyReused (the key was used
  // for another request) is an error too, since that request's answer is not this one's.
  virtual boost::asio::awaitable<Result<TransitionAnswer>> Pay(TransitionRequest request) = 0;
  virtual boost::asio::awaitable<Result<TransitionAnswer>> Cancel(TransitionRequest request) = 0;

  // Up to `limit` (1..1000) dead-lettered messages, listed ({"count","messages"}) or, with
  // `replay`, sent back to where they came from ({"count","replayed"}). kUnavailable when
  // RabbitMQ (or Redis, for outbox entries) cannot be reached.
  virtual boost::asio::awaitable<Result<nlohmann::json>> DeadLetters(int64_t limit,
                                                                     bool replay) = 0;
};

}  // namespace minishop::order
