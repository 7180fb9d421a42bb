#include "seckill/seckill_service.h"

#include "common/clock.h"
#include "seckill/keys.h"

namespace minishop::seckill {
namespace {
const redis::Script& PurchaseScript() {
  static const redis::Script script(kPurchaseLua);
  return script;
}
const redis::Script& StatusScript() {
  static const redis::Script script(kOrderStatusLua);
  return script;
}
}  // namespace

ReservationStatus ParseStatus(std::string reservation_id, std::string_view value) {
  ReservationStatus s;
  s.reservation_id = std::move(reservation_id);
  size_t colon = value.find(':');
  s.status = std::string(value.substr(0, colon));
  if (colon != std::string_view::npos) {
    s.order_id = std::strtoll(std::string(value.substr(colon + 1)).c_str(), nullptr, 10);
  }
  return s;
}

SeckillService::SeckillService(redis::AsyncClient& redis, MetricsRegistry& metrics)
    : redis_(redis),
      reserved_(metrics.GetCounter("minishop_seckill_reservations_total", "Units reserved.")),
      rejected_locally_(metrics.GetCounter("minishop_seckill_local_soldout_total",
                                           "Purchases answered sold-out by the local flag.")),
      script_calls_(metrics.GetCounter("minishop_seckill_script_calls_total",
                                       "Purchase script executions.")) {}

boost::asio::awaitable<Result<Reservation>> SeckillService::Purchase(int64_t sale_id,
                                                                     int64_t user_id, int64_t qty,
                                                                     std::string traceparent) {
  int64_t now_ms = NowSteadyUs() / 1000;
  if (sold_out_.ShouldAnswer(sale_id, now_ms)) {
    rejected_locally_.Inc();
    co_return MakeError(Code::kSoldOut, "the sale is sold out");
  }
  std::vector<std::string> keys;
  keys.reserve(5);
  keys.push_back(MetaKey(sale_id));
  keys.push_back(StockKey(sale_id));
  keys.push_back(BuyersKey(sale_id));
  keys.push_back(StatusKey(sale_id));
  keys.push_back(OutboxKey(sale_id));
  std::vector<std::string> args;
  args.reserve(4);
  args.push_back(std::to_string(user_id));
  args.push_back(std::to_string(qty));
  args.push_back(std::move(traceparent));
  args.push_back(std::to_string(sale_id));
  script_calls_.Inc();
  Result<redis::Reply> reply =
      co_await redis_.Eval(PurchaseScript(), std::move(keys), std::move(args));
  if (!reply.ok()) {
    sold_out_.Inconclusive(sale_id);
    co_return reply.error();
  }
  Result<Reservation> result = MapPurchaseReply(*reply);
  if (result.ok()) {
    reserved_.Inc(static_cast<uint64_t>(qty));
    if (result->stock_left <= 0) {
      sold_out_.SoldOut(sale_id, now_ms);
    } else {
      sold_out_.InStock(sale_id);
    }
  } else if (result.code() == Code::kSoldOut) {
    sold_out_.SoldOut(sale_id, now_ms);
  } else {
    sold_out_.Inconclusive(sale_id);
  }
  co_return result;
}

boost::asio::awaitable<Result<ReservationStatus>> SeckillService::Status(int64_t sale_id,
                                                                         int64_t user_id) {
  std::vector<std::string> keys(1, StatusKey(sale_id));
  std::vector<std::string> args(1, std::to_string(user_id));
  Result<redis::Reply> reply =
      co_await redis_.Eval(StatusScript(), std::move(keys), std::move(args));
  if (!reply.ok()) co_return reply.error();
  if (reply->is_error())
    co_return MakeError(Code::kInternal, "status script failed: " + reply->str);
  if (reply->is_nil() || reply->elements.size() != 2)
    co_return MakeError(Code::kNotFound, "you have no reservation in this sale");
  co_return ParseStatus(reply->elements[0].str, reply->elements[1].str);
}

}  // namespace minishop::seckill
