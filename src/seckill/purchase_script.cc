#include "seckill/purchase_script.h"

#include "seckill/seckill_api.h"

namespace minishop::seckill {

const char* const kSaleStateMissing =
    "the sale's state is being restored from the database; retry shortly";

namespace {
bool IntAt(const redis::Reply& r, size_t i, int64_t& out) {
  if (r.elements.size() <= i || r.elements[i].type != redis::Reply::Type::kInteger) return false;
  out = r.elements[i].integer;
  return true;
}
}  // namespace

Result<Reservation> MapPurchaseReply(const redis::Reply& reply) {
  if (reply.is_error()) return MakeError(Code::kInternal, "purchase script failed: " + reply.str);
  int64_t code = 0, value = 0;
  if (reply.type != redis::Reply::Type::kArray || !IntAt(reply, 0, code))
    return MakeError(Code::kInternal, "purchase script returned an unexpected reply");
  IntAt(reply, 1, value);
  switch (code) {
    case 0:
    case 6: {
      Reservation r;
      r.replayed = code == 6;
      r.stock_left = value;
      if (reply.elements.size() < 4 || reply.elements[2].type != redis::Reply::Type::kString ||
          !IntAt(reply, 3, r.reserved_at_ms))
        return MakeError(Code::kInternal, "purchase script returned an unexpected reply");
      r.reservation_id = reply.elements[2].str;
      return r;
    }
    case 1:
      return MakeError(kSoldOut, "the sale is sold out");
    case 2:
      return MakeError(kLimitReached, "you have reached this sale's per-user limit");
    case 3:
      return MakeError(kNotStarted, "the sale has not started yet");
    case 4:
      return MakeError(kEnded, "the sale has ended");
    case 5:
      return MakeError(Code::kConflict, "only " + std::to_string(value) + " units are left");
    case -1:
      return MakeError(kRecovering, kSaleStateMissing);
    default:
      return MakeError(Code::kInternal, "purchase script returned an unknown code");
  }
}

}  // namespace minishop::seckill
