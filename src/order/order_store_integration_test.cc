// WriteOrders against a real PostgreSQL: idempotent batches, read-back of existing rows,
// and poison reservations singled out.
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/servers.h"
#include "infra/pg/migrate.h"
#include "order/order_store.h"

namespace minishop::order {
namespace {

std::unique_ptr<pg::Connection> Database(const std::string& name) {
  EXPECT_TRUE(testing::SharedPostgres().CreateDatabase(name).ok());
  auto conn = pg::Connection::Open(testing::SharedPostgres().ConnInfo(name));
  EXPECT_TRUE(conn.ok()) << conn.error().message;
  if (!conn.ok()) return nullptr;
  EXPECT_TRUE(pg::Migrate(**conn).ok());
  EXPECT_TRUE((*conn)
                  ->Exec("INSERT INTO sales (id, product_name, price_cents, stock_total,"
                         " starts_at_ms, ends_at_ms) VALUES (1, 'p', 100, 10, 0, 1)")
                  .ok());
  EXPECT_TRUE((*conn)
                  ->Exec("INSERT INTO users (id, email, password_hash)"
                         " SELECT g, 'u' || g, 'x' FROM generate_series(1, 10) g")
                  .ok());
  return std::move(conn).value();
}

Reservation Make(int64_t user, int64_t sale = 1) {
  return Reservation{std::to_string(sale) + "-" + std::to_string(user) + "-1",
                     sale,
                     user,
                     1,
                     100,
                     1700000000000,
                     "00-tp"};
}

const StoredOrder* Find(const WriteResult& r, const std::string& rid) {
  auto it = std::find_if(r.orders.begin(), r.orders.end(),
                         [&](const StoredOrder& o) { return o.reservation_id == rid; });
  return it == r.orders.end() ? nullptr : &*it;
}

TEST(OrderStoreIntegrationTest, BatchesAreIdempotentAndReturnEveryRow) {
  auto db = Database("order_store_idem");
  ASSERT_NE(db, nullptr);
  auto first = WriteOrders(*db, {Make(1), Make(2), Make(2)});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->inserted, 2);
  EXPECT_EQ(first->orders.size(), 2u);
  EXPECT_TRUE(first->rejected.empty());

  auto second = WriteOrders(*db, {Make(1), Make(2), Make(3)});
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->inserted, 1);
  ASSERT_EQ(second->orders.size(), 3u);
  const StoredOrder* again = Find(*second, "1-1-1");
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->order_id, Find(*first, "1-1-1")->order_id);
  EXPECT_EQ(again->status, "awaiting_payment");
  EXPECT_EQ(again->sale_id, 1);

  auto rows = db->Exec(
      "SELECT quantity, price_cents, reserved_at_ms, traceparent FROM orders"
      " WHERE reservation_id = '1-3-1'");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->Get(0, 0), "1");
  EXPECT_EQ(rows->Get(0, 1), "100");
  EXPECT_EQ(rows->Get(0, 2), "1700000000000");
  EXPECT_EQ(rows->Get(0, 3), "00-tp");
}

TEST(OrderStoreIntegrationTest, UnknownSalesAndUsersAreRejectedWithoutBlockingTheRest) {
  auto db = Database("order_store_poison");
  ASSERT_NE(db, nullptr);
  Reservation quoted = Make(5);
  quoted.reservation_id = "odd \"id\", with {braces} \\";
  auto r = WriteOrders(*db, {Make(4), Make(99), quoted, Make(6, /*sale=*/42)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->rejected, (std::vector<size_t>{1, 3}));
  EXPECT_EQ(r->inserted, 2);
  ASSERT_EQ(r->orders.size(), 2u);
  EXPECT_NE(Find(*r, quoted.reservation_id), nullptr);
}

}  // namespace
}  // namespace minishop::order
