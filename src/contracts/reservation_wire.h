// One reservation as it travels over RabbitMQ (format in keys.h) and its JSON object: written
// by the outbox relay for each stream entry and by the order worker for a reservation it
// parks in the dead-letter queue; the order worker's Reservation is this record.
// Header-only: the order role does not link seckill.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/json_text.h"

namespace minishop::contracts {

struct ReservationRecord {
  std::string reservation_id;
  int64_t sale_id = 0;
  int64_t user_id = 0;
  int64_t qty = 0;
  int64_t price_cents = 0;
  int64_t ts_ms = 0;
  std::string traceparent;
};

// Throws nlohmann::json::type_error for a string that is not UTF-8, unless
// `replace_invalid_utf8` (then such bytes become U+FFFD). The usual record (ids and a
// traceparent in plain ASCII) is written directly, byte for byte what the library writes,
// in one allocation: the library's object allocates for every member and value, and the
// relay writes one per reservation.
inline std::string ReservationWireJson(const ReservationRecord& r, bool replace_invalid_utf8) {
  if (!IsPlainJsonText(r.reservation_id) || !IsPlainJsonText(r.traceparent)) {
    nlohmann::ordered_json j = {{"reservation_id", r.reservation_id},
                                {"sale_id", r.sale_id},
                                {"user_id", r.user_id},
                                {"qty", r.qty},
                                {"price_cents", r.price_cents},
                                {"ts_ms", r.ts_ms},
                                {"traceparent", r.traceparent}};
    return j.dump(-1, ' ', false,
                  replace_invalid_utf8 ? nlohmann::json::error_handler_t::replace
                                       : nlohmann::json::error_handler_t::strict);
  }
  std::string out;
  // 91 bytes of names and punctuation, at most 20 per number.
  out.reserve(91 + 5 * 20 + r.reservation_id.size() + r.traceparent.size());
  out.append(R"({"reservation_id":")").append(r.reservation_id).append(R"(","sale_id":)");
  AppendDecimal(out, r.sale_id);
  out.append(R"(,"user_id":)");
  AppendDecimal(out, r.user_id);
  out.append(R"(,"qty":)");
  AppendDecimal(out, r.qty);
  out.append(R"(,"price_cents":)");
  AppendDecimal(out, r.price_cents);
  out.append(R"(,"ts_ms":)");
  AppendDecimal(out, r.ts_ms);
  out.append(R"(,"traceparent":")").append(r.traceparent).append(R"("})");
  return out;
}

}  // namespace minishop::contracts
