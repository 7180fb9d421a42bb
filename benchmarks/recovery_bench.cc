// How long a live sale is unavailable after Redis comes back empty (issue 17), with 1, 25
// and 1,000 past sales in the database: the real minishop binary against real servers
// (tests/harness). Not a test: run it by hand,
//   build/<preset>/benchmarks/recovery_bench [--gtest_filter=*Sales/25]
// and copy the table it prints into docs/consistency.md. Figures are seconds from the
// moment Redis answers again (empty: killed, its AOF removed, restarted) to
//   - "first 202": a shopper retrying every 5 ms gets a 202 (the request path triggers
//     the rebuild);
//   - "keys back, no traffic": nobody asks; the live sale's meta hash is back (the
//     consistency job noticed Redis's new run_id).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "integration/lifecycle_support.h"

namespace minishop::testing {
namespace {

constexpr int kRounds = 3;
constexpr int kPastBuyers = 100;  // orders per past sale

// Kills Redis, removes its data (as a lost disk or a failover to an empty replica would),
// starts it again; returns when it answers.
void RestartRedisEmpty() {
  ASSERT_TRUE(SharedRedis().Kill9().ok());
  for (const auto& entry : std::filesystem::directory_iterator(SharedRedis().data_dir())) {
    const std::string name = entry.path().filename().string();
    if (name.find("appendonly") != std::string::npos || name.find(".rdb") != std::string::npos)
      std::filesystem::remove_all(entry.path());
  }
  ASSERT_TRUE(SharedRedis().Restart().ok());
}

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

bool MetaExists(redis::SyncClient& redis, int64_t sale) {
  auto r = redis.Command({"EXISTS", "ms:{s" + std::to_string(sale) + "}:meta"});
  return r.ok() && r->integer == 1;
}

class RecoveryBench : public ::testing::TestWithParam<int> {};

TEST_P(RecoveryBench, Sales) {
  const int past = GetParam();
  SetSetting("MINISHOP_LOG_LEVEL", "warn");
  auto sys = MiniShopSystem::Start("recbench" + std::to_string(past));
  ASSERT_TRUE(sys.ok()) << sys.error().message;
  MiniShopSystem& s = **sys;
  const int64_t now = NowEpochMs();
  const std::string base = std::to_string(now - 30LL * 86'400'000);
  ASSERT_TRUE(s.db()
                  .Exec("INSERT INTO users (email, password_hash) SELECT 'past-' || g ||"
                        " '@bench.local', 'x' FROM generate_series(1, $1::int) g",
                        {std::to_string(kPastBuyers)})
                  .ok());
  ASSERT_TRUE(s.db()
                  .Exec("INSERT INTO sales (product_name, price_cents, stock_total, starts_at_ms,"
                        " ends_at_ms) SELECT 'Past sale ' || g, 1000, 100, $1::bigint + g * 60000,"
                        " $1::bigint + g * 60000 + 30000 FROM generate_series(1, $2::int) g",
                        {base, std::to_string(past)})
                  .ok());
  ASSERT_TRUE(s.db()
                  .Exec("INSERT INTO orders (reservation_id, sale_id, user_id, quantity,"
                        " price_cents, status, reserved_at_ms) SELECT s.id || '-' || u.id || '-1',"
                        " s.id, u.id, 1, 1000, 'paid', s.starts_at_ms FROM sales s, users u"
                        " WHERE u.email LIKE 'past-%'")
                  .ok());
  std::vector<std::string> tokens = s.RegisterUsers("bench", 30 + kRounds * 2);
  const int64_t sale = CreateSaleWithRebuy(s, 50, 1, false);
  ASSERT_EQ(BuyEach(s, sale, std::vector<std::string>(tokens.begin(), tokens.begin() + 30)).size(),
            30u);
  ASSERT_TRUE(AllInvariantsHold(WaitAllInvariants(s, sale)));
  redis::SyncClient redis = TestRedis();
  auto all_back = [&] {
    for (int64_t id = 1; id <= past; ++id) {
      if (!MetaExists(redis, id)) return false;
    }
    return true;
  };
  std::vector<double> first_202, quiet;
  for (int round = 0; round < kRounds; ++round) {
    for (int i = 0; i < 6000 && !all_back(); ++i) std::this_thread::sleep_for(50ms);
    // With a shopper retrying.
    RestartRedisEmpty();
    auto t0 = std::chrono::steady_clock::now();
    const std::string& shopper = tokens[30 + round];
    int recovering = 0, other = 0;
    for (;;) {
      ApiResponse r = s.Call(http::verb::post, SalePath(sale, "purchase"), "", shopper);
      if (r.status == 202) break;
      if (r.status == 503 && r.body["error"]["code"] == "recovering") {
        ++recovering;
      } else {
        ++other;
        ASSERT_NE(r.status, 404) << r.body.dump();
        if (other == 1) std::printf("  other answer: %d %s\n", r.status, r.body.dump().c_str());
      }
      ASSERT_LT(SecondsSince(t0), 120.0) << "no 202";
      std::this_thread::sleep_for(5ms);
    }
    first_202.push_back(SecondsSince(t0));
    std::printf("past=%d round=%d first 202 after %.3f s (%d recovering, %d other answers)\n", past,
                round, first_202.back(), recovering, other);
    ASSERT_TRUE(AllInvariantsHold(WaitAllInvariants(s, sale)));
    for (int i = 0; i < 6000 && !all_back(); ++i) std::this_thread::sleep_for(50ms);
    // Without any traffic.
    RestartRedisEmpty();
    t0 = std::chrono::steady_clock::now();
    while (!MetaExists(redis, sale)) {
      ASSERT_LT(SecondsSince(t0), 120.0) << "never rebuilt";
      std::this_thread::sleep_for(5ms);
    }
    quiet.push_back(SecondsSince(t0));
    std::printf("past=%d round=%d keys back without traffic after %.3f s\n", past, round,
                quiet.back());
  }
  std::sort(first_202.begin(), first_202.end());
  std::sort(quiet.begin(), quiet.end());
  std::printf("| %d | %.2f | %.2f–%.2f | %.2f | %.2f–%.2f |\n", past, first_202[kRounds / 2],
              first_202.front(), first_202.back(), quiet[kRounds / 2], quiet.front(), quiet.back());
}

INSTANTIATE_TEST_SUITE_P(PastSales, RecoveryBench, ::testing::Values(1, 25, 1000));

}  // namespace
}  // namespace minishop::testing
