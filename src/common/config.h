// Config: every setting of a MiniShop process, loaded once at start-up from a TOML file,
// then overridden by MINISHOP_<SECTION>_<KEY> environment variables, then by flags.
// Immutable after start-up; safe to read from any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "common/result.h"

namespace minishop {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 0;  // 0: one event loop per core
  int64_t max_body_bytes = 64 * 1024;
  int64_t max_header_bytes = 8 * 1024;
  int64_t idle_timeout_ms = 60'000;   // keep-alive connection with no request
  int64_t read_timeout_ms = 10'000;   // a started request must arrive whole within this
  int64_t drain_timeout_ms = 10'000;  // SIGTERM: how long in-flight work may take
  // Nice value of the background threads (outbox relay, order worker, lifecycle and
  // consistency jobs). Their work is asynchronous with a budget of seconds, the request
  // path's is milliseconds: under a burst they yield the CPU and catch up after it.
  int background_nice = 10;
  // Whether other processes may listen on the same port (SO_REUSEPORT, the kernel spreading
  // connections over all of them). Off: start-up fails when the port is taken, so that a
  // second deployment or a stale instance cannot silently take part of the connections.
  bool share_port = false;
};

struct RedisConfig {
  std::string host = "127.0.0.1";
  int port = 6379;
  // Hard deadline: when the oldest command sent has waited this long, Redis is taken for
  // hung and the connection is reset.
  int64_t command_timeout_ms = 3'000;
  int64_t reconnect_max_ms = 2'000;
  // Load shedding, both per connection (one per event loop): a new command fails at once
  // with kUnavailable, never sent, while max_pending commands are in flight or while the
  // oldest has waited shed_after_ms. This keeps the queue wait of what is admitted short
  // and far from the hard deadline.
  int64_t max_pending = 4096;
  int64_t shed_after_ms = 500;
};

struct PostgresConfig {
  std::string conninfo = "host=127.0.0.1 port=5432 user=postgres dbname=minishop";
  int pool_size = 2;
};

struct AmqpConfig {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  std::string exchange = "minishop.orders";
  std::string queue = "minishop.reservations";
  std::string dead_letter_exchange = "minishop.dlx";
  std::string dead_letter_queue = "minishop.reservations.dead";
  int prefetch = 1000;
};

struct AuthConfig {
  std::string jwt_secret = "change-me-in-production-please-32b";
  int64_t token_ttl_s = 3600;
  // Argon2id cost: "interactive" (libsodium's recommended minimum for logins) or "min"
  // (tests and bulk-provisioned load-test users only).
  std::string password_cost = "interactive";
  std::string admin_email = "admin@minishop.local";
  std::string admin_password = "admin-password";
};

struct RelayConfig {
  int batch_size = 500;   // stream entries per XREADGROUP and per confirm round
  int64_t block_ms = 50;  // XREADGROUP BLOCK when the outbox is empty
  // After a read that found less than a full batch, the next read waits until this long
  // after that one returned: at a moderate rate each round then carries many entries
  // instead of one (Redis, RabbitMQ and the order worker pay per round, not per entry).
  int64_t linger_ms = 5;
  int64_t claim_idle_ms = 5'000;  // entries pending this long on a dead consumer are claimed
  // Reservations packed into one AMQP message: the broker's cost is per message, not per
  // byte, so a batch of reservations costs it about what one did.
  int reservations_per_message = 100;
};

struct OrderConfig {
  int batch_size = 500;                     // orders per PostgreSQL transaction
  int64_t batch_wait_ms = 5;                // how long a partial batch may wait for more messages
  int64_t payment_deadline_ms = 900'000;    // an unpaid order expires this long after reservation
  int64_t expiry_scan_interval_ms = 1'000;  // how often the (single, locked) expiry scanner runs
  int64_t return_retry_after_ms = 5'000;    // a stock return left half-done this long is finished
  int64_t idempotency_ttl_s = 86'400;       // how long purchase Idempotency-Keys are remembered
};

// The simulated payment provider (order/payment.h).
struct PaymentConfig {
  int64_t latency_ms = 50;  // how long a charge takes
  int failure_percent = 0;  // share of charges declined, 0..100
};

struct InventoryConfig {
  // Periodic Redis/PostgreSQL comparison (0: off). It reads every order and Redis entry of
  // every sale, so a round costs CPU in proportion to all orders ever taken.
  int64_t reconcile_interval_ms = 300'000;
  // Rebuild sales whose Redis keys are missing: at start, when Redis restarted, when a
  // request meets one, and every 2 s.
  bool rebuild_on_start = true;
  int64_t rebuild_drain_timeout_ms = 30'000;  // rebuild waits this long for queued reservations
  int rebuild_parallelism = 4;  // sales rebuilt at once (each with its own Redis and PG link)
};

// Where the gateway finds the services it does not run itself (docs/architecture.md).
struct ServicesConfig {
  // "host:port[,host:port…]" of the instances of each service; empty: the service runs in
  // this process (its role must then be among this process's roles).
  std::string seckill;
  std::string order;
  std::string inventory;
  // Shared secret every /internal/v1 call carries; at least 32 bytes.
  std::string token = "change-me-internal-service-token-32b";
  int64_t call_timeout_ms = 2'000;    // deadline of one internal call
  int64_t health_interval_ms = 500;   // how often each remote instance's /readyz is probed
  int max_idle_connections = 64;      // pooled keep-alive connections per loop per instance
};

struct Config {
  std::string instance_id;  // consumer names; default: hostname. Unique per process on a host.
  std::string log_level = "info";
  ServerConfig server;
  RedisConfig redis;
  PostgresConfig postgres;
  AmqpConfig amqp;
  AuthConfig auth;
  RelayConfig relay;
  OrderConfig order;
  PaymentConfig payment;
  InventoryConfig inventory;
  ServicesConfig services;
};

// Loads `path` (empty: defaults only) and applies the environment `env` (normally the
// process environment). Returns kInvalidArgument naming the file, key and problem on a bad
// value or an unknown key. Does not block on anything but the file read.
Result<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& env);

// The process environment as a map, for LoadConfig.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace minishop
