#include "order/order_endpoints.h"

#include <algorithm>

namespace minishop::order {
namespace asio = boost::asio;
namespace http = net::http;

namespace {

constexpr Outcome kRefusals[] = {kPaymentDeclined, kKeyReused};

// The key and fingerprint headers of a transition call; kInvalidArgument for a key outside
// 1..200 printable ASCII (the gateway checked it already).
Result<TransitionRequest> TransitionOf(const net::Request& request, const net::PathIds& ids) {
  TransitionRequest t{ids[0], ids[1], {}, {}};
  Result<std::optional<std::string>> key = net::IdempotencyKeyOf(request);
  if (!key.ok()) return key.error();
  if (*key) t.idempotency_key = std::move(**key);
  if (auto it = request.message.find(kFingerprintHeader); it != request.message.end())
    t.fingerprint = std::string(it->value());
  return t;
}

asio::awaitable<Result<net::Response>> Transition(OrderApi& orders, net::Request& request,
                                                  const net::PathIds& ids, bool pay) {
  Result<TransitionRequest> t = TransitionOf(request, ids);
  if (!t.ok()) co_return t.error();
  // Not a conditional expression: GCC 12 miscompiles co_await inside one.
  Result<TransitionAnswer> answer = MakeError(Code::kInternal, "");
  if (pay) {
    answer = co_await orders.Pay(std::move(*t));
  } else {
    answer = co_await orders.Cancel(std::move(*t));
  }
  if (!answer.ok()) co_return answer.error();
  co_return net::RpcValue(TransitionJson(*answer), request.message.version());
}

int64_t LimitOf(std::string_view target) {
  return std::min<int64_t>(net::QueryId(target, "limit").value_or(100), 1000);
}

}  // namespace

std::string TransitionJson(const TransitionAnswer& answer) {
  nlohmann::json j = {{"replayed", answer.replayed}};
  if (answer.outcome.ok()) {
    j["order"] = *answer.outcome;
  } else {
    j["refusal"] = net::ErrorJson(answer.outcome.error());
  }
  return j.dump();
}

Result<TransitionAnswer> TransitionFromJson(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("replayed") || !j["replayed"].is_boolean())
    return MakeError(Code::kUnavailable, "order sent an unreadable transition");
  TransitionAnswer answer;
  answer.replayed = j["replayed"].get<bool>();
  if (j.contains("order") && j["order"].is_object()) {
    answer.outcome = j["order"];
    return answer;
  }
  std::optional<Error> refusal =
      j.contains("refusal") ? net::ErrorFromJson(j["refusal"], kRefusals) : std::nullopt;
  if (!refusal) return MakeError(Code::kUnavailable, "order sent an unreadable transition");
  answer.outcome = std::move(*refusal);
  return answer;
}

void AddOrderEndpoints(net::InternalRouter& router, OrderApi& orders) {
  const auto kService = net::Access::kService;
  router.Add(http::verb::get, "/internal/v1/order/users/{id}/orders", kService, "internal",
             [&orders](net::Request& request, const net::PathIds& ids) {
               return net::RpcJson(orders.List(ids[0]), request.message.version());
             });
  router.Add(http::verb::get, "/internal/v1/order/users/{id}/orders/{id}", kService, "internal",
             [&orders](net::Request& request, const net::PathIds& ids) {
               return net::RpcJson(orders.Get(ids[0], ids[1]), request.message.version());
             });
  router.Add(http::verb::post, "/internal/v1/order/users/{id}/orders/{id}/pay", kService,
             "internal", [&orders](net::Request& request, const net::PathIds& ids) {
               return Transition(orders, request, ids, true);
             });
  router.Add(http::verb::post, "/internal/v1/order/users/{id}/orders/{id}/cancel", kService,
             "internal", [&orders](net::Request& request, const net::PathIds& ids) {
               return Transition(orders, request, ids, false);
             });
  router.Add(http::verb::get, "/internal/v1/order/dead-letters", kService, "internal",
             [&orders](net::Request& request, const net::PathIds&) {
               return net::RpcJson(orders.DeadLetters(LimitOf(request.message.target()), false),
                            request.message.version());
             });
  router.Add(http::verb::post, "/internal/v1/order/dead-letters/replay", kService, "internal",
             [&orders](net::Request& request, const net::PathIds&) {
               return net::RpcJson(orders.DeadLetters(LimitOf(request.message.target()), true),
                            request.message.version());
             });
}

}  // namespace minishop::order
