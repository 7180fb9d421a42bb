#include "order/order_local.h"

#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "common/clock.h"
#include "infra/amqp/consumer.h"
#include "infra/amqp/publisher.h"
#include "infra/pg/async.h"
#include "infra/redis/sync_client.h"
#include "order/idempotency_store.h"
#include "order/saga.h"
#include "contracts/keys.h"

namespace minishop::order {
namespace asio = boost::asio;

namespace {

Error PgDown() { return MakeError(Code::kUnavailable, "postgres unavailable"); }

constexpr const char* kOrderColumns =
    "id, reservation_id, sale_id, quantity, price_cents, status, reserved_at_ms";

nlohmann::json OrderRowToJson(const pg::Rows& rows, size_t r) {
  return {{"id", rows.GetInt64(r, 0).value_or(0)},
          {"reservation_id", std::string(rows.Get(r, 1))},
          {"sale_id", rows.GetInt64(r, 2).value_or(0)},
          {"quantity", rows.GetInt64(r, 3).value_or(0)},
          {"price_cents", rows.GetInt64(r, 4).value_or(0)},
          {"status", std::string(rows.Get(r, 5))},
          {"reserved_at_ms", rows.GetInt64(r, 6).value_or(0)}};
}

nlohmann::json OrderJson(const OrderRow& o) {
  return {{"id", o.order_id},       {"reservation_id", o.reservation_id},
          {"sale_id", o.sale_id},   {"quantity", o.quantity},
          {"price_cents", o.price_cents}, {"status", o.status},
          {"reserved_at_ms", o.reserved_at_ms}};
}

// Why a transition did not apply to `order` (absent: not the caller's or no such order).
Error Refusal(const std::optional<OrderRow>& order) {
  if (!order) return MakeError(Code::kNotFound, "no such order");
  return MakeError(Code::kConflict, "the order is " + order->status);
}

Error KeyReused() {
  return MakeError(kKeyReused, "this Idempotency-Key was used for a different request");
}

Error InProgress() {
  return MakeError(Code::kConflict, "a request with this Idempotency-Key is still in progress");
}

TransitionAnswer Fresh(Result<nlohmann::json> outcome) { return {std::move(outcome), false}; }

// The order's claim of a key plus its row, read in one pool job.
struct Begun {
  KeyClaim claim;
  std::optional<OrderRow> order;
};

constexpr std::chrono::milliseconds kGatherWait{500};

nlohmann::json DeliveryJson(const amqp::Delivery& d) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : d.headers) headers[k] = v;
  nlohmann::json body = nlohmann::json::parse(d.body, nullptr, false);
  return {{"routing_key", d.routing_key},
          {"headers", headers},
          {"body", body.is_discarded() ? nlohmann::json(d.body) : body}};
}

// The XADD that puts a dead-lettered outbox entry ({"stream","id","fields"}, written by the
// relay) back into its outbox stream; kInvalidArgument when the body is not such an entry.
Result<std::vector<std::string>> OutboxXadd(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("stream") || !j["stream"].is_string() ||
      !j.contains("fields") || !j["fields"].is_object()) {
    return MakeError(Code::kInvalidArgument, "dead letter from the outbox without stream and fields");
  }
  const std::string stream = j["stream"].get<std::string>();
  if (!contracts::SaleOfOutboxKey(stream))
    return MakeError(Code::kInvalidArgument, "dead letter names no outbox stream: " + stream);
  std::vector<std::string> argv = {"XADD", stream, "*"};
  for (const auto& [k, v] : j["fields"].items()) {
    argv.push_back(k);
    argv.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  }
  if (argv.size() == 3) return MakeError(Code::kInvalidArgument, "dead letter with no fields");
  return argv;
}

// Blocking: reads up to `limit` dead letters without settling them (closing the consumer
// returns them to the queue) or, with `replay`, republishes them to the reservation
// exchange with confirms and only then acks them.
Result<nlohmann::json> HandleDeadLetters(const Config& config, int64_t limit, bool replay) {
  const amqp::ConnectOptions options = amqp::ConnectOptions::FromConfig(config.amqp);
  const amqp::Topology topology = amqp::Topology::FromConfig(config.amqp);
  auto consumer =
      amqp::Consumer::Open(options, topology, topology.dead_letter_queue, static_cast<int>(limit));
  if (!consumer.ok()) return consumer.error();
  auto got = (*consumer)->Next(static_cast<size_t>(limit), kGatherWait);
  if (!got.ok()) return got.error();
  nlohmann::json messages = nlohmann::json::array();
  for (const amqp::Delivery& d : *got) messages.push_back(DeliveryJson(d));
  if (replay && !got->empty()) {
    auto publisher = amqp::Publisher::Open(options, topology);
    if (!publisher.ok()) return publisher.error();
    std::vector<amqp::Message> batch;
    std::vector<std::vector<std::string>> xadds;
    for (const amqp::Delivery& d : *got) {
      if (amqp::FindHeader(d.headers, "x-minishop-source") == "outbox") {
        // An outbox entry the relay could not read: back into its stream, for the relay to
        // read again (once the cause was fixed).
        Result<std::vector<std::string>> xadd = OutboxXadd(d.body);
        if (!xadd.ok()) return xadd.error();
        xadds.push_back(std::move(*xadd));
        continue;
      }
      amqp::Message m{topology.exchange, topology.queue, d.body, {}};
      for (const auto& h : d.headers) {
        if (h.first.rfind("x-", 0) != 0) m.headers.push_back(h);
      }
      // Its reservations may have been voided: the order worker readmits them first.
      m.headers.emplace_back(contracts::kReplayedHeader, "1");
      batch.push_back(std::move(m));
    }
    if (!xadds.empty()) {
      redis::SyncClient redis(config.redis.host, config.redis.port,
                              std::chrono::milliseconds(config.redis.command_timeout_ms));
      if (Status s = redis.Connect(); !s.ok()) return s.error();
      Result<std::vector<redis::Reply>> added =
          redis.Pipeline(xadds, redis::SyncClient::ErrorReplies::kFail);
      if (!added.ok()) return added.error();
    }
    if (!batch.empty()) {
      if (Status s = (*publisher)->PublishConfirmed(batch); !s.ok()) return s.error();
    }
    if (Status s = (*consumer)->Ack(got->back().tag, /*multiple=*/true); !s.ok()) return s.error();
  }
  return nlohmann::json{{"count", messages.size()}, {replay ? "replayed" : "messages", messages}};
}

}  // namespace

StoredAnswer StoreForm(const Result<nlohmann::json>& outcome) {
  if (outcome.ok()) return {200, outcome->dump()};
  const Error& e = outcome.error();
  return {0, nlohmann::json{{"error",
                             {{"code", CodeName(e.code)},
                              {"reason", e.reason},
                              {"message", e.message}}}}
                 .dump()};
}

Result<nlohmann::json> OutcomeOf(const StoredAnswer& stored) {
  nlohmann::json body = nlohmann::json::parse(stored.body, nullptr, false);
  if (stored.status == 200 && !body.is_discarded()) return body;
  // A refusal. Rows stored before refusals were kept in this form hold the HTTP status and
  // the public error code instead; both forms name the outcome the same way.
  if (!body.is_object() || !body.contains("error") || !body["error"].is_object())
    return MakeError(Code::kInternal, "unreadable stored answer");
  const nlohmann::json& e = body["error"];
  const std::string code = e.value("code", ""), reason = e.value("reason", "");
  const std::string message = e.value("message", "");
  if (reason == kPaymentDeclined.reason || code == kPaymentDeclined.reason)
    return MakeError(kPaymentDeclined, message);
  return MakeError(CodeFromName(code).value_or(Code::kInternal), message);
}

LocalOrders::LocalOrders(const Config& config, pg::Pool& pool, redis::AsyncClient& redis)
    : config_(config), pool_(pool), redis_(redis) {}

LocalOrders::~LocalOrders() = default;

PaymentProvider& LocalOrders::Payments(const asio::any_io_executor& executor) {
  if (!payments_) payments_ = MakePaymentProvider(executor, config_.payment);
  return *payments_;
}

asio::awaitable<Result<nlohmann::json>> LocalOrders::List(int64_t user_id) {
  // Named, not a temporary in the co_await: GCC 12 destroys lambda temporaries
  // of a co_await expression twice.
  auto job = [user_id](pg::Connection* db) -> Result<nlohmann::json> {
    if (db == nullptr) return PgDown();
    auto rows = db->Exec(std::string("SELECT ") + kOrderColumns +
                             " FROM orders WHERE user_id = $1 ORDER BY id DESC LIMIT 100",
                         {std::to_string(user_id)});
    if (!rows.ok()) return rows.error();
    nlohmann::json list = nlohmann::json::array();
    for (size_t r = 0; r < rows->size(); ++r) list.push_back(OrderRowToJson(*rows, r));
    return nlohmann::json{{"orders", list}};
  };
  co_return co_await pg::AsyncRun(pool_, std::move(job), asio::use_awaitable);
}

asio::awaitable<Result<nlohmann::json>> LocalOrders::Get(int64_t user_id, int64_t order_id) {
  auto job = [user_id, order_id](pg::Connection* db) -> Result<nlohmann::json> {
    if (db == nullptr) return PgDown();
    // Another user's order is reported as missing: ids are not secrets, orders are.
    auto rows = db->Exec(
        std::string("SELECT ") + kOrderColumns + " FROM orders WHERE id = $1 AND user_id = $2",
        {std::to_string(order_id), std::to_string(user_id)});
    if (!rows.ok()) return rows.error();
    if (rows->size() == 0) return MakeError(Code::kNotFound, "no such order");
    return OrderRowToJson(*rows, 0);
  };
  co_return co_await pg::AsyncRun(pool_, std::move(job), asio::use_awaitable);
}

asio::awaitable<Result<TransitionAnswer>> LocalOrders::Pay(TransitionRequest request) {
  if (request.idempotency_key.empty())
    co_return MakeError(Code::kInvalidArgument, "paying needs an Idempotency-Key header");
  const int64_t order_id = request.order_id;
  const KeyRef ref{request.user_id, "pay", request.idempotency_key, request.fingerprint};
  auto begin_job = [ref, order_id](pg::Connection* db) -> Result<Begun> {
    if (db == nullptr) return PgDown();
    Result<KeyClaim> claim = ClaimKey(*db, ref);
    if (!claim.ok()) return claim.error();
    Begun b{*claim, std::nullopt};
    if (claim->kind != KeyClaim::Kind::kNew) return b;
    auto order = LoadOrder(*db, order_id, ref.user_id);
    if (!order.ok()) {
      (void)ForgetKey(*db, ref);
      return order.error();
    }
    b.order = std::move(*order);
    return b;
  };
  Result<Begun> begun = co_await pg::AsyncRun(pool_, std::move(begin_job), asio::use_awaitable);
  if (!begun.ok()) co_return begun.error();
  if (begun->claim.kind == KeyClaim::Kind::kReplay)
    co_return TransitionAnswer{OutcomeOf(begun->claim.answer), true};
  if (begun->claim.kind == KeyClaim::Kind::kMismatch) co_return KeyReused();
  if (begun->claim.kind == KeyClaim::Kind::kInProgress) co_return InProgress();

  Result<nlohmann::json> outcome = nlohmann::json();
  bool stored = false;
  std::optional<OrderRow> paid;
  if (!begun->order || begun->order->status != "awaiting_payment") {
    outcome = Refusal(begun->order);
  } else {
    ChargeRequest charge_request{order_id, ref.user_id,
                                 begun->order->price_cents * begun->order->quantity, ref.key};
    auto executor = co_await asio::this_coro::executor;
    Result<ChargeResult> charge = co_await Payments(executor).Charge(charge_request);
    if (!charge.ok()) {
      // Outcome unknown to us: let the client retry with the same key.
      auto forget_job = [ref](pg::Connection* db) -> Status {
        if (db == nullptr) return PgDown();
        return ForgetKey(*db, ref);
      };
      (void)co_await pg::AsyncRun(pool_, std::move(forget_job), asio::use_awaitable);
      co_return charge.error();
    }
    if (!charge->approved) {
      outcome = MakeError(kPaymentDeclined, charge->decline_reason);
    } else {
      // The transition and the answer for the key commit together.
      const std::string reference = charge->reference;
      const int64_t now = NowEpochMs();
      using Paid = std::pair<std::optional<OrderRow>, std::optional<OrderRow>>;
      auto pay_job = [ref, order_id, reference, now](pg::Connection* db) -> Result<Paid> {
        if (db == nullptr) return PgDown();
        Result<pg::Transaction> tx = pg::Transaction::Begin(*db);
        if (!tx.ok()) return tx.error();
        auto row = MarkPaid(*db, order_id, ref.user_id, reference, now);
        if (!row.ok()) return row.error();
        if (!*row) {
          auto current = LoadOrder(*db, order_id, ref.user_id);
          if (!current.ok()) return current.error();
          return Paid{std::nullopt, *current};
        }
        Status s = StoreAnswer(*db, ref, StoreForm(OrderJson(**row)));
        if (!s.ok()) return s.error();
        if (Status c = tx->Commit(); !c.ok()) return c.error();
        return Paid{*row, std::nullopt};
      };
      Result<Paid> result = co_await pg::AsyncRun(pool_, std::move(pay_job), asio::use_awaitable);
      if (!result.ok() || !result->first) {
        // Charged but not applied (the order closed meanwhile, or PostgreSQL failed): give
        // the money back.
        (void)co_await Payments(executor).Refund(reference);
      }
      if (!result.ok()) co_return result.error();
      if (result->first) {
        paid = result->first;
        outcome = OrderJson(*paid);
        stored = true;
      } else {
        outcome = Refusal(result->second);
      }
    }
  }
  if (paid) {
    std::vector<std::string> keys(1, contracts::StatusKey(paid->sale_id));
    std::vector<std::string> args;
    args.push_back(paid->reservation_id);
    args.push_back(std::to_string(paid->order_id));
    args.push_back("paid");
    // Best effort: the status endpoint catches up at the next reconciliation otherwise.
    (void)co_await redis_.Eval(SetStatusScript(), std::move(keys), std::move(args));
  }
  if (!stored) {
    const StoredAnswer a = StoreForm(outcome);
    auto store_job = [ref, a](pg::Connection* db) -> Status {
      if (db == nullptr) return PgDown();
      return StoreAnswer(*db, ref, a);
    };
    (void)co_await pg::AsyncRun(pool_, std::move(store_job), asio::use_awaitable);
  }
  co_return Fresh(std::move(outcome));
}

asio::awaitable<Result<TransitionAnswer>> LocalOrders::Cancel(TransitionRequest request) {
  std::optional<KeyRef> ref;
  if (!request.idempotency_key.empty())
    ref = KeyRef{request.user_id, "cancel", request.idempotency_key, request.fingerprint};
  const int64_t order_id = request.order_id, user_id = request.user_id, now = NowEpochMs();
  struct Outcome {
    KeyClaim claim;
    std::optional<OrderRow> closed;   // this request cancelled it
    std::optional<OrderRow> current;  // otherwise: the order as it is
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
    auto closed = CloseOrder(*db, order_id, user_id, "cancelled", now);
    if (!closed.ok()) return closed.error();
    out.closed = *closed;
    if (!out.closed) {
      auto current = LoadOrder(*db, order_id, user_id);
      if (!current.ok()) return current.error();
      out.current = *current;
    }
    if (ref) {
      Result<nlohmann::json> answer = nlohmann::json();
      if (out.closed) {
        answer = OrderJson(*out.closed);
      } else if (out.current && out.current->status == "cancelled") {
        answer = OrderJson(*out.current);
      } else {
        answer = Refusal(out.current);
      }
      if (Status s = StoreAnswer(*db, *ref, StoreForm(answer)); !s.ok()) return s.error();
    }
    if (Status c = tx->Commit(); !c.ok()) return c.error();
    return out;
  };
  Result<Outcome> outcome = co_await pg::AsyncRun(pool_, std::move(job), asio::use_awaitable);
  if (!outcome.ok()) co_return outcome.error();
  if (outcome->claim.kind == KeyClaim::Kind::kReplay)
    co_return TransitionAnswer{OutcomeOf(outcome->claim.answer), true};
  if (outcome->claim.kind == KeyClaim::Kind::kMismatch) co_return KeyReused();
  if (outcome->claim.kind == KeyClaim::Kind::kInProgress) co_return InProgress();
  if (!outcome->closed) {
    // Cancelling a cancelled order again is a success that changes nothing.
    if (outcome->current && outcome->current->status == "cancelled")
      co_return Fresh(OrderJson(*outcome->current));
    co_return Fresh(Refusal(outcome->current));
  }
  const OrderRow closed = *outcome->closed;
  // Saga step 2: Redis takes the units back (once, keyed by order id); step 3 records it.
  // If either fails, the order stays 'pending' and the recovery job finishes it.
  Result<redis::Reply> reply = co_await redis_.Eval(ReturnStockScript(), ReturnStockKeys(closed),
                                                    ReturnStockArgs(closed));
  bool returned = false;
  if (reply.ok() && MapReturnReply(*reply).ok()) {
    const int64_t id = closed.order_id;
    auto mark_job = [id](pg::Connection* db) -> Status {
      if (db == nullptr) return PgDown();
      return MarkReturned(*db, std::vector<int64_t>(1, id));
    };
    returned = (co_await pg::AsyncRun(pool_, std::move(mark_job), asio::use_awaitable)).ok();
  }
  nlohmann::json body = OrderJson(closed);
  body["stock_return"] = returned ? "done" : "pending";
  co_return Fresh(std::move(body));
}

asio::awaitable<Result<nlohmann::json>> LocalOrders::DeadLetters(int64_t limit, bool replay) {
  const Config& config = config_;
  // AMQP is blocking: the job runs on a database pool thread (it does not use the
  // connection), which keeps the event loop free; admin calls are rare and bounded by the
  // AMQP timeouts.
  auto job = [&config, limit, replay](pg::Connection*) -> Result<nlohmann::json> {
    return HandleDeadLetters(config, limit, replay);
  };
  co_return co_await pg::AsyncRun(pool_, std::move(job), asio::use_awaitable);
}

}  // namespace minishop::order
