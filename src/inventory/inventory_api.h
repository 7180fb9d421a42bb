// InventoryApi: what the inventory service offers the gateway — the sales catalog, creating a
// sale and a sale's stats with its invariant checks. Two implementations: LocalInventory
// (inventory/inventory_local.h, in this process) and InventoryClient
// (inventory/inventory_client.h, an instance elsewhere over the internal API).
//
// One instance per event loop; call only from that loop.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/result.h"
#include "inventory/sale.h"

namespace minishop::inventory {

class InventoryApi {
 public:
  virtual ~InventoryApi() = default;

  // Every sale as SaleToJson shows it, with its approximate stock left: {"sales":[…]}.
  virtual boost::asio::awaitable<Result<nlohmann::json>> ListSales() = 0;
  // One sale; kNotFound if there is none.
  virtual boost::asio::awaitable<Result<nlohmann::json>> GetSale(int64_t sale_id) = 0;
  // Creates `draft` (a sale ParseNewSale accepted; its id is ignored) in PostgreSQL and warms
  // its stock into Redis: the created sale. kInvalidArgument if the draft is not valid (it
  // is checked again), kUnavailable when PostgreSQL or Redis is down (if only the warm-up
  // failed, the sale exists and start-up or the periodic rebuild warms it).
  virtual boost::asio::awaitable<Result<nlohmann::json>> CreateSale(Sale draft) = 0;
  // The sale's counts in PostgreSQL and Redis and the invariants I1–I5 evaluated on them;
  // kNotFound, kUnavailable.
  virtual boost::asio::awaitable<Result<nlohmann::json>> Stats(int64_t sale_id) = 0;
};

// A draft as the body ParseNewSale reads (every field but id).
nlohmann::json NewSaleJson(const Sale& draft);

}  // namespace minishop::inventory
