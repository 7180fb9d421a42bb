#include "order/saga.h"

#include <initializer_list>
#include <utility>

#include "contracts/keys.h"
#include "infra/redis/script_runner.h"
#include "order/order_store.h"

namespace minishop::order {
namespace {

constexpr const char* kColumns =
    "o.id, o.sale_id, o.user_id, o.quantity, o.price_cents, o.reservation_id, o.status,"
    " o.stock_return, s.rebuy_after_return, o.reserved_at_ms";

std::vector<OrderRow> ParseRows(const pg::Rows& rows) {
  std::vector<OrderRow> out;
  out.reserve(rows.size());
  for (size_t r = 0; r < rows.size(); ++r) {
    OrderRow o;
    o.order_id = rows.GetInt64(r, 0).value_or(0);
    o.sale_id = rows.GetInt64(r, 1).value_or(0);
    o.user_id = rows.GetInt64(r, 2).value_or(0);
    o.quantity = rows.GetInt64(r, 3).value_or(0);
    o.price_cents = rows.GetInt64(r, 4).value_or(0);
    o.reservation_id = std::string(rows.Get(r, 5));
    o.status = std::string(rows.Get(r, 6));
    o.stock_return = std::string(rows.Get(r, 7));
    o.rebuy_after_return = rows.Get(r, 8) == "t";
    o.reserved_at_ms = rows.GetInt64(r, 9).value_or(0);
    out.push_back(std::move(o));
  }
  return out;
}

Result<std::optional<OrderRow>> AtMostOne(Result<pg::Rows> rows) {
  if (!rows.ok()) return rows.error();
  std::vector<OrderRow> parsed = ParseRows(*rows);
  if (parsed.empty()) return std::optional<OrderRow>();
  return std::optional<OrderRow>(std::move(parsed.front()));
}

// Lua: may `cur` (the status hash value of the reservation) be replaced by a state of
// order `oid`? Yes when absent or pending, or when it is this order's non-final state.
constexpr const char* kMayReplaceLua = R"lua(
local function may_replace(cur, oid)
  if not cur or cur == 'pending' then return true end
  return cur == 'awaiting_payment:' .. oid
end
)lua";

// The outcome a script's integer reply names; kInternal for an error reply, another reply
// type or a code not in `codes`.
template <class Outcome>
Result<Outcome> ScriptOutcome(const redis::Reply& reply, const std::string& script,
                              std::initializer_list<std::pair<int64_t, Outcome>> codes) {
  if (reply.is_error()) return MakeError(Code::kInternal, script + ": " + reply.str);
  if (reply.type != redis::Reply::Type::kInteger)
    return MakeError(Code::kInternal, script + ": unexpected reply");
  for (const auto& [code, outcome] : codes) {
    if (code == reply.integer) return outcome;
  }
  return MakeError(Code::kInternal, script + ": unknown code");
}

}  // namespace

Result<std::optional<OrderRow>> LoadOrder(pg::Connection& db, int64_t order_id, int64_t owner) {
  return AtMostOne(db.Exec(std::string("SELECT ") + kColumns +
                               " FROM orders o JOIN sales s ON s.id = o.sale_id"
                               " WHERE o.id = $1 AND ($2::bigint = 0 OR o.user_id = $2)",
                           {std::to_string(order_id), std::to_string(owner)}));
}

Result<std::optional<OrderRow>> MarkPaid(pg::Connection& db, int64_t order_id, int64_t owner,
                                         const std::string& payment_ref, int64_t now_ms) {
  return AtMostOne(db.Exec(
      std::string("UPDATE orders o SET status = 'paid', paid_at_ms = $3, payment_ref = $4,"
                  " updated_at = now() FROM sales s"
                  " WHERE o.id = $1 AND o.user_id = $2 AND o.status = 'awaiting_payment'"
                  " AND s.id = o.sale_id RETURNING ") +
          kColumns,
      {std::to_string(order_id), std::to_string(owner), std::to_string(now_ms), payment_ref}));
}

Result<std::optional<OrderRow>> CloseOrder(pg::Connection& db, int64_t order_id, int64_t owner,
                                           std::string_view to, int64_t now_ms) {
  if (to != "cancelled" && to != "expired")
    return MakeError(Code::kInternal, "CloseOrder: bad target state");
  return AtMostOne(db.Exec(
      std::string("UPDATE orders o SET status = $3, stock_return = 'pending', closed_at_ms = $4,"
                  " updated_at = now() FROM sales s"
                  " WHERE o.id = $1 AND ($2::bigint = 0 OR o.user_id = $2)"
                  " AND o.status = 'awaiting_payment' AND s.id = o.sale_id RETURNING ") +
          kColumns,
      {std::to_string(order_id), std::to_string(owner), std::string(to), std::to_string(now_ms)}));
}

Status ClaimFence(pg::Connection& db, const std::string& job, int64_t fence) {
  auto rows = db.Exec(
      "INSERT INTO job_fences (name, fence) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE"
      " SET fence = EXCLUDED.fence WHERE job_fences.fence <= EXCLUDED.fence RETURNING fence",
      {job, std::to_string(fence)});
  if (!rows.ok()) return rows.error();
  if (rows->size() == 0)
    return MakeError(Code::kConflict, "fence " + std::to_string(fence) + " of " + job +
                                          " is stale: a newer lease holder has written");
  return OkStatus();
}

Result<std::vector<OrderRow>> ExpireDue(pg::Connection& db, int64_t reserved_before_ms, int limit,
                                        const std::string& job, int64_t fence, int64_t now_ms) {
  Result<pg::Transaction> tx = pg::Transaction::Begin(db);
  if (!tx.ok()) return tx.error();
  if (Status s = ClaimFence(db, job, fence); !s.ok()) return s.error();
  auto rows =
      db.Exec(std::string("UPDATE orders o SET status = 'expired', stock_return = 'pending',"
                          " closed_at_ms = $2, updated_at = now() FROM sales s"
                          " WHERE o.id IN (SELECT id FROM orders WHERE status = 'awaiting_payment'"
                          " AND reserved_at_ms < $1 ORDER BY reserved_at_ms LIMIT $3"
                          " FOR UPDATE SKIP LOCKED)"
                          " AND o.status = 'awaiting_payment' AND s.id = o.sale_id RETURNING ") +
                  kColumns,
              {std::to_string(reserved_before_ms), std::to_string(now_ms), std::to_string(limit)});
  if (!rows.ok()) return rows.error();
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return ParseRows(*rows);
}

Status MarkReturned(pg::Connection& db, const std::vector<int64_t>& order_ids) {
  auto rows = db.Exec(
      "UPDATE orders SET stock_return = 'done', updated_at = now()"
      " WHERE id = ANY($1::bigint[]) AND stock_return = 'pending'",
      {IntArray(order_ids)});
  if (!rows.ok()) return rows.error();
  return OkStatus();
}

Result<std::vector<OrderRow>> PendingReturns(pg::Connection& db, int64_t closed_before_ms,
                                             int limit) {
  auto rows = db.Exec(std::string("SELECT ") + kColumns +
                          " FROM orders o JOIN sales s ON s.id = o.sale_id"
                          " WHERE o.stock_return = 'pending' AND o.closed_at_ms < $1"
                          " ORDER BY o.closed_at_ms LIMIT $2",
                      {std::to_string(closed_before_ms), std::to_string(limit)});
  if (!rows.ok()) return rows.error();
  return ParseRows(*rows);
}

const redis::Script& ReturnStockScript() {
  static const redis::Script script(std::string(kMayReplaceLua) + R"lua(
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
)lua");
  return script;
}

std::vector<std::string> ReturnStockKeys(const OrderRow& o) {
  std::vector<std::string> keys;
  keys.reserve(4);
  keys.push_back(contracts::StockKey(o.sale_id));
  keys.push_back(contracts::BuyersKey(o.sale_id));
  keys.push_back(contracts::StatusKey(o.sale_id));
  keys.push_back(contracts::ReturnedKey(o.sale_id));
  return keys;
}

std::vector<std::string> ReturnStockArgs(const OrderRow& o) {
  std::vector<std::string> args;
  args.reserve(6);
  args.push_back(std::to_string(o.order_id));
  args.push_back(std::to_string(o.user_id));
  args.push_back(std::to_string(o.quantity));
  args.push_back(o.reservation_id);
  args.push_back(o.status);
  args.push_back(o.rebuy_after_return ? "1" : "0");
  return args;
}

Result<ReturnOutcome> MapReturnReply(const redis::Reply& reply) {
  return ScriptOutcome<ReturnOutcome>(reply, "stock return script",
                                      {{1, ReturnOutcome::kReturned},
                                       {0, ReturnOutcome::kAlreadyReturned},
                                       {-1, ReturnOutcome::kSaleNotInRedis}});
}

const redis::Script& SetStatusScript() {
  static const redis::Script script(std::string(kMayReplaceLua) + R"lua(
if may_replace(redis.call('HGET', KEYS[1], ARGV[1]), ARGV[2]) then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3] .. ':' .. ARGV[2])
  return 1
end
return 0
)lua");
  return script;
}

const redis::Script& VoidReservationScript() {
  static const redis::Script script(R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
local cur = redis.call('HGET', KEYS[3], ARGV[1])
if cur and cur ~= 'pending' and cur ~= 'failed' then return 2 end
if redis.call('HSETNX', KEYS[4], 'r:' .. ARGV[1] .. ':' .. ARGV[2], ARGV[4]) == 0 then return 0 end
local qty = tonumber(ARGV[4])
redis.call('INCRBY', KEYS[1], qty)
if redis.call('HINCRBY', KEYS[2], ARGV[3], -qty) <= 0 then redis.call('HDEL', KEYS[2], ARGV[3]) end
redis.call('HSET', KEYS[3], ARGV[1], 'failed')
return 1
)lua");
  return script;
}

std::vector<std::string> ReservationKeys(int64_t sale_id) {
  return {contracts::StockKey(sale_id), contracts::BuyersKey(sale_id),
          contracts::StatusKey(sale_id), contracts::ReturnedKey(sale_id),
          contracts::MetaKey(sale_id)};
}

std::vector<std::string> VoidArgs(const std::string& reservation_id, int64_t ts_ms, int64_t user_id,
                                  int64_t qty) {
  return {reservation_id, std::to_string(ts_ms), std::to_string(user_id), std::to_string(qty)};
}

Result<VoidOutcome> MapVoidReply(const redis::Reply& reply) {
  return ScriptOutcome<VoidOutcome>(reply, "void script",
                                    {{1, VoidOutcome::kVoided},
                                     {0, VoidOutcome::kAlreadyVoided},
                                     {2, VoidOutcome::kIsAnOrder},
                                     {-1, VoidOutcome::kSaleNotInRedis}});
}

const redis::Script& ReadmitReservationScript() {
  static const redis::Script script(R"lua(
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
)lua");
  return script;
}

Result<ReadmitOutcome> MapReadmitReply(const redis::Reply& reply) {
  return ScriptOutcome<ReadmitOutcome>(reply, "readmit script",
                                       {{1, ReadmitOutcome::kReadmitted},
                                        {2, ReadmitOutcome::kNeverVoided},
                                        {0, ReadmitOutcome::kNoLongerFits},
                                        {-1, ReadmitOutcome::kSaleNotInRedis}});
}

Result<std::vector<ReturnOutcome>> FinishReturns(pg::Connection& db, redis::SyncClient& redis,
                                                 const std::vector<OrderRow>& orders) {
  std::vector<ReturnOutcome> outcomes;
  if (orders.empty()) return outcomes;
  std::vector<redis::ScriptCall> calls;
  calls.reserve(orders.size());
  std::vector<int64_t> ids;
  for (const OrderRow& o : orders) {
    calls.push_back({ReturnStockKeys(o), ReturnStockArgs(o)});
    ids.push_back(o.order_id);
  }
  Result<std::vector<redis::Reply>> replies =
      redis::EvalScriptEach(redis, ReturnStockScript(), calls);
  if (!replies.ok()) return replies.error();
  for (const redis::Reply& reply : *replies) {
    Result<ReturnOutcome> outcome = MapReturnReply(reply);
    if (!outcome.ok()) return outcome.error();
    outcomes.push_back(*outcome);
  }
  if (Status s = MarkReturned(db, ids); !s.ok()) return s.error();
  return outcomes;
}

}  // namespace minishop::order
