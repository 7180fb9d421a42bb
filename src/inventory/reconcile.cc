#include "inventory/reconcile.h"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <set>

#include "common/clock.h"
#include "contracts/keys.h"
#include "contracts/sale_scripts.h"
#include "infra/redis/lock.h"
#include "infra/redis/script_runner.h"

namespace minishop::inventory {
namespace {

using redis::Reply;

struct PgOrder {
  int64_t id = 0;
  int64_t user = 0;
  int64_t qty = 0;
  std::string status;
  std::string stock_return;
  std::string rid;
  bool live() const { return status == "awaiting_payment" || status == "paid"; }
};

struct PgState {
  Sale sale;
  std::vector<PgOrder> orders;  // by reservation time
};

struct RedisState {
  bool meta = false;
  int64_t stock = 0;
  std::map<int64_t, int64_t> buyers;
  std::map<std::string, std::string> status;
  std::map<int64_t, int64_t> returned;  // order id → units
  int64_t kept_units = 0;
  int64_t failed = 0;  // r:<rid>:<ts> marks of voided reservations
};

int64_t ToInt(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }

Result<PgState> LoadPg(pg::Connection& db, const Sale& sale) {
  PgState st;
  st.sale = sale;
  auto rows = db.Exec(
      "SELECT id, user_id, quantity, status, stock_return, reservation_id FROM orders"
      " WHERE sale_id = $1 ORDER BY reserved_at_ms, id",
      {std::to_string(sale.id)});
  if (!rows.ok()) return rows.error();
  for (size_t r = 0; r < rows->size(); ++r) {
    st.orders.push_back(PgOrder{rows->GetInt64(r, 0).value_or(0), rows->GetInt64(r, 1).value_or(0),
                                rows->GetInt64(r, 2).value_or(0), std::string(rows->Get(r, 3)),
                                std::string(rows->Get(r, 4)), std::string(rows->Get(r, 5))});
  }
  return st;
}

Result<RedisState> LoadRedis(redis::SyncClient& redis, int64_t sale_id) {
  auto head = redis.Pipeline(
      {{"EXISTS", contracts::MetaKey(sale_id)}, {"GET", contracts::StockKey(sale_id)}},
      redis::SyncClient::ErrorReplies::kFail);
  if (!head.ok()) return head.error();
  RedisState st;
  st.meta = (*head)[0].integer == 1;
  st.stock = (*head)[1].is_nil() ? 0 : ToInt((*head)[1].str);
  auto buyers = redis.HashEntries(contracts::BuyersKey(sale_id));
  if (!buyers.ok()) return buyers.error();
  for (const redis::HashField& f : *buyers) st.buyers[ToInt(f.field)] = ToInt(f.value);
  auto status = redis.HashEntries(contracts::StatusKey(sale_id));
  if (!status.ok()) return status.error();
  for (redis::HashField& f : *status) st.status[std::move(f.field)] = std::move(f.value);
  auto returned = redis.HashEntries(contracts::ReturnedKey(sale_id));
  if (!returned.ok()) return returned.error();
  for (const redis::HashField& f : *returned) {
    if (f.field == "kept_units") {
      st.kept_units = ToInt(f.value);
    } else if (f.field.rfind("o:", 0) == 0) {
      st.returned[ToInt(f.field.substr(2))] = ToInt(f.value);
    } else if (f.field.rfind("r:", 0) == 0) {
      ++st.failed;
    }
  }
  return st;
}

Drift Compare(const PgState& pg, const RedisState& rs) {
  Drift d;
  d.sale_in_redis = rs.meta;
  d.failed_reservations = rs.failed;
  const bool rebuy = pg.sale.rebuy_after_return;
  std::map<int64_t, int64_t> expected;  // user → units
  int64_t kept = 0;
  std::map<std::string, const PgOrder*> latest_by_rid;
  for (const PgOrder& o : pg.orders) {
    latest_by_rid[o.rid] = &o;
    const bool returned = rs.returned.count(o.id) > 0;
    if (o.live()) {
      expected[o.user] += o.qty;
      if (returned) ++d.returns;  // a live order's units were given back
    } else if (!returned) {
      // Closed in PostgreSQL, units still held in Redis.
      expected[o.user] += o.qty;
      if (o.stock_return == "pending") {
        ++d.returns_pending;
      } else {
        ++d.returns;
      }
    } else if (!rebuy) {
      expected[o.user] += o.qty;
      kept += o.qty;
    }
  }
  std::set<int64_t> users;
  for (const auto& [u, q] : expected) users.insert(u);
  for (const auto& [u, q] : rs.buyers) users.insert(u);
  int64_t total = 0;
  for (int64_t u : users) {
    int64_t want = expected.count(u) ? expected.at(u) : 0;
    int64_t have = rs.buyers.count(u) ? rs.buyers.at(u) : 0;
    auto latest = rs.status.find("u:" + std::to_string(u));
    bool pending = latest != rs.status.end() && rs.status.count(latest->second) &&
                   rs.status.at(latest->second) == "pending";
    if (pending && have > want) {
      d.in_flight_units += have - want;
      want = have;
    }
    d.buyer_units += std::llabs(have - want);
    total += want;
  }
  if (rs.kept_units != kept) d.returns += 1;
  d.stock = rs.stock - (pg.sale.stock_total - total + kept);
  for (const auto& [rid, o] : latest_by_rid) {
    auto it = rs.status.find(rid);
    const std::string want = o->status + ":" + std::to_string(o->id);
    if (it == rs.status.end() || (it->second != want && it->second != "pending")) ++d.statuses;
  }
  return d;
}

// Rewrites the sale's ledger from PostgreSQL (contracts::RepairLua: its ARGV and reply).
const redis::Script& RepairScript() {
  static const redis::Script script(contracts::RepairLua());
  return script;
}

Status Repair(redis::SyncClient& redis, const PgState& pg) {
  const bool rebuy = pg.sale.rebuy_after_return;
  std::map<int64_t, int64_t> units;
  std::vector<std::pair<int64_t, int64_t>> closed;
  std::map<std::string, const PgOrder*> latest_by_rid;
  std::map<int64_t, std::string> latest_by_user;
  int64_t kept = 0;
  for (const PgOrder& o : pg.orders) {
    if (o.live() || !rebuy) units[o.user] += o.qty;
    if (!o.live()) {
      closed.emplace_back(o.id, o.qty);
      if (!rebuy) kept += o.qty;
    }
    latest_by_rid[o.rid] = &o;
    latest_by_user[o.user] = o.rid;
  }
  std::vector<std::string> args;
  args.push_back(std::to_string(pg.sale.stock_total));
  args.push_back(std::to_string(kept));
  args.push_back(std::to_string(units.size()));
  for (const auto& [u, q] : units) {
    args.push_back(std::to_string(u));
    args.push_back(std::to_string(q));
  }
  args.push_back(std::to_string(closed.size()));
  for (const auto& [id, q] : closed) {
    args.push_back(std::to_string(id));
    args.push_back(std::to_string(q));
  }
  args.push_back(std::to_string(latest_by_rid.size()));
  for (const auto& [rid, o] : latest_by_rid) {
    args.push_back(rid);
    args.push_back(o->status + ":" + std::to_string(o->id));
    args.push_back(o->live() ? "1" : "0");
  }
  args.push_back(std::to_string(latest_by_user.size()));
  for (const auto& [u, rid] : latest_by_user) {
    args.push_back(std::to_string(u));
    args.push_back(rid);
  }
  const int64_t id = pg.sale.id;
  Result<Reply> r = redis::EvalScript(redis, RepairScript(), contracts::LedgerKeys(id), args);
  if (!r.ok()) return r.error();
  // Closed orders are all in the returned hash now: their saga steps are complete.
  return OkStatus();
}

Status OpenSale(redis::SyncClient& redis, const Sale& sale) {
  std::vector<std::vector<std::string>> cmds = {
      {"XGROUP", "CREATE", contracts::OutboxKey(sale.id), contracts::kRelayGroup, "0", "MKSTREAM"},
      {"SADD", contracts::kActiveSalesKey, std::to_string(sale.id)},
      {"HSET", contracts::MetaKey(sale.id), "start_ms", std::to_string(sale.starts_at_ms), "end_ms",
       std::to_string(sale.ends_at_ms), "limit", std::to_string(sale.limit_per_user), "price_cents",
       std::to_string(sale.price_cents), "stock_total", std::to_string(sale.stock_total)}};
  auto replies = redis.Pipeline(cmds);
  if (!replies.ok()) return replies.error();
  for (const Reply& r : *replies) {
    if (r.is_error() && r.str.rfind("BUSYGROUP", 0) != 0)
      return MakeError(Code::kInternal, "redis: " + r.str);
  }
  return OkStatus();
}

}  // namespace

int64_t Drift::total() const {
  return std::llabs(stock) + buyer_units + returns + statuses + failed_reservations;
}

nlohmann::json Drift::ToJson() const {
  return {{"total", total()},
          {"stock", stock},
          {"buyer_units", buyer_units},
          {"returns", returns},
          {"statuses", statuses},
          {"in_flight_units", in_flight_units},
          {"returns_pending", returns_pending},
          {"failed_reservations", failed_reservations},
          {"sale_in_redis", sale_in_redis}};
}

Result<ReconcileReport> Reconcile(pg::Connection& db, redis::SyncClient& redis, int64_t sale_id,
                                  bool repair) {
  Result<Sale> sale = LoadSale(db, sale_id);
  if (!sale.ok()) return sale.error();
  return Reconcile(db, redis, *sale, repair);
}

Result<ReconcileReport> Reconcile(pg::Connection& db, redis::SyncClient& redis, const Sale& sale,
                                  bool repair) {
  const int64_t sale_id = sale.id;
  Result<PgState> pg = LoadPg(db, sale);
  if (!pg.ok()) return pg.error();
  Result<RedisState> rs = LoadRedis(redis, sale_id);
  if (!rs.ok()) return rs.error();
  ReconcileReport report;
  report.before = Compare(*pg, *rs);
  if (!repair || report.before.total() == 0) return report;
  if (!rs->meta)
    return MakeError(Code::kConflict, "the sale has no Redis keys: use `inventory rebuild`");
  if (Status s = Repair(redis, *pg); !s.ok()) return s.error();
  report.repaired = true;
  Result<RedisState> after = LoadRedis(redis, sale_id);
  if (!after.ok()) return after.error();
  report.after = Compare(*pg, *after);
  return report;
}

Result<Drift> Rebuild(const Config& config, pg::Connection& db, redis::SyncClient& redis,
                      int64_t sale_id, const PipelineProbe& probe) {
  Result<Reply> meta = redis.Command({"EXISTS", contracts::MetaKey(sale_id)});
  if (!meta.ok()) return meta.error();
  if (meta->integer == 1)
    return MakeError(Code::kConflict, "the sale has its Redis keys: use `reconcile --repair`");
  redis::DistributedLock lock(redis, "ms:lock:rebuild:" + std::to_string(sale_id));
  auto lease = lock.TryAcquire(
      std::chrono::milliseconds(config.inventory.rebuild_drain_timeout_ms + 60'000));
  if (!lease.ok()) return lease.error();
  if (!lease->has_value()) return MakeError(Code::kConflict, "another rebuild of the sale runs");
  const int64_t started_us = NowSteadyUs();
  Status waited = WaitForNothingInFlight(config, redis, sale_id, probe);
  const int64_t drained_us = NowSteadyUs();
  if (waited.ok()) {
    // Warmed meanwhile (a sale being created): nothing to rebuild.
    Result<Reply> again = redis.Command({"EXISTS", contracts::MetaKey(sale_id)});
    if (!again.ok()) {
      waited = again.error();
    } else if (again->integer == 1) {
      waited = MakeError(Code::kConflict, "the sale was warmed while the rebuild waited");
    }
  }
  Result<Sale> sale = waited.ok() ? LoadSale(db, sale_id) : Result<Sale>(waited.error());
  Result<PgState> pg = sale.ok() ? LoadPg(db, *sale) : Result<PgState>(sale.error());
  Status done = pg.ok() ? Repair(redis, *pg) : Status(pg.error());
  if (done.ok()) done = OpenSale(redis, pg->sale);
  (void)lock.Release(**lease);
  if (!done.ok()) return done.error();
  spdlog::info(
      "sale {} rebuilt in Redis from PostgreSQL ({} orders) in {} ms ({} ms of it waiting "
      "for reservations in flight)",
      sale_id, pg->orders.size(), (NowSteadyUs() - started_us) / 1000,
      (drained_us - started_us) / 1000);
  Result<RedisState> after = LoadRedis(redis, sale_id);
  if (!after.ok()) return after.error();
  return Compare(*pg, *after);
}

Result<std::vector<Sale>> SalesMissingFromRedis(redis::SyncClient& redis, std::vector<Sale> sales) {
  std::vector<std::vector<std::string>> cmds;
  for (const Sale& s : sales) cmds.push_back({"EXISTS", contracts::MetaKey(s.id)});
  std::vector<Sale> missing;
  if (cmds.empty()) return missing;
  auto replies = redis.Pipeline(cmds, redis::SyncClient::ErrorReplies::kFail);
  if (!replies.ok()) return replies.error();
  for (size_t i = 0; i < sales.size(); ++i) {
    if ((*replies)[i].integer == 0) missing.push_back(std::move(sales[i]));
  }
  return missing;
}

}  // namespace minishop::inventory
