// Admin endpoints for the dead-letter queue: GET /admin/dead-letters lists up to `limit`
// dead-lettered messages (they stay in the queue), POST /admin/dead-letters/replay moves up
// to `limit` of them back (after the cause was fixed): an outbox entry the relay could not
// read into its outbox stream, a reservation the order worker parked into the reservation
// queue, marked as replayed so that a voided reservation takes its units again first. A
// message that is still poison is dead-lettered again.
#include <boost/asio/use_awaitable.hpp>
#include <charconv>

#include "contracts/keys.h"
#include "gateway/gateway.h"
#include "infra/amqp/consumer.h"
#include "infra/amqp/publisher.h"
#include "infra/pg/async.h"
#include "infra/redis/sync_client.h"

namespace minishop::gateway {
namespace asio = boost::asio;
namespace http = net::http;

namespace {

constexpr std::chrono::milliseconds kGatherWait{500};

// ?limit=N (1..1000, default 100).
int64_t LimitOf(std::string_view target) {
  auto pos = target.find("limit=");
  if (pos == std::string_view::npos) return 100;
  std::string_view v = target.substr(pos + 6);
  v = v.substr(0, v.find('&'));
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || n < 1) return 100;
  return std::min<int64_t>(n, 1000);
}

nlohmann::json DeliveryJson(const amqp::Delivery& d) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : d.headers) headers[k] = v;
  nlohmann::json body = nlohmann::json::parse(d.body, nullptr, false);
  return {{"routing_key", d.routing_key},
          {"headers", headers},
          {"body", body.is_discarded() ? nlohmann::json(d.body) : body}};
}

// The XADD that puts a dead-lettered outbox entry ({"stream","id","fields"}, written by the
// relay) back into its outbox stream; kBadRequest when the body is not such an entry.
Result<std::vector<std::string>> OutboxXadd(const std::string& body) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_object() || !j.contains("stream") || !j["stream"].is_string() ||
      !j.contains("fields") || !j["fields"].is_object()) {
    return MakeError(Code::kBadRequest, "dead letter from the outbox without stream and fields");
  }
  const std::string stream = j["stream"].get<std::string>();
  if (!stream.starts_with("ms:{s") || !stream.ends_with("}:outbox"))
    return MakeError(Code::kBadRequest, "dead letter names no outbox stream: " + stream);
  std::vector<std::string> argv = {"XADD", stream, "*"};
  for (const auto& [k, v] : j["fields"].items()) {
    argv.push_back(k);
    argv.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  }
  if (argv.size() == 3) return MakeError(Code::kBadRequest, "dead letter with no fields");
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
      m.headers.emplace_back(seckill::kReplayedHeader, "1");
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

asio::awaitable<Result<net::Response>> Gateway::DeadLetters(const net::Request& request,
                                                            bool replay) {
  const int64_t limit = LimitOf(request.message.target());
  const Config& config = shared_.config;
  // AMQP is blocking: the job runs on a database pool thread (it does not use the
  // connection), which keeps the event loop free; admin calls are rare and bounded by the
  // AMQP timeouts.
  auto job = [&config, limit, replay](pg::Connection*) -> Result<nlohmann::json> {
    return HandleDeadLetters(config, limit, replay);
  };
  Result<nlohmann::json> result =
      co_await pg::AsyncRun(shared_.pool, std::move(job), asio::use_awaitable);
  if (!result.ok()) co_return result.error();
  co_return Json(http::status::ok, *result);
}

}  // namespace minishop::gateway
