// Order endpoints of the Gateway (list, get, pay, cancel), the dead-letter admin endpoints,
// and purchases that carry an Idempotency-Key.
#include <boost/asio/use_awaitable.hpp>

#include "gateway/gateway.h"
#include "gateway/http_errors.h"
#include "gateway/purchase_keys.h"
#include "gateway/request_body.h"

namespace minishop::gateway {
namespace asio = boost::asio;
namespace http = net::http;

namespace {

net::Response Replay(int status, std::string body) {
  net::Response r = net::JsonResponse(static_cast<http::status>(status), std::move(body));
  r.set("Idempotent-Replayed", "true");
  return r;
}

Error InProgress() {
  return MakeError(Code::kConflict, "a request with this Idempotency-Key is still in progress");
}

Error KeyReused() {
  return MakeError(order::kKeyReused, "this Idempotency-Key was used for a different request");
}

// ?limit=N (1..1000, default 100).
int64_t LimitOf(std::string_view target) {
  return std::min<int64_t>(net::QueryId(target, "limit").value_or(100), 1000);
}

}  // namespace

asio::awaitable<Result<net::Response>> Gateway::ListOrders(Call& call) {
  Result<nlohmann::json> orders = co_await services_.orders.List(call.caller.user_id);
  if (!orders.ok()) co_return orders.error();
  co_return Json(http::status::ok, *orders);
}

asio::awaitable<Result<net::Response>> Gateway::GetOrder(Call& call) {
  Result<nlohmann::json> order = co_await services_.orders.Get(call.caller.user_id, call.ids[0]);
  if (!order.ok()) co_return order.error();
  co_return Json(http::status::ok, *order);
}

asio::awaitable<Result<net::Response>> Gateway::PayOrder(Call& call) {
  co_return co_await Transition(call, true);
}

asio::awaitable<Result<net::Response>> Gateway::CancelOrder(Call& call) {
  co_return co_await Transition(call, false);
}

asio::awaitable<Result<net::Response>> Gateway::Transition(Call& call, bool pay) {
  Result<std::optional<std::string>> key = IdempotencyKeyOf(call.request);
  if (!key.ok()) co_return key.error();
  if (pay && !key->has_value())
    co_return MakeError(Code::kInvalidArgument, "paying needs an Idempotency-Key header");
  const std::string& body = call.request.message.body();
  if (!body.empty()) {
    Result<nlohmann::json> parsed = ParseJsonBody(call.request);
    if (!parsed.ok()) co_return parsed.error();
  }
  const int64_t order_id = call.ids[0];
  order::TransitionRequest t{call.caller.user_id, order_id, key->value_or(std::string()), {}};
  if (key->has_value()) {
    t.fingerprint =
        RequestFingerprint(std::string(pay ? "pay:" : "cancel:") + std::to_string(order_id), body);
  }
  // Not a conditional expression: GCC 12 miscompiles co_await inside one.
  Result<order::TransitionAnswer> answer = MakeError(Code::kInternal, "");
  if (pay) {
    answer = co_await services_.orders.Pay(std::move(t));
  } else {
    answer = co_await services_.orders.Cancel(std::move(t));
  }
  if (!answer.ok()) co_return answer.error();
  const unsigned version = call.request.message.version();
  net::Response res = answer->outcome.ok()
                          ? Json(http::status::ok, *answer->outcome)
                          : ErrorResponse(answer->outcome.error(), version);
  if (answer->replayed) res.set("Idempotent-Replayed", "true");
  co_return res;
}

asio::awaitable<Result<net::Response>> Gateway::ListDeadLetters(Call& call) {
  Result<nlohmann::json> listed =
      co_await services_.orders.DeadLetters(LimitOf(call.request.message.target()), false);
  if (!listed.ok()) co_return listed.error();
  co_return Json(http::status::ok, *listed);
}

asio::awaitable<Result<net::Response>> Gateway::ReplayDeadLetters(Call& call) {
  Result<nlohmann::json> replayed =
      co_await services_.orders.DeadLetters(LimitOf(call.request.message.target()), true);
  if (!replayed.ok()) co_return replayed.error();
  co_return Json(http::status::ok, *replayed);
}

asio::awaitable<Result<net::Response>> Gateway::KeyedPurchase(Call& call, std::string key) {
  const int64_t sale_id = call.ids[0];
  const net::Request& request = call.request;
  const std::string name = PurchaseKeyName(sale_id, call.caller.user_id, key);
  const std::string fingerprint =
      RequestFingerprint("purchase:" + std::to_string(sale_id), request.message.body());
  std::vector<std::string> claim;
  claim.push_back("SET");
  claim.push_back(name);
  claim.push_back("started:" + fingerprint);
  claim.push_back("NX");
  claim.push_back("PX");
  claim.push_back("30000");
  Result<redis::Reply> claimed = co_await redis_.Command(std::move(claim), asio::use_awaitable);
  if (!claimed.ok()) co_return claimed.error();
  if (claimed->is_nil()) {
    std::vector<std::string> get;
    get.push_back("GET");
    get.push_back(name);
    Result<redis::Reply> stored = co_await redis_.Command(std::move(get), asio::use_awaitable);
    if (!stored.ok()) co_return stored.error();
    if (stored->is_nil()) co_return InProgress();
    const std::string& value = stored->str;
    if (value.rfind("started:", 0) == 0)
      co_return value.substr(8) == fingerprint ? Result<net::Response>(InProgress())
                                               : Result<net::Response>(KeyReused());
    nlohmann::json saved = nlohmann::json::parse(value, nullptr, false);
    if (saved.is_discarded() || !saved.is_object()) co_return InProgress();
    if (saved.value("f", "") != fingerprint) co_return KeyReused();
    co_return Replay(saved.value("s", 500), saved.value("b", ""));
  }
  Result<net::Response> result = co_await AdmitPurchase(call);
  net::Response answer = result.ok() ? std::move(*result)
                                     : ErrorResponse(result.error(), request.message.version());
  std::vector<std::string> finish;
  if (IsFinalPurchaseAnswer(answer.result_int())) {
    nlohmann::json saved = {{"f", fingerprint}, {"s", answer.result_int()}, {"b", answer.body()}};
    finish.push_back("SET");
    finish.push_back(name);
    finish.push_back(saved.dump());
    finish.push_back("EX");
    finish.push_back(std::to_string(shared_.config.order.idempotency_ttl_s));
  } else {
    finish.push_back("DEL");
    finish.push_back(name);
  }
  // If this write fails, the claim expires and a retry runs the purchase again, which the
  // per-user limit answers truthfully.
  (void)co_await redis_.Command(std::move(finish), asio::use_awaitable);
  co_return answer;
}

}  // namespace minishop::gateway
