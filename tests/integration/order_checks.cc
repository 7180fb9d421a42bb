#include "integration/order_checks.h"

#include <gtest/gtest.h>

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

}  // namespace minishop::testing
