// Sales, purchase and sale-admin endpoints of the Gateway.
#include "common/clock.h"
#include "common/json_text.h"
#include "common/trace_context.h"
#include "gateway/gateway.h"
#include "gateway/purchase_keys.h"
#include "gateway/request_body.h"

namespace minishop::gateway {
namespace asio = boost::asio;
namespace http = net::http;

namespace {
// The 202 body, byte for byte what nlohmann::json would dump (keys in sorted order),
// written into one string: {"quantity":1,"reservation_id":"…","sale_id":1,"status":"pending"}.
net::Response Accepted(const seckill::Admission& a) {
  if (!IsPlainJsonText(a.reservation_id)) {
    return Json(http::status::accepted, {{"reservation_id", a.reservation_id},
                                         {"status", "pending"},
                                         {"sale_id", a.sale_id},
                                         {"quantity", a.quantity}});
  }
  std::string body;
  body.reserve(80 + a.reservation_id.size());
  body.append(R"({"quantity":)");
  AppendDecimal(body, a.quantity);
  body.append(R"(,"reservation_id":")");
  body.append(a.reservation_id);
  body.append(R"(","sale_id":)");
  AppendDecimal(body, a.sale_id);
  body.append(R"(,"status":"pending"})");
  return net::JsonResponse(http::status::accepted, std::move(body));
}

// The quantity a purchase body asks for (default 1), validated.
Result<int64_t> QuantityOf(const net::Request& request) {
  int64_t qty = 1;
  if (!request.message.body().empty()) {
    Result<nlohmann::json> body = ParseJsonBody(request);
    if (!body.ok()) return body.error();
    auto it = body->find("quantity");
    if (it != body->end()) {
      if (!it->is_number_integer())
        return MakeError(Code::kInvalidArgument, "quantity must be an integer");
      qty = it->get<int64_t>();
    }
  }
  if (qty < 1 || qty > seckill::kMaxQuantity)
    return MakeError(Code::kInvalidArgument, "quantity must be in 1..1000");
  return qty;
}

// The client's traceparent, if it sent exactly one valid value, in canonical form; empty
// otherwise (the seckill service then starts a trace). Validated here because it travels
// on to Redis, RabbitMQ and PostgreSQL: an invalid one is never passed on (W3C Trace
// Context §3.2); several fields combine into a list, which is not a valid value.
std::string ClientTraceParent(const net::Request& request) {
  auto it = request.message.find("traceparent");
  if (it == request.message.end() || request.message.count("traceparent") != 1) return {};
  return NormalizeTraceParent(it->value()).value_or(std::string());
}

}  // namespace

asio::awaitable<Result<net::Response>> Gateway::ListSales(Call&) {
  Result<nlohmann::json> sales = co_await services_.inventory.ListSales();
  if (!sales.ok()) co_return sales.error();
  (*sales)["now_ms"] = NowEpochMs();
  co_return Json(http::status::ok, *sales);
}

asio::awaitable<Result<net::Response>> Gateway::GetSale(Call& call) {
  Result<nlohmann::json> sale = co_await services_.inventory.GetSale(call.ids[0]);
  if (!sale.ok()) co_return sale.error();
  (*sale)["now_ms"] = NowEpochMs();
  co_return Json(http::status::ok, *sale);
}

asio::awaitable<Result<net::Response>> Gateway::Purchase(Call& call) {
  if (call.request.message.count("Idempotency-Key") != 0) {
    Result<std::optional<std::string>> key = net::IdempotencyKeyOf(call.request);
    if (!key.ok()) co_return key.error();
    co_return co_await KeyedPurchase(call, std::move(**key));
  }
  co_return co_await AdmitPurchase(call, {}, true);
}

asio::awaitable<Result<net::Response>> Gateway::AdmitPurchase(Call& call,
                                                              std::string_view idempotency_key,
                                                              bool consult_flag) {
  Result<int64_t> qty = QuantityOf(call.request);
  if (!qty.ok()) co_return qty.error();
  const int64_t sale_id = call.ids[0];
  // What the service knows without I/O first: a post-sell-out request then costs no
  // traceparent, no Redis work and no hop.
  if (consult_flag) {
    if (std::optional<Error> quick = services_.seckill.QuickAnswer(sale_id, *qty))
      co_return std::move(*quick);
  }
  const std::string traceparent = ClientTraceParent(call.request);
  Result<seckill::Admission> admitted = co_await services_.seckill.Purchase(
      {sale_id, call.caller.user_id, *qty, traceparent, idempotency_key});
  if (!admitted.ok()) co_return admitted.error();
  net::Response accepted = Accepted(*admitted);
  if (admitted->replayed) accepted.set("Idempotent-Replayed", "true");
  co_return accepted;
}

asio::awaitable<Result<net::Response>> Gateway::MyReservation(Call& call) {
  const int64_t sale_id = call.ids[0];
  Result<seckill::ReservationStatus> s =
      co_await services_.seckill.Status(sale_id, call.caller.user_id);
  if (!s.ok()) co_return s.error();
  nlohmann::json body = {
      {"sale_id", sale_id}, {"reservation_id", s->reservation_id}, {"status", s->status}};
  if (s->order_id > 0) body["order_id"] = s->order_id;
  co_return Json(http::status::ok, body);
}

asio::awaitable<Result<net::Response>> Gateway::CreateSale(Call& call) {
  Result<nlohmann::json> body = ParseJsonBody(call.request);
  if (!body.ok()) co_return body.error();
  Result<inventory::Sale> draft = inventory::ParseNewSale(*body, NowEpochMs());
  if (!draft.ok()) co_return draft.error();
  Result<nlohmann::json> sale = co_await services_.inventory.CreateSale(std::move(*draft));
  if (!sale.ok()) co_return sale.error();
  co_return Json(http::status::created, *sale);
}

asio::awaitable<Result<net::Response>> Gateway::Stats(Call& call) {
  Result<nlohmann::json> stats = co_await services_.inventory.Stats(call.ids[0]);
  if (!stats.ok()) co_return stats.error();
  co_return Json(http::status::ok, *stats);
}

}  // namespace minishop::gateway
