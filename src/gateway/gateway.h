// Gateway: the public HTTP API (/api/v1) of one event loop. It authenticates (JWT),
// validates everything a client sends, and routes each request through its route table to
// the seckill, order and inventory services — in this process or elsewhere, it cannot tell
// (seckill/seckill_api.h, order/order_api.h, inventory/inventory_api.h). It owns no
// business logic: accounts (register, login) and the purchase's Idempotency-Key are the
// only state it touches itself. Every error becomes an answer through gateway/http_errors.h.
//
// One instance per loop, called only from that loop; it never blocks.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/jwt.h"
#include "common/config.h"
#include "infra/pg/pool.h"
#include "infra/redis/async_client.h"
#include "inventory/inventory_api.h"
#include "net/http_types.h"
#include "net/router.h"
#include "order/order_api.h"
#include "seckill/seckill_api.h"

namespace minishop::gateway {

// Process-wide objects every loop's Gateway shares. All are thread-safe.
struct GatewayShared {
  const Config& config;
  auth::JwtCodec jwt;
  pg::Pool& pool;  // accounts
};

// This loop's services.
struct Services {
  seckill::SeckillApi& seckill;
  order::OrderApi& orders;
  inventory::InventoryApi& inventory;
};

class Gateway {
 public:
  struct Call;
  using Handler = boost::asio::awaitable<Result<net::Response>> (Gateway::*)(Call&);
  using Routes = net::Router<Handler>;

  // `redis` is this loop's client (purchase Idempotency-Keys); all references must outlive
  // the gateway.
  Gateway(GatewayShared& shared, redis::AsyncClient& redis, Services services);

  // Answers a request whose path starts with /api (`path`: its segments).
  boost::asio::awaitable<net::Response> Handle(net::Request& request,
                                               const net::PathSegments& path);

  // The public API's routes (built once; the same for every instance).
  static const Routes& RouteTable();

  struct Call {
    net::Request& request;
    net::PathIds ids;
    auth::Claims caller;  // for kUser and kAdmin routes
  };

 private:
  // Accounts and the clock (api_accounts.cc).
  boost::asio::awaitable<Result<net::Response>> Time(Call& call);
  boost::asio::awaitable<Result<net::Response>> Register(Call& call);
  boost::asio::awaitable<Result<net::Response>> Login(Call& call);
  // Sales and purchases (api_sales.cc).
  boost::asio::awaitable<Result<net::Response>> ListSales(Call& call);
  boost::asio::awaitable<Result<net::Response>> GetSale(Call& call);
  boost::asio::awaitable<Result<net::Response>> Purchase(Call& call);
  boost::asio::awaitable<Result<net::Response>> MyReservation(Call& call);
  // A purchase with an Idempotency-Key: the first final answer is kept and replayed, an
  // unknown outcome is resolved by the purchase script (api_orders.cc).
  boost::asio::awaitable<Result<net::Response>> KeyedPurchase(Call& call, std::string key);
  // The purchase itself; `idempotency_key` (or empty) travels to the purchase script.
  // `consult_flag` false skips the answers known without I/O (the sold-out flag, the
  // catalog's window), for a retry whose earlier attempt may have reserved.
  boost::asio::awaitable<Result<net::Response>> AdmitPurchase(Call& call,
                                                              std::string_view idempotency_key,
                                                              bool consult_flag);
  // Orders (api_orders.cc).
  boost::asio::awaitable<Result<net::Response>> ListOrders(Call& call);
  boost::asio::awaitable<Result<net::Response>> GetOrder(Call& call);
  boost::asio::awaitable<Result<net::Response>> PayOrder(Call& call);
  boost::asio::awaitable<Result<net::Response>> CancelOrder(Call& call);
  // Admin (api_sales.cc, api_orders.cc).
  boost::asio::awaitable<Result<net::Response>> CreateSale(Call& call);
  boost::asio::awaitable<Result<net::Response>> Stats(Call& call);
  boost::asio::awaitable<Result<net::Response>> ListDeadLetters(Call& call);
  boost::asio::awaitable<Result<net::Response>> ReplayDeadLetters(Call& call);

  Result<auth::Claims> Authenticate(const net::Request& request) const;
  boost::asio::awaitable<Result<net::Response>> Transition(Call& call, bool pay);

  GatewayShared& shared_;
  redis::AsyncClient& redis_;
  Services services_;
};

net::Response Json(net::http::status status, const nlohmann::json& body);

}  // namespace minishop::gateway
