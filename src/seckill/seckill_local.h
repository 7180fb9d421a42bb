// LocalSeckill: the seckill service in this process (SeckillApi without serialisation or
// a hop). It answers what it can from the sale catalog and the sold-out flag, reserves
// through this loop's SeckillService, and tells "being rebuilt" (a sale the catalog knows)
// from "no such sale" when Redis has no state for a sale.
//
// One per event loop; call only from that loop.
#pragma once

#include <functional>
#include <memory>
#include <random>

#include "common/metrics.h"
#include "infra/redis/async_client.h"
#include "inventory/sale.h"
#include "seckill/seckill_api.h"
#include "seckill/seckill_service.h"

namespace minishop::seckill {

class LocalSeckill final : public SeckillApi {
 public:
  // `request_rebuild` (may be empty) asks the inventory role in this process to rebuild a
  // sale's Redis state now; thread-safe, never blocks. All references outlive the object.
  LocalSeckill(redis::AsyncClient& redis, MetricsRegistry& metrics,
               const inventory::SaleCatalog& catalog,
               std::function<void(int64_t sale_id)> request_rebuild);

  std::optional<Error> QuickAnswer(int64_t sale_id, int64_t quantity) override;
  boost::asio::awaitable<Result<Admission>> Purchase(PurchaseRequest request) override;
  boost::asio::awaitable<Result<ReservationStatus>> Status(int64_t sale_id,
                                                           int64_t user_id) override;

 private:
  const inventory::SaleCatalog::Snapshot& Catalog() { return catalog_.Get(); }
  // kRecovering from Redis: a sale the catalog (PostgreSQL) knows is being restored — ask
  // for its rebuild and keep kRecovering; otherwise the sale does not exist (kNotFound).
  Error SaleStateMissing(int64_t sale_id, Error recovering);

  SeckillService seckill_;
  inventory::SaleCatalog::Reader catalog_;
  std::function<void(int64_t)> request_rebuild_;
  std::mt19937_64 rng_;
};

}  // namespace minishop::seckill
