#include "order/order_worker.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <optional>

#include "common/clock.h"
#include "contracts/keys.h"
#include "contracts/sale_scripts.h"
#include "infra/amqp/consumer.h"
#include "infra/amqp/publisher.h"
#include "infra/pg/connection.h"
#include "infra/redis/script_runner.h"
#include "infra/redis/sync_client.h"
#include "order/saga.h"

namespace minishop::order {

namespace {
// Runs the void or readmit script on a reservation (KEYS: the ledger keys; ARGV: VoidArgs).
Result<redis::Reply> EvalOnReservation(redis::SyncClient& redis, const redis::Script& script,
                                       const Reservation& r) {
  return redis::EvalScript(redis, script, contracts::LedgerKeys(r.sale_id),
                           VoidArgs(r.reservation_id, r.ts_ms, r.user_id, r.qty));
}
}  // namespace

// How long an idle worker waits for a first message before checking for Stop.
constexpr std::chrono::milliseconds kIdleWait{200};

OrderWorker::OrderWorker(const Config& config, MetricsRegistry& metrics)
    : config_(config),
      amqp_options_(amqp::ConnectOptions::FromConfig(config.amqp)),
      topology_(amqp::Topology::FromConfig(config.amqp)),
      redis_(std::make_unique<redis::SyncClient>(
          config.redis.host, config.redis.port,
          std::chrono::milliseconds(config.redis.command_timeout_ms))),
      written_(metrics.GetCounter("minishop_orders_written_total",
                                  "Order rows inserted into PostgreSQL")),
      batches_(metrics.GetCounter("minishop_order_batches_total",
                                  "Reservation batches written, cached and acked")),
      messages_(metrics.GetCounter("minishop_order_messages_total",
                                   "Reservation messages acked after a successful batch")),
      dead_lettered_(metrics.GetCounter("minishop_dead_lettered_total",
                                        "Malformed messages moved to the dead-letter queue",
                                        "stage=\"order\"")),
      adopted_(metrics.GetCounter("minishop_order_adopted_units_total",
                                  "Units of orders whose reservation Redis had lost, re-reserved")),
      failed_(metrics.GetCounter("minishop_reservations_failed_total",
                                 "Reservations PostgreSQL refused: voided, their units returned")),
      readmitted_(metrics.GetCounter("minishop_reservations_readmitted_total",
                                     "Voided reservations whose replay took their units again")),
      errors_(metrics.GetCounter("minishop_order_errors_total",
                                 "Order worker rounds that failed on a dependency")),
      batch_seconds_(metrics.GetHistogram("minishop_order_batch_seconds",
                                          "Time from receiving a batch to acking it")) {}

OrderWorker::~OrderWorker() { Stop(); }

void OrderWorker::Start() {
  const PeriodicTask::Settings settings{
      .period = std::chrono::milliseconds(0),
      .backoff = std::chrono::milliseconds(50),
      .max_backoff = std::chrono::milliseconds(config_.redis.reconnect_max_ms),
      .nice = config_.server.background_nice};
  task_.Start("order-worker", settings, [this] {
    Status s = Step();
    if (!s.ok()) Recover(s.error());
    return s;
  });
}

void OrderWorker::Stop() {
  if (!task_.IsRunning()) return;
  task_.Stop();
  if (batch_.ack_tag != 0) {
    spdlog::warn("order worker: stopping with {} reservations unacked; they will be redelivered",
                 batch_.items.size());
  }
}

void OrderWorker::Recover(const Error& error) {
  errors_.Inc();
  spdlog::warn("order worker: {} (retrying)", error.message);
  if (consumer_ != nullptr && consumer_->broken()) {
    // Delivery tags die with the channel: the broker redelivers the batch.
    consumer_.reset();
    batch_ = Batch{};
    held_.Abandon();
  }
}

Status OrderWorker::Health() const {
  if (task_.Health().ok()) return OkStatus();
  return MakeError(Code::kUnavailable, "order worker cannot reach RabbitMQ, PostgreSQL or Redis");
}

Status OrderWorker::EnsureConnected() {
  if (consumer_ == nullptr) {
    auto c = amqp::Consumer::Open(amqp_options_, topology_, topology_.queue, config_.amqp.prefetch);
    if (!c.ok()) return c.error();
    consumer_ = std::move(c).value();
    held_.Connected();
  }
  if (pg_ == nullptr) {
    auto conn = pg::Connection::Open(config_.postgres.conninfo);
    if (!conn.ok()) return conn.error();
    pg_ = std::move(conn).value();
  }
  return redis_->Connect();
}

Status OrderWorker::Step() {
  if (Status s = EnsureConnected(); !s.ok()) return s;
  if (batch_.ack_tag == 0) {
    if (Status s = Collect(); !s.ok()) return s;
    if (batch_.ack_tag == 0) {
      held_.Release();  // nothing arrived, or every delivery was rejected (settled)
      return OkStatus();
    }
  }
  if (!batch_.readmitted) {
    if (Status s = Readmit(); !s.ok()) return s;
  }
  if (!batch_.written) {
    if (Status s = Write(); !s.ok()) return s;
  }
  if (!batch_.parked) {
    if (Status s = Park(); !s.ok()) return s;
  }
  if (!batch_.voided) {
    if (Status s = Void(); !s.ok()) return s;
  }
  if (!batch_.cached) {
    if (Status s = Cache(); !s.ok()) return s;
  }
  return Acknowledge();
}

Status OrderWorker::Collect() {
  batch_ = Batch{};
  const size_t max = static_cast<size_t>(std::max(config_.order.batch_size, 1));
  // Messages until the batch holds `max` reservations or none arrives within the wait.
  while (batch_.items.size() + batch_.poison.size() < max) {
    const bool first = batch_.ack_tag == 0 && batch_.items.empty() && batch_.poison.empty();
    Result<std::vector<amqp::Delivery>> got = consumer_->Next(
        1, first ? kIdleWait : std::chrono::milliseconds(config_.order.batch_wait_ms));
    if (!got.ok()) return got.error();
    if (got->empty()) break;
    if (first) batch_.started_us = NowSteadyUs();
    held_.Hold();
    amqp::Delivery& d = got->front();
    Result<ParsedMessage> parsed = ParseMessage(d.body);
    if (!parsed.ok()) {
      if (Status s = Reject(d.tag, parsed.error().message); !s.ok()) return s;
      continue;
    }
    const bool replayed = amqp::FindHeader(d.headers, contracts::kReplayedHeader) == "1";
    for (Reservation& r : parsed->reservations)
      batch_.items.push_back(Item{d.tag, std::move(r), replayed});
    for (PoisonReservation& p : parsed->poison) batch_.poison.push_back(std::move(p));
    batch_.ack_tag = std::max(batch_.ack_tag, d.tag);
    ++batch_.messages;
  }
  return OkStatus();
}

Status OrderWorker::Reject(uint64_t tag, const std::string& why) {
  spdlog::warn("order worker: poison message {} dead-lettered: {}", tag, why);
  if (Status s = consumer_->Reject(tag); !s.ok()) return s;
  dead_lettered_.Inc();
  return OkStatus();
}

Status OrderWorker::Write() {
  if (batch_.items.empty()) {  // only poison
    batch_.written = true;
    return OkStatus();
  }
  std::vector<Reservation> reservations;
  reservations.reserve(batch_.items.size());
  for (const Item& item : batch_.items) reservations.push_back(item.reservation);
  Result<WriteResult> result = WriteOrders(*pg_, reservations);
  if (!result.ok()) return result.error();
  for (size_t index : result->rejected) {
    batch_.poison.push_back({ReservationJson(batch_.items[index].reservation),
                             "unknown sale or user, or invalid values"});
    batch_.refused.push_back(batch_.items[index].reservation);
  }
  written_.Inc(static_cast<uint64_t>(result->inserted));
  batch_.orders = std::move(result->orders);
  batch_.written = true;
  return OkStatus();
}

// Replayed reservations may have been voided (their units returned): each takes its units
// again before it may become an order; one that no longer fits is parked again.
Status OrderWorker::Readmit() {
  // First every script (a retry after a failure here finds the readmitted ones unmarked and
  // lets them through), then the batch is rebuilt.
  std::vector<std::optional<ReadmitOutcome>> outcomes(batch_.items.size());
  for (size_t i = 0; i < batch_.items.size(); ++i) {
    if (!batch_.items[i].replayed) continue;
    Result<redis::Reply> reply =
        EvalOnReservation(*redis_, ReadmitReservationScript(), batch_.items[i].reservation);
    if (!reply.ok()) return reply.error();
    Result<ReadmitOutcome> outcome = MapReadmitReply(*reply);
    if (!outcome.ok()) return outcome.error();
    outcomes[i] = *outcome;
  }
  std::vector<Item> kept;
  kept.reserve(batch_.items.size());
  for (size_t i = 0; i < batch_.items.size(); ++i) {
    Item& item = batch_.items[i];
    const ReadmitOutcome outcome = outcomes[i].value_or(ReadmitOutcome::kNeverVoided);
    if (outcome == ReadmitOutcome::kReadmitted) {
      readmitted_.Inc();
      spdlog::info("order worker: replayed reservation {} took its units again",
                   item.reservation.reservation_id);
    }
    if (outcome == ReadmitOutcome::kNoLongerFits) {
      batch_.poison.push_back({ReservationJson(item.reservation),
                               "replayed after it failed, but its units were sold meanwhile (or "
                               "the shopper reached the limit): it stays failed"});
    } else if (outcome == ReadmitOutcome::kSaleNotInRedis) {
      batch_.poison.push_back(
          {ReservationJson(item.reservation), "replayed, but the sale has no Redis keys"});
    } else {
      kept.push_back(std::move(item));
    }
  }
  batch_.items = std::move(kept);
  batch_.readmitted = true;
  return OkStatus();
}

Status OrderWorker::Park() {
  if (!batch_.poison.empty()) {
    if (dead_letters_ == nullptr || dead_letters_->broken()) {
      dead_letters_.reset();
      auto p = amqp::Publisher::Open(amqp_options_, topology_);
      if (!p.ok()) return p.error();
      dead_letters_ = std::move(p).value();
    }
    std::vector<amqp::Message> messages;
    for (const PoisonReservation& p : batch_.poison) {
      spdlog::warn("order worker: poison reservation dead-lettered: {}: {}", p.reason, p.json);
      messages.push_back({topology_.dead_letter_exchange,
                          topology_.queue,
                          p.json,
                          {{"x-minishop-reason", p.reason}, {"x-minishop-source", "order"}}});
    }
    if (Status s = dead_letters_->PublishConfirmed(messages); !s.ok()) {
      dead_letters_.reset();
      return s;
    }
    dead_lettered_.Inc(batch_.poison.size());
  }
  batch_.parked = true;
  return OkStatus();
}

// Runs after the dead letters are confirmed, so that a crash in between leaves the message
// unacked (redelivered, refused and parked again) rather than a voided reservation without
// its dead letter.
Status OrderWorker::Void() {
  for (const Reservation& r : batch_.refused) {
    Result<redis::Reply> reply = EvalOnReservation(*redis_, VoidReservationScript(), r);
    if (!reply.ok()) return reply.error();
    Result<VoidOutcome> outcome = MapVoidReply(*reply);
    if (!outcome.ok()) return outcome.error();
    if (*outcome == VoidOutcome::kVoided) {
      failed_.Inc();
      spdlog::warn("order worker: reservation {} of sale {} failed; {} unit(s) returned",
                   r.reservation_id, r.sale_id, r.qty);
    }
  }
  batch_.voided = true;
  return OkStatus();
}

namespace {
// Publishes written orders' statuses in Redis (contracts::CacheOrdersLua).
const redis::Script& CacheScript() {
  static const redis::Script script(contracts::CacheOrdersLua());
  return script;
}
}  // namespace

Status OrderWorker::Cache() {
  std::map<int64_t, std::vector<std::string>> args;  // sale → script ARGV
  for (const StoredOrder& o : batch_.orders) {
    auto& argv = args[o.sale_id];
    argv.push_back(o.reservation_id);
    argv.push_back(std::to_string(o.order_id));
    argv.push_back(o.status);
    argv.push_back(std::to_string(o.user_id));
    argv.push_back(std::to_string(o.quantity));
  }
  for (auto& [sale, argv] : args) {
    Result<redis::Reply> adopted =
        redis::EvalScript(*redis_, CacheScript(), contracts::LedgerKeys(sale), argv);
    if (!adopted.ok()) return adopted.error();
    if (adopted->integer > 0) {
      spdlog::warn("order worker: sale {}: adopted {} units Redis had no reservation for", sale,
                   adopted->integer);
      adopted_.Inc(static_cast<uint64_t>(adopted->integer));
    }
  }
  batch_.cached = true;
  return OkStatus();
}

Status OrderWorker::Acknowledge() {
  if (batch_.ack_tag != 0) {
    // Multiple: settles every earlier delivery of the batch; rejected ones are settled
    // already, and ack_tag is never one of them.
    if (Status s = consumer_->Ack(batch_.ack_tag, /*multiple=*/true); !s.ok()) return s;
    held_.Release();
    batches_.Inc();
    messages_.Inc(batch_.messages);
    batch_seconds_.ObserveUs(NowSteadyUs() - batch_.started_us);
  }
  batch_ = Batch{};
  return OkStatus();
}

}  // namespace minishop::order
