#include "seckill/seckill_client.h"

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/json_text.h"
#include "net/rpc.h"

namespace minishop::seckill {
namespace http = net::http;

namespace {
constexpr std::string_view kService = "seckill";
constexpr Outcome kOutcomes[] = {kSoldOut, kLimitReached, kNotStarted, kEnded, kRecovering};

Error Unreadable() { return MakeError(Code::kUnavailable, "seckill sent an unreadable answer"); }

std::string SaleTarget(int64_t sale_id, std::string_view what) {
  std::string target = "/internal/v1/seckill/sales/";
  AppendDecimal(target, sale_id);
  target += '/';
  target += what;
  return target;
}
}  // namespace

SeckillClient::SeckillClient(std::shared_ptr<net::Upstream> upstream, MetricsRegistry& metrics)
    : upstream_(std::move(upstream)),
      rejected_locally_(metrics.GetCounter(
          "minishop_gateway_local_soldout_total",
          "Purchases a gateway answered sold-out from its own flag, without calling seckill.")) {}

std::optional<Error> SeckillClient::QuickAnswer(int64_t sale_id, int64_t) {
  if (!sold_out_.ShouldAnswer(sale_id, NowSteadyUs() / 1000)) return std::nullopt;
  rejected_locally_.Inc();
  return MakeError(kSoldOut, "the sale is sold out");
}

boost::asio::awaitable<Result<Admission>> SeckillClient::Purchase(PurchaseRequest request) {
  std::string target = SaleTarget(request.sale_id, "purchase?user=");
  AppendDecimal(target, request.user_id);
  target += "&quantity=";
  AppendDecimal(target, request.quantity);
  http::request<http::string_body> call{http::verb::post, target, 11};
  if (!request.traceparent.empty()) call.set("traceparent", request.traceparent);
  if (!request.idempotency_key.empty()) call.set("Idempotency-Key", request.idempotency_key);
  const int64_t now_ms = NowSteadyUs() / 1000;
  Result<net::Response> answer = co_await upstream_->Call(std::move(call));
  Result<std::string> value =
      answer.ok() ? net::RpcOutcome(*answer, kService, kOutcomes) : Result<std::string>(answer.error());
  if (!value.ok()) {
    if (value.Is(kSoldOut)) {
      sold_out_.SoldOut(request.sale_id, now_ms);
    } else {
      sold_out_.Inconclusive(request.sale_id);
    }
    co_return value.error();
  }
  sold_out_.InStock(request.sale_id);
  nlohmann::json body = nlohmann::json::parse(*value, nullptr, false);
  if (!body.is_object() || !body.contains("reservation_id") || !body["reservation_id"].is_string())
    co_return Unreadable();
  co_return Admission{body["reservation_id"].get<std::string>(), request.sale_id,
                      request.quantity, body.contains("replayed") && body["replayed"] == true};
}

boost::asio::awaitable<Result<ReservationStatus>> SeckillClient::Status(int64_t sale_id,
                                                                        int64_t user_id) {
  std::string target = SaleTarget(sale_id, "reservation?user=");
  AppendDecimal(target, user_id);
  Result<net::Response> answer =
      co_await upstream_->Call(http::request<http::string_body>{http::verb::get, target, 11});
  if (!answer.ok()) co_return answer.error();
  Result<std::string> value = net::RpcOutcome(*answer, kService, kOutcomes);
  if (!value.ok()) co_return value.error();
  nlohmann::json body = nlohmann::json::parse(*value, nullptr, false);
  if (!body.is_object() || !body.value("reservation_id", nlohmann::json()).is_string() ||
      !body.value("status", nlohmann::json()).is_string() ||
      !body.value("order_id", nlohmann::json()).is_number_integer()) {
    co_return Unreadable();
  }
  co_return ReservationStatus{body["reservation_id"].get<std::string>(),
                              body["status"].get<std::string>(),
                              body["order_id"].get<int64_t>()};
}

}  // namespace minishop::seckill
