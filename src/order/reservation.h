// Reservation: the order worker's view of one AMQP reservation message (format in
// seckill/keys.h). Plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "seckill/reservation_wire.h"

namespace minishop::order {

using Reservation = seckill::ReservationRecord;

// Parses one reservation object. kBadRequest naming the problem for malformed JSON, a
// missing or mistyped field, or a value out of range (ids and qty > 0, price ≥ 0). Pure.
Result<Reservation> ParseReservation(std::string_view body);

// A reservation that cannot become an order, as JSON, and why.
struct PoisonReservation {
  std::string json;
  std::string reason;
};

// What one message carries (seckill/keys.h): the valid reservations in order and the
// poison ones.
struct ParsedMessage {
  std::vector<Reservation> reservations;
  std::vector<PoisonReservation> poison;
};

// Parses a message body: an array of reservation objects or a single one. kBadRequest
// when the body is neither (nothing in it can be salvaged). Pure.
Result<ParsedMessage> ParseMessage(std::string_view body);

// The reservation object of `r` (the inverse of ParseReservation).
std::string ReservationJson(const Reservation& r);

}  // namespace minishop::order
