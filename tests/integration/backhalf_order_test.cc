// The order worker against real RabbitMQ, PostgreSQL and Redis: each reservation becomes
// exactly one order with its Redis status, poison goes to the dead-letter queue, and a
// PostgreSQL restart loses or duplicates nothing. Ends with the whole back half:
// outbox stream → relay → queue → worker → orders.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>

#include "common/metrics.h"
#include "contracts/keys.h"
#include "harness/servers.h"
#include "infra/amqp/publisher.h"
#include "integration/backhalf_fixture.h"
#include "order/order_worker.h"
#include "seckill/relay.h"

namespace minishop::testing {
namespace {

std::unique_ptr<amqp::Publisher> OpenPublisher(const Config& config) {
  auto p = amqp::Publisher::Open(amqp::ConnectOptions::FromConfig(config.amqp),
                                 amqp::Topology::FromConfig(config.amqp));
  EXPECT_TRUE(p.ok()) << p.error().message;
  return p.ok() ? std::move(p).value() : nullptr;
}

amqp::Message ToQueue(const Config& config, std::string body) {
  return amqp::Message{config.amqp.exchange, config.amqp.queue, std::move(body), {}};
}

// True when every order of `sale` has its "<status>:<id>" in the sale's Redis status hash
// and the hash holds nothing else.
bool StatusesMatch(pg::Connection& db, redis::SyncClient& redis, int64_t sale) {
  auto rows = db.Exec("SELECT reservation_id, status || ':' || id FROM orders WHERE sale_id = $1",
                      {std::to_string(sale)});
  auto hash = redis.Command({"HGETALL", contracts::StatusKey(sale)});
  if (!rows.ok() || !hash.ok()) return false;
  std::map<std::string, std::string> cached;
  for (size_t i = 0; i + 1 < hash->elements.size(); i += 2) {
    cached[hash->elements[i].str] = hash->elements[i + 1].str;
  }
  if (cached.size() != rows->size()) return false;
  for (size_t i = 0; i < rows->size(); ++i) {
    auto it = cached.find(std::string(rows->Get(i, 0)));
    if (it == cached.end() || it->second != rows->Get(i, 1)) return false;
  }
  return true;
}

TEST(BackhalfOrderTest, WritesEachReservationOnceAndDeadLettersPoison) {
  Config config = BackhalfConfig("order_once");
  auto db = PrepareDatabase("order_once", {1}, 302);
  ASSERT_NE(db, nullptr);
  auto redis = RedisClient(/*flush=*/true);
  auto publisher = OpenPublisher(config);
  ASSERT_NE(publisher, nullptr);
  std::vector<amqp::Message> batch;
  for (int u = 1; u <= 300; ++u) batch.push_back(ToQueue(config, ReservationBody(1, u, 1)));
  batch.push_back(ToQueue(config, ReservationBody(1, 7, 1)));    // a duplicate delivery
  batch.push_back(ToQueue(config, "{\"reservation_id\": 12"));    // malformed
  batch.push_back(ToQueue(config, ReservationBody(1, 9999, 1)));  // unknown user
  // An array as the relay packs them: two good reservations around two poison ones.
  batch.push_back(ToQueue(config, "[" + ReservationBody(1, 301, 1) + ",{\"reservation_id\":5}," +
                                      ReservationBody(1, 9998, 1) + "," +
                                      ReservationBody(1, 302, 1) + "]"));
  ASSERT_TRUE(publisher->PublishConfirmed(batch).ok());

  MetricsRegistry metrics;
  order::OrderWorker worker(config, metrics);
  worker.Start();
  EXPECT_TRUE(Eventually([&] { return QueryInt(*db, "SELECT count(*) FROM orders") == 302; }));
  EXPECT_TRUE(Eventually([&] { return StatusesMatch(*db, *redis, 1); }));
  auto dead = Drain(config, config.amqp.dead_letter_queue,
                    [](const auto& all) { return all.size() >= 4; });
  EXPECT_EQ(dead.size(), 4u);
  worker.Stop();

  // Poison from inside the array is parked alone, with its reason.
  int parked = 0;
  for (const auto& d : dead) {
    if (amqp::FindHeader(d.headers, "x-minishop-source") != "order") continue;
    ++parked;
    EXPECT_NE(amqp::FindHeader(d.headers, "x-minishop-reason"), "");
    EXPECT_EQ(d.body.front(), '{');
  }
  EXPECT_EQ(parked, 3);  // user 9999's single message, and the two from the array
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM orders"), 302);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM orders WHERE user_id IN (9998, 9999)"), 0);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM orders WHERE status <> 'awaiting_payment'"), 0);
  EXPECT_EQ(metrics.GetCounter("minishop_orders_written_total", "").Value(), 302u);
  EXPECT_EQ(metrics.GetCounter("minishop_dead_lettered_total", "", "stage=\"order\"").Value(), 4u);
}

TEST(BackhalfOrderTest, LosesAndDuplicatesNothingThroughAPostgresRestart) {
  Config config = BackhalfConfig("order_pg_restart");
  auto db = PrepareDatabase("order_pg_restart", {2}, 5000);
  ASSERT_NE(db, nullptr);
  auto redis = RedisClient(/*flush=*/true);
  MetricsRegistry metrics;
  order::OrderWorker worker(config, metrics);
  worker.Start();

  std::atomic<bool> restarting{true};
  std::atomic<int> published{0};
  std::thread producer([&] {
    auto publisher = OpenPublisher(config);
    if (publisher == nullptr) return;
    while (restarting.load() || published.load() < 1000) {
      std::vector<amqp::Message> batch;
      for (int i = 1; i <= 50; ++i) {
        batch.push_back(ToQueue(config, ReservationBody(2, published.load() + i, 1)));
      }
      if (publisher->PublishConfirmed(batch).ok()) published.fetch_add(50);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  Status restarted = SharedPostgres().Restart();
  restarting.store(false);
  producer.join();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  const int64_t total = published.load();
  ASSERT_GE(total, 1000);

  EXPECT_TRUE(
      Eventually([&] { return QueryInt(*db, "SELECT count(*) FROM orders") == total; }));
  EXPECT_TRUE(Eventually([&] { return StatusesMatch(*db, *redis, 2); }));
  worker.Stop();
  EXPECT_EQ(QueryInt(*db, "SELECT count(DISTINCT user_id) FROM orders"), total);
  EXPECT_EQ(QueryInt(*db, "SELECT max(user_id) FROM orders"), total);
}

TEST(BackhalfOrderTest, OutboxEntriesBecomeOrdersEndToEnd) {
  Config config = BackhalfConfig("end_to_end");
  auto db = PrepareDatabase("end_to_end", {10, 11}, 400);
  ASSERT_NE(db, nullptr);
  auto redis = RedisClient(/*flush=*/true);
  ASSERT_TRUE(redis->Command({"SADD", contracts::kActiveSalesKey, "10", "11"}).ok());
  std::vector<std::vector<std::string>> xadds;
  for (int u = 1; u <= 400; ++u) xadds.push_back(OutboxXadd(u % 2 == 0 ? 10 : 11, u, 1));
  ASSERT_TRUE(redis->Pipeline(xadds).ok());

  MetricsRegistry metrics;
  seckill::OutboxRelay relay(config, metrics);
  order::OrderWorker worker(config, metrics);
  relay.Start();
  worker.Start();
  EXPECT_TRUE(Eventually([&] { return QueryInt(*db, "SELECT count(*) FROM orders") == 400; }));
  EXPECT_TRUE(Eventually(
      [&] { return StatusesMatch(*db, *redis, 10) && StatusesMatch(*db, *redis, 11); }));
  relay.Stop();
  worker.Stop();
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM orders WHERE traceparent = ''"), 0);
  EXPECT_EQ(QueryInt(*db, "SELECT count(*) FROM orders WHERE sale_id = 10 AND user_id % 2 = 1"), 0);
}

}  // namespace
}  // namespace minishop::testing
