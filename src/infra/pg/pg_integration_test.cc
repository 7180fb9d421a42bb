// pg against a real PostgreSQL: errors as values, reconnection, migrations, AsyncRun.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "harness/servers.h"
#include "infra/pg/async.h"
#include "infra/pg/connection.h"
#include "infra/pg/migrate.h"

namespace minishop::pg {
namespace {

using testing::SharedPostgres;

std::unique_ptr<Connection> Connect(const std::string& db) {
  Status created = SharedPostgres().CreateDatabase(db);
  EXPECT_TRUE(created.ok()) << created.error().message;
  auto conn = Connection::Open(SharedPostgres().ConnInfo(db));
  EXPECT_TRUE(conn.ok()) << conn.error().message;
  return conn.ok() ? std::move(conn).value() : nullptr;
}

TEST(PgIntegrationTest, ExecReturnsRowsAndMapsConstraintErrors) {
  auto conn = Connect("pg_exec");
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Exec("CREATE TABLE t (k TEXT PRIMARY KEY, v BIGINT CHECK (v >= 0))").ok());
  auto inserted = conn->Exec("INSERT INTO t VALUES ($1, $2), ($3, NULL)",
                             {"a", "42", "b"});
  ASSERT_TRUE(inserted.ok()) << inserted.error().message;
  EXPECT_EQ(inserted->affected(), 2);

  auto rows = conn->Exec("SELECT k, v FROM t ORDER BY k");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->Get(0, rows->Column("k")), "a");
  EXPECT_EQ(rows->GetInt64(0, rows->Column("v")), 42);
  EXPECT_TRUE(rows->IsNull(1, 1));
  EXPECT_EQ(rows->GetInt64(1, 1), std::nullopt);
  EXPECT_EQ(rows->Column("nope"), -1);

  auto dup = conn->Exec("INSERT INTO t VALUES ('a', 1)");
  EXPECT_EQ(dup.code(), Code::kConflict);
  auto check = conn->Exec("INSERT INTO t VALUES ('c', -1)");
  EXPECT_EQ(check.code(), Code::kInvalidArgument);
  EXPECT_NE(check.error().message.find("23514"), std::string::npos);
  auto syntax = conn->Exec("SELEKT 1");
  EXPECT_EQ(syntax.code(), Code::kInternal);
}

TEST(PgIntegrationTest, TransactionRollsBackUnlessCommitted) {
  auto conn = Connect("pg_tx");
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Exec("CREATE TABLE t (k INT PRIMARY KEY)").ok());
  {
    auto tx = Transaction::Begin(*conn);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(conn->Exec("INSERT INTO t VALUES (1)").ok());
  }
  {
    auto tx = Transaction::Begin(*conn);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(conn->Exec("INSERT INTO t VALUES (2)").ok());
    EXPECT_FALSE(conn->Exec("INSERT INTO t VALUES (2)").ok());
    EXPECT_FALSE(tx->Commit().ok());  // an aborted transaction cannot commit
  }
  {
    auto tx = Transaction::Begin(*conn);
    ASSERT_TRUE(tx.ok());
    ASSERT_TRUE(conn->Exec("INSERT INTO t VALUES (3)").ok());
    ASSERT_TRUE(tx->Commit().ok());
  }
  auto rows = conn->Exec("SELECT k FROM t");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->Get(0, 0), "3");
}

TEST(PgIntegrationTest, MigrationsApplyOnceAndAreIdempotent) {
  auto conn = Connect("pg_migrate");
  ASSERT_NE(conn, nullptr);
  auto embedded = OrderMigrations(EmbeddedMigrationFiles());
  ASSERT_TRUE(embedded.ok());
  auto first = ApplyMigrations(*conn, *embedded);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(*first, static_cast<int>(embedded->size()));
  auto second = ApplyMigrations(*conn, *embedded);
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*second, 0);
  ASSERT_TRUE(Migrate(*conn).ok());

  auto applied = conn->Exec("SELECT count(*) FROM schema_migrations");
  ASSERT_TRUE(applied.ok());
  EXPECT_EQ(applied->GetInt64(0, 0), static_cast<int64_t>(embedded->size()));
  auto orders = conn->Exec("SELECT count(*) FROM orders");
  ASSERT_TRUE(orders.ok()) << orders.error().message;
}

TEST(PgIntegrationTest, FailingMigrationIsRolledBackAndStopsTheRun) {
  auto conn = Connect("pg_migrate_fail");
  ASSERT_NE(conn, nullptr);
  std::vector<Migration> ms = {{1, "0001_a.sql", "CREATE TABLE a (x INT);"},
                               {2, "0002_b.sql", "CREATE TABLE b (x INT); SELEKT;"},
                               {3, "0003_c.sql", "CREATE TABLE c (x INT);"}};
  auto r = ApplyMigrations(*conn, ms);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("0002_b.sql"), std::string::npos);
  EXPECT_TRUE(conn->Exec("SELECT * FROM a").ok());
  EXPECT_FALSE(conn->Exec("SELECT * FROM b").ok());
  EXPECT_FALSE(conn->Exec("SELECT * FROM c").ok());
}

TEST(PgIntegrationTest, ConcurrentMigratorsApplyEachMigrationOnce) {
  ASSERT_TRUE(SharedPostgres().CreateDatabase("pg_migrate_race").ok());
  std::vector<Migration> ms = {{1, "0001_a.sql", "CREATE TABLE a (x INT);"},
                               {2, "0002_b.sql", "CREATE TABLE b (x INT);"}};
  std::vector<std::thread> threads;
  std::atomic<int> applied{0}, failed{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      auto conn = Connection::Open(SharedPostgres().ConnInfo("pg_migrate_race"));
      if (!conn.ok()) {
        failed.fetch_add(1);
        return;
      }
      auto n = ApplyMigrations(**conn, ms);
      if (n.ok()) {
        applied.fetch_add(*n);
      } else {
        failed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(applied.load(), 2);
}

TEST(PgIntegrationTest, ConnectionReconnectsAfterServerRestart) {
  auto conn = Connect("pg_reconnect");
  ASSERT_NE(conn, nullptr);
  ASSERT_TRUE(conn->Exec("SELECT 1").ok());
  ASSERT_TRUE(SharedPostgres().Restart().ok());
  auto broken = conn->Exec("SELECT 1");
  if (!broken.ok()) {
    EXPECT_EQ(broken.code(), Code::kUnavailable) << broken.error().message;
  }
  auto again = conn->Exec("SELECT 2");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->Get(0, 0), "2");
}

TEST(PgIntegrationTest, AsyncRunQueriesFromACoroutine) {
  ASSERT_TRUE(SharedPostgres().CreateDatabase("pg_async").ok());
  Pool::Options options;
  options.conninfo = SharedPostgres().ConnInfo("pg_async");
  options.threads = 2;
  boost::asio::io_context io;  // outlives the pool: its threads post into it until joined
  Pool pool(options);
  std::vector<int64_t> answers;
  for (int i = 0; i < 20; ++i) {
    boost::asio::co_spawn(
        io,
        [&, i]() -> boost::asio::awaitable<void> {
          Result<int64_t> r = co_await AsyncRun(
              pool,
              [i](Connection* c) -> Result<int64_t> {
                if (c == nullptr) return MakeError(Code::kUnavailable, "no connection");
                auto rows = c->Exec("SELECT $1::bigint * 2", {std::to_string(i)});
                if (!rows.ok()) return rows.error();
                return *rows->GetInt64(0, 0);
              },
              boost::asio::use_awaitable);
          EXPECT_TRUE(r.ok()) << r.error().message;
          if (r.ok()) answers.push_back(*r);
        },
        boost::asio::detached);
  }
  io.run();
  ASSERT_EQ(answers.size(), 20u);
  int64_t sum = 0;
  for (int64_t a : answers) sum += a;
  EXPECT_EQ(sum, 2 * (19 * 20 / 2));
}

}  // namespace
}  // namespace minishop::pg
