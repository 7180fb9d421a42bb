#include "seckill/purchase_script.h"

#include "seckill/seckill_api.h"

namespace minishop::seckill {

const char* const kSaleStateMissing =
    "the sale's state is being restored from the database; retry shortly";

const char* const kPurchaseLua = R"lua(
local n = (#ARGV - 1) / 3
local out = {}
local meta = redis.call('HMGET', KEYS[1], 'start_ms', 'end_ms', 'limit', 'price_cents')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local whole
if not meta[1] then whole = {-1}
elseif now < tonumber(meta[1]) then whole = {3, now}
elseif now >= tonumber(meta[2]) then whole = {4, now} end
if whole then
  for i = 1, n do out[i] = whole end
  return out
end
local limit = tonumber(meta[3])
local stock = tonumber(redis.call('GET', KEYS[2]) or '0')
for i = 1, n do
  local user, qty_text = ARGV[3 * i - 1], ARGV[3 * i]
  local qty = tonumber(qty_text)
  local bought = tonumber(redis.call('HGET', KEYS[3], user) or '0')
  if bought + qty > limit then out[i] = {2, bought}
  elseif stock <= 0 then out[i] = {1, stock}
  elseif stock < qty then out[i] = {5, stock}
  else
    stock = redis.call('DECRBY', KEYS[2], qty)
    redis.call('HINCRBY', KEYS[3], user, qty)
    local rid = ARGV[1] .. '-' .. user .. '-' .. (bought + 1)
    redis.call('HSET', KEYS[4], rid, 'pending', 'u:' .. user, rid)
    redis.call('XADD', KEYS[5], '*', 'rid', rid, 'sale', ARGV[1], 'user', user, 'qty', qty_text,
               'price', meta[4], 'ts', now, 'tp', ARGV[3 * i + 1])
    out[i] = {0, stock, rid, now}
  end
end
return out
)lua";

const char* const kOrderStatusLua = R"lua(
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local rid = redis.call('HGET', KEYS[1], 'u:' .. ARGV[1])
if not rid then return false end
return {rid, redis.call('HGET', KEYS[1], rid) or 'pending'}
)lua";

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
    case 0: {
      Reservation r;
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
