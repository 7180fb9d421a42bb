// Reservation: the order worker's view of one AMQP reservation message (format in
// contracts/keys.h). Plain value type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "contracts/reservation_wire.h"

namespace minishop::order {

using Reservation = contracts::ReservationRecord;

// Parses one reservation object. kInvalidArgument naming the problem for malformed JSON, a
// missing or mistyped field, or a value out of range (ids and qty > 0, price ≥ 0). Pure.
Result<Reservation> ParseReservation(std::string_view body);

// A reservation that cannot become an order, as JSON, and why.
struct PoisonReservation {
  std::string json;
  std::string reason;
};

// What one message carries (contracts/keys.h): the valid reservations in order and the
// poison ones.
struct ParsedMessage {
  std::vector<Reservation> reservations;
  std::vector<PoisonReservation> poison;
};

// Parses a message body: an array of reservation objects or a single one. kInvalidArgument
// when the body is neither (nothing in it can be salvaged). Pure. A body of well-formed
// reservations is read without building a JSON tree; any other goes to ParseMessageTree.
Result<ParsedMessage> ParseMessage(std::string_view body);
// ParseMessage's two paths, public so that tests can compare them. The first: true (and
// `out` filled) when every item of the body is a well-formed reservation, read without a
// JSON tree; false for any other body. The second: always through the library's tree.
bool ReadPlainReservations(std::string_view body, std::vector<Reservation>& out);
Result<ParsedMessage> ParseMessageTree(std::string_view body);

// The reservation object of `r` (the inverse of ParseReservation).
std::string ReservationJson(const Reservation& r);

}  // namespace minishop::order
