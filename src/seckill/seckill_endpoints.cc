#include "seckill/seckill_endpoints.h"

#include <nlohmann/json.hpp>

#include "common/json_text.h"
#include "common/trace_context.h"

namespace minishop::seckill {
namespace asio = boost::asio;
namespace http = net::http;

namespace {

Error BadCall(std::string_view what) {
  return MakeError(Code::kInvalidArgument, "internal call without a valid " + std::string(what));
}

asio::awaitable<Result<net::Response>> Purchase(SeckillApi& seckill, net::Request& request,
                                                const net::PathIds& ids) {
  const std::string_view target = request.message.target();
  std::optional<int64_t> user = net::QueryId(target, "user");
  std::optional<int64_t> quantity = net::QueryId(target, "quantity");
  if (!user) co_return BadCall("user");
  if (!quantity || *quantity > kMaxQuantity) co_return BadCall("quantity");
  Result<std::optional<std::string>> key = net::IdempotencyKeyOf(request);
  if (!key.ok()) co_return key.error();
  // A keyed purchase goes to the script even when this instance's flag says sold out: the
  // key may name a reservation made before. (The gateway consults its own flag first,
  // except for a retry whose earlier outcome is unknown.)
  if (!*key) {
    if (std::optional<Error> quick = seckill.QuickAnswer(ids[0], *quantity)) co_return *quick;
  }
  std::string traceparent;
  if (auto it = request.message.find("traceparent");
      it != request.message.end() && IsCanonicalTraceParent(it->value())) {
    traceparent = it->value();
  }
  const std::string idempotency_key = key->value_or(std::string());
  Result<Admission> admitted =
      co_await seckill.Purchase({ids[0], *user, *quantity, traceparent, idempotency_key});
  if (!admitted.ok()) co_return admitted.error();
  std::string body = R"({"reservation_id":)";
  if (IsPlainJsonText(admitted->reservation_id)) {
    body += '"';
    body += admitted->reservation_id;
    body += '"';
  } else {
    body += nlohmann::json(admitted->reservation_id).dump();
  }
  if (admitted->replayed) body += R"(,"replayed":true)";
  body += '}';
  co_return net::RpcValue(std::move(body), request.message.version());
}

asio::awaitable<Result<net::Response>> Reservation(SeckillApi& seckill, net::Request& request,
                                                   const net::PathIds& ids) {
  std::optional<int64_t> user = net::QueryId(request.message.target(), "user");
  if (!user) co_return BadCall("user");
  Result<ReservationStatus> status = co_await seckill.Status(ids[0], *user);
  if (!status.ok()) co_return status.error();
  co_return net::RpcValue(StatusJson(*status), request.message.version());
}

}  // namespace

std::string StatusJson(const ReservationStatus& status) {
  return nlohmann::json{{"reservation_id", status.reservation_id},
                        {"status", status.status},
                        {"order_id", status.order_id}}
      .dump();
}

void AddSeckillEndpoints(net::InternalRouter& router, SeckillApi& seckill) {
  router.Add(http::verb::post, "/internal/v1/seckill/sales/{id}/purchase", net::Access::kService,
             "internal", [&seckill](net::Request& request, const net::PathIds& ids) {
               return Purchase(seckill, request, ids);
             });
  router.Add(http::verb::get, "/internal/v1/seckill/sales/{id}/reservation",
             net::Access::kService, "internal",
             [&seckill](net::Request& request, const net::PathIds& ids) {
               return Reservation(seckill, request, ids);
             });
}

}  // namespace minishop::seckill
