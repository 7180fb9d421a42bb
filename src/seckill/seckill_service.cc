#include "seckill/seckill_service.h"

#include <array>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstring>
#include <optional>

#include "common/clock.h"
#include "contracts/keys.h"
#include "contracts/sale_scripts.h"

namespace minishop::seckill {
namespace {
const redis::Script& PurchaseScript() {
  static const redis::Script script(contracts::PurchaseLua());
  return script;
}
const redis::Script& StatusScript() {
  static const redis::Script script(contracts::OrderStatusLua());
  return script;
}
}  // namespace

namespace {
std::string_view Number(int64_t v, char (&buf)[20]) {
  char* end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  return std::string_view(buf, static_cast<size_t>(end - buf));
}
}  // namespace

SaleKeys::SaleKeys(int64_t sale_id) {
  auto append = [](char* p, std::string_view s) {
    std::memcpy(p, s.data(), s.size());
    return p + s.size();
  };
  char id_buf[20];
  const std::string_view id = Number(sale_id, id_buf);
  id_size_ = id.size();
  char* p = keys_buf_;
  for (size_t i = 0; i < kKeys; ++i) {
    char* start = p;
    p = append(p, contracts::kSaleKeyPrefix);
    p = append(p, id);
    p = append(p, contracts::kSaleTagEnd);
    p = append(p, contracts::kPurchaseKeySuffixes[i]);
    keys_[i] = std::string_view(start, static_cast<size_t>(p - start));
  }
}

PurchaseBatch::PurchaseBatch(int64_t sale_id) : sale_id_(sale_id), keys_(sale_id) {
  argv_.reserve(16 + 96 * 8);
  AppendArg(keys_.id());
}

void PurchaseBatch::Add(int64_t user_id, int64_t qty, std::string_view traceparent,
                        std::string_view idempotency_key, Handler handler) {
  char buf[20];
  AppendArg(Number(user_id, buf));
  AppendArg(Number(qty, buf));
  AppendArg(traceparent);
  AppendArg(idempotency_key);
  handlers_.push_back(std::move(handler));
}

void PurchaseBatch::AppendArg(std::string_view arg) {
  argv_.append(arg);
  ends_.push_back(static_cast<uint32_t>(argv_.size()));
}

redis::ArgViews PurchaseBatch::args() {
  views_.clear();
  uint32_t begin = 0;
  for (uint32_t end : ends_) {
    views_.emplace_back(argv_.data() + begin, end - begin);
    begin = end;
  }
  return views_;
}

void PurchaseBatch::Complete(Result<redis::Reply> reply) {
  std::optional<Error> all;
  if (!reply.ok()) {
    all = reply.code() == Code::kDeadlineExceeded
              // The script was sent and may have run: say so, and where the answer is.
              ? MakeError(Code::kDeadlineExceeded,
                          "the purchase may have gone through: see GET /api/v1/sales/" +
                              std::to_string(sale_id_) + "/order")
              : reply.error();
  } else if (reply->is_error()) {
    all = MakeError(Code::kInternal, "purchase script failed: " + reply->str);
  } else if (reply->type != redis::Reply::Type::kArray ||
             reply->elements.size() != handlers_.size()) {
    all = MakeError(Code::kInternal, "purchase script returned an unexpected reply");
  }
  for (size_t i = 0; i < handlers_.size(); ++i) {
    std::move(handlers_[i])(all ? Result<Reservation>(*all) : MapPurchaseReply(reply->elements[i]));
  }
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
                                       "Purchase script executions (one per batch).")),
      scripted_purchases_(metrics.GetCounter("minishop_seckill_script_purchases_total",
                                             "Purchases decided by the purchase script.")) {}

SeckillService::~SeckillService() { *alive_ = false; }

boost::asio::awaitable<Result<Reservation>> SeckillService::Purchase(int64_t sale_id,
                                                                     int64_t user_id, int64_t qty,
                                                                     std::string traceparent) {
  if (std::optional<Error> local = LocalAnswer(sale_id)) co_return std::move(*local);
  co_return co_await Reserve(sale_id, user_id, qty, traceparent);
}

std::optional<Error> SeckillService::LocalAnswer(int64_t sale_id) {
  if (!sold_out_.ShouldAnswer(sale_id, NowSteadyUs() / 1000)) return std::nullopt;
  rejected_locally_.Inc();
  return MakeError(kSoldOut, "the sale is sold out");
}

boost::asio::awaitable<Result<Reservation>> SeckillService::Reserve(int64_t sale_id,
                                                                    int64_t user_id, int64_t qty,
                                                                    std::string_view traceparent,
                                                                    std::string_view idempotency_key) {
  const int64_t now_ms = NowSteadyUs() / 1000;
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries of a
  // co_await expression twice. The batch copies the arguments at once.
  auto join = [this, sale_id, user_id, qty, traceparent,
               idempotency_key](PurchaseBatch::Handler handler) {
    Enqueue(sale_id, user_id, qty, traceparent, idempotency_key, std::move(handler));
  };
  Result<Reservation> result =
      co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                           void(Result<Reservation>)>(join,
                                                                      boost::asio::use_awaitable);
  if (result.ok()) {
    if (!result->replayed) reserved_.Inc(static_cast<uint64_t>(qty));
    if (result->stock_left <= 0) {
      sold_out_.SoldOut(sale_id, now_ms);
    } else {
      sold_out_.InStock(sale_id);
    }
  } else if (result.Is(kSoldOut)) {
    sold_out_.SoldOut(sale_id, now_ms);
  } else {
    sold_out_.Inconclusive(sale_id);
  }
  co_return result;
}

void SeckillService::Enqueue(int64_t sale_id, int64_t user_id, int64_t qty,
                             std::string_view traceparent, std::string_view idempotency_key,
                             PurchaseBatch::Handler handler) {
  PurchaseBatch* batch = nullptr;
  for (const std::unique_ptr<PurchaseBatch>& b : gathering_) {
    if (b->sale_id() == sale_id && !b->full()) batch = b.get();
  }
  if (batch == nullptr)
    batch = gathering_.emplace_back(std::make_unique<PurchaseBatch>(sale_id)).get();
  batch->Add(user_id, qty, traceparent, idempotency_key, std::move(handler));
  if (send_posted_) return;
  // Sent after the handlers already queued on this loop: every purchase they issue joins.
  send_posted_ = true;
  boost::asio::post(redis_.context(), [this, alive = alive_] {
    if (!*alive) return;
    send_posted_ = false;
    SendBatches();
  });
}

void SeckillService::SendBatches() {
  std::vector<std::unique_ptr<PurchaseBatch>> batches;
  batches.swap(gathering_);
  for (std::unique_ptr<PurchaseBatch>& owned : batches) {
    PurchaseBatch& batch = *owned;
    script_calls_.Inc();
    scripted_purchases_.Inc(batch.size());
    // The batch owns the bytes the command borrows, until its reply (or error) arrives.
    redis_.Eval(PurchaseScript(), batch.keys(), batch.args(),
                [owned = std::move(owned)](Result<redis::Reply> reply) mutable {
                  owned->Complete(std::move(reply));
                });
  }
}

boost::asio::awaitable<Result<ReservationStatus>> SeckillService::Status(int64_t sale_id,
                                                                         int64_t user_id) {
  std::vector<std::string> keys;
  keys.push_back(contracts::StatusKey(sale_id));
  keys.push_back(contracts::MetaKey(sale_id));
  std::vector<std::string> args(1, std::to_string(user_id));
  Result<redis::Reply> reply =
      co_await redis_.Eval(StatusScript(), std::move(keys), std::move(args));
  if (!reply.ok()) co_return reply.error();
  if (reply->is_error())
    co_return MakeError(Code::kInternal, "status script failed: " + reply->str);
  if (reply->type == redis::Reply::Type::kInteger && reply->integer == -1)
    co_return MakeError(kRecovering, kSaleStateMissing);
  if (reply->is_nil() || reply->elements.size() != 2)
    co_return MakeError(Code::kNotFound, "you have no reservation in this sale");
  co_return ParseStatus(reply->elements[0].str, reply->elements[1].str);
}

}  // namespace minishop::seckill
