// Order endpoints of the Gateway (list, get, pay, cancel), the dead-letter admin endpoints,
// and purchases that carry an Idempotency-Key.
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <optional>

#include "common/clock.h"
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

// An attempt recorded under a purchase's key: "started:<fingerprint>:<epoch ms>" or
// "unknown:<fingerprint>" (Gateway::KeyedPurchase); nullopt for a stored answer.
struct Attempt {
  bool started = false;
  std::string_view fingerprint;
  int64_t since_ms = 0;  // when it started
};
std::optional<Attempt> AttemptOf(std::string_view value) {
  constexpr std::string_view kStarted = "started:", kUnknown = "unknown:";
  Attempt a;
  if (value.starts_with(kStarted)) {
    a.started = true;
    value.remove_prefix(kStarted.size());
    const size_t colon = value.rfind(':');
    if (colon != std::string_view::npos) {
      std::from_chars(value.data() + colon + 1, value.data() + value.size(), a.since_ms);
      value = value.substr(0, colon);
    }
  } else if (value.starts_with(kUnknown)) {
    value.remove_prefix(kUnknown.size());
  } else {
    return std::nullopt;
  }
  a.fingerprint = value;
  return a;
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
  Result<std::optional<std::string>> key = net::IdempotencyKeyOf(call.request);
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

// The purchase's key in Redis holds one of: "started:<fingerprint>:<epoch ms>" while an
// attempt runs; "unknown:<fingerprint>" after an attempt whose outcome the shopper could not
// learn (a 5xx: Redis or the seckill service timed out, or broke after the request was
// sent); or the final answer {"f": fingerprint, "s": status, "b": body}. A retry of an
// unknown outcome (or of an attempt that vanished with its gateway) runs the purchase
// again with the key and without the local sold-out flag: the purchase script returns the
// reservation made under the key, if any, so the shopper buys once (docs/decisions.md,
// "Idempotency-Key on a purchase").
asio::awaitable<Result<net::Response>> Gateway::KeyedPurchase(Call& call, std::string key) {
  // An attempt older than this has lost its gateway (calls end within seconds).
  constexpr int64_t kAbandonedAfterMs = 30'000;
  const int64_t sale_id = call.ids[0];
  const net::Request& request = call.request;
  const std::string name = PurchaseKeyName(sale_id, call.caller.user_id, key);
  const std::string fingerprint =
      RequestFingerprint("purchase:" + std::to_string(sale_id), request.message.body());
  const std::string ttl = std::to_string(shared_.config.order.idempotency_ttl_s);
  const int64_t now_ms = NowEpochMs();
  const std::string started = "started:" + fingerprint + ":" + std::to_string(now_ms);
  std::vector<std::string> claim = {"SET", name, started, "NX", "EX", ttl};
  Result<redis::Reply> claimed = co_await redis_.Command(std::move(claim), asio::use_awaitable);
  if (!claimed.ok()) co_return claimed.error();
  bool outcome_unknown = false;
  if (claimed->is_nil()) {
    std::vector<std::string> get = {"GET", name};
    Result<redis::Reply> stored = co_await redis_.Command(std::move(get), asio::use_awaitable);
    if (!stored.ok()) co_return stored.error();
    if (stored->is_nil()) co_return InProgress();
    const std::string& value = stored->str;
    if (std::optional<Attempt> attempt = AttemptOf(value)) {
      if (attempt->fingerprint != fingerprint) co_return KeyReused();
      if (attempt->started && now_ms - attempt->since_ms < kAbandonedAfterMs)
        co_return InProgress();
      outcome_unknown = true;
      std::vector<std::string> take = {"SET", name, started, "XX", "EX", ttl};
      Result<redis::Reply> taken = co_await redis_.Command(std::move(take), asio::use_awaitable);
      if (!taken.ok()) co_return taken.error();
    } else {
      nlohmann::json saved = nlohmann::json::parse(value, nullptr, false);
      if (saved.is_discarded() || !saved.is_object()) co_return InProgress();
      if (saved.value("f", "") != fingerprint) co_return KeyReused();
      co_return Replay(saved.value("s", 500), saved.value("b", ""));
    }
  }
  Result<net::Response> result = co_await AdmitPurchase(call, key, !outcome_unknown);
  net::Response answer = result.ok() ? std::move(*result)
                                     : ErrorResponse(result.error(), request.message.version());
  const int status = answer.result_int();
  std::vector<std::string> finish;
  if (IsFinalPurchaseAnswer(status)) {
    nlohmann::json saved = {{"f", fingerprint}, {"s", status}, {"b", answer.body()}};
    finish = {"SET", name, saved.dump(), "EX", ttl};
  } else if (outcome_unknown || status >= 500) {
    finish = {"SET", name, "unknown:" + fingerprint, "EX", ttl};
  } else {
    // Refused before anything was reserved (429, 425, ...): a retry starts afresh.
    finish = {"DEL", name};
  }
  // If this write fails, the "started" claim stays and a retry after kAbandonedAfterMs
  // resolves the outcome through the purchase script.
  (void)co_await redis_.Command(std::move(finish), asio::use_awaitable);
  co_return answer;
}

}  // namespace minishop::gateway
