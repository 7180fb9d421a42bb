#include "inventory/sale.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "inventory/consistency_jobs.h"
#include "inventory/inventory_service.h"

namespace minishop::inventory {
namespace {

nlohmann::json ValidSale() {
  return {{"product_name", "Sneaker"}, {"price_cents", 9900},  {"stock", 100},
          {"limit_per_user", 1},       {"starts_at_ms", 1000}, {"ends_at_ms", 2000}};
}

TEST(ParseNewSaleTest, AcceptsValidSale) {
  auto s = ParseNewSale(ValidSale());
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(s->stock_total, 100);
  EXPECT_EQ(s->product_name, "Sneaker");
}

TEST(ParseNewSaleTest, NamesTheBadField) {
  auto body = ValidSale();
  body["stock"] = "many";
  auto s = ParseNewSale(body);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kBadRequest);
  EXPECT_EQ(s.error().message, "stock must be an integer");
  body = ValidSale();
  body.erase("price_cents");
  EXPECT_EQ(ParseNewSale(body).error().message, "price_cents is required");
  body = ValidSale();
  body["ends_at_ms"] = 1000;
  EXPECT_EQ(ParseNewSale(body).error().message, "ends_at_ms must be after starts_at_ms");
  body = ValidSale();
  body["price_cents"] = -1;
  EXPECT_FALSE(ParseNewSale(body).ok());
  EXPECT_FALSE(ParseNewSale(nlohmann::json::array()).ok());
}

TEST(SaleCatalogTest, FindsSalesAndBumpsVersion) {
  SaleCatalog catalog;
  uint64_t v0 = catalog.version();
  Sale a;
  a.id = 7;
  a.starts_at_ms = 5;
  catalog.Upsert(a, 3);
  EXPECT_GT(catalog.version(), v0);
  auto snap = catalog.Get();
  ASSERT_NE(snap->Find(7), nullptr);
  EXPECT_EQ(snap->stock_left.at(7), 3);
  EXPECT_EQ(snap->Find(8), nullptr);
}

TEST(EvaluateStatsTest, HealthySaleHoldsEveryInvariant) {
  StatsInput in;
  in.initial_stock = 3;
  in.redis_stock = 1;
  in.redis_units = {{1, 1}, {2, 1}};
  in.pg_units = {{1, 1}, {2, 1}};
  in.pg_orders = 2;
  auto j = EvaluateStats(in);
  EXPECT_TRUE(j["invariants"]["i1_no_oversell"]);
  EXPECT_TRUE(j["invariants"]["i2_per_user_limit"]);
  EXPECT_TRUE(j["invariants"]["i3_no_lost_order"]);
  EXPECT_TRUE(j["invariants"]["i4_no_phantom_order"]);
}

TEST(EvaluateStatsTest, DetectsEachViolation) {
  StatsInput in;
  in.initial_stock = 2;
  in.redis_stock = 0;
  in.redis_units = {{1, 2}, {2, 1}};  // 3 units reserved out of 2: oversold; user 1 over limit
  in.pg_units = {{1, 2}, {3, 1}};     // user 3 has an order without a reservation
  auto j = EvaluateStats(in);
  EXPECT_FALSE(j["invariants"]["i1_no_oversell"]);
  EXPECT_FALSE(j["invariants"]["i2_per_user_limit"]);
  EXPECT_FALSE(j["invariants"]["i3_no_lost_order"]);  // user 2's reservation has no order
  EXPECT_FALSE(j["invariants"]["i4_no_phantom_order"]);
}

TEST(EvaluateStatsTest, PendingOutboxMeansNotYetOrdered) {
  StatsInput in;
  in.initial_stock = 1;
  in.redis_units = {{1, 1}};
  in.outbox_backlog = 1;
  auto j = EvaluateStats(in);
  EXPECT_TRUE(j["invariants"]["i1_no_oversell"]);
  EXPECT_FALSE(j["invariants"]["i3_no_lost_order"]);
  EXPECT_EQ(j["in_flight_units"], 1);
}

TEST(EvaluateStatsTest, ReturnedUnitsKeepTheBooksBalanced) {
  StatsInput in;
  in.initial_stock = 2;
  in.redis_stock = 1;               // one of two units came back
  in.redis_units = {{1, 1}, {2, 1}};  // both shoppers keep their count (no rebuy)
  in.pg_units = {{1, 1}, {2, 1}};
  in.pg_kept_units = 1;
  in.pg_closed = {{10, 1}};
  in.redis_returned = {{10, 1}};
  in.redis_kept_units = 1;
  auto j = EvaluateStats(in);
  EXPECT_TRUE(j["invariants"]["i1_no_oversell"]);
  EXPECT_TRUE(j["invariants"]["i3_no_lost_order"]);
  EXPECT_TRUE(j["invariants"]["i5_stock_returned_once"]);
  EXPECT_EQ(j["live_units_pg"], 1);
}

TEST(EvaluateStatsTest, DetectsAMissingOrDoubleReturn) {
  StatsInput in;
  in.initial_stock = 2;
  in.redis_stock = 2;  // one unit returned twice: one too many
  in.redis_units = {{1, 1}, {2, 1}};
  in.pg_units = {{1, 1}, {2, 1}};
  in.pg_kept_units = 1;
  in.pg_closed = {{10, 1}, {11, 1}};  // order 11 closed, never returned
  in.redis_returned = {{10, 1}};
  in.redis_kept_units = 1;
  auto j = EvaluateStats(in);
  EXPECT_FALSE(j["invariants"]["i1_no_oversell"]);
  EXPECT_FALSE(j["invariants"]["i5_stock_returned_once"]);
  EXPECT_EQ(j["stock_drift"], 1);
}

}  // namespace
}  // namespace minishop::inventory

namespace minishop::inventory {
namespace {

TEST(SaleIsFinalTest, OnlyAfterEveryDeadlineThatCanStillChangeAnOrder) {
  Config config;
  config.order.payment_deadline_ms = 900'000;
  config.order.expiry_scan_interval_ms = 1'000;
  config.order.return_retry_after_ms = 5'000;
  config.inventory.reconcile_interval_ms = 300'000;
  Sale sale;
  sale.ends_at_ms = 10'000'000;
  const int64_t last_change = sale.ends_at_ms + 900'000 + 1'000 + 5'000 + 300'000;
  EXPECT_FALSE(SaleIsFinal(sale, config, sale.ends_at_ms - 1));
  EXPECT_FALSE(SaleIsFinal(sale, config, sale.ends_at_ms + 900'000));  // orders still payable
  EXPECT_FALSE(SaleIsFinal(sale, config, last_change));
  EXPECT_TRUE(SaleIsFinal(sale, config, last_change + 1));
}

}  // namespace
}  // namespace minishop::inventory
