// A reservation the back half cannot write is never stranded: PostgreSQL refusing it voids it
// (status "failed", stock and quota back once, counted, reported by reconciliation), and its
// dead letter replays into an order once the cause is fixed — or stays failed when its unit
// was sold meanwhile. A dead letter the relay left (an outbox entry it could not read)
// replays into its stream. On the real binary, Redis, RabbitMQ and PostgreSQL.
#include <gtest/gtest.h>

#include <sstream>

#include "infra/amqp/consumer.h"
#include "infra/amqp/publisher.h"
#include "integration/lifecycle_support.h"

namespace minishop::testing {
namespace {

class FailedReservationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    SetSetting("MINISHOP_INVENTORY_RECONCILE_INTERVAL_MS", "300");
    auto sys = MiniShopSystem::Start("failedres");
    ASSERT_TRUE(sys.ok()) << sys.error().message;
    sys_ = std::move(*sys);
  }
  static void TearDownTestSuite() { sys_.reset(); }

  // The caller's reservation status in `sale`, once it is `want` (or the last one seen).
  static std::string WaitStatus(int64_t sale, const std::string& token, const std::string& want) {
    std::string status;
    for (int i = 0; i < 600 && status != want; ++i) {
      ApiResponse r = sys_->Call(http::verb::get, SalePath(sale, "order"), "", token);
      status = r.body.value("status", "");
      if (status != want) std::this_thread::sleep_for(50ms);
    }
    return status;
  }
  // The id of the registered user with this email.
  static int64_t UserOf(const std::string& email) {
    auto rows = sys_->db().Exec("SELECT id FROM users WHERE email = $1", {email});
    return rows.ok() && rows->size() == 1 ? rows->GetInt64(0, 0).value_or(0) : 0;
  }
  // Deletes the user's row (the token stays valid: it is checked by signature) and returns
  // what re-creates it.
  static std::vector<std::string> RemoveUser(const std::string& email) {
    auto rows = sys_->db().Exec(
        "DELETE FROM users WHERE email = $1 RETURNING id::text, email, password_hash, role",
        {email});
    EXPECT_TRUE(rows.ok() && rows->size() == 1);
    if (!rows.ok() || rows->size() != 1) return {};
    return {std::string(rows->Get(0, 0)), std::string(rows->Get(0, 1)),
            std::string(rows->Get(0, 2)), std::string(rows->Get(0, 3))};
  }
  static void RestoreUser(const std::vector<std::string>& row) {
    ASSERT_EQ(row.size(), 4u);
    auto r = sys_->db().Exec(
        "INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, $3, $4)",
        {row[0], row[1], row[2], row[3]});
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  static int64_t DeadLetters() {
    ApiResponse r =
        sys_->Call(http::verb::get, "/api/v1/admin/dead-letters", "", sys_->AdminToken());
    return r.body.value("count", -1);
  }
  static int64_t WaitDeadLetters(int64_t want) {
    int64_t n = -1;
    for (int i = 0; i < 200 && n != want; ++i) {
      n = DeadLetters();
      if (n != want) std::this_thread::sleep_for(50ms);
    }
    return n;
  }
  static int64_t Replay() {
    ApiResponse r =
        sys_->Call(http::verb::post, "/api/v1/admin/dead-letters/replay", "", sys_->AdminToken());
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.body.value("count", -1);
  }
  // The sum of a metric's samples in /metrics whose line starts with `prefix`.
  static double Metric(const std::string& prefix) {
    auto res = net::Fetch("127.0.0.1", sys_->port(), {http::verb::get, "/metrics", "", {}}, 10s);
    if (!res.ok()) return -1;
    double sum = 0;
    std::istringstream in(res->body());
    for (std::string line; std::getline(in, line);) {
      if (line.rfind(prefix, 0) == 0) sum += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return sum;
  }

  static amqp::ConnectOptions Options() {
    amqp::ConnectOptions options;
    options.port = SharedRabbit().port();
    return options;
  }
  static inline const amqp::Topology kTopology{"test.failedres.orders",
                                               "test.failedres.reservations", "test.failedres.dlx",
                                               "test.failedres.dead"};
  static void PurgeDeadLetters() {
    auto consumer = amqp::Consumer::Open(Options(), kTopology, kTopology.dead_letter_queue, 100);
    ASSERT_TRUE(consumer.ok()) << consumer.error().message;
    auto got = (*consumer)->Next(100, 1s);
    ASSERT_TRUE(got.ok());
    if (!got->empty()) {
      ASSERT_TRUE((*consumer)->Ack(got->back().tag, /*multiple=*/true).ok());
    }
  }

  static inline std::unique_ptr<MiniShopSystem> sys_;
};

TEST_F(FailedReservationTest, RefusedReservationIsVoidedThenReplayedIntoAnOrder) {
  const int64_t sale = CreateSaleWithRebuy(*sys_, 3, 1, false);
  std::vector<std::string> tokens = sys_->RegisterUsers("gone", 1);
  const std::vector<std::string> row = RemoveUser("gone-0@test.local");
  ASSERT_EQ(sys_->Call(http::verb::post, SalePath(sale, "purchase"), "", tokens[0]).status, 202);

  // Surfaced: the status says so, the unit and the quota are back, a metric counts it,
  // reconciliation reports it; every invariant holds meanwhile.
  EXPECT_EQ(WaitStatus(sale, tokens[0], "failed"), "failed");
  nlohmann::json stats = WaitAllInvariants(*sys_, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["redis_stock"], 3) << stats.dump();
  EXPECT_EQ(stats["reserved_units"], 0);
  EXPECT_EQ(stats["failed_reservations"], 1);
  EXPECT_EQ(Metric("minishop_reservations_failed_total"), 1);
  EXPECT_EQ(WaitDeadLetters(1), 1);
  bool drift = false;
  for (int i = 0; i < 100 && !drift; ++i) {
    drift = Metric("minishop_inventory_drift") >= 1;
    if (!drift) std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(drift) << "reconciliation did not report the failed reservation";

  // The cause fixed, the replay takes the unit again and writes the order.
  RestoreUser(row);
  EXPECT_EQ(Replay(), 1);
  EXPECT_EQ(WaitStatus(sale, tokens[0], "awaiting_payment"), "awaiting_payment");
  stats = WaitAllInvariants(*sys_, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["redis_stock"], 2) << stats.dump();
  EXPECT_EQ(stats["orders_pg"], 1);
  EXPECT_EQ(stats["failed_reservations"], 0);
  EXPECT_EQ(Metric("minishop_reservations_readmitted_total"), 1);
  EXPECT_EQ(WaitDeadLetters(0), 0);
  // The quota is taken again too.
  EXPECT_EQ(sys_->Call(http::verb::post, SalePath(sale, "purchase"), "", tokens[0]).status, 409);
}

TEST_F(FailedReservationTest, ReplayAfterTheUnitWasSoldLeavesItFailed) {
  const int64_t sale = CreateSaleWithRebuy(*sys_, 1, 1, false);
  std::vector<std::string> tokens = sys_->RegisterUsers("late", 2);
  const std::vector<std::string> row = RemoveUser("late-0@test.local");
  ASSERT_EQ(sys_->Call(http::verb::post, SalePath(sale, "purchase"), "", tokens[0]).status, 202);
  EXPECT_EQ(WaitStatus(sale, tokens[0], "failed"), "failed");
  EXPECT_EQ(WaitDeadLetters(1), 1);
  // The returned unit sells to someone else.
  ASSERT_EQ(sys_->Call(http::verb::post, SalePath(sale, "purchase"), "", tokens[1]).status, 202);
  EXPECT_EQ(WaitStatus(sale, tokens[1], "awaiting_payment"), "awaiting_payment");
  RestoreUser(row);
  EXPECT_EQ(Replay(), 1);
  // Parked again with its reason; no second unit is sold.
  EXPECT_EQ(WaitDeadLetters(1), 1);
  EXPECT_EQ(WaitStatus(sale, tokens[0], "failed"), "failed");
  nlohmann::json stats = WaitAllInvariants(*sys_, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["orders_pg"], 1) << stats.dump();
  EXPECT_EQ(stats["redis_stock"], 0);
  ApiResponse listed =
      sys_->Call(http::verb::get, "/api/v1/admin/dead-letters", "", sys_->AdminToken());
  ASSERT_EQ(listed.body.value("count", 0), 1) << listed.body.dump();
  EXPECT_NE(listed.body["messages"][0]["headers"]["x-minishop-reason"].get<std::string>().find(
                "sold meanwhile"),
            std::string::npos)
      << listed.body.dump();
  // A replay that still does not fit parks it once more; then the queue is emptied for the
  // next test.
  ASSERT_EQ(Replay(), 1);
  EXPECT_EQ(WaitDeadLetters(1), 1);
  PurgeDeadLetters();
  EXPECT_EQ(DeadLetters(), 0);
}

// The dead letter an older relay left for the 0xE9 trace context: the reservation is in
// Redis (stock, quota, status "pending") but in no stream, queue or table — stranded. Its
// replay puts the entry back into the outbox, and the relay of today publishes it.
TEST_F(FailedReservationTest, OutboxDeadLetterReplaysIntoItsStream) {
  const int64_t sale = CreateSaleWithRebuy(*sys_, 5, 1, false);
  std::vector<std::string> tokens = sys_->RegisterUsers("stranded", 1);
  const int64_t user = UserOf("stranded-0@test.local");
  ASSERT_GT(user, 0);
  const std::string tag = "ms:{s" + std::to_string(sale) + "}";
  const std::string rid = std::to_string(sale) + "-" + std::to_string(user) + "-1";
  const int64_t ts = NowEpochMs();
  redis::SyncClient redis = TestRedis();
  ASSERT_TRUE(redis.Connect().ok());
  ASSERT_TRUE(
      redis
          .Pipeline({{"DECRBY", tag + ":stock", "1"},
                     {"HINCRBY", tag + ":buyers", std::to_string(user), "1"},
                     {"HSET", tag + ":status", rid, "pending", "u:" + std::to_string(user), rid}})
          .ok());
  EXPECT_FALSE(AllInvariantsHold(sys_->Stats(sale)));  // I3: a reservation without an order

  nlohmann::json fields = {{"rid", rid},
                           {"sale", std::to_string(sale)},
                           {"user", std::to_string(user)},
                           {"qty", "1"},
                           {"price", "5000"},
                           {"ts", std::to_string(ts)},
                           {"tp", "00-\xEF\xBF\xBD\xEF\xBF\xBD-0000000000000000-01"}};
  nlohmann::json body = {{"stream", tag + ":outbox"}, {"id", "1-0"}, {"fields", fields}};
  const amqp::Topology& topology = kTopology;
  auto publisher = amqp::Publisher::Open(Options(), topology);
  ASSERT_TRUE(publisher.ok()) << publisher.error().message;
  ASSERT_TRUE(
      (*publisher)
          ->PublishConfirmed({amqp::Message{topology.dead_letter_exchange,
                                            topology.queue,
                                            body.dump(),
                                            {{"x-minishop-reason", "rid or tp is not valid UTF-8"},
                                             {"x-minishop-source", "outbox"}}}})
          .ok());
  ASSERT_EQ(WaitDeadLetters(1), 1);
  EXPECT_EQ(Replay(), 1);
  EXPECT_EQ(WaitStatus(sale, tokens[0], "awaiting_payment"), "awaiting_payment");
  nlohmann::json stats = WaitAllInvariants(*sys_, sale);
  ExpectAllInvariants(stats);
  EXPECT_EQ(stats["orders_pg"], 1) << stats.dump();
  EXPECT_EQ(stats["redis_stock"], 4);
  EXPECT_EQ(WaitDeadLetters(0), 0);
}

}  // namespace
}  // namespace minishop::testing
