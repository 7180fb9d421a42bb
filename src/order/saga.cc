#include "order/saga.h"

#include <initializer_list>
#include <utility>

#include "contracts/sale_scripts.h"
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
  static const redis::Script script(contracts::ReturnStockLua());
  return script;
}

std::vector<std::string> ReturnStockKeys(const OrderRow& o) {
  return contracts::LedgerKeys(o.sale_id);
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
  static const redis::Script script(contracts::SetStatusLua());
  return script;
}

const redis::Script& VoidReservationScript() {
  static const redis::Script script(contracts::VoidReservationLua());
  return script;
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
  static const redis::Script script(contracts::ReadmitReservationLua());
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
