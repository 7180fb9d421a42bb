#include "app/consistency_cli.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "infra/pg/connection.h"
#include "infra/redis/sync_client.h"
#include "inventory/reconcile.h"

namespace minishop::app {
namespace {

int Fail(const Error& e) {
  spdlog::error("{}", e.message);
  std::printf("%s\n", nlohmann::json{{"error", {{"code", std::string(CodeName(e.code))}, {"message", e.message}}}}
                          .dump()
                          .c_str());
  return 1;
}

}  // namespace

int RunReconcile(const Config& config, int64_t sale_id, bool repair) {
  auto db = pg::Connection::Open(config.postgres.conninfo);
  if (!db.ok()) return Fail(db.error());
  redis::SyncClient redis(config.redis.host, config.redis.port,
                          std::chrono::milliseconds(config.redis.command_timeout_ms * 10));
  Result<inventory::ReconcileReport> report = inventory::Reconcile(**db, redis, sale_id, repair);
  if (!report.ok()) return Fail(report.error());
  nlohmann::json out = {{"sale_id", sale_id}, {"drift", report->before.ToJson()},
                        {"repaired", report->repaired}};
  if (report->repaired) out["after"] = report->after.ToJson();
  std::printf("%s\n", out.dump().c_str());
  const inventory::Drift& final_state = report->repaired ? report->after : report->before;
  return final_state.total() == 0 ? 0 : 3;
}

int RunRebuild(const Config& config, int64_t sale_id) {
  auto db = pg::Connection::Open(config.postgres.conninfo);
  if (!db.ok()) return Fail(db.error());
  redis::SyncClient redis(config.redis.host, config.redis.port,
                          std::chrono::milliseconds(config.redis.command_timeout_ms * 10));
  Result<inventory::Drift> drift = inventory::Rebuild(config, **db, redis, sale_id);
  if (!drift.ok()) return Fail(drift.error());
  std::printf("%s\n",
              nlohmann::json{{"sale_id", sale_id}, {"rebuilt", true}, {"drift", drift->ToJson()}}
                  .dump()
                  .c_str());
  return 0;
}

}  // namespace minishop::app
