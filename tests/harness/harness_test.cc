#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "harness/nginx_server.h"
#include "harness/servers.h"

namespace minishop::testing {
namespace {

using namespace std::chrono_literals;

// Sends `request` on a fresh connection to 127.0.0.1:port and returns what arrives within a
// second (up to 4 KiB); empty if the connection fails.
std::string Exchange(int port, const std::string& request) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  std::string reply;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) reply.assign(buf, static_cast<size_t>(n));
  }
  close(fd);
  return reply;
}

std::string RedisCommand(int port, const std::string& inline_command) {
  return Exchange(port, inline_command + "\r\n");
}

// An AMQP 0-9-1 server answers the protocol header with a Connection.Start method frame:
// type 1, channel 0, then (after the 4-byte size) class 10, method 10.
bool AnswersAmqp(int port) {
  std::string reply = Exchange(port, std::string("AMQP\x00\x00\x09\x01", 8));
  if (reply.size() < 11) return false;
  auto byte = [&](size_t i) { return static_cast<uint8_t>(reply[i]); };
  return byte(0) == 1 && byte(1) == 0 && byte(2) == 0 && byte(7) == 0 && byte(8) == 10 &&
         byte(9) == 0 && byte(10) == 10;
}

bool PostgresAccepts(const PostgresServer& pg, const std::string& db) {
  PGconn* conn = PQconnectdb((pg.ConnInfo(db) + " connect_timeout=5").c_str());
  bool ok = PQstatus(conn) == CONNECTION_OK;
  if (ok) {
    PGresult* res = PQexec(conn, "SELECT 1");
    ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
  }
  PQfinish(conn);
  return ok;
}

TEST(ChildProcessTest, ReportsExitCodeAndWritesLog) {
  auto dir = TempDir::Create("minishop-harness-test");
  ASSERT_TRUE(dir.ok()) << dir.error().message;
  std::string log = dir->path() + "/child.log";
  auto child = ChildProcess::Spawn({"sh", "-c", "echo \"hello $GREETING\"; exit 3"},
                                   {{"GREETING", "world"}}, log);
  ASSERT_TRUE(child.ok()) << child.error().message;
  auto code = (*child)->Wait(30s);
  ASSERT_TRUE(code.ok()) << code.error().message;
  EXPECT_EQ(*code, 3);
  EXPECT_EQ(TailOfFile(log), "hello world\n");
}

TEST(ChildProcessTest, TerminateEndsAChildWithSigterm) {
  auto child = ChildProcess::Spawn({"sleep", "600"}, {}, "");
  ASSERT_TRUE(child.ok()) << child.error().message;
  EXPECT_TRUE((*child)->Running());
  ASSERT_TRUE((*child)->Terminate().ok());
  auto code = (*child)->Wait(30s);
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, 128 + 15);
}

TEST(ChildProcessTest, MissingProgramIsAnErrorNamingThePackage) {
  auto found = FindProgram("minishop-no-such-program", "minishop-no-such-package");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.code(), Code::kUnavailable);
  EXPECT_NE(found.error().message.find("minishop-no-such-package"), std::string::npos);
}

TEST(TempDirTest, RemovesDirectoriesOfDeadTestProcesses) {
  // A pid that surely no longer exists: a child that has exited and been reaped.
  auto done = ChildProcess::Spawn({"true"}, {}, "");
  ASSERT_TRUE(done.ok()) << done.error().message;
  pid_t dead = (*done)->pid();
  ASSERT_TRUE((*done)->Wait(30s).ok());

  auto live = TempDir::Create("minishop-tempdir-test");
  ASSERT_TRUE(live.ok()) << live.error().message;
  std::string abandoned = live->path() + "-abandoned";
  std::filesystem::create_directory(abandoned);
  std::ofstream(abandoned + "/.owner-pid") << dead << "\n";

  auto next = TempDir::Create("minishop-tempdir-test");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_FALSE(std::filesystem::exists(abandoned));
  EXPECT_TRUE(std::filesystem::exists(live->path())) << "a live owner's directory stays";
}

TEST(FreePortTest, ReturnsABindablePort) {
  int port = FreePort();
  EXPECT_GT(port, 0);
  EXPECT_FALSE(WaitForTcp(port, 0ms));
}

TEST(RedisServerTest, AnswersAndKeepsDataAcrossRestartAndKill9) {
  auto redis = RedisServer::Start();
  ASSERT_TRUE(redis.ok()) << redis.error().message;
  RedisServer& r = **redis;
  EXPECT_EQ(RedisCommand(r.port(), "PING"), "+PONG\r\n");
  EXPECT_EQ(RedisCommand(r.port(), "SET harness-key kept"), "+OK\r\n");

  ASSERT_TRUE(r.Restart().ok());  // graceful: the AOF is flushed on shutdown
  EXPECT_EQ(RedisCommand(r.port(), "GET harness-key"), "$4\r\nkept\r\n");

  ASSERT_TRUE(r.Kill9().ok());
  EXPECT_EQ(RedisCommand(r.port(), "PING"), "");
  ASSERT_TRUE(r.Restart().ok());
  EXPECT_EQ(RedisCommand(r.port(), "PING"), "+PONG\r\n");
  EXPECT_EQ(RedisCommand(r.port(), "CONFIG GET appendonly"),
            "*2\r\n$10\r\nappendonly\r\n$3\r\nyes\r\n");
}

TEST(PostgresServerTest, CreatesDatabasesAndSurvivesKill9) {
  auto pg = PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.error().message;
  PostgresServer& p = **pg;
  EXPECT_EQ(PQping(p.ConnInfo().c_str()), PQPING_OK);
  ASSERT_TRUE(p.CreateDatabase("harness_one").ok());
  EXPECT_TRUE(PostgresAccepts(p, "harness_one"));
  ASSERT_TRUE(p.CreateDatabase("harness_one").ok()) << "re-creating must replace it";

  ASSERT_TRUE(p.Kill9().ok());
  EXPECT_NE(PQping((p.ConnInfo() + " connect_timeout=2").c_str()), PQPING_OK);
  Status restarted = p.Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  EXPECT_TRUE(PostgresAccepts(p, "harness_one"));
}

TEST(RabbitServerTest, AnswersAmqpAfterStopKill9AndRestart) {
  auto rabbit = RabbitServer::Start();
  ASSERT_TRUE(rabbit.ok()) << rabbit.error().message;
  RabbitServer& r = **rabbit;
  EXPECT_TRUE(AnswersAmqp(r.port()));

  ASSERT_TRUE(r.Stop().ok());
  EXPECT_FALSE(AnswersAmqp(r.port()));
  Status started = r.StartNode();
  ASSERT_TRUE(started.ok()) << started.error().message;
  EXPECT_TRUE(AnswersAmqp(r.port()));

  ASSERT_TRUE(r.Kill9().ok());
  EXPECT_FALSE(AnswersAmqp(r.port()));
  Status restarted = r.Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.error().message;
  EXPECT_TRUE(AnswersAmqp(r.port()));
}

TEST(ListensAloneTest, TellsWhetherEveryListenerOfAPortIsOurs) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(FreePort()));
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  const int port = ntohs(addr.sin_port);
  EXPECT_FALSE(ListensAlone(port, getpid())) << "bound, not listening";
  ASSERT_EQ(listen(fd, 8), 0);
  EXPECT_TRUE(ListensAlone(port, getpid()));
  EXPECT_FALSE(ListensAlone(port, getppid())) << "the socket is not the parent's";
  close(fd);
}

TEST(RenderTemplateTest, ReplacesKnownNamesAndLeavesNginxVariables) {
  EXPECT_EQ(RenderTemplate("listen ${A}; set $x ${B}; proxy $host ${A};", {{"A", "1"}, {"C", "3"}}),
            "listen 1; set $x ${B}; proxy $host 1;");
  EXPECT_EQ(RenderTemplate("${A}${A}", {{"A", "${A}"}}), "${A}${A}") << "no re-expansion";
}

// Nothing listens on either gateway port: nginx tries both (its upstream lists both) and
// answers as a gateway answers a broken dependency.
TEST(NginxServerTest, BalancesOverEveryGatewayAndAnswersJsonWhenNoneAnswers) {
  const int first = FreePort(), second = FreePort();
  auto nginx = NginxServer::Start({first, second});
  ASSERT_TRUE(nginx.ok()) << nginx.error().message;
  std::string reply = Exchange((*nginx)->port(),
                               "GET /api/v1/sales HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 503", 0), 0u) << reply;
  EXPECT_NE(reply.find("\"code\":\"unavailable\""), std::string::npos) << reply;
  std::string log = TailOfFile((*nginx)->error_log_path(), 100'000);
  EXPECT_NE(log.find("127.0.0.1:" + std::to_string(first)), std::string::npos) << log;
  EXPECT_NE(log.find("127.0.0.1:" + std::to_string(second)), std::string::npos) << log;
  reply = Exchange((*nginx)->port(), "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reply.rfind("HTTP/1.1 200", 0), 0u) << reply;
  EXPECT_TRUE((*nginx)->Stop().ok());
  EXPECT_FALSE(WaitForTcp((*nginx)->port(), 0ms));
}

TEST(SharedServersTest, AreStartedOnceAndReused) {
  RedisServer& first = SharedRedis();
  EXPECT_EQ(&first, &SharedRedis());
  EXPECT_EQ(RedisCommand(first.port(), "PING"), "+PONG\r\n");
}

}  // namespace
}  // namespace minishop::testing
