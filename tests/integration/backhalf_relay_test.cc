// The outbox relay against real Redis and RabbitMQ: every entry reaches the queue and
// leaves its stream, through a broker restart, from dead consumers, and malformed ones
// end in the dead-letter queue.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "common/metrics.h"
#include "contracts/keys.h"
#include "harness/servers.h"
#include "infra/amqp/connection.h"
#include "integration/backhalf_fixture.h"
#include "seckill/relay.h"

namespace minishop::testing {
namespace {

using contracts::OutboxKey;

// The reservation ids carried by `deliveries` (each an array of reservations).
std::set<std::string> ReservationIds(const std::vector<amqp::Delivery>& deliveries) {
  std::set<std::string> ids;
  for (const auto& d : deliveries) {
    auto j = nlohmann::json::parse(d.body, nullptr, false);
    if (!j.is_array()) continue;
    for (const auto& r : j)
      if (r.is_object() && r.contains("reservation_id")) ids.insert(r["reservation_id"]);
  }
  return ids;
}

// True when the outbox of `sale` holds no entry and nothing is pending in group relay.
bool Drained(redis::SyncClient& redis, int64_t sale) {
  auto len = redis.Command({"XLEN", OutboxKey(sale)});
  auto pending = redis.Command({"XPENDING", OutboxKey(sale), contracts::kRelayGroup});
  return len.ok() && len->integer == 0 && pending.ok() && !pending->elements.empty() &&
         pending->elements[0].integer == 0;
}

Status AddEntries(redis::SyncClient& redis, int64_t sale, int first_user, int count) {
  std::vector<std::vector<std::string>> cmds;
  for (int u = first_user; u < first_user + count; ++u) cmds.push_back(OutboxXadd(sale, u, 1));
  auto r = redis.Pipeline(cmds, redis::SyncClient::ErrorReplies::kFail);
  return r.ok() ? OkStatus() : Status(r.error());
}

TEST(BackhalfRelayTest, PublishesEveryEntryOfEverySaleAndEmptiesTheStreams) {
  Config config = BackhalfConfig("relay_all");
  auto redis = RedisClient(/*flush=*/true);
  ASSERT_TRUE(redis->Command({"SADD", contracts::kActiveSalesKey, "1", "2"}).ok());
  ASSERT_TRUE(AddEntries(*redis, 1, 1, 1000).ok());
  ASSERT_TRUE(AddEntries(*redis, 2, 1, 1000).ok());

  MetricsRegistry metrics;
  seckill::OutboxRelay relay(config, metrics);
  relay.Start();
  auto got = Drain(config, config.amqp.queue,
                   [](const auto& all) { return ReservationIds(all).size() >= 2000; });
  EXPECT_EQ(ReservationIds(got).size(), 2000u);
  for (const auto& d : got) EXPECT_NE(amqp::FindHeader(d.headers, "traceparent"), "");
  EXPECT_TRUE(Eventually([&] { return Drained(*redis, 1) && Drained(*redis, 2); }));
  relay.Stop();
  EXPECT_GE(metrics.GetCounter("minishop_relay_published_total", "").Value(), 2000u);
}

TEST(BackhalfRelayTest, LosesNothingThroughABrokerRestart) {
  Config config = BackhalfConfig("relay_restart");
  auto redis = RedisClient(/*flush=*/true);
  ASSERT_TRUE(redis->Command({"SADD", contracts::kActiveSalesKey, "3"}).ok());
  MetricsRegistry metrics;
  seckill::OutboxRelay relay(config, metrics);
  relay.Start();

  ASSERT_TRUE(AddEntries(*redis, 3, 1, 500).ok());
  // Keep adding while the broker goes down and comes back.
  std::atomic<bool> restarting{true};
  std::atomic<int> added{500};
  std::thread producer([&] {
    auto r = RedisClient(/*flush=*/false);
    while (restarting.load()) {
      if (AddEntries(*r, 3, added.load() + 1, 10).ok()) added.fetch_add(10);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  Status restarted = SharedRabbit().Restart();
  restarting.store(false);
  producer.join();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  ASSERT_TRUE(AddEntries(*redis, 3, added.load() + 1, 500).ok());
  const size_t total = static_cast<size_t>(added.load() + 500);

  auto got = Drain(config, config.amqp.queue,
                   [&](const auto& all) { return ReservationIds(all).size() >= total; });
  EXPECT_EQ(ReservationIds(got).size(), total);
  EXPECT_TRUE(Eventually([&] { return Drained(*redis, 3); }));
  relay.Stop();
}

TEST(BackhalfRelayTest, ClaimsEntriesLeftPendingByADeadConsumer) {
  Config config = BackhalfConfig("relay_claim");
  auto redis = RedisClient(/*flush=*/true);
  ASSERT_TRUE(redis->Command({"SADD", contracts::kActiveSalesKey, "4"}).ok());
  ASSERT_TRUE(redis->Command({"XGROUP", "CREATE", OutboxKey(4), contracts::kRelayGroup, "0",
                              "MKSTREAM"}).ok());
  ASSERT_TRUE(AddEntries(*redis, 4, 1, 50).ok());
  // A relay that read these entries and died before publishing them.
  auto read = redis->Command({"XREADGROUP", "GROUP", contracts::kRelayGroup, "crashed-relay",
                              "COUNT", "100", "STREAMS", OutboxKey(4), ">"});
  ASSERT_TRUE(read.ok());

  MetricsRegistry metrics;
  seckill::OutboxRelay relay(config, metrics);
  relay.Start();
  auto got = Drain(config, config.amqp.queue,
                   [](const auto& all) { return ReservationIds(all).size() >= 50; });
  EXPECT_EQ(ReservationIds(got).size(), 50u);
  EXPECT_TRUE(Eventually([&] { return Drained(*redis, 4); }));
  relay.Stop();
}

TEST(BackhalfRelayTest, ParksMalformedEntriesInTheDeadLetterQueue) {
  Config config = BackhalfConfig("relay_malformed");
  auto redis = RedisClient(/*flush=*/true);
  ASSERT_TRUE(redis->Command({"SADD", contracts::kActiveSalesKey, "5"}).ok());
  ASSERT_TRUE(redis->Command(OutboxXadd(5, 1, 1)).ok());
  ASSERT_TRUE(redis->Command({"XADD", OutboxKey(5), "*", "rid", "5-2-1", "sale", "5"}).ok());
  ASSERT_TRUE(redis->Command(OutboxXadd(5, 3, 1)).ok());

  MetricsRegistry metrics;
  seckill::OutboxRelay relay(config, metrics);
  relay.Start();
  auto good = Drain(config, config.amqp.queue,
                    [](const auto& all) { return ReservationIds(all).size() >= 2; });
  EXPECT_EQ(ReservationIds(good), (std::set<std::string>{"5-1-1", "5-3-1"}));
  auto dead = Drain(config, config.amqp.dead_letter_queue,
                    [](const auto& all) { return !all.empty(); });
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_NE(amqp::FindHeader(dead[0].headers, "x-minishop-reason"), "");
  EXPECT_EQ(nlohmann::json::parse(dead[0].body)["fields"]["rid"], "5-2-1");
  EXPECT_TRUE(Eventually([&] { return Drained(*redis, 5); }));
  relay.Stop();
  EXPECT_EQ(metrics.GetCounter("minishop_dead_lettered_total", "", "stage=\"relay\"").Value(), 1u);
}

TEST(BackhalfRelayTest, KeepsEveryEntryWhileTheBrokerIsDown) {
  Config config = BackhalfConfig("relay_down");
  config.amqp.port = 1;  // nothing listens
  auto redis = RedisClient(/*flush=*/true);
  ASSERT_TRUE(redis->Command({"SADD", contracts::kActiveSalesKey, "6"}).ok());
  ASSERT_TRUE(AddEntries(*redis, 6, 1, 5).ok());
  MetricsRegistry metrics;
  seckill::OutboxRelay relay(config, metrics);
  relay.Start();
  EXPECT_TRUE(Eventually(
      [&] { return metrics.GetCounter("minishop_relay_errors_total", "").Value() >= 2; }));
  relay.Stop();
  auto len = redis->Command({"XLEN", OutboxKey(6)});
  ASSERT_TRUE(len.ok());
  EXPECT_EQ(len->integer, 5);  // nothing dropped
}

}  // namespace
}  // namespace minishop::testing
