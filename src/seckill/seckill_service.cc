#include "seckill/seckill_service.h"

#include <array>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstring>

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

PurchaseArgs::PurchaseArgs(int64_t sale_id, int64_t user_id, int64_t qty,
                           std::string_view traceparent) {
  static constexpr std::string_view kSuffixes[5] = {":meta", ":stock", ":buyers", ":status",
                                                    ":outbox"};
  auto number = [](int64_t v, char(&buf)[20]) {
    char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
    return std::string_view(buf, static_cast<size_t>(end - buf));
  };
  auto append = [](char* p, std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  };
  char* p = keys_buf_;
  const std::string_view id = number(sale_id, sale_buf_);
  for (size_t i = 0; i < std::size(kSuffixes); ++i) {
    char* start = p;
    p = append(p, "ms:{s");
    p = append(p, id);
    p = append(p, "}");
    p = append(p, kSuffixes[i]);
    keys_[i] = std::string_view(start, static_cast<size_t>(p - start));
  }
  args_ = {number(user_id, user_buf_), number(qty, qty_buf_), traceparent, id};
}

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
  if (std::optional<Error> local = LocalAnswer(sale_id)) co_return std::move(*local);
  co_return co_await Reserve(sale_id, user_id, qty, traceparent);
}

std::optional<Error> SeckillService::LocalAnswer(int64_t sale_id) {
  if (!sold_out_.ShouldAnswer(sale_id, NowSteadyUs() / 1000)) return std::nullopt;
  rejected_locally_.Inc();
  return MakeError(Code::kSoldOut, "the sale is sold out");
}

boost::asio::awaitable<Result<Reservation>> SeckillService::Reserve(int64_t sale_id,
                                                                    int64_t user_id, int64_t qty,
                                                                    std::string_view traceparent) {
  const int64_t now_ms = NowSteadyUs() / 1000;
  // Named, and kept in this frame: the client borrows the arguments until it answers.
  const PurchaseArgs purchase(sale_id, user_id, qty, traceparent);
  script_calls_.Inc();
  Result<redis::Reply> reply = co_await redis_.Eval(PurchaseScript(), purchase.keys(),
                                                    purchase.args(), boost::asio::use_awaitable);
  if (!reply.ok()) {
    sold_out_.Inconclusive(sale_id);
    if (reply.code() == Code::kTimeout) {
      // The script was sent and may have run: say so, and where the answer is.
      co_return MakeError(Code::kTimeout,
                          "the purchase may have gone through: see GET /api/v1/sales/" +
                              std::to_string(sale_id) + "/order");
    }
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
