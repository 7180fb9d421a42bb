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
};

struct RedisConfig {
  std::string host = "127.0.0.1";
  int port = 6379;
  int64_t command_timeout_ms = 1'000;
  int64_t reconnect_max_ms = 2'000;
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
  int batch_size = 500;           // stream entries per XREADGROUP and per confirm round
  int64_t block_ms = 50;          // XREADGROUP BLOCK when the outbox is empty
  int64_t claim_idle_ms = 5'000;  // entries pending this long on a dead consumer are claimed
};

struct OrderConfig {
  int batch_size = 500;       // orders per PostgreSQL transaction
  int64_t batch_wait_ms = 5;  // how long a partial batch may wait for more messages
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
};

// Loads `path` (empty: defaults only) and applies the environment `env` (normally the
// process environment). Returns kBadRequest naming the file, key and problem on a bad
// value or an unknown key. Does not block on anything but the file read.
Result<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& env);

// The process environment as a map, for LoadConfig.
std::map<std::string, std::string> ProcessEnvironment();

}  // namespace minishop
