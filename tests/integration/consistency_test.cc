// Redis ↔ PostgreSQL consistency on the real binary: rebuild after FLUSHALL (by command and
// automatically on start), a crash between the PostgreSQL update and the Redis stock return,
// reconciliation with repair, and the dead-letter admin endpoints.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "harness/process.h"
#include "infra/amqp/publisher.h"
#include "integration/lifecycle_support.h"

namespace minishop::testing {
namespace {

// The environment `minishop serve` gets from MiniShopSystem, for the CLI commands.
std::map<std::string, std::string> CliEnv(const std::string& name) {
  const std::string q = "test." + name;
  return {{"MINISHOP_REDIS_PORT", std::to_string(SharedRedis().port())},
          {"MINISHOP_POSTGRES_CONNINFO", SharedPostgres().ConnInfo(name)},
          {"MINISHOP_AMQP_PORT", std::to_string(SharedRabbit().port())},
          {"MINISHOP_AMQP_EXCHANGE", q + ".orders"},
          {"MINISHOP_AMQP_QUEUE", q + ".reservations"},
          {"MINISHOP_AMQP_DEAD_LETTER_EXCHANGE", q + ".dlx"},
          {"MINISHOP_AMQP_DEAD_LETTER_QUEUE", q + ".dead"},
          {"MINISHOP_LOG_LEVEL", "warn"}};
}

// Runs `minishop <args>`; returns the exit code and fills `output` with what it printed.
int RunCli(const std::string& name, std::vector<std::string> args, std::string* output = nullptr) {
  std::string log = ::testing::TempDir() + "minishop-cli-" + name + ".log";
  std::remove(log.c_str());
  args.insert(args.begin(), MINISHOP_BINARY);
  auto code = RunCommand(SpawnOptions{args, CliEnv(name), log, "", ""}, 120s);
  if (output != nullptr) {
    std::ifstream in(log);
    std::stringstream ss;
    ss << in.rdbuf();
    *output = ss.str();
  }
  return code.ok() ? *code : -1;
}

class ConsistencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SetSetting("MINISHOP_ORDER_PAYMENT_DEADLINE_MS", "900000");
    SetSetting("MINISHOP_ORDER_EXPIRY_SCAN_INTERVAL_MS", "200");
    SetSetting("MINISHOP_ORDER_RETURN_RETRY_AFTER_MS", "1000");
    SetSetting("MINISHOP_PAYMENT_LATENCY_MS", "10");
    SetSetting("MINISHOP_INVENTORY_REBUILD_ON_START", "true");
    SetSetting("MINISHOP_INVENTORY_RECONCILE_INTERVAL_MS", "30000");
    SetSetting("MINISHOP_INVENTORY_REBUILD_DRAIN_TIMEOUT_MS", "30000");
  }
};

// Buys `buyers` units of a `stock`-unit sale, cancels `cancel` of them and pays `pay`
// others; returns the sale id once I1–I5 hold.
int64_t SaleWithHistory(MiniShopSystem& s, const std::vector<std::string>& tokens, int64_t stock,
                        int cancel, int pay) {
  int64_t sale = CreateSaleWithRebuy(s, stock, 1, false);
  std::vector<int> bought = BuyEach(s, sale, tokens);
  EXPECT_EQ(bought.size(), static_cast<size_t>(std::min<int64_t>(stock, tokens.size())));
  for (int i = 0; i < cancel + pay && i < static_cast<int>(bought.size()); ++i) {
    const std::string& t = tokens[bought[i]];
    int64_t order = WaitForOrderId(s, sale, t);
    if (i < cancel) {
      EXPECT_EQ(Cancel(s, order, t).status, 200);
    } else {
      EXPECT_EQ(Pay(s, order, t, "pay-" + std::to_string(i)).status, 200);
    }
  }
  ExpectAllInvariants(WaitAllInvariants(s, sale));
  return sale;
}

// After a rebuild: nobody who bought can buy again, and exactly the returned units sell.
void ExpectNoSecondPurchase(MiniShopSystem& s, int64_t sale, const std::vector<std::string>& old,
                            const std::vector<std::string>& fresh, int64_t units_left) {
  for (const std::string& t : old) {
    int status = s.Call(http::verb::post, SalePath(sale, "purchase"), "", t).status;
    EXPECT_TRUE(status == 409 || status == 410) << status;
  }
  EXPECT_EQ(static_cast<int64_t>(BuyEach(s, sale, fresh).size()), units_left);
  ExpectAllInvariants(WaitAllInvariants(s, sale));
}

TEST_F(ConsistencyTest, FlushAllThenRebuildCommandRestoresEveryInvariant) {
  SetSetting("MINISHOP_INVENTORY_REBUILD_ON_START", "false");
  auto sys = MiniShopSystem::Start("flushall");
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  MiniShopSystem& s = **sys;
  std::vector<std::string> tokens = s.RegisterUsers("flush", 30);
  std::vector<std::string> early(tokens.begin(), tokens.begin() + 20);
  std::vector<std::string> late(tokens.begin() + 20, tokens.end());
  int64_t sale = SaleWithHistory(s, early, 20, 4, 6);  // 20 sold, 4 returned, 10 awaiting

  redis::SyncClient redis = TestRedis();
  ASSERT_TRUE(redis.Command({"FLUSHALL"}).ok());
  // The gateway's local sold-out flag, set when the 20th unit sold, answers 410 without
  // Redis until it lapses (500 ms).
  ApiResponse missing;
  for (int i = 0; i < 100; ++i) {
    missing = s.Call(http::verb::post, SalePath(sale, "purchase"), "", late[0]);
    if (missing.status != 410) break;
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(missing.status, 503) << "the sale exists in PostgreSQL";
  EXPECT_EQ(missing.body["error"]["code"], "recovering");
  EXPECT_EQ(s.Call(http::verb::post, SalePath(999, "purchase"), "", late[0]).status, 404);
  std::string out;
  ASSERT_EQ(RunCli("flushall", {"inventory", "rebuild", "--sale", std::to_string(sale)}, &out), 0)
      << out;
  EXPECT_NE(out.find("\"rebuilt\":true"), std::string::npos) << out;
  EXPECT_EQ(RunCli("flushall", {"inventory", "rebuild", "--sale", std::to_string(sale)}), 1)
      << "a sale that has its keys is not rebuilt over";
  nlohmann::json stats = WaitAllInvariants(s, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["redis_stock"], 4);
  EXPECT_EQ(RunCli("flushall", {"reconcile", "--sale", std::to_string(sale)}), 0);
  ExpectNoSecondPurchase(s, sale, early, late, 4);
}

TEST_F(ConsistencyTest, MissingKeysAreRebuiltAutomaticallyOnStart) {
  auto sys = MiniShopSystem::Start("autorebuild");
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  MiniShopSystem& s = **sys;
  std::vector<std::string> tokens = s.RegisterUsers("auto", 14);
  std::vector<std::string> early(tokens.begin(), tokens.begin() + 10);
  std::vector<std::string> late(tokens.begin() + 10, tokens.end());
  int64_t sale = SaleWithHistory(s, early, 10, 2, 3);
  ASSERT_TRUE(s.Kill9().ok());
  redis::SyncClient redis = TestRedis();
  ASSERT_TRUE(redis.Command({"FLUSHALL"}).ok());
  ASSERT_TRUE(s.Launch().ok()) << s.log_path();
  nlohmann::json stats = WaitAllInvariants(s, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["redis_stock"], 2);
  ExpectNoSecondPurchase(s, sale, early, late, 2);
}

// True for a 503 `recovering` answer with Retry-After; explains anything else.
::testing::AssertionResult IsRecovering(const ApiResponse& r) {
  if (r.status == 503 && r.body.is_object() && r.body["error"]["code"] == "recovering" &&
      r.headers.count("Retry-After") == 1)
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << r.status << " " << r.body.dump();
}

// Issue 17: Redis loses every key mid-sale in a store with 25 ended sales. The live sale is
// never "404 no such sale": its purchases and status answer 503 recovering until it is
// rebuilt, then exactly its remaining units sell, and I1–I5 hold.
TEST_F(ConsistencyTest, LiveSaleAnswersRecoveringUntilRebuiltThenSellsExactlyWhatIsLeft) {
  auto sys = MiniShopSystem::Start("recovering");
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  MiniShopSystem& s = **sys;
  const int64_t now = NowEpochMs();
  // Ended sales, older than the live one, as a store accumulates them.
  ASSERT_TRUE(s.db()
                  .Exec("INSERT INTO sales (product_name, price_cents, stock_total, starts_at_ms,"
                        " ends_at_ms) SELECT 'Past sale ' || g, 1000, 100, $1::bigint + g * 1000,"
                        " $1::bigint + 3600000 + g * 1000 FROM generate_series(1, 25) g",
                        {std::to_string(now - 86'400'000)})
                  .ok());
  std::vector<std::string> tokens = s.RegisterUsers("rec", 70);
  std::vector<std::string> early(tokens.begin(), tokens.begin() + 30);
  std::vector<std::string> late(tokens.begin() + 30, tokens.end());
  const int64_t sale = CreateSaleWithRebuy(s, 50, 1, false);
  ASSERT_EQ(sale, 26);
  ASSERT_EQ(BuyEach(s, sale, early).size(), 30u);
  ExpectAllInvariants(WaitAllInvariants(s, sale));
  // The catalog reloads sales from PostgreSQL every second: the ones inserted by SQL above
  // appear in it at its next reload.
  for (int i = 0; i < 200; ++i) {
    ApiResponse all = s.Call(http::verb::get, "/api/v1/sales");
    if (all.status == 200 && all.body["sales"].size() == 26u) break;
    std::this_thread::sleep_for(50ms);
  }

  // Redis loses everything. The rebuild lock of the live sale is held as by another
  // instance rebuilding it, so that the recovering answers are certain to be seen.
  redis::SyncClient redis = TestRedis();
  const std::string lock = "ms:lock:rebuild:" + std::to_string(sale);
  ASSERT_TRUE(redis.Command({"MULTI"}).ok());
  ASSERT_TRUE(redis.Command({"FLUSHALL"}).ok());
  ASSERT_TRUE(redis.Command({"SET", lock, "held-by-the-test"}).ok());
  ASSERT_TRUE(redis.Command({"EXEC"}).ok());
  EXPECT_TRUE(IsRecovering(s.Call(http::verb::post, SalePath(sale, "purchase"), "", late[0])));
  EXPECT_TRUE(IsRecovering(s.Call(http::verb::get, SalePath(sale, "order"), "", early[0])));
  EXPECT_TRUE(IsRecovering(s.Call(http::verb::get, SalePath(sale, "order"), "", late[0])));
  EXPECT_EQ(s.Call(http::verb::get, "/api/v1/sales/" + std::to_string(sale)).status, 200);
  ApiResponse listed = s.Call(http::verb::get, "/api/v1/sales");
  ASSERT_EQ(listed.status, 200);
  EXPECT_EQ(listed.body["sales"].size(), 26u);
  ASSERT_TRUE(redis.Command({"DEL", lock}).ok());

  // Each late shopper retries while told to; the first answers are 503 recovering, then
  // the remaining 20 units sell and the rest is sold out. Never a 404.
  int accepted = 0, sold_out = 0, recovering = 0;
  bool any_accepted = false;
  for (const std::string& t : late) {
    ApiResponse r;
    for (int attempt = 0; attempt < 3000; ++attempt) {
      r = s.Call(http::verb::post, SalePath(sale, "purchase"), "", t);
      if (r.status != 503) break;
      EXPECT_TRUE(IsRecovering(r));
      EXPECT_FALSE(any_accepted) << "recovering again after the sale was back";
      ++recovering;
      std::this_thread::sleep_for(20ms);
    }
    if (r.status == 202) ++accepted;
    if (r.status == 410) ++sold_out;
    any_accepted = any_accepted || r.status == 202;
    EXPECT_TRUE(r.status == 202 || r.status == 410) << r.status << " " << r.body.dump();
  }
  EXPECT_EQ(accepted, 20);
  EXPECT_EQ(sold_out, 20);
  // The status endpoint is back too: an early buyer sees their order again.
  EXPECT_EQ(s.Call(http::verb::get, SalePath(sale, "order"), "", early[0]).status, 200);
  for (const std::string& t : early) {
    int status = s.Call(http::verb::post, SalePath(sale, "purchase"), "", t).status;
    EXPECT_TRUE(status == 409 || status == 410) << status;
  }
  nlohmann::json stats = WaitAllInvariants(s, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["redis_stock"], 0);
  EXPECT_EQ(LiveUnits(s, sale), 50);
  auto orders =
      s.db().Exec("SELECT count(*) FROM orders WHERE sale_id = $1", {std::to_string(sale)});
  ASSERT_TRUE(orders.ok());
  EXPECT_EQ(orders->GetInt64(0, 0).value_or(-1), 50);
  // The ended sales come back as well (after the live one).
  bool all_back = false;
  for (int i = 0; i < 600 && !all_back; ++i) {
    all_back = true;
    for (int64_t id = 1; id <= 26 && all_back; ++id) {
      auto exists = redis.Command({"EXISTS", "ms:{s" + std::to_string(id) + "}:meta"});
      all_back = exists.ok() && exists->integer == 1;
    }
    if (!all_back) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(all_back) << "an ended sale was never rebuilt";
  std::cout << "recovering answers before the sale was back: " << recovering << "\n";

  // The same loss as an operator meets it: Redis killed, its AOF gone, started again empty.
  // An early buyer's order shows again once Redis is back and the sale rebuilt; meanwhile
  // only 503s (Redis unreachable, then recovering).
  ASSERT_TRUE(SharedRedis().Kill9().ok());
  for (const auto& entry : std::filesystem::directory_iterator(SharedRedis().data_dir())) {
    if (entry.path().filename().string().find("appendonly") != std::string::npos)
      std::filesystem::remove_all(entry.path());
  }
  ASSERT_TRUE(SharedRedis().Restart().ok());
  ApiResponse order;
  for (int attempt = 0; attempt < 3000; ++attempt) {
    order = s.Call(http::verb::get, SalePath(sale, "order"), "", early[1]);
    if (order.status != 503) break;
    EXPECT_EQ(order.headers.count("Retry-After"), 1u) << order.body.dump();
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(order.status, 200) << order.body.dump();
  EXPECT_EQ(s.Call(http::verb::post, SalePath(sale, "purchase"), "", late.back()).status, 410);
  stats = WaitAllInvariants(s, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["redis_stock"], 0);
  EXPECT_EQ(LiveUnits(s, sale), 50);
}

TEST_F(ConsistencyTest, CrashBetweenPostgresUpdateAndRedisReturnReturnsTheUnitOnce) {
  auto sys = MiniShopSystem::Start("sagacrash");
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  MiniShopSystem& s = **sys;
  std::vector<std::string> tokens = s.RegisterUsers("saga", 10);
  int64_t sale = CreateSaleWithRebuy(s, 10, 1, false);
  ASSERT_EQ(BuyEach(s, sale, tokens).size(), 10u);
  std::vector<int64_t> orders;
  for (const std::string& t : tokens) orders.push_back(WaitForOrderId(s, sale, t));
  // Orders 0–1: cancelled, Redis returned them, PostgreSQL never heard back (crash after
  // step 2). Orders 2–4: the process dies right after the PostgreSQL update (step 1).
  for (int i = 0; i < 2; ++i) ASSERT_EQ(Cancel(s, orders[i], tokens[i]).status, 200);
  ASSERT_TRUE(s.Kill9().ok());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(s.db()
                    .Exec("UPDATE orders SET stock_return = 'pending' WHERE id = $1",
                          {std::to_string(orders[i])})
                    .ok());
  }
  for (int i = 2; i < 5; ++i) {
    ASSERT_TRUE(s.db()
                    .Exec("UPDATE orders SET status = 'cancelled', stock_return = 'pending',"
                          " closed_at_ms = $2 WHERE id = $1 AND status = 'awaiting_payment'",
                          {std::to_string(orders[i]), std::to_string(NowEpochMs())})
                    .ok());
  }
  EXPECT_EQ(RedisStock(sale), 2);
  ASSERT_TRUE(s.Launch().ok()) << s.log_path();
  // Cancelling again (a client retry) must not return anything a second time either.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Cancel(s, orders[i], tokens[i]).status, 200);
  nlohmann::json stats = WaitAllInvariants(s, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["returns_pending"], 0);
  EXPECT_EQ(RedisStock(sale), 5);
  EXPECT_EQ(stats["returned_orders_redis"], 5);

  // And a real kill -9 while cancels are in flight: every unit comes back exactly once.
  std::vector<std::function<ApiResponse()>> calls;
  for (int i = 5; i < 10; ++i) calls.push_back([&, i] { return Cancel(s, orders[i], tokens[i]); });
  std::thread cancels([&] { (void)AllAtOnce(calls); });
  std::this_thread::sleep_for(5ms);
  ASSERT_TRUE(s.Kill9().ok());
  cancels.join();
  ASSERT_TRUE(s.Launch().ok()) << s.log_path();
  for (int i = 5; i < 10; ++i) EXPECT_EQ(Cancel(s, orders[i], tokens[i]).status, 200);
  stats = WaitAllInvariants(s, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(RedisStock(sale), 10);
  EXPECT_EQ(stats["returned_orders_redis"], 10);
}

TEST_F(ConsistencyTest, ReconcileReportsDriftAndRepairsItFromPostgres) {
  SetSetting("MINISHOP_INVENTORY_RECONCILE_INTERVAL_MS", "500");
  auto sys = MiniShopSystem::Start("reconcile");
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  MiniShopSystem& s = **sys;
  std::vector<std::string> tokens = s.RegisterUsers("recon", 8);
  int64_t sale = SaleWithHistory(s, tokens, 8, 2, 2);
  const std::string id = std::to_string(sale);
  EXPECT_EQ(RunCli("reconcile", {"reconcile", "--sale", id}), 0);

  redis::SyncClient redis = TestRedis();
  const std::string tag = "ms:{s" + id + "}";
  ASSERT_TRUE(redis.Command({"INCRBY", tag + ":stock", "3"}).ok());
  ASSERT_TRUE(redis.Command({"HSET", tag + ":buyers", "999999", "1"}).ok());
  ASSERT_TRUE(redis.Command({"DEL", tag + ":returned"}).ok());
  EXPECT_FALSE(AllInvariantsHold(s.Stats(sale)));
  // The periodic job publishes the drift as a metric.
  bool seen = false;
  for (int i = 0; i < 200 && !seen; ++i) {
    auto r = net::Fetch("127.0.0.1", s.port(), {http::verb::get, "/metrics", "", {}}, 5s);
    seen = r.ok() && r->body().find("minishop_inventory_drift 0") == std::string::npos &&
           r->body().find("minishop_inventory_drift ") != std::string::npos;
    if (!seen) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(seen) << "the drift gauge never showed the damage";
  std::string out;
  EXPECT_EQ(RunCli("reconcile", {"reconcile", "--sale", id}, &out), 3) << out;
  EXPECT_EQ(RunCli("reconcile", {"reconcile", "--sale", id, "--repair"}, &out), 0) << out;
  nlohmann::json stats = WaitAllInvariants(s, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["redis_stock"], 2);
}

TEST_F(ConsistencyTest, DeadLettersCanBeListedAndReplayedByAnAdmin) {
  auto sys = MiniShopSystem::Start("deadletters");
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  MiniShopSystem& s = **sys;
  std::vector<std::string> tokens = s.RegisterUsers("dl", 1);
  EXPECT_EQ(s.Call(http::verb::get, "/api/v1/admin/dead-letters", "", tokens[0]).status, 403);
  // A poison message: the order worker dead-letters it.
  amqp::ConnectOptions options;
  options.port = SharedRabbit().port();
  amqp::Topology topology{"test.deadletters.orders", "test.deadletters.reservations",
                          "test.deadletters.dlx", "test.deadletters.dead"};
  auto publisher = amqp::Publisher::Open(options, topology);
  ASSERT_TRUE(publisher.ok()) << publisher.error().message;
  ASSERT_TRUE((*publisher)
                  ->PublishConfirmed({amqp::Message{
                      topology.exchange, topology.queue, R"({"not":"a reservation"})", {}}})
                  .ok());
  nlohmann::json listed;
  for (int i = 0; i < 200; ++i) {
    ApiResponse r = s.Call(http::verb::get, "/api/v1/admin/dead-letters", "", s.AdminToken());
    ASSERT_EQ(r.status, 200) << r.body.dump();
    listed = r.body;
    if (listed["count"] == 1) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(listed["count"], 1) << listed.dump();
  EXPECT_EQ(listed["messages"][0]["body"]["not"], "a reservation");
  // Listing does not consume: the message is still there.
  ApiResponse again = s.Call(http::verb::get, "/api/v1/admin/dead-letters", "", s.AdminToken());
  EXPECT_EQ(again.body["count"], 1);
  ApiResponse replayed =
      s.Call(http::verb::post, "/api/v1/admin/dead-letters/replay", "", s.AdminToken());
  ASSERT_EQ(replayed.status, 200) << replayed.body.dump();
  EXPECT_EQ(replayed.body["count"], 1);
  // Still poison: the worker dead-letters it again, never loops on it.
  nlohmann::json after;
  for (int i = 0; i < 200; ++i) {
    after = s.Call(http::verb::get, "/api/v1/admin/dead-letters", "", s.AdminToken()).body;
    if (after["count"] == 1) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(after["count"], 1);
}

}  // namespace
}  // namespace minishop::testing
