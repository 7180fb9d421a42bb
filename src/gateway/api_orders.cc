// Order lifecycle endpoints of the Gateway: pay (Idempotency-Key required), cancel
// (Idempotency-Key honoured), and purchases that carry an Idempotency-Key.
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/clock.h"
#include "contracts/keys.h"
#include "gateway/gateway.h"
#include "gateway/idempotency.h"
#include "infra/pg/async.h"
#include "order/saga.h"

namespace minishop::gateway {
namespace asio = boost::asio;
namespace http = net::http;

namespace {

nlohmann::json OrderJson(const order::OrderRow& o) {
  return {{"id", o.order_id},       {"reservation_id", o.reservation_id},
          {"sale_id", o.sale_id},   {"quantity", o.quantity},
          {"price_cents", o.price_cents}, {"status", o.status},
          {"reserved_at_ms", o.reserved_at_ms}};
}

net::Response Replay(const StoredAnswer& answer) {
  net::Response r = net::JsonResponse(static_cast<http::status>(answer.status), answer.body);
  r.set("Idempotent-Replayed", "true");
  return r;
}

StoredAnswer AnswerOf(const net::Response& r) { return {static_cast<int>(r.result_int()), r.body()}; }

net::Response KeyReused() {
  return Json(http::status::unprocessable_entity,
              {{"error",
                {{"code", "idempotency_key_reused"},
                 {"message", "this Idempotency-Key was used for a different request"}}}});
}

Error InProgress() {
  return MakeError(Code::kConflict, "a request with this Idempotency-Key is still in progress");
}

Error PgDown() { return MakeError(Code::kUnavailable, "postgres unavailable"); }

// Why a transition did not apply to `order` (absent: not the caller's or no such order).
net::Response Refusal(const std::optional<order::OrderRow>& order) {
  if (!order) return net::ErrorResponse(Code::kNotFound, "no such order");
  return net::ErrorResponse(Code::kConflict, "the order is " + order->status);
}

// The order's claim of a key plus its row, read in one pool job.
struct Begun {
  KeyClaim claim;
  std::optional<order::OrderRow> order;
};

}  // namespace

order::PaymentProvider& Gateway::Payments(const asio::any_io_executor& executor) {
  if (!payments_) payments_ = order::MakePaymentProvider(executor, shared_.config.payment);
  return *payments_;
}

asio::awaitable<Result<net::Response>> Gateway::PayOrder(const net::Request& request,
                                                         const auth::Claims& caller,
                                                         int64_t order_id) {
  Result<std::optional<std::string>> key = IdempotencyKeyOf(request);
  if (!key.ok()) co_return key.error();
  if (!key->has_value())
    co_return MakeError(Code::kBadRequest, "paying needs an Idempotency-Key header");
  if (!request.message.body().empty()) {
    Result<nlohmann::json> body = ParseJsonBody(request);
    if (!body.ok()) co_return body.error();
  }
  const KeyRef ref{caller.user_id, "pay", **key,
                   RequestFingerprint("pay:" + std::to_string(order_id), request.message.body())};
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
  // of a co_await expression twice.
  auto begin_job = [ref, order_id](pg::Connection* db) -> Result<Begun> {
    if (db == nullptr) return PgDown();
    Result<KeyClaim> claim = ClaimKey(*db, ref);
    if (!claim.ok()) return claim.error();
    Begun b{*claim, std::nullopt};
    if (claim->kind != KeyClaim::Kind::kNew) return b;
    auto order = order::LoadOrder(*db, order_id, ref.user_id);
    if (!order.ok()) {
      (void)ForgetKey(*db, ref);
      return order.error();
    }
    b.order = std::move(*order);
    return b;
  };
  Result<Begun> begun = co_await pg::AsyncRun(shared_.pool, std::move(begin_job), asio::use_awaitable);
  if (!begun.ok()) co_return begun.error();
  if (begun->claim.kind == KeyClaim::Kind::kReplay) co_return Replay(begun->claim.answer);
  if (begun->claim.kind == KeyClaim::Kind::kMismatch) co_return KeyReused();
  if (begun->claim.kind == KeyClaim::Kind::kInProgress) co_return InProgress();

  net::Response answer;
  bool stored = false;
  std::optional<order::OrderRow> paid;
  if (!begun->order || begun->order->status != "awaiting_payment") {
    answer = Refusal(begun->order);
  } else {
    order::ChargeRequest charge_request{order_id, caller.user_id,
                                        begun->order->price_cents * begun->order->quantity, ref.key};
    auto executor = co_await asio::this_coro::executor;
    Result<order::ChargeResult> charge = co_await Payments(executor).Charge(charge_request);
    if (!charge.ok() || !charge->approved) {
      answer = charge.ok()
                   ? Json(http::status::payment_required,
                          {{"error", {{"code", "payment_declined"}, {"message", charge->decline_reason}}}})
                   : net::ErrorResponse(charge.error());
      if (!charge.ok()) {
        // Outcome unknown to us: let the client retry with the same key.
        auto forget_job = [ref](pg::Connection* db) -> Status {
          if (db == nullptr) return PgDown();
          return ForgetKey(*db, ref);
        };
        (void)co_await pg::AsyncRun(shared_.pool, std::move(forget_job), asio::use_awaitable);
        co_return charge.error();
      }
    } else {
      // The transition and the answer for the key commit together.
      const std::string reference = charge->reference;
      const int64_t now = NowEpochMs();
      using Paid = std::pair<std::optional<order::OrderRow>, std::optional<order::OrderRow>>;
      auto pay_job = [ref, order_id, reference, now](pg::Connection* db) -> Result<Paid> {
        if (db == nullptr) return PgDown();
        Result<pg::Transaction> tx = pg::Transaction::Begin(*db);
        if (!tx.ok()) return tx.error();
        auto row = order::MarkPaid(*db, order_id, ref.user_id, reference, now);
        if (!row.ok()) return row.error();
        if (!*row) {
          auto current = order::LoadOrder(*db, order_id, ref.user_id);
          if (!current.ok()) return current.error();
          return Paid{std::nullopt, *current};
        }
        Status s = StoreAnswer(*db, ref, {200, OrderJson(**row).dump()});
        if (!s.ok()) return s.error();
        if (Status c = tx->Commit(); !c.ok()) return c.error();
        return Paid{*row, std::nullopt};
      };
      Result<Paid> result = co_await pg::AsyncRun(shared_.pool, std::move(pay_job), asio::use_awaitable);
      if (!result.ok() || !result->first) {
        // Charged but not applied (the order closed meanwhile, or PostgreSQL failed): give
        // the money back.
        (void)co_await Payments(executor).Refund(reference);
      }
      if (!result.ok()) co_return result.error();
      if (result->first) {
        paid = result->first;
        answer = Json(http::status::ok, OrderJson(*paid));
        stored = true;
      } else {
        answer = Refusal(result->second);
      }
    }
  }
  if (paid) {
    std::vector<std::string> keys(1, seckill::StatusKey(paid->sale_id));
    std::vector<std::string> args;
    args.push_back(paid->reservation_id);
    args.push_back(std::to_string(paid->order_id));
    args.push_back("paid");
    // Best effort: the status endpoint catches up at the next reconciliation otherwise.
    (void)co_await redis_.Eval(order::SetStatusScript(), std::move(keys), std::move(args));
  }
  if (!stored) {
    const StoredAnswer a = AnswerOf(answer);
    auto store_job = [ref, a](pg::Connection* db) -> Status {
      if (db == nullptr) return PgDown();
      return StoreAnswer(*db, ref, a);
    };
    (void)co_await pg::AsyncRun(shared_.pool, std::move(store_job), asio::use_awaitable);
  }
  co_return answer;
}

asio::awaitable<Result<net::Response>> Gateway::CancelOrder(const net::Request& request,
                                                            const auth::Claims& caller,
                                                            int64_t order_id) {
  Result<std::optional<std::string>> key = IdempotencyKeyOf(request);
  if (!key.ok()) co_return key.error();
  if (!request.message.body().empty()) {
    Result<nlohmann::json> body = ParseJsonBody(request);
    if (!body.ok()) co_return body.error();
  }
  std::optional<KeyRef> ref;
  if (key->has_value()) {
    ref = KeyRef{caller.user_id, "cancel", **key,
                 RequestFingerprint("cancel:" + std::to_string(order_id), request.message.body())};
  }
  const int64_t user_id = caller.user_id, now = NowEpochMs();
  struct Outcome {
    KeyClaim claim;
    std::optional<order::OrderRow> closed;   // this request cancelled it
    std::optional<order::OrderRow> current;  // otherwise: the order as it is
  };
  auto job = [ref, order_id, user_id, now](pg::Connection* db) -> Result<Outcome> {
    if (db == nullptr) return PgDown();
    Outcome out;
    Result<pg::Transaction> tx = pg::Transaction::Begin(*db);
    if (!tx.ok()) return tx.error();
    if (ref) {
      Result<KeyClaim> claim = ClaimKey(*db, *ref);
      if (!claim.ok()) return claim.error();
      out.claim = *claim;
      if (claim->kind != KeyClaim::Kind::kNew) return out;
    }
    auto closed = order::CloseOrder(*db, order_id, user_id, "cancelled", now);
    if (!closed.ok()) return closed.error();
    out.closed = *closed;
    if (!out.closed) {
      auto current = order::LoadOrder(*db, order_id, user_id);
      if (!current.ok()) return current.error();
      out.current = *current;
    }
    if (ref) {
      StoredAnswer a;
      if (out.closed) {
        a = {200, OrderJson(*out.closed).dump()};
      } else if (out.current && out.current->status == "cancelled") {
        a = {200, OrderJson(*out.current).dump()};
      } else {
        a = AnswerOf(Refusal(out.current));
      }
      if (Status s = StoreAnswer(*db, *ref, a); !s.ok()) return s.error();
    }
    if (Status c = tx->Commit(); !c.ok()) return c.error();
    return out;
  };
  Result<Outcome> outcome = co_await pg::AsyncRun(shared_.pool, std::move(job), asio::use_awaitable);
  if (!outcome.ok()) co_return outcome.error();
  if (outcome->claim.kind == KeyClaim::Kind::kReplay) co_return Replay(outcome->claim.answer);
  if (outcome->claim.kind == KeyClaim::Kind::kMismatch) co_return KeyReused();
  if (outcome->claim.kind == KeyClaim::Kind::kInProgress) co_return InProgress();
  if (!outcome->closed) {
    // Cancelling a cancelled order again is a success that changes nothing.
    if (outcome->current && outcome->current->status == "cancelled")
      co_return Json(http::status::ok, OrderJson(*outcome->current));
    co_return Refusal(outcome->current);
  }
  const order::OrderRow closed = *outcome->closed;
  // Saga step 2: Redis takes the units back (once, keyed by order id); step 3 records it.
  // If either fails, the order stays 'pending' and the recovery job finishes it.
  Result<redis::Reply> reply = co_await redis_.Eval(
      order::ReturnStockScript(), order::ReturnStockKeys(closed), order::ReturnStockArgs(closed));
  bool returned = false;
  if (reply.ok() && order::MapReturnReply(*reply).ok()) {
    const int64_t id = closed.order_id;
    auto mark_job = [id](pg::Connection* db) -> Status {
      if (db == nullptr) return PgDown();
      return order::MarkReturned(*db, std::vector<int64_t>(1, id));
    };
    returned = (co_await pg::AsyncRun(shared_.pool, std::move(mark_job), asio::use_awaitable)).ok();
  }
  nlohmann::json body = OrderJson(closed);
  body["stock_return"] = returned ? "done" : "pending";
  co_return Json(http::status::ok, body);
}

asio::awaitable<Result<net::Response>> Gateway::KeyedPurchase(const net::Request& request,
                                                              const auth::Claims& caller,
                                                              int64_t sale_id) {
  Result<std::optional<std::string>> key = IdempotencyKeyOf(request);
  if (!key.ok()) co_return key.error();
  if (!key->has_value()) co_return co_await Purchase(request, caller, sale_id);
  const std::string name = PurchaseKeyName(sale_id, caller.user_id, **key);
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
    co_return Replay({saved.value("s", 500), saved.value("b", "")});
  }
  Result<net::Response> result = co_await Purchase(request, caller, sale_id);
  net::Response answer = result.ok() ? std::move(*result)
                                     : net::ErrorResponse(result.error(), request.message.version());
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
