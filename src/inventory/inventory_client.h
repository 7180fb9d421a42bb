// InventoryClient: InventoryApi over the internal API of inventory instances elsewhere
// (inventory/inventory_endpoints.h), load-balanced by a net::Upstream.
//
// One per event loop; call only from that loop.
#pragma once

#include <memory>

#include "inventory/inventory_api.h"
#include "net/upstream.h"

namespace minishop::inventory {

class InventoryClient final : public InventoryApi {
 public:
  explicit InventoryClient(std::shared_ptr<net::Upstream> upstream);

  boost::asio::awaitable<Result<nlohmann::json>> ListSales() override;
  boost::asio::awaitable<Result<nlohmann::json>> GetSale(int64_t sale_id) override;
  boost::asio::awaitable<Result<nlohmann::json>> CreateSale(Sale draft) override;
  boost::asio::awaitable<Result<nlohmann::json>> Stats(int64_t sale_id) override;

 private:
  boost::asio::awaitable<Result<nlohmann::json>> Call(net::http::verb method, std::string target,
                                                      std::string body = {});

  std::shared_ptr<net::Upstream> upstream_;
};

}  // namespace minishop::inventory
