// LocalOrders: the order service in this process (OrderApi without serialisation or a hop).
// Orders are read and changed in PostgreSQL through the pool; a paid or cancelled order's
// Redis status and a cancel's stock return (saga step 2, order/saga.h) use this loop's
// Redis client; payments go to the configured provider (order/payment.h).
//
// One per event loop; call only from that loop.
#pragma once

#include <memory>

#include "common/config.h"
#include "infra/pg/pool.h"
#include "infra/redis/async_client.h"
#include "order/idempotency_store.h"
#include "order/order_api.h"
#include "order/payment.h"

namespace minishop::order {

class LocalOrders final : public OrderApi {
 public:
  // All references outlive the object; `redis` belongs to the calling loop.
  LocalOrders(const Config& config, pg::Pool& pool, redis::AsyncClient& redis);
  ~LocalOrders() override;

  boost::asio::awaitable<Result<nlohmann::json>> List(int64_t user_id) override;
  boost::asio::awaitable<Result<nlohmann::json>> Get(int64_t user_id, int64_t order_id) override;
  boost::asio::awaitable<Result<TransitionAnswer>> Pay(TransitionRequest request) override;
  boost::asio::awaitable<Result<TransitionAnswer>> Cancel(TransitionRequest request) override;
  boost::asio::awaitable<Result<nlohmann::json>> DeadLetters(int64_t limit, bool replay) override;

 private:
  PaymentProvider& Payments(const boost::asio::any_io_executor& executor);

  const Config& config_;
  pg::Pool& pool_;
  redis::AsyncClient& redis_;
  std::unique_ptr<PaymentProvider> payments_;  // created on first use
};

// How a transition's answer is kept with its key and read back (order_local.cc); exposed
// for tests.
StoredAnswer StoreForm(const Result<nlohmann::json>& outcome);
Result<nlohmann::json> OutcomeOf(const StoredAnswer& stored);

}  // namespace minishop::order
