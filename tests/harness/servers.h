// Real Redis, PostgreSQL and RabbitMQ servers for integration tests.
//
// Each server runs as a plain child process of the test (see ChildProcess: it dies with the
// test process even on a crash) on free 127.0.0.1 ports, with its data in a fresh temporary
// directory. The destructor stops it gracefully (then SIGKILL) and removes the directory.
// Start() blocks until the server answers, which takes milliseconds for Redis, about a
// second for PostgreSQL (initdb) and several seconds for RabbitMQ.
//
// When the test runs as root, PostgreSQL and RabbitMQ run as the `postgres` and `rabbitmq`
// users (both refuse or are not meant to run as root); otherwise as the current user.
// A missing server binary makes Start() return kUnavailable naming the Debian package.
//
// Not thread-safe: call from the test's main thread.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "harness/process.h"

namespace minishop::testing {

// redis-server with AOF on (`appendfsync everysec`) and RDB snapshots off.
class RedisServer {
 public:
  static Result<std::unique_ptr<RedisServer>> Start();
  ~RedisServer();

  int port() const { return port_; }
  const std::string& data_dir() const { return dir_.path(); }
  const std::string& log_path() const { return log_path_; }

  // SIGKILL the server; the data directory (and its AOF) is kept.
  Status Kill9();
  // Graceful stop (SIGTERM: Redis flushes the AOF and exits).
  Status Stop();
  // Starts again on the same port and data directory (reloading the AOF); blocks until the
  // server answers PING with PONG (not LOADING). Stops a running server first.
  Status Restart();

 private:
  RedisServer(TempDir dir, int port);
  Status Launch();
  TempDir dir_;
  int port_;
  std::string log_path_;
  std::unique_ptr<ChildProcess> process_;
};

// PostgreSQL: initdb once per server (trust auth, user `postgres`), then the `postgres`
// server process itself as our child, fsync on, listening on 127.0.0.1 and a unix socket in
// the data directory.
class PostgresServer {
 public:
  static Result<std::unique_ptr<PostgresServer>> Start();
  ~PostgresServer();

  int port() const { return port_; }
  // "host=127.0.0.1 port=P user=postgres dbname=<dbname>".
  std::string ConnInfo(const std::string& dbname = "postgres") const;

  // Creates database `name`, dropping an existing one of that name first (with FORCE), so
  // each test gets a fresh empty database.
  Status CreateDatabase(const std::string& name);

  // SIGKILL the postmaster and all its backends (a crash); the data directory is kept.
  Status Kill9();
  // Fast shutdown (SIGINT): aborts open transactions, checkpoints, exits.
  Status Stop();
  // Starts again on the same port and data directory (crash recovery if it was killed);
  // blocks until it accepts connections.
  Status Restart();

 private:
  PostgresServer(TempDir dir, std::string bin_dir, int port);
  Status Launch();
  TempDir dir_;
  std::string bin_dir_;
  int port_;
  std::string log_path_;
  std::unique_ptr<ChildProcess> process_;
};

// RabbitMQ: its own node name, AMQP port, distribution port and epmd (on its own port, run
// as our child, so nothing outlives the test). User guest/guest, vhost "/".
class RabbitServer {
 public:
  static Result<std::unique_ptr<RabbitServer>> Start();
  ~RabbitServer();

  int port() const { return amqp_port_; }  // AMQP
  const std::string& node_name() const { return node_; }

  // `rabbitmqctl stop`: a clean shutdown; blocks until the node has exited.
  Status Stop();
  // Starts the node (no-op if it runs); blocks until `rabbitmqctl await_startup` succeeds.
  // (Not `Start()`: C++ cannot overload the static factory with a member of the same
  // signature.)
  Status StartNode();
  // SIGKILL the node (a crash); durable queues and persistent messages survive on disk.
  Status Kill9();
  // Stop (if running) then Start.
  Status Restart();

 private:
  RabbitServer(TempDir dir, int amqp_port, int dist_port, int epmd_port);
  std::map<std::string, std::string> Env() const;
  SpawnOptions Options(std::vector<std::string> argv, const std::string& log) const;
  Status RunCtl(const std::vector<std::string>& args, std::chrono::milliseconds timeout) const;
  Status StartEpmd();
  TempDir dir_;
  int amqp_port_;
  int dist_port_;
  int epmd_port_;
  std::string node_;
  std::unique_ptr<ChildProcess> epmd_;
  std::unique_ptr<ChildProcess> process_;
};

// One set of servers per test binary, started on first use and stopped when the process
// exits. A server that cannot start ends the test binary with exit code 1 and the reason on
// stderr (the message names a missing package, if that is the cause).
RedisServer& SharedRedis();
PostgresServer& SharedPostgres();
RabbitServer& SharedRabbit();

}  // namespace minishop::testing
