#include "inventory/inventory_endpoints.h"

#include "common/clock.h"

namespace minishop::inventory {
namespace asio = boost::asio;
namespace http = net::http;

namespace {

asio::awaitable<Result<net::Response>> Create(InventoryApi& inventory, net::Request& request) {
  nlohmann::json body = nlohmann::json::parse(request.message.body(), nullptr, false);
  Result<Sale> draft = ParseNewSale(body, NowEpochMs());
  if (!draft.ok()) co_return draft.error();
  co_return co_await net::RpcJson(inventory.CreateSale(std::move(*draft)),
                                  request.message.version());
}

}  // namespace

void AddInventoryEndpoints(net::InternalRouter& router, InventoryApi& inventory) {
  const auto kService = net::Access::kService;
  router.Add(http::verb::get, "/internal/v1/inventory/sales", kService, "internal",
             [&inventory](net::Request& request, const net::PathIds&) {
               return net::RpcJson(inventory.ListSales(), request.message.version());
             });
  router.Add(http::verb::get, "/internal/v1/inventory/sales/{id}", kService, "internal",
             [&inventory](net::Request& request, const net::PathIds& ids) {
               return net::RpcJson(inventory.GetSale(ids[0]), request.message.version());
             });
  router.Add(http::verb::post, "/internal/v1/inventory/sales", kService, "internal",
             [&inventory](net::Request& request, const net::PathIds&) {
               return Create(inventory, request);
             });
  router.Add(http::verb::get, "/internal/v1/inventory/sales/{id}/stats", kService, "internal",
             [&inventory](net::Request& request, const net::PathIds& ids) {
               return net::RpcJson(inventory.Stats(ids[0]), request.message.version());
             });
}

}  // namespace minishop::inventory
