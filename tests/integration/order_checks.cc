#include "integration/order_checks.h"

#include <gtest/gtest.h>

#include <map>

namespace minishop::testing {

void ExpectOrdersMatch(MiniShopSystem& sys, int64_t sale_id, int64_t stock,
                       const std::set<std::string>& known) {
  auto rows = sys.db().Exec(
      "SELECT reservation_id, user_id, quantity, status FROM orders WHERE sale_id = $1",
      {std::to_string(sale_id)});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  std::set<std::string> in_pg;
  std::set<int64_t> users;
  int64_t units = 0;
  for (size_t r = 0; r < rows->size(); ++r) {
    EXPECT_TRUE(in_pg.insert(std::string(rows->Get(r, 0))).second) << "duplicate order";
    users.insert(rows->GetInt64(r, 1).value_or(0));
    units += rows->GetInt64(r, 2).value_or(0);
    EXPECT_EQ(rows->Get(r, 3), "awaiting_payment");
  }
  EXPECT_LE(units, stock);                // I1
  EXPECT_EQ(users.size(), rows->size());  // I2 with limit 1: one order per user
  EXPECT_EQ(in_pg, known);                // I3 and I4: every known reservation is an order, no other
}

void ExpectInvariants(const nlohmann::json& stats) {
  ASSERT_TRUE(stats.is_object());
  for (const char* inv :
       {"i1_no_oversell", "i2_per_user_limit", "i3_no_lost_order", "i4_no_phantom_order"}) {
    EXPECT_EQ(stats["invariants"][inv], true) << inv << ": " << stats.dump();
  }
}

void ExpectSoldExactlyOnce(MiniShopSystem& sys, int64_t sale_id, int64_t stock,
                           const std::vector<ApiResponse>& answers) {
  std::set<std::string> accepted;
  std::map<int, int> by_status;
  for (const ApiResponse& a : answers) {
    ++by_status[a.status];
    if (a.status == 202) {
      EXPECT_TRUE(accepted.insert(a.body["reservation_id"].get<std::string>()).second);
    } else {
      EXPECT_TRUE(a.status == 409 || a.status == 410) << a.status << " " << a.body.dump();
    }
  }
  EXPECT_EQ(by_status[202], stock);
  nlohmann::json stats = sys.WaitSettled(sale_id, std::chrono::seconds(60));
  ExpectInvariants(stats);
  EXPECT_EQ(stats["redis_stock"], 0);
  EXPECT_EQ(stats["orders_pg"], stock);
  EXPECT_EQ(stats["distinct_buyers_pg"], stock);
  ExpectOrdersMatch(sys, sale_id, stock, accepted);
}

void ExpectBuyersSeeTheirOrders(MiniShopSystem& sys, int64_t sale_id,
                                const std::vector<std::string>& tokens, int count) {
  int checked = 0;
  for (size_t u = 0; u < tokens.size() && checked < count; ++u) {
    ApiResponse r = sys.Call(net::http::verb::get,
                             "/api/v1/sales/" + std::to_string(sale_id) + "/order", "", tokens[u]);
    if (r.status == 404) continue;
    ASSERT_EQ(r.status, 200) << r.body.dump();
    EXPECT_EQ(r.body["status"], "awaiting_payment");
    EXPECT_GT(r.body["order_id"].get<int64_t>(), 0);
    ++checked;
  }
  EXPECT_EQ(checked, count);
}

}  // namespace minishop::testing
