#include "order/order_client.h"

#include "net/rpc.h"
#include "order/order_endpoints.h"

namespace minishop::order {
namespace asio = boost::asio;
namespace http = net::http;

namespace {
constexpr std::string_view kService = "order";
constexpr Outcome kOutcomes[] = {kPaymentDeclined, kKeyReused};

std::string UserOrders(int64_t user_id) {
  return "/internal/v1/order/users/" + std::to_string(user_id) + "/orders";
}
}  // namespace

OrderClient::OrderClient(std::shared_ptr<net::Upstream> upstream)
    : upstream_(std::move(upstream)) {}

asio::awaitable<Result<std::string>> OrderClient::Call(http::request<http::string_body> r) {
  Result<net::Response> answer = co_await upstream_->Call(std::move(r));
  if (!answer.ok()) co_return answer.error();
  co_return net::RpcOutcome(*answer, kService, kOutcomes);
}

asio::awaitable<Result<nlohmann::json>> OrderClient::CallJson(http::verb method,
                                                              std::string target) {
  Result<std::string> value = co_await Call({method, target, 11});
  if (!value.ok()) co_return value.error();
  nlohmann::json j = nlohmann::json::parse(*value, nullptr, false);
  if (j.is_discarded()) co_return MakeError(Code::kUnavailable, "order sent an unreadable answer");
  co_return j;
}

asio::awaitable<Result<nlohmann::json>> OrderClient::List(int64_t user_id) {
  co_return co_await CallJson(http::verb::get, UserOrders(user_id));
}

asio::awaitable<Result<nlohmann::json>> OrderClient::Get(int64_t user_id, int64_t order_id) {
  co_return co_await CallJson(http::verb::get,
                              UserOrders(user_id) + "/" + std::to_string(order_id));
}

asio::awaitable<Result<TransitionAnswer>> OrderClient::Transition(const TransitionRequest& t,
                                                                  std::string_view what) {
  http::request<http::string_body> r{
      http::verb::post,
      UserOrders(t.user_id) + "/" + std::to_string(t.order_id) + "/" + std::string(what), 11};
  if (!t.idempotency_key.empty()) r.set("Idempotency-Key", t.idempotency_key);
  if (!t.fingerprint.empty()) r.set(kFingerprintHeader, t.fingerprint);
  Result<std::string> value = co_await Call(std::move(r));
  if (!value.ok()) co_return value.error();
  co_return TransitionFromJson(*value);
}

asio::awaitable<Result<TransitionAnswer>> OrderClient::Pay(TransitionRequest request) {
  co_return co_await Transition(request, "pay");
}

asio::awaitable<Result<TransitionAnswer>> OrderClient::Cancel(TransitionRequest request) {
  co_return co_await Transition(request, "cancel");
}

asio::awaitable<Result<nlohmann::json>> OrderClient::DeadLetters(int64_t limit, bool replay) {
  co_return co_await CallJson(
      replay ? http::verb::post : http::verb::get,
      std::string("/internal/v1/order/dead-letters") + (replay ? "/replay" : "") +
          "?limit=" + std::to_string(limit));
}

}  // namespace minishop::order
