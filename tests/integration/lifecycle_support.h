// Helpers shared by the order-lifecycle and consistency whole-system tests: buying,
// finding orders, calling pay/cancel with headers from many threads, reading a sale's
// Redis keys, and asserting I1–I5. Blocking; test code only.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "harness/servers.h"
#include "infra/redis/sync_client.h"
#include "integration/minishop_system.h"

namespace minishop::testing {

namespace http = net::http;
using namespace std::chrono_literals;

// Settings for the next MiniShopSystem::Start: the child inherits the test's environment
// (MiniShopSystem sets only its own keys on top).
inline void SetSetting(const char* name, const std::string& value) {
  ::setenv(name, value.c_str(), 1);
}

inline std::string SalePath(int64_t sale, const std::string& tail) {
  return "/api/v1/sales/" + std::to_string(sale) + "/" + tail;
}

inline std::string OrderPath(int64_t order, const std::string& action) {
  return "/api/v1/orders/" + std::to_string(order) + "/" + action;
}

// Creates a sale through the admin API with the rebuy setting; returns its id.
inline int64_t CreateSaleWithRebuy(MiniShopSystem& s, int64_t stock, int64_t limit, bool rebuy) {
  int64_t now = NowEpochMs();
  nlohmann::json sale = {{"product_name", "Lifecycle sneaker"}, {"price_cents", 5000},
                         {"stock", stock},   {"limit_per_user", limit},
                         {"starts_at_ms", now - 1000}, {"ends_at_ms", now + 3'600'000},
                         {"rebuy_after_return", rebuy}};
  ApiResponse r = s.Call(http::verb::post, "/api/v1/admin/sales", sale.dump(), s.AdminToken());
  EXPECT_EQ(r.status, 201) << r.body.dump();
  return r.status == 201 ? r.body["id"].get<int64_t>() : 0;
}

// Polls the caller's order in `sale` until it has an order id (the worker wrote it).
inline int64_t WaitForOrderId(MiniShopSystem& s, int64_t sale, const std::string& token) {
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    ApiResponse r = s.Call(http::verb::get, SalePath(sale, "order"), "", token);
    if (r.status == 200 && r.body.contains("order_id")) return r.body["order_id"].get<int64_t>();
    std::this_thread::sleep_for(50ms);
  }
  ADD_FAILURE() << "no order appeared for the reservation";
  return 0;
}

inline ApiResponse Pay(MiniShopSystem& s, int64_t order, const std::string& token,
                       const std::string& key, const std::string& body = "") {
  std::map<std::string, std::string> headers;
  if (!key.empty()) headers["Idempotency-Key"] = key;
  if (!body.empty()) headers["Content-Type"] = "application/json";
  return s.Call(http::verb::post, OrderPath(order, "pay"), body, token, headers);
}

inline ApiResponse Cancel(MiniShopSystem& s, int64_t order, const std::string& token,
                          const std::string& key = "") {
  std::map<std::string, std::string> headers;
  if (!key.empty()) headers["Idempotency-Key"] = key;
  return s.Call(http::verb::post, OrderPath(order, "cancel"), "", token, headers);
}

// Runs every call on its own thread at once and returns the answers in order.
inline std::vector<ApiResponse> AllAtOnce(const std::vector<std::function<ApiResponse()>>& calls) {
  std::vector<ApiResponse> out(calls.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < calls.size(); ++i) threads.emplace_back([&, i] { out[i] = calls[i](); });
  for (auto& t : threads) t.join();
  return out;
}

inline redis::SyncClient TestRedis() {
  return redis::SyncClient("127.0.0.1", SharedRedis().port(), 5s);
}

inline int64_t RedisStock(int64_t sale) {
  redis::SyncClient r = TestRedis();
  auto v = r.Command({"GET", "ms:{s" + std::to_string(sale) + "}:stock"});
  return v.ok() && !v->is_nil() ? std::strtoll(v->str.c_str(), nullptr, 10) : -1;
}

// Units held by live (awaiting_payment or paid) orders of the sale, by SQL. Retries once:
// after a PostgreSQL restart the test's own connection reconnects on its next call.
inline int64_t LiveUnits(MiniShopSystem& s, int64_t sale) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto rows = s.db().Exec(
        "SELECT coalesce(sum(quantity), 0) FROM orders WHERE sale_id = $1"
        " AND status IN ('awaiting_payment', 'paid')",
        {std::to_string(sale)});
    if (rows.ok()) return rows->GetInt64(0, 0).value_or(-1);
  }
  return -1;
}

inline bool AllInvariantsHold(const nlohmann::json& stats) {
  if (!stats.is_object() || !stats.contains("invariants")) return false;
  for (const char* inv : {"i1_no_oversell", "i2_per_user_limit", "i3_no_lost_order",
                          "i4_no_phantom_order", "i5_stock_returned_once"}) {
    if (stats["invariants"][inv] != true) return false;
  }
  return true;
}

// Polls the stats until I1–I5 all hold (the pipeline drained and every stock return
// finished) or `timeout` passes; returns the last stats.
inline nlohmann::json WaitAllInvariants(MiniShopSystem& s, int64_t sale,
                                        std::chrono::milliseconds timeout = 90s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json stats;
  while (std::chrono::steady_clock::now() < deadline) {
    stats = s.Stats(sale);
    if (AllInvariantsHold(stats)) return stats;
    std::this_thread::sleep_for(100ms);
  }
  return stats;
}

inline void ExpectAllInvariants(const nlohmann::json& stats) {
  ASSERT_TRUE(stats.is_object()) << "no stats";
  for (const char* inv : {"i1_no_oversell", "i2_per_user_limit", "i3_no_lost_order",
                          "i4_no_phantom_order", "i5_stock_returned_once"}) {
    EXPECT_EQ(stats["invariants"][inv], true) << inv << ": " << stats.dump();
  }
}

// Buys one unit for each token (sequentially) and returns the 202 answers' indexes.
inline std::vector<int> BuyEach(MiniShopSystem& s, int64_t sale,
                                const std::vector<std::string>& tokens) {
  std::vector<int> bought;
  for (size_t i = 0; i < tokens.size(); ++i) {
    ApiResponse r = s.Call(http::verb::post, SalePath(sale, "purchase"), "", tokens[i]);
    if (r.status == 202) bought.push_back(static_cast<int>(i));
  }
  return bought;
}

}  // namespace minishop::testing
