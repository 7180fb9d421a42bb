#include "inventory/inventory_service.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "contracts/keys.h"
#include "infra/pg/async.h"

namespace minishop::inventory {
namespace asio = boost::asio;
using redis::Reply;

namespace {

asio::awaitable<Result<Reply>> Run(redis::AsyncClient& redis, std::vector<std::string> argv) {
  Result<Reply> r = co_await redis.Command(std::move(argv), asio::use_awaitable);
  if (r.ok() && r->is_error()) co_return MakeError(Code::kInternal, "redis: " + r->str);
  co_return r;
}

// Every field of hash `key`, in HSCAN pages (infra/redis/reply.h: never one blocking
// HGETALL of a sale's hundreds of thousands of buyers).
asio::awaitable<Result<std::vector<redis::HashField>>> HashEntries(redis::AsyncClient& redis,
                                                                   std::string key) {
  std::vector<redis::HashField> out;
  std::string cursor = "0";
  do {
    Result<Reply> page = co_await Run(redis, redis::HashScanCommand(key, cursor));
    if (!page.ok()) co_return page.error();
    Result<std::string> next = redis::ReadHashScanPage(std::move(page).value(), out);
    if (!next.ok()) co_return next.error();
    cursor = std::move(next).value();
  } while (cursor != "0");
  co_return out;
}

// Variadic rather than an initializer_list: GCC 12 miscompiles initializer_list
// temporaries that live across a co_await.
template <class... Args>
std::vector<std::string> Argv(Args&&... args) {
  std::vector<std::string> v;
  v.reserve(sizeof...(args));
  (v.emplace_back(std::forward<Args>(args)), ...);
  return v;
}

int64_t ToInt(const Reply& r) {
  if (r.type == Reply::Type::kInteger) return r.integer;
  if (r.type == Reply::Type::kString) return std::strtoll(r.str.c_str(), nullptr, 10);
  return 0;
}

}  // namespace

asio::awaitable<Status> WarmSale(redis::AsyncClient& redis, const Sale& sale) {
  const std::string id = std::to_string(sale.id);
  std::vector<std::vector<std::string>> commands;
  commands.push_back(Argv(
      "HSET", contracts::MetaKey(sale.id), "start_ms", std::to_string(sale.starts_at_ms), "end_ms",
      std::to_string(sale.ends_at_ms), "limit", std::to_string(sale.limit_per_user), "price_cents",
      std::to_string(sale.price_cents), "stock_total", std::to_string(sale.stock_total)));
  commands.push_back(
      Argv("SET", contracts::StockKey(sale.id), std::to_string(sale.stock_total), "NX"));
  commands.push_back(Argv("XGROUP", "CREATE", contracts::OutboxKey(sale.id), contracts::kRelayGroup,
                          "0", "MKSTREAM"));
  commands.push_back(Argv("SADD", contracts::kActiveSalesKey, id));
  for (auto& argv : commands) {
    Result<Reply> r = co_await redis.Command(std::move(argv), asio::use_awaitable);
    if (!r.ok()) co_return r.error();
    if (r->is_error() && r->str.rfind("BUSYGROUP", 0) != 0)
      co_return MakeError(Code::kInternal, "redis: " + r->str);
  }
  co_return OkStatus();
}

asio::awaitable<void> RefreshCatalog(redis::AsyncClient& redis, pg::Pool& pool,
                                     SaleCatalog& catalog, std::chrono::milliseconds interval) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
    // of a co_await expression twice.
    auto job = [](pg::Connection* db) -> Result<std::vector<Sale>> {
      if (db == nullptr) return MakeError(Code::kUnavailable, "postgres unavailable");
      return LoadSales(*db);
    };
    Result<std::vector<Sale>> sales =
        co_await pg::AsyncRun(pool, std::move(job), asio::use_awaitable);
    if (sales.ok()) {
      std::unordered_map<int64_t, int64_t> stock;
      if (!sales->empty() && redis.connected()) {
        std::vector<std::string> argv(1, "MGET");
        for (const Sale& s : *sales) argv.push_back(contracts::StockKey(s.id));
        Result<Reply> r = co_await Run(redis, std::move(argv));
        if (r.ok() && r->elements.size() == sales->size()) {
          for (size_t i = 0; i < sales->size(); ++i) {
            if (!r->elements[i].is_nil()) stock[(*sales)[i].id] = ToInt(r->elements[i]);
          }
        }
      }
      catalog.Update(std::move(*sales), std::move(stock));
    } else {
      spdlog::warn("catalog refresh failed: {}", sales.error().message);
    }
    timer.expires_after(interval);
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

nlohmann::json EvaluateStats(const StatsInput& in) {
  int64_t reserved_units = 0, max_redis_user = 0, pg_units = 0, max_pg_user = 0;
  for (const auto& [user, units] : in.redis_units) {
    reserved_units += units;
    max_redis_user = std::max(max_redis_user, units);
  }
  bool every_order_reserved = true;  // I4: no PostgreSQL units beyond what Redis reserved
  for (const auto& [user, units] : in.pg_units) {
    pg_units += units;
    max_pg_user = std::max(max_pg_user, units);
    auto it = in.redis_units.find(user);
    if (it == in.redis_units.end() || it->second < units) every_order_reserved = false;
  }
  bool every_reservation_ordered = in.outbox_backlog == 0;  // I3, once the pipeline drained
  for (const auto& [user, units] : in.redis_units) {
    auto it = in.pg_units.find(user);
    if (it == in.pg_units.end() || it->second != units) every_reservation_ordered = false;
  }
  // I5: Redis returned exactly the closed orders, each once and with its units (the hash
  // holds an order at most once; I1's equation catches units returned twice).
  int64_t returned_units = 0, closed_units = 0;
  bool returned_once = in.redis_returned.size() == in.pg_closed.size() &&
                       in.redis_kept_units == in.pg_kept_units && in.pg_returns_pending == 0;
  for (const auto& [order, units] : in.redis_returned) {
    returned_units += units;
    auto it = in.pg_closed.find(order);
    if (it == in.pg_closed.end() || it->second != units) returned_once = false;
  }
  for (const auto& [order, units] : in.pg_closed) closed_units += units;
  const int64_t live_units = pg_units - in.pg_kept_units;
  const int64_t drift = in.redis_stock + reserved_units - in.redis_kept_units - in.initial_stock;
  nlohmann::json invariants = {
      {"i1_no_oversell", live_units <= in.initial_stock && in.redis_stock >= 0 && drift == 0},
      {"i2_per_user_limit",
       max_redis_user <= in.limit_per_user && max_pg_user <= in.limit_per_user},
      {"i3_no_lost_order", every_reservation_ordered},
      {"i4_no_phantom_order", every_order_reserved},
      {"i5_stock_returned_once", returned_once}};
  return {{"initial_stock", in.initial_stock},
          {"redis_stock", in.redis_stock},
          {"reserved_units", reserved_units},
          {"buyers_redis", in.redis_units.size()},
          {"orders_pg", in.pg_orders},
          {"order_units_pg", pg_units},
          {"live_units_pg", live_units},
          {"distinct_buyers_pg", in.pg_units.size()},
          {"outbox_backlog", in.outbox_backlog},
          {"in_flight_units", reserved_units - pg_units},
          {"closed_orders_pg", in.pg_closed.size()},
          {"closed_units_pg", closed_units},
          {"returned_orders_redis", in.redis_returned.size()},
          {"returned_units_redis", returned_units},
          {"returns_pending", in.pg_returns_pending},
          {"failed_reservations", in.redis_failed_reservations},
          {"failed_units", in.redis_failed_units},
          {"stock_drift", drift},
          {"invariants", invariants}};
}

asio::awaitable<Result<nlohmann::json>> SaleStats(redis::AsyncClient& redis, pg::Pool& pool,
                                                  const Sale& sale) {
  StatsInput in;
  in.initial_stock = sale.stock_total;
  in.limit_per_user = sale.limit_per_user;
  // Read PostgreSQL first: anything that reaches it afterwards was reserved before the
  // Redis read below, so a sale in progress cannot show a phantom order.
  const int64_t sale_id = sale.id;
  struct PgCounts {
    std::unordered_map<int64_t, int64_t> units;
    int64_t orders = 0;
    int64_t kept = 0;
    std::unordered_map<int64_t, int64_t> closed;
    int64_t pending = 0;
  };
  const bool rebuy = sale.rebuy_after_return;
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
  // of a co_await expression twice.
  auto job = [sale_id, rebuy](pg::Connection* db) -> Result<PgCounts> {
    if (db == nullptr) return MakeError(Code::kUnavailable, "postgres unavailable");
    auto rows = db->Exec(
        "SELECT id, user_id, quantity, status IN ('cancelled', 'expired'), stock_return"
        " FROM orders WHERE sale_id = $1",
        {std::to_string(sale_id)});
    if (!rows.ok()) return rows.error();
    PgCounts out;
    for (size_t r = 0; r < rows->size(); ++r) {
      const int64_t user = rows->GetInt64(r, 1).value_or(0);
      const int64_t qty = rows->GetInt64(r, 2).value_or(0);
      const bool closed = rows->Get(r, 3) == "t";
      ++out.orders;
      if (closed) {
        out.closed[rows->GetInt64(r, 0).value_or(0)] = qty;
        if (rows->Get(r, 4) == "pending") ++out.pending;
        if (rebuy) continue;
        out.kept += qty;
      }
      out.units[user] += qty;
    }
    return out;
  };
  Result<PgCounts> pg = co_await pg::AsyncRun(pool, std::move(job), asio::use_awaitable);
  if (!pg.ok()) co_return pg.error();
  in.pg_units = std::move(pg->units);
  in.pg_orders = pg->orders;
  in.pg_kept_units = pg->kept;
  in.pg_closed = std::move(pg->closed);
  in.pg_returns_pending = pg->pending;
  Result<std::vector<redis::HashField>> returned =
      co_await HashEntries(redis, contracts::ReturnedKey(sale.id));
  if (!returned.ok()) co_return returned.error();
  for (const redis::HashField& f : *returned) {
    const int64_t value = std::strtoll(f.value.c_str(), nullptr, 10);
    if (f.field == "kept_units") {
      in.redis_kept_units = value;
    } else if (f.field.rfind("o:", 0) == 0) {
      in.redis_returned[std::strtoll(f.field.c_str() + 2, nullptr, 10)] = value;
    } else if (f.field.rfind("r:", 0) == 0) {
      ++in.redis_failed_reservations;
      in.redis_failed_units += value;
    }
  }
  Result<Reply> stock = co_await Run(redis, Argv("GET", contracts::StockKey(sale.id)));
  if (!stock.ok()) co_return stock.error();
  in.redis_stock = stock->is_nil() ? 0 : ToInt(*stock);
  Result<std::vector<redis::HashField>> buyers =
      co_await HashEntries(redis, contracts::BuyersKey(sale.id));
  if (!buyers.ok()) co_return buyers.error();
  for (const redis::HashField& f : *buyers) {
    in.redis_units[std::strtoll(f.field.c_str(), nullptr, 10)] =
        std::strtoll(f.value.c_str(), nullptr, 10);
  }
  Result<Reply> backlog = co_await Run(redis, Argv("XLEN", contracts::OutboxKey(sale.id)));
  if (!backlog.ok()) co_return backlog.error();
  in.outbox_backlog = ToInt(*backlog);
  nlohmann::json stats = EvaluateStats(in);
  stats["sale_id"] = sale.id;
  co_return stats;
}

}  // namespace minishop::inventory
