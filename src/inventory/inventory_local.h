// LocalInventory: the inventory service in this process (InventoryApi without
// serialisation or a hop). Reads the catalog this process keeps fresh (RefreshCatalog),
// writes sales to PostgreSQL through the pool and warms them into Redis on this loop's
// client.
//
// One per event loop; call only from that loop.
#pragma once

#include "infra/pg/pool.h"
#include "infra/redis/async_client.h"
#include "inventory/inventory_api.h"

namespace minishop::inventory {

class LocalInventory final : public InventoryApi {
 public:
  // All references outlive the object; `redis` belongs to the calling loop.
  LocalInventory(SaleCatalog& catalog, pg::Pool& pool, redis::AsyncClient& redis);

  boost::asio::awaitable<Result<nlohmann::json>> ListSales() override;
  boost::asio::awaitable<Result<nlohmann::json>> GetSale(int64_t sale_id) override;
  boost::asio::awaitable<Result<nlohmann::json>> CreateSale(Sale draft) override;
  boost::asio::awaitable<Result<nlohmann::json>> Stats(int64_t sale_id) override;

 private:
  const SaleCatalog::Snapshot& Catalog() { return reader_.Get(); }

  SaleCatalog& catalog_;
  SaleCatalog::Reader reader_{catalog_};
  pg::Pool& pool_;
  redis::AsyncClient& redis_;
};

}  // namespace minishop::inventory
