#include "order/reservation.h"

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <tuple>
#include <vector>

#include "common/trace_context.h"

namespace minishop::order {
namespace {

Status ReadInt(const nlohmann::json& j, const char* key, int64_t min, int64_t& out) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) {
    return MakeError(Code::kInvalidArgument, std::string(key) + " must be an integer");
  }
  out = it->get<int64_t>();
  if (out < min) {
    return MakeError(Code::kInvalidArgument,
                     std::string(key) + " must be at least " + std::to_string(min));
  }
  return OkStatus();
}

Result<Reservation> FromJson(const nlohmann::json& j) {
  if (!j.is_object()) return MakeError(Code::kInvalidArgument, "not a JSON object");
  Reservation r;
  auto rid = j.find("reservation_id");
  if (rid == j.end() || !rid->is_string() || rid->get_ref<const std::string&>().empty()) {
    return MakeError(Code::kInvalidArgument, "reservation_id must be a non-empty string");
  }
  r.reservation_id = rid->get<std::string>();
  if (r.reservation_id.find('\0') != std::string::npos) {
    return MakeError(Code::kInvalidArgument, "reservation_id contains NUL");
  }
  for (auto [key, min, field] :
       {std::tuple{"sale_id", 1, &r.sale_id}, std::tuple{"user_id", 1, &r.user_id},
        std::tuple{"qty", 1, &r.qty}, std::tuple{"price_cents", 0, &r.price_cents},
        std::tuple{"ts_ms", 0, &r.ts_ms}}) {
    if (Status s = ReadInt(j, key, min, *field); !s.ok()) return s.error();
  }
  if (r.qty > INT32_MAX) return MakeError(Code::kInvalidArgument, "qty is too large");
  // Telemetry only: a trace context that is not canonical is dropped, never a reason to
  // refuse the order.
  auto tp = j.find("traceparent");
  if (tp != j.end() && tp->is_string() && IsCanonicalTraceParent(tp->get_ref<const std::string&>()))
    r.traceparent = tp->get<std::string>();
  return r;
}

// Reads a message of well-formed reservations without building a JSON tree: the library's
// SAX parser (the same grammar and UTF-8 checks as its tree parser) fills the records
// directly: a tree allocates for every member and value, and the order worker reads one
// per order. Anything else — a nested value, a mistyped, missing or out-of-range
// field — stops it; ParseMessage then takes the tree path, which names each poison item.
class PlainReservations {
 public:
  using json = nlohmann::json;

  std::vector<Reservation> reservations;

  bool null() { return Ignorable(); }
  bool boolean(bool) { return Ignorable(); }
  bool number_float(json::number_float_t, const json::string_t&) { return Ignorable(); }
  bool binary(json::binary_t&) { return false; }
  bool number_integer(json::number_integer_t v) { return Number(v); }
  bool number_unsigned(json::number_unsigned_t v) {
    return v <= static_cast<json::number_unsigned_t>(INT64_MAX) && Number(static_cast<int64_t>(v));
  }
  bool string(json::string_t& v) {
    if (!InItem()) return false;
    if (field_ == kRid) {
      current_.reservation_id = std::move(v);
      seen_ |= 1u << kRid;
      return true;
    }
    if (field_ == kTraceparent) {
      if (IsCanonicalTraceParent(v)) current_.traceparent = std::move(v);
      return true;
    }
    return field_ == kOther;
  }
  bool start_object(std::size_t) {
    ++depth_;
    if (item_depth_ == 0) item_depth_ = depth_;  // a single reservation, or an array's first
    if (depth_ != item_depth_) return false;
    current_ = Reservation{};
    seen_ = 0;
    return true;
  }
  bool key(json::string_t& k) {
    static constexpr std::string_view kNames[] = {"reservation_id", "sale_id", "user_id",    "qty",
                                                  "price_cents",    "ts_ms",   "traceparent"};
    field_ = kOther;
    for (int i = 0; i < kOther; ++i) {
      if (k == kNames[i]) field_ = static_cast<Field>(i);
    }
    return true;
  }
  bool end_object() {
    --depth_;
    constexpr unsigned kRequired = (1u << kTraceparent) - 1;  // every field but traceparent
    if ((seen_ & kRequired) != kRequired || current_.reservation_id.empty() ||
        current_.reservation_id.find('\0') != std::string::npos || current_.sale_id < 1 ||
        current_.user_id < 1 || current_.qty < 1 || current_.qty > INT32_MAX ||
        current_.price_cents < 0 || current_.ts_ms < 0) {
      return false;
    }
    reservations.push_back(std::move(current_));
    return true;
  }
  bool start_array(std::size_t) {
    if (depth_ != 0 || item_depth_ != 0) return false;  // only the message itself
    ++depth_;
    item_depth_ = 2;
    return true;
  }
  bool end_array() {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    return false;
  }

 private:
  enum Field { kRid, kSaleId, kUserId, kQty, kPriceCents, kTsMs, kTraceparent, kOther };

  // A scalar that is no integer and no string: fine only as the value of an unknown key.
  bool Ignorable() const { return InItem() && field_ == kOther; }
  // Inside a reservation object (not the message's top level or a nested value).
  bool InItem() const { return item_depth_ != 0 && depth_ == item_depth_; }
  bool Number(int64_t v) {
    if (!InItem()) return false;
    int64_t* fields[] = {nullptr,       &current_.sale_id,     &current_.user_id,
                         &current_.qty, &current_.price_cents, &current_.ts_ms};
    if (field_ == kOther) return true;
    if (field_ == kRid || field_ == kTraceparent) return false;
    *fields[field_] = v;
    seen_ |= 1u << field_;
    return true;
  }

  int depth_ = 0;
  int item_depth_ = 0;  // the depth of reservation objects: 1 for a single one, 2 in an array
  Field field_ = kOther;
  unsigned seen_ = 0;
  Reservation current_;
};

}  // namespace

Result<Reservation> ParseReservation(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return MakeError(Code::kInvalidArgument, "not a JSON object");
  return FromJson(j);
}

bool ReadPlainReservations(std::string_view body, std::vector<Reservation>& out) {
  PlainReservations plain;
  if (!nlohmann::json::sax_parse(body, &plain)) return false;
  out = std::move(plain.reservations);
  return true;
}

Result<ParsedMessage> ParseMessage(std::string_view body) {
  ParsedMessage out;
  if (ReadPlainReservations(body, out.reservations)) return out;
  return ParseMessageTree(body);
}

Result<ParsedMessage> ParseMessageTree(std::string_view body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !(j.is_object() || j.is_array())) {
    return MakeError(Code::kInvalidArgument, "neither a reservation nor an array of them");
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
  return contracts::ReservationWireJson(r, /*replace_invalid_utf8=*/true);
}

}  // namespace minishop::order
