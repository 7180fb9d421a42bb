#include "seckill/relay.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "common/trace_context.h"
#include "contracts/keys.h"
#include "contracts/reservation_wire.h"
#include "infra/amqp/publisher.h"
#include "infra/redis/sync_client.h"

namespace minishop::seckill {
namespace {

using contracts::kActiveSalesKey;
using contracts::kRelayGroup;
using contracts::OutboxKey;
using contracts::ReservationRecord;
using contracts::ReservationWireJson;
using contracts::SaleOfOutboxKey;
using redis::Reply;

int64_t NowSteadyMs() { return NowSteadyUs() / 1000; }

std::optional<int64_t> ToInt(std::string_view text) {
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

Result<OutboxEntry> ParseEntry(int64_t sale_id, Reply& r) {
  if (r.type != Reply::Type::kArray || r.elements.size() != 2 ||
      r.elements[0].type != Reply::Type::kString) {
    return MakeError(Code::kInternal, "relay: unexpected stream entry shape");
  }
  OutboxEntry e{sale_id, std::move(r.elements[0].str), {}};
  std::vector<Reply>& fields = r.elements[1].elements;
  e.fields.reserve(fields.size() / 2);
  for (size_t i = 0; i + 1 < fields.size(); i += 2) {
    e.fields.emplace_back(std::move(fields[i].str), std::move(fields[i + 1].str));
  }
  return e;
}

Status AppendEntries(int64_t sale_id, Reply& list, std::vector<OutboxEntry>& out) {
  if (list.type != Reply::Type::kArray) {
    return MakeError(Code::kInternal, "relay: unexpected entry list shape");
  }
  out.reserve(out.size() + list.elements.size());
  for (Reply& r : list.elements) {
    Result<OutboxEntry> e = ParseEntry(sale_id, r);
    if (!e.ok()) return e.error();
    out.push_back(std::move(e).value());
  }
  return OkStatus();
}

std::string_view Field(const OutboxEntry& e, std::string_view name) {
  for (const auto& [k, v] : e.fields) {
    if (k == name) return v;
  }
  return {};
}

std::string DefaultConsumerName() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return std::string(host) + "-" + std::to_string(getpid());
}

}  // namespace

Result<std::vector<OutboxEntry>> ParseReadReply(Reply reply) {
  std::vector<OutboxEntry> out;
  if (reply.is_nil()) return out;
  if (reply.type != Reply::Type::kArray) {
    return MakeError(Code::kInternal, "relay: unexpected XREADGROUP reply");
  }
  for (Reply& stream : reply.elements) {
    if (stream.type != Reply::Type::kArray || stream.elements.size() != 2) {
      return MakeError(Code::kInternal, "relay: unexpected XREADGROUP stream shape");
    }
    std::optional<int64_t> sale = SaleOfOutboxKey(stream.elements[0].str);
    if (!sale) return MakeError(Code::kInternal, "relay: not an outbox: " + stream.elements[0].str);
    if (Status s = AppendEntries(*sale, stream.elements[1], out); !s.ok()) return s.error();
  }
  return out;
}

Result<std::vector<OutboxEntry>> ParseClaimReply(int64_t sale_id, Reply reply) {
  std::vector<OutboxEntry> out;
  if (reply.type != Reply::Type::kArray || reply.elements.size() < 2) {
    return MakeError(Code::kInternal, "relay: unexpected XAUTOCLAIM reply");
  }
  if (Status s = AppendEntries(sale_id, reply.elements[1], out); !s.ok()) return s.error();
  return out;
}

Result<std::string> ReservationJson(const OutboxEntry& e) {
  ReservationRecord w;
  w.reservation_id = Field(e, "rid");
  if (w.reservation_id.empty()) return MakeError(Code::kInvalidArgument, "missing rid");
  const std::pair<const char*, int64_t*> numbers[] = {{"sale", &w.sale_id},
                                                      {"user", &w.user_id},
                                                      {"qty", &w.qty},
                                                      {"price", &w.price_cents},
                                                      {"ts", &w.ts_ms}};
  for (const auto& [field, out] : numbers) {
    std::optional<int64_t> v = ToInt(Field(e, field));
    if (!v) return MakeError(Code::kInvalidArgument, std::string("missing or non-integer ") + field);
    *out = *v;
  }
  if (w.sale_id != e.sale_id) return MakeError(Code::kInvalidArgument, "sale differs from stream");
  if (w.user_id <= 0 || w.qty <= 0 || w.price_cents < 0) {
    return MakeError(Code::kInvalidArgument, "user, qty or price out of range");
  }
  // The trace context is telemetry: one that is not canonical is dropped (the gateway
  // never writes such a one), never a reason to hold the reservation back.
  if (std::string_view tp = Field(e, "tp"); IsCanonicalTraceParent(tp)) w.traceparent = tp;
  try {
    return ReservationWireJson(w, /*replace_invalid_utf8=*/false);
  } catch (const nlohmann::json::exception&) {
    return MakeError(Code::kInvalidArgument, "rid is not valid UTF-8");
  }
}

OutboxMessages PackEntries(const std::vector<OutboxEntry>& entries, const amqp::Topology& topology,
                           size_t per_message) {
  OutboxMessages out;
  per_message = std::max<size_t>(per_message, 1);
  amqp::Message open;  // the reservation message being filled
  size_t in_open = 0;
  auto close = [&] {
    if (in_open == 0) return;
    open.body += ']';
    out.messages.push_back(std::move(open));
    open = amqp::Message{};
    in_open = 0;
  };
  for (const OutboxEntry& e : entries) {
    if (e.fields.empty()) continue;  // deleted while pending: nothing to carry
    Result<std::string> json = ReservationJson(e);
    if (!json.ok()) {
      spdlog::warn("relay: outbox entry {} of sale {} is malformed ({}); dead-lettering it", e.id,
                   e.sale_id, json.error().message);
      out.messages.push_back(DeadLetterMessage(e, json.error().message, topology));
      ++out.malformed;
      continue;
    }
    if (in_open == 0) {
      open = amqp::Message{topology.exchange, topology.queue, "[", {}};
      if (std::string_view tp = Field(e, "tp"); IsCanonicalTraceParent(tp))
        open.headers.emplace_back("traceparent", tp);
    } else {
      open.body += ',';
    }
    open.body += *json;
    ++out.reservations;
    if (++in_open == per_message) close();
  }
  close();
  return out;
}

amqp::Message DeadLetterMessage(const OutboxEntry& e, const std::string& reason,
                                const amqp::Topology& topology) {
  nlohmann::ordered_json fields = nlohmann::ordered_json::object();
  for (const auto& [k, v] : e.fields) fields[k] = v;
  nlohmann::ordered_json body = {
      {"stream", OutboxKey(e.sale_id)}, {"id", e.id}, {"fields", fields}};
  return amqp::Message{topology.dead_letter_exchange,
                       topology.queue,
                       body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       {{"x-minishop-reason", reason}, {"x-minishop-source", "outbox"}}};
}

OutboxRelay::OutboxRelay(const Config& config, MetricsRegistry& metrics)
    : config_(config),
      amqp_options_(amqp::ConnectOptions::FromConfig(config.amqp)),
      topology_(amqp::Topology::FromConfig(config.amqp)),
      consumer_(config.instance_id.empty() ? DefaultConsumerName() : config.instance_id),
      redis_(std::make_unique<redis::SyncClient>(
          config.redis.host, config.redis.port,
          std::chrono::milliseconds(config.redis.command_timeout_ms + config.relay.block_ms))),
      published_(metrics.GetCounter("minishop_relay_published_total",
                                    "Outbox entries published to RabbitMQ and confirmed")),
      dead_lettered_(metrics.GetCounter("minishop_dead_lettered_total",
                                        "Malformed messages moved to the dead-letter queue",
                                        "stage=\"relay\"")),
      errors_(metrics.GetCounter("minishop_relay_errors_total",
                                 "Relay rounds that failed on Redis or RabbitMQ")),
      backlog_(metrics.GetGauge("minishop_outbox_backlog",
                                "Entries in the outbox streams not yet relayed")) {}

OutboxRelay::~OutboxRelay() { Stop(); }

void OutboxRelay::Start() {
  const PeriodicTask::Settings settings{
      .period = std::chrono::milliseconds(0),
      .backoff = std::chrono::milliseconds(50),
      .max_backoff = std::chrono::milliseconds(config_.redis.reconnect_max_ms),
      .nice = config_.server.background_nice};
  task_.Start("relay", settings, [this] {
    Status s = Step();
    if (!s.ok()) Recover(s.error());
    return s;
  });
}

void OutboxRelay::Stop() {
  if (!task_.IsRunning()) return;
  task_.Stop();
  if (!batch_.entries.empty()) {
    spdlog::warn("relay: stopping with {} entries unconfirmed; they stay pending in Redis",
                 batch_.entries.size());
  }
}

void OutboxRelay::Recover(const Error& error) {
  errors_.Inc();
  spdlog::warn("relay: {} (retrying)", error.message);
  // After an outage Redis may have lost groups or acks: recreate and re-read.
  sales_.clear();
  next_refresh_ms_ = 0;
  read_own_pending_ = true;
}

Status OutboxRelay::Health() const {
  if (task_.Health().ok()) return OkStatus();
  return MakeError(Code::kUnavailable, "relay cannot reach Redis or RabbitMQ");
}

Status OutboxRelay::EnsureConnected() {
  if (Status s = redis_->Connect(); !s.ok()) return s;
  if (publisher_ != nullptr && !publisher_->broken()) return OkStatus();
  publisher_.reset();
  Result<std::unique_ptr<amqp::Publisher>> p = amqp::Publisher::Open(amqp_options_, topology_);
  if (!p.ok()) return p.error();
  publisher_ = std::move(p).value();
  return OkStatus();
}

Status OutboxRelay::Step() {
  if (Status s = EnsureConnected(); !s.ok()) return s;
  if (!batch_.entries.empty()) return Deliver();
  if (NowSteadyMs() >= next_refresh_ms_) {
    if (Status s = RefreshSales(); !s.ok()) return s;
  }
  if (sales_.empty()) {
    task_.SleepUnlessStopped(std::chrono::milliseconds(config_.relay.block_ms));
    return publisher_->Poll();
  }
  Result<std::vector<OutboxEntry>> entries = std::vector<OutboxEntry>{};
  if (read_own_pending_) {
    entries = ReadEntries();
    if (entries.ok() && entries->empty()) read_own_pending_ = false;
  } else if (NowSteadyMs() >= next_claim_ms_) {
    entries = ClaimEntries();
    next_claim_ms_ = NowSteadyMs() + std::max<int64_t>(config_.relay.claim_idle_ms / 2, 1);
  } else {
    if (const int64_t wait = linger_until_ms_ - NowSteadyMs(); wait > 0) {
      task_.SleepUnlessStopped(std::chrono::milliseconds(wait));
    }
    entries = ReadEntries();
    if (entries.ok()) {
      const bool partial =
          !entries->empty() && entries->size() < static_cast<size_t>(config_.relay.batch_size);
      linger_until_ms_ = partial ? NowSteadyMs() + config_.relay.linger_ms : 0;
      if (entries->empty()) return publisher_->Poll();
    }
  }
  if (!entries.ok()) return entries.error();
  if (entries->empty()) return OkStatus();
  batch_.entries = std::move(entries).value();
  held_.Hold();
  return Deliver();
}

Status OutboxRelay::RefreshSales() {
  Result<Reply> members = redis_->Command({"SMEMBERS", kActiveSalesKey});
  if (!members.ok()) return members.error();
  std::vector<int64_t> sales;
  for (const Reply& m : members->elements) {
    if (std::optional<int64_t> id = ToInt(m.str)) sales.push_back(*id);
  }
  std::sort(sales.begin(), sales.end());
  std::vector<std::vector<std::string>> cmds;
  for (int64_t id : sales) {
    if (!std::binary_search(sales_.begin(), sales_.end(), id)) {
      cmds.push_back({"XGROUP", "CREATE", OutboxKey(id), kRelayGroup, "0", "MKSTREAM"});
    }
  }
  const size_t creates = cmds.size();
  for (int64_t id : sales) cmds.push_back({"XLEN", OutboxKey(id)});
  Result<std::vector<Reply>> replies = redis_->Pipeline(cmds);
  if (!replies.ok()) return replies.error();
  int64_t backlog = 0;
  for (size_t i = 0; i < replies->size(); ++i) {
    const Reply& r = (*replies)[i];
    if (r.is_error() && !(i < creates && r.str.starts_with("BUSYGROUP"))) {
      return MakeError(Code::kInternal, "redis: " + r.str);
    }
    if (i >= creates) backlog += r.integer;
  }
  backlog_.Set(backlog);
  sales_ = std::move(sales);
  next_refresh_ms_ = NowSteadyMs() + 1000;
  return OkStatus();
}

Result<std::vector<OutboxEntry>> OutboxRelay::ReadEntries() {
  std::vector<std::string> argv = {"XREADGROUP", "GROUP", kRelayGroup,
                                   consumer_,    "COUNT", std::to_string(config_.relay.batch_size)};
  if (!read_own_pending_) {
    argv.insert(argv.end(), {"BLOCK", std::to_string(config_.relay.block_ms)});
  }
  argv.push_back("STREAMS");
  for (int64_t id : sales_) argv.push_back(OutboxKey(id));
  for (size_t i = 0; i < sales_.size(); ++i) argv.push_back(read_own_pending_ ? "0" : ">");
  Result<Reply> reply = redis_->Command(argv, redis::SyncClient::ErrorReplies::kFail);
  if (!reply.ok()) return reply.error();
  return ParseReadReply(std::move(reply).value());
}

Result<std::vector<OutboxEntry>> OutboxRelay::ClaimEntries() {
  std::vector<std::vector<std::string>> cmds;
  for (int64_t id : sales_) {
    cmds.push_back({"XAUTOCLAIM", OutboxKey(id), kRelayGroup, consumer_,
                    std::to_string(config_.relay.claim_idle_ms), "0-0", "COUNT",
                    std::to_string(config_.relay.batch_size)});
  }
  Result<std::vector<Reply>> replies =
      redis_->Pipeline(cmds, redis::SyncClient::ErrorReplies::kFail);
  if (!replies.ok()) return replies.error();
  std::vector<OutboxEntry> out;
  for (size_t i = 0; i < sales_.size(); ++i) {
    Result<std::vector<OutboxEntry>> claimed = ParseClaimReply(sales_[i], std::move((*replies)[i]));
    if (!claimed.ok()) return claimed.error();
    for (auto& e : *claimed) out.push_back(std::move(e));
  }
  if (!out.empty()) spdlog::info("relay: claimed {} entries idle on other consumers", out.size());
  return out;
}

Status OutboxRelay::Deliver() {
  if (!batch_.published) {
    if (Status s = Publish(); !s.ok()) return s;
  }
  if (Status s = RemoveFromStreams(); !s.ok()) return s;
  batch_ = Batch{};
  return OkStatus();
}

Status OutboxRelay::Publish() {
  OutboxMessages packed = PackEntries(batch_.entries, topology_,
                                      static_cast<size_t>(config_.relay.reservations_per_message));
  if (Status s = publisher_->PublishConfirmed(packed.messages); !s.ok()) {
    publisher_.reset();  // a fresh one also re-declares the topology
    return s;
  }
  batch_.published = true;
  held_.Release();  // the reservations are in RabbitMQ now
  published_.Inc(packed.reservations);
  dead_lettered_.Inc(packed.malformed);
  return OkStatus();
}

Status OutboxRelay::RemoveFromStreams() {
  std::map<int64_t, std::vector<std::string>> ids;
  for (const OutboxEntry& e : batch_.entries) ids[e.sale_id].push_back(e.id);
  // In transactions of at most kRemoveChunk ids: Redis runs each transaction without
  // interruption, so every purchase script waits for the whole of one.
  constexpr size_t kRemoveChunk = 100;
  std::vector<std::vector<std::string>> cmds;
  for (const auto& [sale, list] : ids) {
    for (size_t first = 0; first < list.size(); first += kRemoveChunk) {
      const auto begin = list.begin() + static_cast<std::ptrdiff_t>(first);
      const auto end =
          list.begin() + static_cast<std::ptrdiff_t>(std::min(list.size(), first + kRemoveChunk));
      std::vector<std::string> ack = {"XACK", OutboxKey(sale), kRelayGroup};
      std::vector<std::string> del = {"XDEL", OutboxKey(sale)};
      ack.insert(ack.end(), begin, end);
      del.insert(del.end(), begin, end);
      cmds.push_back({"MULTI"});
      cmds.push_back(std::move(ack));
      cmds.push_back(std::move(del));
      cmds.push_back({"EXEC"});
    }
  }
  Result<std::vector<Reply>> replies =
      redis_->Pipeline(cmds, redis::SyncClient::ErrorReplies::kFail);
  if (!replies.ok()) return replies.error();
  return OkStatus();
}

}  // namespace minishop::seckill
