#include "order/order_store.h"

namespace minishop::order {
namespace {

constexpr const char* kInsertSql =
    "INSERT INTO orders (reservation_id, sale_id, user_id, quantity, price_cents,"
    " reserved_at_ms, traceparent)"
    " SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::int[], $5::bigint[],"
    " $6::bigint[], $7::text[])"
    " ON CONFLICT (reservation_id, reserved_at_ms) DO NOTHING";

// A reservation is (reservation_id, reserved_at_ms): see migrations/0002_order_lifecycle.sql.
constexpr const char* kSelectSql =
    "SELECT o.id, o.reservation_id, o.sale_id, o.status, o.user_id, o.quantity"
    " FROM orders o JOIN (SELECT DISTINCT * FROM unnest($1::text[], $2::bigint[])) AS k (rid, ts)"
    " ON o.reservation_id = k.rid AND o.reserved_at_ms = k.ts";

Result<int64_t> Insert(pg::Connection& conn, const Reservation* first, size_t count) {
  std::vector<std::string> rids, tps;
  std::vector<int64_t> sales, users, qtys, prices, tss;
  for (const Reservation* r = first; r != first + count; ++r) {
    rids.push_back(r->reservation_id);
    sales.push_back(r->sale_id);
    users.push_back(r->user_id);
    qtys.push_back(r->qty);
    prices.push_back(r->price_cents);
    tss.push_back(r->ts_ms);
    tps.push_back(r->traceparent);
  }
  Result<pg::Rows> rows =
      conn.Exec(kInsertSql, {TextArray(rids), IntArray(sales), IntArray(users), IntArray(qtys),
                             IntArray(prices), IntArray(tss), TextArray(tps)});
  if (!rows.ok()) return rows.error();
  return rows->affected();
}

Result<std::vector<StoredOrder>> Select(pg::Connection& conn,
                                        const std::vector<Reservation>& batch) {
  std::vector<std::string> rids;
  std::vector<int64_t> tss;
  for (const Reservation& r : batch) {
    rids.push_back(r.reservation_id);
    tss.push_back(r.ts_ms);
  }
  Result<pg::Rows> rows = conn.Exec(kSelectSql, {TextArray(rids), IntArray(tss)});
  if (!rows.ok()) return rows.error();
  std::vector<StoredOrder> out;
  for (size_t i = 0; i < rows->size(); ++i) {
    out.push_back(StoredOrder{std::string(rows->Get(i, 1)), rows->GetInt64(i, 0).value_or(0),
                              rows->GetInt64(i, 2).value_or(0), std::string(rows->Get(i, 3)),
                              rows->GetInt64(i, 4).value_or(0), rows->GetInt64(i, 5).value_or(0)});
  }
  return out;
}

// One transaction: the multi-row insert and the read-back.
Result<WriteResult> WriteBatch(pg::Connection& conn, const std::vector<Reservation>& batch) {
  Result<pg::Transaction> tx = pg::Transaction::Begin(conn);
  if (!tx.ok()) return tx.error();
  Result<int64_t> inserted = Insert(conn, batch.data(), batch.size());
  if (!inserted.ok()) return inserted.error();
  Result<std::vector<StoredOrder>> orders = Select(conn, batch);
  if (!orders.ok()) return orders.error();
  if (Status s = tx->Commit(); !s.ok()) return s.error();
  return WriteResult{std::move(orders).value(), {}, *inserted};
}

// Row by row (each its own transaction), to single out the poison reservations.
Result<WriteResult> WriteOneByOne(pg::Connection& conn, const std::vector<Reservation>& batch) {
  WriteResult result;
  std::vector<Reservation> accepted;
  for (size_t i = 0; i < batch.size(); ++i) {
    Result<int64_t> inserted = Insert(conn, &batch[i], 1);
    if (inserted.code() == Code::kInvalidArgument) {
      result.rejected.push_back(i);
      continue;
    }
    if (!inserted.ok()) return inserted.error();
    result.inserted += *inserted;
    accepted.push_back(batch[i]);
  }
  if (accepted.empty()) return result;
  Result<std::vector<StoredOrder>> orders = Select(conn, accepted);
  if (!orders.ok()) return orders.error();
  result.orders = std::move(orders).value();
  return result;
}

}  // namespace

std::string IntArray(const std::vector<int64_t>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(values[i]);
  }
  return out + "}";
}

std::string TextArray(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

Result<WriteResult> WriteOrders(pg::Connection& conn, const std::vector<Reservation>& batch) {
  if (batch.empty()) return WriteResult{};
  Result<WriteResult> whole = WriteBatch(conn, batch);
  if (whole.code() != Code::kInvalidArgument) return whole;
  return WriteOneByOne(conn, batch);
}

}  // namespace minishop::order
