// Gateway: the public HTTP API (DESIGN.md §4) of one event loop. It authenticates
// (JWT), validates input, routes to the seckill, inventory and order logic and maps every
// outcome to a status through net::StatusFor. One instance per loop, called only from
// that loop; it never blocks (database work goes through the pg::Pool).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/container/small_vector.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "auth/jwt.h"
#include "common/config.h"
#include "common/metrics.h"
#include "infra/pg/pool.h"
#include "infra/redis/async_client.h"
#include "inventory/sale.h"
#include "net/http_types.h"
#include "order/payment.h"
#include "seckill/seckill_service.h"

namespace minishop::gateway {

// The segments of a request path; every route of the API has at most 8, so splitting one
// allocates nothing.
using PathSegments = boost::container::small_vector<std::string_view, 8>;

// A dependency check for /readyz: returns OK or why the dependency is not usable.
// Called from event loops: must be thread-safe and must not block.
struct ReadinessProbe {
  std::string name;
  std::function<Status()> check;
};

// Process-wide objects every loop's Gateway shares. All are thread-safe.
struct GatewayShared {
  const Config& config;
  auth::JwtCodec jwt;
  pg::Pool& pool;
  inventory::SaleCatalog& catalog;
  MetricsRegistry& metrics;
  std::vector<ReadinessProbe> probes;
  bool public_api = true;  // false: only /healthz, /readyz and /metrics are served
  // Asks for sale N's Redis state to be rebuilt now (it was found missing on the request
  // path). Thread-safe, never blocks; empty when this process runs no inventory role (the
  // inventory role's periodic check finds the sale then).
  std::function<void(int64_t sale_id)> request_rebuild;
};

class Gateway final : public net::HttpHandler {
 public:
  // `redis` is this loop's client; all references must outlive the gateway.
  Gateway(GatewayShared& shared, redis::AsyncClient& redis);

  boost::asio::awaitable<net::Response> Handle(net::Request& request) override;

 private:
  using Segments = PathSegments;
  boost::asio::awaitable<Result<net::Response>> Route(net::Request& request, const Segments& path);

  // Health and metrics (gateway.cc).
  boost::asio::awaitable<Result<net::Response>> Ready();
  net::Response Metrics() const;

  // Accounts and orders (api_accounts.cc).
  boost::asio::awaitable<Result<net::Response>> Register(const net::Request& request);
  boost::asio::awaitable<Result<net::Response>> Login(const net::Request& request);
  boost::asio::awaitable<Result<net::Response>> ListOrders(const auth::Claims& caller);
  boost::asio::awaitable<Result<net::Response>> GetOrder(const auth::Claims& caller,
                                                         int64_t order_id);

  // Sales, purchase and admin (api_sales.cc).
  Result<net::Response> ListSales();
  Result<net::Response> GetSale(int64_t sale_id);
  boost::asio::awaitable<Result<net::Response>> Purchase(const net::Request& request,
                                                         const auth::Claims& caller,
                                                         int64_t sale_id);
  boost::asio::awaitable<Result<net::Response>> MyReservation(const auth::Claims& caller,
                                                              int64_t sale_id);
  boost::asio::awaitable<Result<net::Response>> CreateSale(const net::Request& request);
  boost::asio::awaitable<Result<net::Response>> Stats(int64_t sale_id);

  // Order lifecycle and keyed purchases (api_orders.cc).
  boost::asio::awaitable<Result<net::Response>> PayOrder(const net::Request& request,
                                                         const auth::Claims& caller,
                                                         int64_t order_id);
  boost::asio::awaitable<Result<net::Response>> CancelOrder(const net::Request& request,
                                                            const auth::Claims& caller,
                                                            int64_t order_id);
  // Purchase with an Idempotency-Key: the first answer is kept and replayed.
  boost::asio::awaitable<Result<net::Response>> KeyedPurchase(const net::Request& request,
                                                              const auth::Claims& caller,
                                                              int64_t sale_id);
  order::PaymentProvider& Payments(const boost::asio::any_io_executor& executor);

  // Dead-letter queue (api_admin.cc): list, or replay to the reservation queue.
  boost::asio::awaitable<Result<net::Response>> DeadLetters(const net::Request& request,
                                                            bool replay);

  // Helpers.
  Result<auth::Claims> Authenticate(const net::Request& request) const;
  // What to answer when Redis has no state for `sale_id` (seckill's kRecovering): a sale
  // the catalog (PostgreSQL) knows is being restored — ask for its rebuild and keep
  // kRecovering (503); otherwise the sale does not exist (kNotFound).
  Error SaleStateMissing(int64_t sale_id, Error recovering);
  const inventory::SaleCatalog::Snapshot& Catalog();
  std::string TraceParent(const net::Request& request);
  void Count(std::string_view route, unsigned status);

  GatewayShared& shared_;
  redis::AsyncClient& redis_;
  seckill::SeckillService seckill_;
  std::shared_ptr<const inventory::SaleCatalog::Snapshot> catalog_;
  uint64_t catalog_version_ = 0;
  std::mt19937_64 rng_;
  std::unordered_map<uint32_t, Counter*> counters_;   // (route group << 16 | status)
  std::unique_ptr<order::PaymentProvider> payments_;  // created on first use
};

// Parses JSON as I-JSON (RFC 7493) requires of what a client sends: kInvalidJson for text
// that is not JSON, an object with a duplicate key (RFC 8259 §4 leaves its meaning open, so a
// proxy or a log may read another value than the server), or a string holding U+0000.
Result<nlohmann::json> ParseStrictJson(std::string_view text);

// Whether a Content-Type value names JSON: media type application/json (any case), with or
// without parameters such as charset.
bool IsJsonMediaType(std::string_view content_type);

// Parses a JSON request body with ParseStrictJson: kUnsupportedMediaType for a non-JSON
// content type, kInvalidJson for a body that ParseStrictJson refuses or that is not an
// object. An empty body is an empty object.
Result<nlohmann::json> ParseJsonBody(const net::Request& request);

// Parses a positive decimal id path segment; nullopt for anything else.
std::optional<int64_t> ParseId(std::string_view text);

// Splits "/a/b/c?x" into {"a","b","c"}.
PathSegments SplitPath(std::string_view target);

net::Response Json(net::http::status status, const nlohmann::json& body);

}  // namespace minishop::gateway
