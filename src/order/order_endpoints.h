// The order service's internal API (net/rpc.h), served by a process that runs the order
// role and called by OrderClient:
//   GET  /internal/v1/order/users/{user}/orders              → {"orders":[…]}
//   GET  /internal/v1/order/users/{user}/orders/{order}      → the order
//   POST /internal/v1/order/users/{user}/orders/{order}/pay     (headers Idempotency-Key,
//   POST /internal/v1/order/users/{user}/orders/{order}/cancel   Minishop-Fingerprint)
//        → {"replayed":bool,"order":{…}} or {"replayed":bool,"refusal":{…net::ErrorJson}}
//   GET  /internal/v1/order/dead-letters?limit=N             → {"count","messages"}
//   POST /internal/v1/order/dead-letters/replay?limit=N      → {"count","replayed"}
#pragma once

#include "net/rpc.h"
#include "order/order_api.h"

namespace minishop::order {

inline constexpr std::string_view kFingerprintHeader = "Minishop-Fingerprint";

// Adds the routes to `router`; `orders` (this loop's local service) must outlive it.
void AddOrderEndpoints(net::InternalRouter& router, OrderApi& orders);

// A transition's answer as it travels, and back (kUnavailable for an unreadable one).
std::string TransitionJson(const TransitionAnswer& answer);
Result<TransitionAnswer> TransitionFromJson(std::string_view json);

}  // namespace minishop::order
