#include "inventory/sale.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "inventory/consistency_jobs.h"
#include "inventory/inventory_service.h"

namespace minishop::inventory {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

nlohmann::json ValidSale() {
  return {{"product_name", "Sneaker"}, {"price_cents", 9900},         {"stock", 100},
          {"limit_per_user", 1},       {"starts_at_ms", kNow + 1000}, {"ends_at_ms", kNow + 2000}};
}

Result<Sale> ParseNewSale(const nlohmann::json& body) {
  return inventory::ParseNewSale(body, kNow);
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
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(s.error().message, "stock must be an integer");
  body = ValidSale();
  body.erase("price_cents");
  EXPECT_EQ(ParseNewSale(body).error().message, "price_cents is required");
  body = ValidSale();
  body["ends_at_ms"] = kNow + 1000;
  EXPECT_EQ(ParseNewSale(body).error().message, "ends_at_ms must be after starts_at_ms");
  body = ValidSale();
  body["price_cents"] = -1;
  EXPECT_FALSE(ParseNewSale(body).ok());
  EXPECT_FALSE(ParseNewSale(nlohmann::json::array()).ok());
}

// Every value a sale cannot sensibly have is refused, naming its field; the bounds themselves
// are accepted.
TEST(ParseNewSaleTest, RefusesEveryAbsurdValueNamingTheField) {
  struct Case {
    const char* field;
    nlohmann::json value;
  };
  const Case bad[] = {
      {"ends_at_ms", kNow - 4000},  // already ended (with starts_at_ms = now - 5000 below)
      {"ends_at_ms", kNow},
      {"ends_at_ms", kNow + 1000 + kMaxDurationMs + 1},
      {"ends_at_ms", kNow + 1500},  // lasts 0.5 s
      {"starts_at_ms", kNow + kMaxLeadMs + 1},
      {"starts_at_ms", 0},
      {"price_cents", -1},
      {"price_cents", kMaxPriceCents + 1},
      {"stock", 0},
      {"stock", kMaxStock + 1},
      {"limit_per_user", 0},
      {"limit_per_user", kMaxLimitPerUser + 1},
      {"product_name", ""},
      {"product_name", "   "},
      {"product_name", std::string(kMaxNameChars + 1, 'x')},
      {"product_name", "Sneaker\nSET stock 0"},
      {"product_name", "Sneaker\x1b[31m"},
      {"product_name", "Sneaker\x7f"},
      {"product_name", "Sneaker\xc2\x85"},         // U+0085, a C1 control
      {"product_name", "abc\xe2\x80\xaegpj.exe"},  // U+202E, right-to-left override
      {"product_name",
       "a\xe2\x81\xa6"
       "b"},  // U+2066, an isolate
      {"product_name",
       "a\xe2\x80\xa8"
       "b"},                                 // U+2028, line separator
      {"product_name", "a\xef\xbf\xbf"},     // U+FFFF
      {"product_name", "\xc2\xa0\xc2\xa0"},  // only no-break spaces
      {"product_name", "\xe2\x80\x8b"},      // only a zero-width space
      {"starts_at_ms", nlohmann::json(18446744073709551615ULL)},
      {"ends_at_ms", nlohmann::json(9223372036854775808ULL)},
      {"price_cents", nlohmann::json(18446744073709551615ULL)},
      {"product_description", std::string(kMaxDescriptionChars + 1, 'x')},
      {"product_description", "bell\x07"},
      {"rebuy_after_return", 1},
      {"colour", "red"},  // unknown field
  };
  for (const Case& c : bad) {
    nlohmann::json body = ValidSale();
    body[c.field] = c.value;
    if (std::string_view(c.field) == "ends_at_ms" && c.value == kNow - 4000)
      body["starts_at_ms"] = kNow - 5000;
    Result<Sale> s = ParseNewSale(body);
    ASSERT_FALSE(s.ok()) << c.field << " = " << c.value.dump();
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_NE(s.error().message.find(c.field), std::string::npos) << s.error().message;
  }
  // At the bounds: accepted. Multi-byte characters count once.
  nlohmann::json edge = ValidSale();
  edge["product_name"] = std::string(kMaxNameChars - 1, 'x') + "\xc3\xa9";
  edge["product_description"] = "line one\nline\ttwo";
  edge["price_cents"] = kMaxPriceCents;
  edge["stock"] = kMaxStock;
  edge["limit_per_user"] = kMaxLimitPerUser;
  edge["starts_at_ms"] = kNow - 5000;  // already running: opens at once
  edge["ends_at_ms"] = kNow - 5000 + kMaxDurationMs;
  Result<Sale> s = ParseNewSale(edge);
  EXPECT_TRUE(s.ok()) << s.error().message;
  edge["price_cents"] = 0;
  edge["starts_at_ms"] = kNow + kMaxLeadMs;
  edge["ends_at_ms"] = kNow + kMaxLeadMs + kMinDurationMs;
  EXPECT_TRUE(ParseNewSale(edge).ok());
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
  in.redis_stock = 1;                 // one of two units came back
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
