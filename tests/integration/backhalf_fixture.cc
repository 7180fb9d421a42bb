#include "integration/backhalf_fixture.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "contracts/keys.h"
#include "harness/servers.h"
#include "infra/amqp/consumer.h"
#include "infra/pg/migrate.h"

namespace minishop::testing {

Config BackhalfConfig(const std::string& name) {
  Config c;
  c.instance_id = "bh-" + name;
  c.redis.port = SharedRedis().port();
  c.redis.reconnect_max_ms = 500;
  c.amqp.port = SharedRabbit().port();
  c.amqp.exchange = "bh." + name;
  c.amqp.queue = "bh." + name + ".reservations";
  c.amqp.dead_letter_exchange = "bh." + name + ".dlx";
  c.amqp.dead_letter_queue = "bh." + name + ".dead";
  c.amqp.prefetch = 500;
  c.postgres.conninfo = SharedPostgres().ConnInfo("bh_" + name);
  c.relay.batch_size = 200;
  c.relay.block_ms = 50;
  c.relay.claim_idle_ms = 500;
  c.order.batch_size = 200;
  c.order.batch_wait_ms = 5;
  return c;
}

std::unique_ptr<pg::Connection> PrepareDatabase(const std::string& name,
                                                const std::vector<int64_t>& sale_ids, int users) {
  Status created = SharedPostgres().CreateDatabase("bh_" + name);
  EXPECT_TRUE(created.ok()) << created.error().message;
  auto conn = pg::Connection::Open(BackhalfConfig(name).postgres.conninfo);
  EXPECT_TRUE(conn.ok()) << conn.error().message;
  if (!conn.ok()) return nullptr;
  Status migrated = pg::Migrate(**conn);
  EXPECT_TRUE(migrated.ok()) << migrated.error().message;
  for (int64_t id : sale_ids) {
    auto r = (*conn)->Exec(
        "INSERT INTO sales (id, product_name, price_cents, stock_total, starts_at_ms, ends_at_ms)"
        " VALUES ($1, 'widget', 100, 1000000, 0, 1)",
        {std::to_string(id)});
    EXPECT_TRUE(r.ok()) << r.error().message;
  }
  auto r = (*conn)->Exec(
      "INSERT INTO users (id, email, password_hash)"
      " SELECT g, 'u' || g || '@test.local', 'x' FROM generate_series(1, $1::int) g",
      {std::to_string(users)});
  EXPECT_TRUE(r.ok()) << r.error().message;
  return std::move(conn).value();
}

std::unique_ptr<redis::SyncClient> RedisClient(bool flush) {
  auto client = std::make_unique<redis::SyncClient>("127.0.0.1", SharedRedis().port(),
                                                    std::chrono::milliseconds(5000));
  if (flush) {
    auto r = client->Command({"FLUSHALL"});
    EXPECT_TRUE(r.ok()) << r.error().message;
  }
  return client;
}

std::string ReservationId(int64_t sale, int64_t user, int n) {
  return std::to_string(sale) + "-" + std::to_string(user) + "-" + std::to_string(n);
}

std::vector<std::string> OutboxXadd(int64_t sale, int64_t user, int n) {
  return {"XADD", contracts::OutboxKey(sale), "*", "rid", ReservationId(sale, user, n),
          "sale", std::to_string(sale), "user", std::to_string(user), "qty", "1",
          "price", "100", "ts", "1700000000000", "tp",
          "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"};
}

std::string ReservationBody(int64_t sale, int64_t user, int n) {
  nlohmann::ordered_json j = {{"reservation_id", ReservationId(sale, user, n)},
                              {"sale_id", sale},
                              {"user_id", user},
                              {"qty", 1},
                              {"price_cents", 100},
                              {"ts_ms", 1700000000000},
                              {"traceparent", ""}};
  return j.dump();
}

std::vector<amqp::Delivery> Drain(const Config& config, const std::string& queue,
                                  const std::function<bool(const std::vector<amqp::Delivery>&)>& done,
                                  std::chrono::seconds timeout) {
  std::vector<amqp::Delivery> all;
  std::unique_ptr<amqp::Consumer> consumer;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done(all) && std::chrono::steady_clock::now() < deadline) {
    if (consumer == nullptr || consumer->broken()) {
      auto c = amqp::Consumer::Open(amqp::ConnectOptions::FromConfig(config.amqp),
                                    amqp::Topology::FromConfig(config.amqp), queue, 500);
      if (!c.ok()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        continue;
      }
      consumer = std::move(c).value();
    }
    auto got = consumer->Next(500, std::chrono::milliseconds(100));
    if (!got.ok() || got->empty()) continue;
    if (!consumer->Ack(got->back().tag, /*multiple=*/true).ok()) continue;
    for (auto& d : *got) all.push_back(std::move(d));
  }
  return all;
}

bool Eventually(const std::function<bool()>& condition, std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return condition();
}

int64_t QueryInt(pg::Connection& conn, const std::string& sql) {
  auto rows = conn.Exec(sql);
  if (!rows.ok() || rows->size() != 1) return -1;
  return rows->GetInt64(0, 0).value_or(-1);
}

}  // namespace minishop::testing
