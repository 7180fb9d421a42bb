// Redis and PostgreSQL servers for tests, and the per-binary shared instances.
// RabbitMQ lives in rabbit_server.cc.
#include "harness/servers.h"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace minishop::testing {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr int kPortAttempts = 3;  // a free port can be taken between FreePort() and bind()

// One PING over a fresh connection; true only for "+PONG" (a loading server says -LOADING).
bool RedisAnswersPing(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  timeval tv{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      write(fd, "PING\r\n", 6) == 6) {
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf);
    ok = n >= 5 && std::string(buf, 5) == "+PONG";
  }
  close(fd);
  return ok;
}

// Polls `ready` until it holds, the process exits, or `timeout` passes.
template <class Ready>
Status AwaitReady(ChildProcess& process, const std::string& what, const std::string& log,
                  milliseconds timeout, Ready ready) {
  auto deadline = steady_clock::now() + timeout;
  while (!ready()) {
    if (!process.Running()) {
      return MakeError(Code::kUnavailable,
                       what + " exited during start-up; log " + log + ":\n" + TailOfFile(log));
    }
    if (steady_clock::now() >= deadline) {
      return MakeError(Code::kDeadlineExceeded, what + " not ready after " +
                                           std::to_string(timeout.count()) + " ms; log " + log +
                                           ":\n" + TailOfFile(log));
    }
    std::this_thread::sleep_for(20ms);
  }
  return OkStatus();
}

// The newest installed PostgreSQL server's bin directory (Debian: /usr/lib/postgresql/N/bin).
Result<std::string> PostgresBinDir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  int best = -1;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    std::string name = entry.path().filename().string();
    if (!std::all_of(name.begin(), name.end(), ::isdigit) || name.empty()) continue;
    if (fs::exists(entry.path() / "bin" / "postgres")) best = std::max(best, std::stoi(name));
  }
  if (best >= 0) return "/usr/lib/postgresql/" + std::to_string(best) + "/bin";
  auto initdb = FindProgram("initdb", "postgresql");
  if (!initdb.ok()) return initdb.error();
  return std::filesystem::path(*initdb).parent_path().string();
}

template <class T>
T& SharedOrExit(std::unique_ptr<T>& slot, const char* what) {
  if (!slot) {
    auto started = T::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "test harness: cannot start %s: %s\n", what,
                   started.error().message.c_str());
      std::exit(1);  // runs atexit/static destructors, which stop the other shared servers
    }
    slot = std::move(*started);
  }
  return *slot;
}

}  // namespace

// ---- Redis ----

RedisServer::RedisServer(TempDir dir, int port)
    : dir_(std::move(dir)), port_(port), log_path_(dir_.path() + "/redis.log") {}

RedisServer::~RedisServer() { (void)Stop(); }

Result<std::unique_ptr<RedisServer>> RedisServer::Start() {
  auto binary = FindProgram("redis-server", "redis-server");
  if (!binary.ok()) return binary.error();
  Error last = MakeError(Code::kUnavailable, "no free port");
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    auto dir = TempDir::Create("minishop-redis");
    if (!dir.ok()) return dir.error();
    std::unique_ptr<RedisServer> server(new RedisServer(std::move(*dir), FreePort()));
    Status s = server->Launch();
    if (s.ok()) return server;
    last = s.error();
  }
  return last;
}

Status RedisServer::Launch() {
  SpawnOptions options;
  options.argv = {"redis-server",
                  "--port",
                  std::to_string(port_),
                  "--bind",
                  "127.0.0.1",
                  "--dir",
                  dir_.path(),
                  "--appendonly",
                  "yes",
                  "--appendfsync",
                  "everysec",
                  "--save",
                  "",
                  "--daemonize",
                  "no",
                  "--protected-mode",
                  "no"};
  options.log_path = log_path_;
  options.cwd = dir_.path();
  auto child = ChildProcess::Spawn(options);
  if (!child.ok()) return child.error();
  process_ = std::move(*child);
  int port = port_;
  return AwaitReady(*process_, "redis-server", log_path_, 30s,
                    [port] { return RedisAnswersPing(port); });
}

Status RedisServer::Kill9() {
  if (process_) (void)process_->Kill9();
  process_.reset();
  return OkStatus();
}

Status RedisServer::Stop() {
  if (!process_) return OkStatus();
  auto code = process_->Stop(30s);
  process_.reset();
  if (!code.ok()) return code.error();
  return OkStatus();
}

Status RedisServer::Restart() {
  Status s = Stop();
  if (!s.ok()) return s;
  return Launch();
}

// ---- PostgreSQL ----

PostgresServer::PostgresServer(TempDir dir, std::string bin_dir, int port)
    : dir_(std::move(dir)),
      bin_dir_(std::move(bin_dir)),
      port_(port),
      log_path_(dir_.path() + "/postgres.log") {}

PostgresServer::~PostgresServer() { (void)Stop(); }

Result<std::unique_ptr<PostgresServer>> PostgresServer::Start() {
  auto bin_dir = PostgresBinDir();
  if (!bin_dir.ok()) return bin_dir.error();
  auto dir = TempDir::Create("minishop-pg");
  if (!dir.ok()) return dir.error();
  Status given = dir->GiveTo("postgres", "data");
  if (!given.ok()) return given.error();
  std::string data = dir->path() + "/data";
  SpawnOptions initdb;
  initdb.argv = {*bin_dir + "/initdb", "-D", data,   "-A",         "trust",    "-U",
                 "postgres",           "-E", "UTF8", "--locale=C", "--no-sync"};
  initdb.log_path = dir->path() + "/initdb.log";
  initdb.run_as = "postgres";
  initdb.cwd = data;
  auto code = RunCommand(initdb, 120s);
  if (!code.ok()) return code.error();
  if (*code != 0) {
    return MakeError(Code::kUnavailable, "initdb failed (exit " + std::to_string(*code) + "):\n" +
                                             TailOfFile(initdb.log_path));
  }
  std::unique_ptr<PostgresServer> server(new PostgresServer(std::move(*dir), *bin_dir, 0));
  Error last = MakeError(Code::kUnavailable, "no free port");
  for (int attempt = 0; attempt < kPortAttempts; ++attempt) {
    server->port_ = FreePort();
    Status s = server->Launch();
    if (s.ok()) return server;
    last = s.error();
    (void)server->Kill9();
  }
  return last;
}

std::string PostgresServer::ConnInfo(const std::string& dbname) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=postgres dbname=" + dbname;
}

Status PostgresServer::Launch() {
  std::string data = dir_.path() + "/data";
  SpawnOptions options;
  options.argv = {bin_dir_ + "/postgres",       "-D", data,      "-p",
                  std::to_string(port_),        "-k", data,      "-c",
                  "listen_addresses=127.0.0.1", "-c", "fsync=on"};
  options.log_path = log_path_;
  options.run_as = "postgres";
  options.cwd = data;
  auto child = ChildProcess::Spawn(options);
  if (!child.ok()) return child.error();
  process_ = std::move(*child);
  std::string conninfo = ConnInfo() + " connect_timeout=2";
  return AwaitReady(*process_, "postgres", log_path_, 60s,
                    [&] { return PQping(conninfo.c_str()) == PQPING_OK; });
}

Status PostgresServer::CreateDatabase(const std::string& name) {
  PGconn* conn = PQconnectdb((ConnInfo() + " connect_timeout=10").c_str());
  auto fail = [&](const std::string& what) {
    Status s = MakeError(Code::kUnavailable, what + ": " + PQerrorMessage(conn));
    PQfinish(conn);
    return s;
  };
  if (PQstatus(conn) != CONNECTION_OK) return fail("connect to " + ConnInfo());
  char* quoted = PQescapeIdentifier(conn, name.c_str(), name.size());
  if (quoted == nullptr) return fail("bad database name '" + name + "'");
  std::string ident(quoted);
  PQfreemem(quoted);
  for (const std::string& sql :
       {"DROP DATABASE IF EXISTS " + ident + " WITH (FORCE)", "CREATE DATABASE " + ident}) {
    PGresult* res = PQexec(conn, sql.c_str());
    bool ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    if (!ok) return fail(sql);
  }
  PQfinish(conn);
  return OkStatus();
}

Status PostgresServer::Kill9() {
  if (process_) (void)process_->Kill9();  // the whole group: postmaster and backends
  process_.reset();
  return OkStatus();
}

Status PostgresServer::Stop() {
  if (!process_) return OkStatus();
  auto code = process_->Stop(60s, SIGINT);  // SIGINT = fast shutdown
  process_.reset();
  if (!code.ok()) return code.error();
  return OkStatus();
}

Status PostgresServer::Restart() {
  Status s = Stop();
  if (!s.ok()) return s;
  // After a SIGKILL, backends of the old postmaster may take a moment to die; until then
  // the new postmaster refuses to start ("shared memory block is still in use"), so retry.
  Status last = OkStatus();
  for (int attempt = 0; attempt < 20; ++attempt) {
    last = Launch();
    if (last.ok()) return last;
    (void)Kill9();
    std::this_thread::sleep_for(250ms);
  }
  return last;
}

// ---- Shared instances ----

namespace {
// Function-local statics: created on first use, destroyed (servers stopped) at exit.
std::unique_ptr<RedisServer>& RedisSlot() {
  static std::unique_ptr<RedisServer> slot;
  return slot;
}
std::unique_ptr<PostgresServer>& PostgresSlot() {
  static std::unique_ptr<PostgresServer> slot;
  return slot;
}
std::unique_ptr<RabbitServer>& RabbitSlot() {
  static std::unique_ptr<RabbitServer> slot;
  return slot;
}
}  // namespace

RedisServer& SharedRedis() { return SharedOrExit(RedisSlot(), "redis-server"); }
PostgresServer& SharedPostgres() { return SharedOrExit(PostgresSlot(), "postgres"); }
RabbitServer& SharedRabbit() { return SharedOrExit(RabbitSlot(), "rabbitmq-server"); }

}  // namespace minishop::testing
