// minishop: one binary, several roles. main() parses flags, builds the object graph and
// runs the chosen subcommand.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "app/consistency_cli.h"
#include "app/provision.h"
#include "app/serve.h"
#include "auth/password.h"
#include "common/config.h"
#include "common/logging.h"
#include "infra/pg/connection.h"
#include "infra/pg/migrate.h"

namespace {

// Exit codes: 0 success, 1 runtime failure, 2 bad configuration or usage.
int Migrate(const minishop::Config& config) {
  auto db = minishop::pg::Connection::Open(config.postgres.conninfo);
  if (!db.ok()) {
    spdlog::error("cannot connect to PostgreSQL: {}", db.error().message);
    return 1;
  }
  minishop::Status s = minishop::pg::Migrate(**db);
  if (!s.ok()) {
    spdlog::error("migration failed: {}", s.error().message);
    return 1;
  }
  spdlog::info("database schema is up to date");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"MiniShop: a flash-sale server that sells every unit exactly once"};
  std::string config_path;
  app.add_option("-c,--config", config_path, "TOML config file (env MINISHOP_* overrides it)");
  app.require_subcommand(1);

  auto* serve = app.add_subcommand("serve", "Run roles (all of them by default)");
  std::string roles = "gateway,seckill,order,inventory";
  int port = -1;
  serve->add_option("--roles", roles,
                    "Comma-separated roles: gateway (public API), seckill (purchases, "
                    "outbox relay), order (orders, order worker), inventory (sales, "
                    "reconciliation); the gateway calls roles it does not run at services.*");
  serve->add_option("--port", port, "HTTP port (overrides server.port)");

  auto* migrate = app.add_subcommand("migrate", "Apply database migrations and exit");
  auto* version = app.add_subcommand("version", "Print the version and exit");

  // Load-test accounts (tools/stampede): N users straight into PostgreSQL, and their tokens.
  auto* users = app.add_subcommand("users", "Manage accounts")->require_subcommand(1);
  auto* provision = users->add_subcommand("provision", "Create load-test users and write tokens");
  minishop::app::ProvisionOptions provision_options;
  std::string tokens_path;
  provision->add_option("--count", provision_options.count, "Number of users")->required();
  provision->add_option("--prefix", provision_options.prefix, "Emails are <prefix>-<i>@load.test");
  provision->add_option("--ttl", provision_options.token_ttl_s, "Token lifetime in seconds");
  provision->add_option("--out", tokens_path, "File for '<user_id> <token>' lines")->required();

  // Redis ↔ PostgreSQL consistency (docs/consistency.md).
  auto* reconcile = app.add_subcommand("reconcile", "Compare a sale's Redis keys with PostgreSQL");
  int64_t reconcile_sale = 0;
  bool repair = false;
  reconcile->add_option("--sale", reconcile_sale, "Sale id")->required();
  reconcile->add_flag("--repair", repair, "Rewrite Redis from PostgreSQL (the source of truth)");
  auto* inventory = app.add_subcommand("inventory", "Inventory operations")->require_subcommand(1);
  auto* rebuild = inventory->add_subcommand(
      "rebuild", "Recreate a sale's lost Redis keys from PostgreSQL (waits for queued orders)");
  int64_t rebuild_sale = 0;
  rebuild->add_option("--sale", rebuild_sale, "Sale id")->required();
  CLI11_PARSE(app, argc, argv);

  if (version->parsed()) {
    std::printf("minishop 0.1.0\n");
    return 0;
  }
  auto config = minishop::LoadConfig(config_path, minishop::ProcessEnvironment());
  if (!config.ok()) {
    std::fprintf(stderr, "minishop: %s\n", config.error().message.c_str());
    return 2;
  }
  if (port >= 0) config->server.port = port;
  minishop::InitLogging(config->log_level);
  if (!minishop::auth::InitCrypto()) {
    spdlog::error("libsodium failed to initialise");
    return 1;
  }
  if (migrate->parsed()) return Migrate(*config);
  if (reconcile->parsed()) return minishop::app::RunReconcile(*config, reconcile_sale, repair);
  if (rebuild->parsed()) return minishop::app::RunRebuild(*config, rebuild_sale);
  if (provision->parsed()) {
    std::ofstream out(tokens_path, std::ios::trunc);
    auto made = minishop::app::ProvisionUsers(*config, provision_options, out);
    if (!made.ok()) spdlog::error("provisioning failed: {}", made.error().message);
    return made.ok() ? 0 : 1;
  }
  auto parsed_roles = minishop::app::ParseRoles(roles);
  if (!parsed_roles.ok()) {
    std::fprintf(stderr, "minishop: %s\n", parsed_roles.error().message.c_str());
    return 2;
  }
  if (minishop::Status topology = minishop::app::CheckTopology(*config, *parsed_roles);
      !topology.ok()) {
    std::fprintf(stderr, "minishop: %s\n", topology.error().message.c_str());
    return 2;
  }
  int migrated = Migrate(*config);
  if (migrated != 0) return migrated;
  return minishop::app::Serve(*config, *parsed_roles);
}
