#include "contracts/sale_scripts.h"

#include "contracts/keys.h"

namespace minishop::contracts {
namespace {

// Lua: may `cur` (the status hash value of the reservation) be replaced by a state of
// order `oid`? Yes when absent or pending, or when it is this order's non-final state.
constexpr const char* kMayReplaceLua = R"lua(
local function may_replace(cur, oid)
  if not cur or cur == 'pending' then return true end
  return cur == 'awaiting_payment:' .. oid
end
)lua";

}  // namespace

std::string PurchaseLua() {
  return R"lua(
local n = (#ARGV - 1) / 4
local out = {}
local function earlier(i)
  local key = ARGV[4 * i + 1]
  if key == '' then return false end
  return redis.call('HGET', KEYS[4], 'k:' .. ARGV[4 * i - 2] .. ':' .. key)
end
local meta = redis.call('HMGET', KEYS[1], 'start_ms', 'end_ms', 'limit', 'price_cents')
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local whole
if not meta[1] then whole = {-1}
elseif now < tonumber(meta[1]) then whole = {3, now}
elseif now >= tonumber(meta[2]) then whole = {4, now} end
if whole then
  for i = 1, n do
    local rid = meta[1] and earlier(i)
    if rid then out[i] = {6, tonumber(redis.call('GET', KEYS[2]) or '0'), rid, now}
    else out[i] = whole end
  end
  return out
end
local limit = tonumber(meta[3])
local stock = tonumber(redis.call('GET', KEYS[2]) or '0')
for i = 1, n do
  local user, qty_text, key = ARGV[4 * i - 2], ARGV[4 * i - 1], ARGV[4 * i + 1]
  local qty = tonumber(qty_text)
  local rid = earlier(i)
  if rid then out[i] = {6, stock, rid, now}
  else
    local bought = tonumber(redis.call('HGET', KEYS[3], user) or '0')
    if bought + qty > limit then out[i] = {2, bought}
    elseif stock <= 0 then out[i] = {1, stock}
    elseif stock < qty then out[i] = {5, stock}
    else
      stock = redis.call('DECRBY', KEYS[2], qty)
      redis.call('HINCRBY', KEYS[3], user, qty)
      rid = ARGV[1] .. '-' .. user .. '-' .. (bought + 1)
      redis.call('HSET', KEYS[4], rid, 'pending', 'u:' .. user, rid)
      if key ~= '' then redis.call('HSET', KEYS[4], 'k:' .. user .. ':' .. key, rid) end
      redis.call('XADD', KEYS[5], '*', 'rid', rid, 'sale', ARGV[1], 'user', user, 'qty', qty_text,
                 'price', meta[4], 'ts', now, 'tp', ARGV[4 * i])
      out[i] = {0, stock, rid, now}
    end
  end
end
return out
)lua";
}

std::string OrderStatusLua() {
  return R"lua(
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local rid = redis.call('HGET', KEYS[1], 'u:' .. ARGV[1])
if not rid then return false end
return {rid, redis.call('HGET', KEYS[1], rid) or 'pending'}
)lua";
}

std::vector<std::string> LedgerKeys(int64_t sale_id) {
  return {StockKey(sale_id), BuyersKey(sale_id), StatusKey(sale_id), ReturnedKey(sale_id),
          MetaKey(sale_id)};
}

std::string ReturnStockLua() {
  return std::string(kMayReplaceLua) + R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HSETNX', KEYS[4], 'o:' .. ARGV[1], ARGV[3]) == 0 then return 0 end
local qty = tonumber(ARGV[3])
redis.call('INCRBY', KEYS[1], qty)
if ARGV[6] == '1' then
  if redis.call('HINCRBY', KEYS[2], ARGV[2], -qty) <= 0 then redis.call('HDEL', KEYS[2], ARGV[2]) end
else
  redis.call('HINCRBY', KEYS[4], 'kept_units', qty)
end
if may_replace(redis.call('HGET', KEYS[3], ARGV[4]), ARGV[1]) then
  redis.call('HSET', KEYS[3], ARGV[4], ARGV[5] .. ':' .. ARGV[1])
end
return 1
)lua";
}

std::string SetStatusLua() {
  return std::string(kMayReplaceLua) + R"lua(
if may_replace(redis.call('HGET', KEYS[1], ARGV[1]), ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. ':' .. ARGV[2])
  return 1
end
return 0
)lua";
}

std::string VoidReservationLua() {
  return R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if cur and cur ~= 'pending' and cur ~= 'failed' then return 2 end
if redis.call('HSETNX', KEYS[4], 'r:' .. ARGV[1] .. ':' .. ARGV[2], ARGV[4]) == 0 then return 0 end
local qty = tonumber(ARGV[4])
redis.call('INCRBY', KEYS[1], qty)
if redis.call('HINCRBY', KEYS[2], ARGV[3], -qty) <= 0 then redis.call('HDEL', KEYS[2], ARGV[3]) end
redis.call('HSET', KEYS[3], ARGV[1], 'failed')
return 1
)lua";
}

std::string ReadmitReservationLua() {
  return R"lua(
local mark = 'r:' .. ARGV[1] .. ':' .. ARGV[2]
if redis.call('HEXISTS', KEYS[4], mark) == 0 then return 2 end
local limit = redis.call('HGET', KEYS[5], 'limit')
if not limit or redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local qty = tonumber(ARGV[4])
local stock = tonumber(redis.call('GET', KEYS[1]))
local bought = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
if stock < qty or bought + qty > tonumber(limit) then return 0 end
redis.call('DECRBY', KEYS[1], qty)
redis.call('HINCRBY', KEYS[2], ARGV[3], qty)
redis.call('HDEL', KEYS[4], mark)
redis.call('HSET', KEYS[3], ARGV[1], 'pending')
return 1
)lua";
}

std::string CacheOrdersLua() {
  return R"lua(
local adopted = 0
for i = 1, #ARGV, 5 do
  local rid, oid, st, user, qty = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], tonumber(ARGV[i + 4])
  local cur = redis.call('HGET', KEYS[3], rid)
  local live = st == 'awaiting_payment' or st == 'paid'
  if not cur then
    if live and redis.call('EXISTS', KEYS[1]) == 1 then
      redis.call('DECRBY', KEYS[1], qty)
      redis.call('HINCRBY', KEYS[2], user, qty)
      redis.call('HSETNX', KEYS[3], 'u:' .. user, rid)
      adopted = adopted + qty
    end
    redis.call('HSET', KEYS[3], rid, st .. ':' .. oid)
  elseif (cur == 'pending' and live) or cur == 'awaiting_payment:' .. oid then
    redis.call('HSET', KEYS[3], rid, st .. ':' .. oid)
  elseif cur == 'failed' and live then
    -- Voided, then written after all (the cause was fixed before a redelivery): it takes
    -- its units again and loses its failure mark.
    redis.call('DECRBY', KEYS[1], qty)
    redis.call('HINCRBY', KEYS[2], user, qty)
    redis.call('HSET', KEYS[3], rid, st .. ':' .. oid)
    local marks = redis.call('HKEYS', KEYS[4])
    for _, k in ipairs(marks) do
      if string.sub(k, 1, #rid + 3) == 'r:' .. rid .. ':' then redis.call('HDEL', KEYS[4], k) end
    end
    adopted = adopted + qty
  end
end
return adopted
)lua";
}

std::string RepairLua() {
  return R"lua(
local total_stock, kept = tonumber(ARGV[1]), tonumber(ARGV[2])
local i = 3
local function count() local n = tonumber(ARGV[i]); i = i + 1; return n end
local want = {}
for _ = 1, count() do want[ARGV[i]] = tonumber(ARGV[i + 1]); i = i + 2 end
local cur = redis.call('HGETALL', KEYS[2])
for k = 1, #cur, 2 do
  local u, have = cur[k], tonumber(cur[k + 1])
  local latest = redis.call('HGET', KEYS[3], 'u:' .. u)
  if latest and redis.call('HGET', KEYS[3], latest) == 'pending' and have > (want[u] or 0) then
    want[u] = have
  end
end
redis.call('DEL', KEYS[2])
local sum = 0
for u, q in pairs(want) do
  if q > 0 then redis.call('HSET', KEYS[2], u, q); sum = sum + q end
end
local marks = {}
local returned = redis.call('HGETALL', KEYS[4])
for k = 1, #returned, 2 do
  if string.sub(returned[k], 1, 2) == 'r:' then marks[returned[k]] = returned[k + 1] end
end
redis.call('DEL', KEYS[4])
for field, units in pairs(marks) do redis.call('HSET', KEYS[4], field, units) end
for _ = 1, count() do redis.call('HSET', KEYS[4], 'o:' .. ARGV[i], ARGV[i + 1]); i = i + 2 end
if kept > 0 then redis.call('HSET', KEYS[4], 'kept_units', kept) end
for _ = 1, count() do
  local rid, value, live = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local now = redis.call('HGET', KEYS[3], rid)
  if not (now == 'pending' and live == '0') then redis.call('HSET', KEYS[3], rid, value) end
  i = i + 3
end
for _ = 1, count() do
  local key = 'u:' .. ARGV[i]
  local now = redis.call('HGET', KEYS[3], key)
  if not now or redis.call('HGET', KEYS[3], now) ~= 'pending' then
    redis.call('HSET', KEYS[3], key, ARGV[i + 1])
  end
  i = i + 2
end
local stock = total_stock - sum + kept
redis.call('SET', KEYS[1], stock)
return {stock, sum}
)lua";
}

}  // namespace minishop::contracts
