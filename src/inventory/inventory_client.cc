#include "inventory/inventory_client.h"

#include "net/rpc.h"

namespace minishop::inventory {
namespace asio = boost::asio;
namespace http = net::http;

namespace {
constexpr std::string_view kService = "inventory";
constexpr std::string_view kSales = "/internal/v1/inventory/sales";
}  // namespace

InventoryClient::InventoryClient(std::shared_ptr<net::Upstream> upstream)
    : upstream_(std::move(upstream)) {}

asio::awaitable<Result<nlohmann::json>> InventoryClient::Call(http::verb method,
                                                              std::string target,
                                                              std::string body) {
  http::request<http::string_body> r{method, target, 11};
  if (!body.empty()) {
    r.set(http::field::content_type, "application/json");
    r.body() = std::move(body);
  }
  Result<net::Response> answer = co_await upstream_->Call(std::move(r));
  if (!answer.ok()) co_return answer.error();
  Result<std::string> value = net::RpcOutcome(*answer, kService);
  if (!value.ok()) co_return value.error();
  nlohmann::json j = nlohmann::json::parse(*value, nullptr, false);
  if (j.is_discarded())
    co_return MakeError(Code::kUnavailable, "inventory sent an unreadable answer");
  co_return j;
}

asio::awaitable<Result<nlohmann::json>> InventoryClient::ListSales() {
  co_return co_await Call(http::verb::get, std::string(kSales));
}

asio::awaitable<Result<nlohmann::json>> InventoryClient::GetSale(int64_t sale_id) {
  co_return co_await Call(http::verb::get, std::string(kSales) + "/" + std::to_string(sale_id));
}

asio::awaitable<Result<nlohmann::json>> InventoryClient::CreateSale(Sale draft) {
  co_return co_await Call(http::verb::post, std::string(kSales), NewSaleJson(draft).dump());
}

asio::awaitable<Result<nlohmann::json>> InventoryClient::Stats(int64_t sale_id) {
  co_return co_await Call(http::verb::get,
                          std::string(kSales) + "/" + std::to_string(sale_id) + "/stats");
}

}  // namespace minishop::inventory
