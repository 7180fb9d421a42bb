// The inventory service's internal API (net/rpc.h), served by a process that runs the
// inventory role and called by InventoryClient:
//   GET  /internal/v1/inventory/sales              → {"sales":[…]}
//   GET  /internal/v1/inventory/sales/{id}         → the sale
//   POST /internal/v1/inventory/sales  (body: NewSaleJson, validated again) → the sale
//   GET  /internal/v1/inventory/sales/{id}/stats   → the stats
#pragma once

#include "inventory/inventory_api.h"
#include "net/rpc.h"

namespace minishop::inventory {

// Adds the routes to `router`; `inventory` (this loop's local service) must outlive it.
void AddInventoryEndpoints(net::InternalRouter& router, InventoryApi& inventory);

}  // namespace minishop::inventory
