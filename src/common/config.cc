#include "common/config.h"

#include <unistd.h>

#include <cctype>
#include <charconv>
#include <set>
#include <toml.hpp>

extern char** environ;

namespace minishop {
namespace {

// Calls f(section, key, field) for every setting, so that TOML, the environment and the
// unknown-key check share one list of names.
template <class F>
void VisitFields(Config& c, F&& f) {
  f("", "instance_id", c.instance_id);
  f("", "log_level", c.log_level);
  f("server", "host", c.server.host);
  f("server", "port", c.server.port);
  f("server", "threads", c.server.threads);
  f("server", "max_body_bytes", c.server.max_body_bytes);
  f("server", "max_header_bytes", c.server.max_header_bytes);
  f("server", "idle_timeout_ms", c.server.idle_timeout_ms);
  f("server", "read_timeout_ms", c.server.read_timeout_ms);
  f("server", "drain_timeout_ms", c.server.drain_timeout_ms);
  f("server", "background_nice", c.server.background_nice);
  f("server", "share_port", c.server.share_port);
  f("redis", "host", c.redis.host);
  f("redis", "port", c.redis.port);
  f("redis", "command_timeout_ms", c.redis.command_timeout_ms);
  f("redis", "reconnect_max_ms", c.redis.reconnect_max_ms);
  f("redis", "max_pending", c.redis.max_pending);
  f("redis", "shed_after_ms", c.redis.shed_after_ms);
  f("postgres", "conninfo", c.postgres.conninfo);
  f("postgres", "pool_size", c.postgres.pool_size);
  f("amqp", "host", c.amqp.host);
  f("amqp", "port", c.amqp.port);
  f("amqp", "user", c.amqp.user);
  f("amqp", "password", c.amqp.password);
  f("amqp", "vhost", c.amqp.vhost);
  f("amqp", "exchange", c.amqp.exchange);
  f("amqp", "queue", c.amqp.queue);
  f("amqp", "dead_letter_exchange", c.amqp.dead_letter_exchange);
  f("amqp", "dead_letter_queue", c.amqp.dead_letter_queue);
  f("amqp", "prefetch", c.amqp.prefetch);
  f("auth", "jwt_secret", c.auth.jwt_secret);
  f("auth", "token_ttl_s", c.auth.token_ttl_s);
  f("auth", "password_cost", c.auth.password_cost);
  f("auth", "admin_email", c.auth.admin_email);
  f("auth", "admin_password", c.auth.admin_password);
  f("relay", "batch_size", c.relay.batch_size);
  f("relay", "block_ms", c.relay.block_ms);
  f("relay", "linger_ms", c.relay.linger_ms);
  f("relay", "claim_idle_ms", c.relay.claim_idle_ms);
  f("relay", "reservations_per_message", c.relay.reservations_per_message);
  f("order", "batch_size", c.order.batch_size);
  f("order", "batch_wait_ms", c.order.batch_wait_ms);
  f("order", "payment_deadline_ms", c.order.payment_deadline_ms);
  f("order", "expiry_scan_interval_ms", c.order.expiry_scan_interval_ms);
  f("order", "return_retry_after_ms", c.order.return_retry_after_ms);
  f("order", "idempotency_ttl_s", c.order.idempotency_ttl_s);
  f("payment", "latency_ms", c.payment.latency_ms);
  f("payment", "failure_percent", c.payment.failure_percent);
  f("inventory", "reconcile_interval_ms", c.inventory.reconcile_interval_ms);
  f("inventory", "rebuild_on_start", c.inventory.rebuild_on_start);
  f("inventory", "rebuild_drain_timeout_ms", c.inventory.rebuild_drain_timeout_ms);
  f("inventory", "rebuild_parallelism", c.inventory.rebuild_parallelism);
  f("services", "seckill", c.services.seckill);
  f("services", "order", c.services.order);
  f("services", "inventory", c.services.inventory);
  f("services", "token", c.services.token);
  f("services", "call_timeout_ms", c.services.call_timeout_ms);
  f("services", "health_interval_ms", c.services.health_interval_ms);
  f("services", "max_idle_connections", c.services.max_idle_connections);
}

std::string EnvName(std::string_view section, std::string_view key) {
  std::string name = "MINISHOP_";
  for (char ch : section) name += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  if (!section.empty()) name += '_';
  for (char ch : key) name += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return name;
}

bool ParseInto(std::string_view text, std::string& out) {
  out = std::string(text);
  return true;
}

bool ParseInto(std::string_view text, bool& out) {
  if (text == "true" || text == "1") {
    out = true;
  } else if (text == "false" || text == "0") {
    out = false;
  } else {
    return false;
  }
  return true;
}

template <class Int>
bool ParseInto(std::string_view text, Int& out) {
  Int v{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size()) return false;
  out = v;
  return true;
}

const toml::value* Find(const toml::value& root, std::string_view section, std::string_view key) {
  const toml::value* table = &root;
  if (!section.empty()) {
    if (!root.is_table() || !root.contains(std::string(section))) return nullptr;
    table = &root.at(std::string(section));
  }
  if (!table->is_table() || !table->contains(std::string(key))) return nullptr;
  return &table->at(std::string(key));
}

Status CheckUnknownKeys(const toml::value& root, const std::string& path) {
  std::set<std::string> known;
  Config probe;
  VisitFields(probe, [&](std::string_view s, std::string_view k, auto&) {
    known.insert(s.empty() ? std::string(k) : std::string(s) + "." + std::string(k));
    if (!s.empty()) known.insert(std::string(s));
  });
  for (const auto& [name, value] : root.as_table()) {
    if (value.is_table()) {
      if (!known.count(name))
        return MakeError(Code::kInvalidArgument, path + ": unknown section [" + name + "]");
      for (const auto& [key, unused] : value.as_table()) {
        if (!known.count(name + "." + key))
          return MakeError(Code::kInvalidArgument, path + ": unknown key " + name + "." + key);
      }
    } else if (!known.count(name)) {
      return MakeError(Code::kInvalidArgument, path + ": unknown key " + name);
    }
  }
  return OkStatus();
}

}  // namespace

Result<Config> LoadConfig(const std::string& path, const std::map<std::string, std::string>& env) {
  Config config;
  if (!path.empty()) {
    toml::value root;
    try {
      root = toml::parse(path);
    } catch (const std::exception& e) {
      return MakeError(Code::kInvalidArgument, std::string("cannot read config: ") + e.what());
    }
    if (Status s = CheckUnknownKeys(root, path); !s.ok()) return s.error();
    std::string problem;
    VisitFields(config, [&](std::string_view s, std::string_view k, auto& field) {
      const toml::value* v = Find(root, s, k);
      if (v == nullptr || !problem.empty()) return;
      using T = std::decay_t<decltype(field)>;
      try {
        field = toml::get<T>(*v);
      } catch (const std::exception&) {
        problem = path + ": " + std::string(s) + "." + std::string(k) + " has the wrong type";
      }
    });
    if (!problem.empty()) return MakeError(Code::kInvalidArgument, problem);
  }
  std::string problem;
  VisitFields(config, [&](std::string_view s, std::string_view k, auto& field) {
    auto it = env.find(EnvName(s, k));
    if (it == env.end() || !problem.empty()) return;
    if (!ParseInto(it->second, field))
      problem = it->first + "=" + it->second + " is not a valid value";
  });
  if (!problem.empty()) return MakeError(Code::kInvalidArgument, problem);
  if (config.server.port <= 0 || config.server.port > 65535)
    return MakeError(Code::kInvalidArgument, "server.port must be in 1..65535");
  if (config.auth.jwt_secret.size() < 32)
    return MakeError(Code::kInvalidArgument, "auth.jwt_secret must be at least 32 bytes");
  if (config.auth.password_cost != "interactive" && config.auth.password_cost != "min")
    return MakeError(Code::kInvalidArgument, "auth.password_cost must be \"interactive\" or \"min\"");
  if (config.payment.failure_percent < 0 || config.payment.failure_percent > 100)
    return MakeError(Code::kInvalidArgument, "payment.failure_percent must be in 0..100");
  if (config.order.payment_deadline_ms <= 0)
    return MakeError(Code::kInvalidArgument, "order.payment_deadline_ms must be positive");
  if (config.inventory.rebuild_parallelism < 1 || config.inventory.rebuild_parallelism > 64)
    return MakeError(Code::kInvalidArgument, "inventory.rebuild_parallelism must be in 1..64");
  if (config.services.token.size() < 32)
    return MakeError(Code::kInvalidArgument, "services.token must be at least 32 bytes");
  if (config.services.call_timeout_ms < 1 || config.services.health_interval_ms < 1)
    return MakeError(Code::kInvalidArgument,
                     "services.call_timeout_ms and services.health_interval_ms must be positive");
  if (config.services.max_idle_connections < 0 || config.services.max_idle_connections > 4096)
    return MakeError(Code::kInvalidArgument, "services.max_idle_connections must be in 0..4096");
  if (config.instance_id.empty()) {
    char host[256] = {};
    gethostname(host, sizeof(host) - 1);
    config.instance_id =
        host;  // stable across restarts: a restarted relay finds its own pending entries
  }
  return config;
}

std::map<std::string, std::string> ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    if (kv.substr(0, 9) != "MINISHOP_") continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

}  // namespace minishop
