#include "inventory/inventory_local.h"

#include <boost/asio/use_awaitable.hpp>

#include "common/clock.h"
#include "infra/pg/async.h"
#include "inventory/inventory_service.h"

namespace minishop::inventory {
namespace asio = boost::asio;

nlohmann::json NewSaleJson(const Sale& draft) {
  return {{"product_name", draft.product_name},
          {"product_description", draft.product_description},
          {"price_cents", draft.price_cents},
          {"stock", draft.stock_total},
          {"limit_per_user", draft.limit_per_user},
          {"starts_at_ms", draft.starts_at_ms},
          {"ends_at_ms", draft.ends_at_ms},
          {"rebuy_after_return", draft.rebuy_after_return}};
}

LocalInventory::LocalInventory(SaleCatalog& catalog, pg::Pool& pool, redis::AsyncClient& redis)
    : catalog_(catalog), pool_(pool), redis_(redis) {}

asio::awaitable<Result<nlohmann::json>> LocalInventory::ListSales() {
  const SaleCatalog::Snapshot& catalog = Catalog();
  nlohmann::json sales = nlohmann::json::array();
  for (const Sale& s : catalog.sales) {
    auto it = catalog.stock_left.find(s.id);
    sales.push_back(SaleToJson(s, it == catalog.stock_left.end() ? -1 : it->second));
  }
  co_return nlohmann::json{{"sales", std::move(sales)}};
}

asio::awaitable<Result<nlohmann::json>> LocalInventory::GetSale(int64_t sale_id) {
  const SaleCatalog::Snapshot& catalog = Catalog();
  const Sale* sale = catalog.Find(sale_id);
  if (sale == nullptr) co_return MakeError(Code::kNotFound, "no such sale");
  auto it = catalog.stock_left.find(sale_id);
  co_return SaleToJson(*sale, it == catalog.stock_left.end() ? -1 : it->second);
}

asio::awaitable<Result<nlohmann::json>> LocalInventory::CreateSale(Sale draft) {
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
  // of a co_await expression twice.
  auto job = [draft](pg::Connection* db) -> Result<Sale> {
    if (db == nullptr) return MakeError(Code::kUnavailable, "postgres unavailable");
    return InsertSale(*db, draft);
  };
  Result<Sale> sale = co_await pg::AsyncRun(pool_, std::move(job), asio::use_awaitable);
  if (!sale.ok()) co_return sale.error();
  // PostgreSQL holds the sale now; if warming Redis fails the admin gets 503 and the
  // catalog refresh does not sell it until a retry (POST again creates a new sale, so the
  // warm-up is also retried on start-up: see docs/decisions.md).
  Status warm = co_await WarmSale(redis_, *sale);
  if (!warm.ok()) co_return warm.error();
  catalog_.Upsert(*sale, sale->stock_total);
  co_return SaleToJson(*sale, sale->stock_total);
}

asio::awaitable<Result<nlohmann::json>> LocalInventory::Stats(int64_t sale_id) {
  const Sale* cached = Catalog().Find(sale_id);
  if (cached == nullptr) co_return MakeError(Code::kNotFound, "no such sale");
  const Sale sale = *cached;
  co_return co_await SaleStats(redis_, pool_, sale);
}

}  // namespace minishop::inventory
