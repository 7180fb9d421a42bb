// AMQP (RabbitMQ) adapter: connection settings, the queue topology MiniShop relies on, and
// the message types shared by Publisher and Consumer. rabbitmq-c's headers appear only in
// this folder's .cc files.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/result.h"

namespace minishop::amqp {

struct ConnectOptions {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  // Bounds the TCP connect, the login handshake and every synchronous AMQP method.
  std::chrono::milliseconds timeout{5'000};
  // How long PublishConfirmed waits for the broker's confirms.
  std::chrono::milliseconds confirm_timeout{10'000};
  int heartbeat_s = 30;

  static ConnectOptions FromConfig(const AmqpConfig& config);
};

// The durable exchange → queue route for reservations, whose rejected messages go through
// the dead-letter exchange (fanout) to the dead-letter queue.
struct Topology {
  std::string exchange;
  std::string queue;  // bound to `exchange` with routing key = queue name
  std::string dead_letter_exchange;
  std::string dead_letter_queue;

  static Topology FromConfig(const AmqpConfig& config);
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// The value of header `name`, or empty.
std::string_view FindHeader(const Headers& headers, std::string_view name);

// A message to publish: persistent, content type application/json, mandatory.
struct Message {
  std::string exchange;
  std::string routing_key;
  std::string body;
  Headers headers;  // string-valued, e.g. {"traceparent", "00-…"}
};

// A message received by a Consumer; settle it with Ack or Reject by `tag`.
struct Delivery {
  uint64_t tag = 0;
  bool redelivered = false;
  std::string routing_key;
  std::string body;
  Headers headers;  // the string-valued headers
};

// Opens a short-lived connection and declares `topology` (idempotent). Blocks up to a few
// `options.timeout`s. kUnavailable when the broker cannot be reached; kInternal when it
// refuses (e.g. a queue exists with different arguments).
Status DeclareTopology(const ConnectOptions& options, const Topology& topology);

}  // namespace minishop::amqp
