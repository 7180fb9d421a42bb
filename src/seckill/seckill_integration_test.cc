// The purchase script and the async Redis client against a real Redis.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "common/clock.h"
#include "contracts/keys.h"
#include "harness/servers.h"
#include "infra/redis/sync_client.h"
#include "seckill/seckill_service.h"

namespace minishop::seckill {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using contracts::BuyersKey;
using contracts::MetaKey;
using contracts::OutboxKey;
using contracts::StatusKey;
using contracts::StockKey;

class SeckillIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.port = testing::SharedRedis().port();
    sync_ = std::make_unique<redis::SyncClient>("127.0.0.1", config_.port, 5s);
    ASSERT_TRUE(sync_->Command({"FLUSHALL"}).ok());
    client_ = std::make_unique<redis::AsyncClient>(io_, config_);
    client_->Start();
    service_ = std::make_unique<SeckillService>(*client_, metrics_);
    for (int i = 0; i < 200 && !client_->connected(); ++i) io_.run_for(10ms);
    ASSERT_TRUE(client_->connected());
  }

  // Writes a sale's meta and stock the way inventory::WarmSale does.
  void Sale(int64_t id, int64_t stock, int64_t limit, int64_t start_ms, int64_t end_ms) {
    ASSERT_TRUE(sync_
                    ->Command({"HSET", MetaKey(id), "start_ms", std::to_string(start_ms), "end_ms",
                               std::to_string(end_ms), "limit", std::to_string(limit),
                               "price_cents", "100", "stock_total", std::to_string(stock)})
                    .ok());
    ASSERT_TRUE(sync_->Command({"SET", StockKey(id), std::to_string(stock)}).ok());
  }

  Result<Reservation> Buy(int64_t sale, int64_t user, int64_t qty = 1) {
    std::optional<Result<Reservation>> out;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          out.emplace(co_await service_->Purchase(sale, user, qty, "00-tp"));
        },
        asio::detached);
    for (int i = 0; i < 500 && !out; ++i) io_.run_for(10ms);
    if (!out) return MakeError(Code::kDeadlineExceeded, "no answer");
    return std::move(*out);
  }

  int64_t Int(const std::vector<std::string>& argv) {
    auto r = sync_->Command(argv);
    return r.ok() ? std::strtoll(r->str.c_str(), nullptr, 10) + r->integer : -1;
  }

  asio::io_context io_;
  RedisConfig config_;
  MetricsRegistry metrics_;
  std::unique_ptr<redis::SyncClient> sync_;
  std::unique_ptr<redis::AsyncClient> client_;
  std::unique_ptr<SeckillService> service_;
};

TEST_F(SeckillIntegrationTest, ReservesAtomicallyAndWritesTheOutbox) {
  int64_t now = NowEpochMs();
  Sale(1, 2, 1, now - 1000, now + 60'000);
  auto r = Buy(1, 42);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->reservation_id, "1-42-1");
  EXPECT_EQ(r->stock_left, 1);
  EXPECT_EQ(Int({"GET", StockKey(1)}), 1);
  EXPECT_EQ(Int({"HGET", BuyersKey(1), "42"}), 1);
  EXPECT_EQ(Int({"XLEN", OutboxKey(1)}), 1);
  auto status = sync_->Command({"HGET", StatusKey(1), "1-42-1"});
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->str, "pending");
  auto entry = sync_->Command({"XRANGE", OutboxKey(1), "-", "+"});
  ASSERT_TRUE(entry.ok());
  ASSERT_EQ(entry->elements.size(), 1u);
  const auto& fields = entry->elements[0].elements[1].elements;
  ASSERT_EQ(fields.size(), 14u);
  EXPECT_EQ(fields[0].str, "rid");
  EXPECT_EQ(fields[1].str, "1-42-1");
}

TEST_F(SeckillIntegrationTest, EveryRejectionLeavesNothingBehind) {
  int64_t now = NowEpochMs();
  Sale(1, 1, 1, now + 60'000, now + 120'000);  // not started
  Sale(2, 1, 1, now - 120'000, now - 60'000);  // ended
  Sale(3, 2, 1, now - 1000, now + 60'000);     // limit 1
  Sale(4, 0, 1, now - 1000, now + 60'000);     // sold out
  Sale(5, 1, 5, now - 1000, now + 60'000);     // fewer than asked
  EXPECT_EQ(Buy(1, 7).reason(), kNotStarted.reason);
  EXPECT_EQ(Buy(2, 7).reason(), kEnded.reason);
  ASSERT_TRUE(Buy(3, 7).ok());
  EXPECT_EQ(Buy(3, 7).reason(), kLimitReached.reason);
  EXPECT_EQ(Buy(4, 7).reason(), kSoldOut.reason);
  EXPECT_EQ(Buy(5, 7, 3).code(), Code::kConflict);
  EXPECT_EQ(Buy(99, 7).reason(), kRecovering.reason) << "no meta key";
  EXPECT_EQ(Int({"GET", StockKey(1)}), 1);
  EXPECT_EQ(Int({"GET", StockKey(3)}), 1);
  EXPECT_EQ(Int({"GET", StockKey(5)}), 1);
  EXPECT_EQ(Int({"XLEN", OutboxKey(3)}), 1) << "only the one accepted reservation";
  for (int64_t s : {1, 2, 4, 5}) EXPECT_EQ(Int({"XLEN", OutboxKey(s)}), 0);
}

TEST_F(SeckillIntegrationTest, ScriptIsReloadedAfterScriptFlush) {
  int64_t now = NowEpochMs();
  Sale(1, 5, 5, now - 1000, now + 60'000);
  ASSERT_TRUE(Buy(1, 1).ok());
  ASSERT_TRUE(sync_->Command({"SCRIPT", "FLUSH"}).ok());
  auto r = Buy(1, 2);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->stock_left, 3);
}

TEST_F(SeckillIntegrationTest, ManyConcurrentPurchasesNeverOversell) {
  int64_t now = NowEpochMs();
  Sale(1, 100, 1, now - 1000, now + 60'000);
  int accepted = 0, sold_out = 0, other = 0;
  for (int user = 1; user <= 500; ++user) {
    asio::co_spawn(
        io_,
        [&, user]() -> asio::awaitable<void> {
          Result<Reservation> r = co_await service_->Purchase(1, user, 1, "00-tp");
          if (r.ok())
            ++accepted;
          else if (r.Is(kSoldOut))
            ++sold_out;
          else
            ++other;
        },
        asio::detached);
  }
  for (int i = 0; i < 1000 && accepted + sold_out + other < 500; ++i) io_.run_for(10ms);
  EXPECT_EQ(accepted, 100);
  EXPECT_EQ(sold_out, 400);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(Int({"GET", StockKey(1)}), 0);
  EXPECT_EQ(Int({"HLEN", BuyersKey(1)}), 100);
  EXPECT_EQ(Int({"XLEN", OutboxKey(1)}), 100);
}

// Purchases issued in one loop iteration share one script call per sale, and each is
// still decided on its own, in order: a buyer twice in one batch hits the limit, a second
// sale gets its own call, the last units go to the first in line.
TEST_F(SeckillIntegrationTest, PurchasesOfOneIterationShareOneCallPerSale) {
  int64_t now = NowEpochMs();
  Sale(1, 3, 1, now - 1000, now + 60'000);
  Sale(2, 10, 2, now - 1000, now + 60'000);
  Counter& calls = metrics_.GetCounter("minishop_seckill_script_calls_total", "");
  Counter& purchases = metrics_.GetCounter("minishop_seckill_script_purchases_total", "");
  struct Ask {
    int64_t sale, user, qty;
  };
  const std::vector<Ask> asks = {{1, 10, 1}, {1, 10, 1}, {2, 10, 2}, {1, 11, 1},
                                 {1, 12, 1}, {1, 13, 1}, {2, 11, 3}, {99, 1, 1}};
  std::vector<std::optional<Result<Reservation>>> out(asks.size());
  for (size_t i = 0; i < asks.size(); ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          out[i].emplace(co_await service_->Reserve(asks[i].sale, asks[i].user, asks[i].qty,
                                                    "00-tp-" + std::to_string(i)));
        },
        asio::detached);
  }
  for (int i = 0; i < 500 && !out.back(); ++i) io_.run_for(10ms);
  for (const auto& r : out) ASSERT_TRUE(r.has_value());
  EXPECT_EQ(calls.Value(), 3u) << "one call for each of sales 1, 2 and 99";
  EXPECT_EQ(purchases.Value(), asks.size());
  ASSERT_TRUE(out[0]->ok());
  EXPECT_EQ((*out[0])->reservation_id, "1-10-1");
  EXPECT_EQ(out[1]->reason(), kLimitReached.reason);
  ASSERT_TRUE(out[2]->ok());
  EXPECT_EQ((*out[2])->stock_left, 8);
  EXPECT_EQ((*out[3])->reservation_id, "1-11-1");
  ASSERT_TRUE(out[4]->ok());
  EXPECT_EQ((*out[4])->stock_left, 0);
  EXPECT_EQ(out[5]->reason(), kSoldOut.reason);
  EXPECT_EQ(out[6]->reason(), kLimitReached.reason);
  EXPECT_EQ(out[7]->reason(), kRecovering.reason);
  EXPECT_EQ(Int({"GET", StockKey(1)}), 0);
  EXPECT_EQ(Int({"XLEN", OutboxKey(1)}), 3);
  EXPECT_EQ(Int({"XLEN", OutboxKey(2)}), 1);
  // Each reservation carries its own request's traceparent.
  auto entries = sync_->Command({"XRANGE", OutboxKey(1), "-", "+"});
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->elements.size(), 3u);
  EXPECT_EQ(entries->elements[2].elements[1].elements[13].str, "00-tp-4");
}

// A purchase with an Idempotency-Key is recorded under it: the same user and key get the
// same reservation back — in the same batch, after sell-out, after the end — while another
// key or another user buys afresh.
TEST_F(SeckillIntegrationTest, APurchaseWithAKeyItUsedBeforeGetsThatReservationBack) {
  int64_t now = NowEpochMs();
  Sale(1, 4, 3, now - 1000, now + 60'000);
  struct Ask {
    int64_t user;
    std::string key;
  };
  const std::vector<Ask> asks = {{10, "a"}, {10, "a"}, {10, "b"}, {11, "a"}, {10, ""}};
  std::vector<std::optional<Result<Reservation>>> out(asks.size());
  for (size_t i = 0; i < asks.size(); ++i) {
    asio::co_spawn(
        io_,
        [&, i]() -> asio::awaitable<void> {
          out[i].emplace(co_await service_->Reserve(1, asks[i].user, 1, "00-tp", asks[i].key));
        },
        asio::detached);
  }
  for (int i = 0; i < 500 && !out.back(); ++i) io_.run_for(10ms);
  for (const auto& r : out) ASSERT_TRUE(r.has_value() && r->ok());
  EXPECT_EQ((*out[0])->reservation_id, "1-10-1");
  EXPECT_FALSE((*out[0])->replayed);
  EXPECT_EQ((*out[1])->reservation_id, "1-10-1") << "same key in the same batch";
  EXPECT_TRUE((*out[1])->replayed);
  EXPECT_EQ((*out[2])->reservation_id, "1-10-2");
  EXPECT_EQ((*out[3])->reservation_id, "1-11-1") << "keys are per user";
  EXPECT_EQ((*out[4])->reservation_id, "1-10-3") << "not keyed: a purchase of its own";
  EXPECT_EQ(Int({"GET", StockKey(1)}), 0);
  EXPECT_EQ(Int({"XLEN", OutboxKey(1)}), 4);

  auto again = [&](int64_t user, const std::string& key) {
    std::optional<Result<Reservation>> r;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          r.emplace(co_await service_->Reserve(1, user, 1, "00-tp", key));
        },
        asio::detached);
    for (int i = 0; i < 500 && !r; ++i) io_.run_for(10ms);
    return r.value_or(MakeError(Code::kDeadlineExceeded, "no answer"));
  };
  Result<Reservation> sold_out = again(10, "b");
  ASSERT_TRUE(sold_out.ok()) << "a key used before is answered after sell-out too";
  EXPECT_EQ(sold_out->reservation_id, "1-10-2");
  EXPECT_EQ(again(12, "c").reason(), kSoldOut.reason);
  ASSERT_TRUE(sync_->Command({"HSET", MetaKey(1), "end_ms", std::to_string(now - 1)}).ok());
  Result<Reservation> ended = again(11, "a");
  ASSERT_TRUE(ended.ok()) << "and after the end";
  EXPECT_EQ(ended->reservation_id, "1-11-1");
  EXPECT_EQ(again(11, "z").reason(), kEnded.reason);
  EXPECT_EQ(Int({"XLEN", OutboxKey(1)}), 4);
}

// More purchases than one call carries are split, and none is lost or answered twice.
TEST_F(SeckillIntegrationTest, LargeIterationsAreSplitIntoSeveralCalls) {
  int64_t now = NowEpochMs();
  const int64_t buyers = 3 * PurchaseBatch::kMaxPurchases + 5;
  Sale(1, buyers, 1, now - 1000, now + 60'000);
  Counter& calls = metrics_.GetCounter("minishop_seckill_script_calls_total", "");
  int answered = 0, accepted = 0;
  for (int64_t user = 1; user <= buyers; ++user) {
    asio::co_spawn(
        io_,
        [&, user]() -> asio::awaitable<void> {
          Result<Reservation> r = co_await service_->Reserve(1, user, 1, "00-tp");
          ++answered;
          if (r.ok()) ++accepted;
        },
        asio::detached);
  }
  for (int i = 0; i < 500 && answered < buyers; ++i) io_.run_for(10ms);
  EXPECT_EQ(answered, buyers);
  EXPECT_EQ(accepted, buyers);
  EXPECT_EQ(calls.Value(), 4u);
  EXPECT_EQ(Int({"XLEN", OutboxKey(1)}), buyers);
  EXPECT_EQ(Int({"GET", StockKey(1)}), 0);
}

TEST_F(SeckillIntegrationTest, RedisDownIsUnavailableThenRecovers) {
  int64_t now = NowEpochMs();
  Sale(1, 5, 5, now - 1000, now + 60'000);
  // A graceful stop: with appendfsync everysec a kill -9 may lose the last second of
  // writes (the sale itself) when the disk is slow, which is not what this test is about.
  ASSERT_TRUE(testing::SharedRedis().Stop().ok());
  auto down = Buy(1, 1);
  EXPECT_TRUE(down.code() == Code::kUnavailable || down.code() == Code::kDeadlineExceeded)
      << down.error().message;
  ASSERT_TRUE(testing::SharedRedis().Restart().ok());
  for (int i = 0; i < 500 && !client_->connected(); ++i) io_.run_for(10ms);
  sync_->Disconnect();
  auto up = Buy(1, 1);
  ASSERT_TRUE(up.ok()) << up.error().message;
}

}  // namespace
}  // namespace minishop::seckill
