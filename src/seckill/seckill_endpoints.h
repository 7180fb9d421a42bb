// The seckill service's internal API (net/rpc.h), served by a process that runs the
// seckill role and called by SeckillClient:
//   POST /internal/v1/seckill/sales/{id}/purchase?user=U&quantity=Q   (header traceparent)
//        → {"reservation_id":"…"}
//   GET  /internal/v1/seckill/sales/{id}/reservation?user=U
//        → {"reservation_id":"…","status":"…","order_id":N}
// Arguments are checked again here (ids positive, quantity 1..kMaxQuantity, traceparent
// canonical or dropped): a caller holding the service token is trusted with the user id,
// not with the shape of its bytes.
#pragma once

#include "net/rpc.h"
#include "seckill/seckill_api.h"

namespace minishop::seckill {

// Adds the routes to `router`; `seckill` (this loop's local service) must outlive it.
void AddSeckillEndpoints(net::InternalRouter& router, SeckillApi& seckill);

// The JSON a status travels as, shared by the endpoint and the client.
std::string StatusJson(const ReservationStatus& status);

}  // namespace minishop::seckill
