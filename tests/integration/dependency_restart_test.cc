// A dependency restarted in the middle of a sale (RabbitMQ, PostgreSQL, Redis with AOF):
// purchases keep getting a clear answer — accepted through the outbox, or 503 with
// Retry-After, never a hang — and afterwards I1–I5 hold, including for orders cancelled
// around the outage.
#include <gtest/gtest.h>

#include "integration/lifecycle_support.h"

namespace minishop::testing {
namespace {

struct SaleRun {
  std::vector<ApiResponse> answers;
};

void ExpectClearAnswers(const std::vector<ApiResponse>& answers) {
  for (const ApiResponse& a : answers) {
    EXPECT_TRUE(a.status == 202 || a.status == 409 || a.status == 410 || a.status == 503)
        << a.status << " " << a.body.dump();
    if (a.status == 503) {
      EXPECT_EQ(a.headers.count("Retry-After"), 1u) << a.body.dump();
    }
  }
}

// Shoppers buy one at a time across `restart`; some of the first buyers cancel before it.
// Returns after I1–I5 held (or the deadline passed, failing).
void SaleAcrossRestart(const std::string& name, const std::function<Status()>& restart) {
  SetSetting("MINISHOP_ORDER_RETURN_RETRY_AFTER_MS", "1000");
  SetSetting("MINISHOP_ORDER_EXPIRY_SCAN_INTERVAL_MS", "200");
  auto sys = MiniShopSystem::Start(name);
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  MiniShopSystem& s = **sys;
  constexpr int kUsers = 120, kStock = 80, kCancel = 5;
  std::vector<std::string> tokens = s.RegisterUsers(name, kUsers);
  int64_t sale = CreateSaleWithRebuy(s, kStock, 1, false);
  std::vector<int> first = BuyEach(s, sale, std::vector<std::string>(tokens.begin(), tokens.begin() + 20));
  ASSERT_EQ(first.size(), 20u);
  for (int i = 0; i < kCancel; ++i) {
    ASSERT_EQ(Cancel(s, WaitForOrderId(s, sale, tokens[i]), tokens[i]).status, 200);
  }
  std::vector<ApiResponse> answers(kUsers);
  std::thread shoppers([&] {
    for (int u = 20; u < kUsers; ++u) {
      answers[u] = s.Call(http::verb::post, SalePath(sale, "purchase"), "", tokens[u]);
      std::this_thread::sleep_for(20ms);
    }
  });
  std::this_thread::sleep_for(300ms);
  Status restarted = restart();
  shoppers.join();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  std::vector<ApiResponse> during(answers.begin() + 20, answers.end());
  ExpectClearAnswers(during);
  // Shoppers turned away with 503 try again, as a real client would; one told the outcome
  // is unknown (the script was sent, its reply lost) first looks at its order, as the
  // answer says.
  int accepted = 0;
  for (int u = 20; u < kUsers; ++u) {
    for (int attempt = 0; attempt < 200 && answers[u].status == 503; ++attempt) {
      std::this_thread::sleep_for(100ms);
      if (answers[u].body["error"]["code"] == "timeout" &&
          s.Call(http::verb::get, SalePath(sale, "order"), "", tokens[u]).status == 200) {
        ++accepted;
        break;
      }
      answers[u] = s.Call(http::verb::post, SalePath(sale, "purchase"), "", tokens[u]);
    }
    accepted += answers[u].status == 202;
  }
  // Every returned unit and the rest of the stock sold exactly once.
  EXPECT_EQ(accepted, kStock - 20 + kCancel);
  nlohmann::json stats = WaitAllInvariants(s, sale, 120s);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["redis_stock"], 0);
  EXPECT_EQ(LiveUnits(s, sale), kStock);
  EXPECT_EQ(stats["returned_orders_redis"], kCancel);
}

// /readyz's answer and its check of the order worker, polled until `ready` is as wanted.
bool WaitReadiness(MiniShopSystem& s, bool ready, std::string* worker) {
  for (int i = 0; i < 600; ++i) {
    auto r = net::Fetch("127.0.0.1", s.port(), {http::verb::get, "/readyz", "", {}}, 5s);
    if (r.ok()) {
      nlohmann::json body = nlohmann::json::parse(r->body(), nullptr, false);
      if (body.is_object() && body["checks"].contains("order_worker")) {
        *worker = body["checks"]["order_worker"].get<std::string>();
      }
      if ((r->result_int() == 200) == ready && (*worker == "ok") == ready) return true;
    }
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(DependencyRestartTest, ReadinessNamesTheOrderWorkerWhileRabbitMqIsDown) {
  auto sys = MiniShopSystem::Start("readiness");
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  std::string worker;
  ASSERT_TRUE(WaitReadiness(**sys, true, &worker)) << worker;
  ASSERT_TRUE(SharedRabbit().Stop().ok());
  EXPECT_TRUE(WaitReadiness(**sys, false, &worker)) << "still " << worker;
  ASSERT_TRUE(SharedRabbit().StartNode().ok());
  EXPECT_TRUE(WaitReadiness(**sys, true, &worker)) << worker;
}

TEST(DependencyRestartTest, RabbitMqRestartedMidSale) {
  SaleAcrossRestart("rabbitrestart", [] { return SharedRabbit().Restart(); });
}

TEST(DependencyRestartTest, PostgresRestartedMidSale) {
  SaleAcrossRestart("pgrestart", [] {
    if (Status s = SharedPostgres().Kill9(); !s.ok()) return s;
    std::this_thread::sleep_for(1s);
    return SharedPostgres().Restart();
  });
}

TEST(DependencyRestartTest, RedisRestartedMidSaleWithAof) {
  SaleAcrossRestart("redisrestart", [] {
    if (Status s = SharedRedis().Stop(); !s.ok()) return s;
    std::this_thread::sleep_for(1s);
    return SharedRedis().Restart();
  });
}

}  // namespace
}  // namespace minishop::testing
