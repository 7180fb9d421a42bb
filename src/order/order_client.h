// OrderClient: OrderApi over the internal API of order instances elsewhere
// (order/order_endpoints.h), load-balanced by a net::Upstream.
//
// One per event loop; call only from that loop.
#pragma once

#include <memory>

#include "net/upstream.h"
#include "order/order_api.h"

namespace minishop::order {

class OrderClient final : public OrderApi {
 public:
  explicit OrderClient(std::shared_ptr<net::Upstream> upstream);

  boost::asio::awaitable<Result<nlohmann::json>> List(int64_t user_id) override;
  boost::asio::awaitable<Result<nlohmann::json>> Get(int64_t user_id, int64_t order_id) override;
  boost::asio::awaitable<Result<TransitionAnswer>> Pay(TransitionRequest request) override;
  boost::asio::awaitable<Result<TransitionAnswer>> Cancel(TransitionRequest request) override;
  boost::asio::awaitable<Result<nlohmann::json>> DeadLetters(int64_t limit, bool replay) override;

 private:
  // Calls `target` and returns the value's body or the call's error.
  boost::asio::awaitable<Result<std::string>> Call(net::http::request<net::http::string_body> r);
  boost::asio::awaitable<Result<nlohmann::json>> CallJson(net::http::verb method,
                                                          std::string target);
  boost::asio::awaitable<Result<TransitionAnswer>> Transition(const TransitionRequest& request,
                                                              std::string_view what);

  std::shared_ptr<net::Upstream> upstream_;
};

}  // namespace minishop::order
