#include "order/reservation.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <tuple>

namespace minishop::order {
namespace {

Status ReadInt(const nlohmann::json& j, const char* key, int64_t min, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) {
    return MakeError(Code::kBadRequest, std::string(key) + " must be an integer");
  }
  out = it->get<int64_t>();
  if (out < min) {
    return MakeError(Code::kBadRequest,
                     std::string(key) + " must be at least " + std::to_string(min));
  }
  return OkStatus();
}

Result<Reservation> FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return MakeError(Code::kBadRequest, "not a JSON object");
  Reservation r;
  auto rid = j.find("reservation_id");
  if (rid == j.end() || !rid->is_string() || rid->get_ref<const std::string&>().empty()) {
    return MakeError(Code::kBadRequest, "reservation_id must be a non-empty string");
  }
  r.reservation_id = rid->get<std::string>();
  if (r.reservation_id.find('\0') != std::string::npos) {
    return MakeError(Code::kBadRequest, "reservation_id contains NUL");
  }
  for (auto [key, min, field] :
       {std::tuple{"sale_id", 1, &r.sale_id}, std::tuple{"user_id", 1, &r.user_id},
        std::tuple{"qty", 1, &r.qty}, std::tuple{"price_cents", 0, &r.price_cents},
        std::tuple{"ts_ms", 0, &r.ts_ms}}) {
    if (Status s = ReadInt(j, key, min, *field); !s.ok()) return s.error();
  }
  if (r.qty > INT32_MAX) return MakeError(Code::kBadRequest, "qty is too large");
  auto tp = j.find("traceparent");
  if (tp != j.end()) {
    if (!tp->is_string()) return MakeError(Code::kBadRequest, "traceparent must be a string");
    r.traceparent = tp->get<std::string>();
    if (r.traceparent.find('\0') != std::string::npos) {
      return MakeError(Code::kBadRequest, "traceparent contains NUL");
    }
  }
  return r;
}

}  // namespace

Result<Reservation> ParseReservation(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(Code::kBadRequest, "not a JSON object");
  return FromJson(j);
}

Result<ParsedMessage> ParseMessage(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !(j.is_object() || j.is_array())) {
    return MakeError(Code::kBadRequest, "neither a reservation nor an array of them");
  }
  ParsedMessage out;
  auto add = [&out](const nlohmann::json& item) {
    Result<Reservation> r = FromJson(item);
    if (r.ok()) {
      out.reservations.push_back(std::move(r).value());
    } else {
      out.poison.push_back(
          {item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), r.error().message});
    }
  };
  if (j.is_object()) {
    add(j);
  } else {
    for (const nlohmann::json& item : j) add(item);
  }
  return out;
}

std::string ReservationJson(const Reservation& r) {
  return seckill::ReservationWireJson(r, /*replace_invalid_utf8=*/true);
}

}  // namespace minishop::order
