// Reservation: the order worker's view of one AMQP reservation message (format in
// seckill/keys.h). Plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace minishop::order {

struct Reservation {
  std::string reservation_id;
  int64_t sale_id = 0;
  int64_t user_id = 0;
  int64_t qty = 0;
  int64_t price_cents = 0;
  int64_t ts_ms = 0;
  std::string traceparent;
};

// Parses a message body. kBadRequest naming the problem for malformed JSON, a missing or
// mistyped field, or a value out of range (ids and qty > 0, price ≥ 0). Pure.
Result<Reservation> ParseReservation(std::string_view body);

}  // namespace minishop::order
