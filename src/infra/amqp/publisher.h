// Publisher: publishes batches of persistent messages to RabbitMQ with publisher confirms.
// Blocking; one thread at a time. After any error it is broken (every call returns
// kUnavailable): drop it and Open a new one.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "infra/amqp/connection.h"

namespace minishop::amqp {

class Channel;

class Publisher {
 public:
  // Connects, declares `topology` and puts the channel in confirm mode. Blocks up to a few
  // options.timeout. kUnavailable when the broker cannot be reached.
  static Result<std::unique_ptr<Publisher>> Open(const ConnectOptions& options,
                                                 const Topology& topology);
  ~Publisher();
  Publisher(const Publisher&) = delete;
  Publisher& operator=(const Publisher&) = delete;

  // Publishes every message of `batch` (persistent, application/json, mandatory), then
  // waits for the broker to confirm them all: one wait per batch, not per message. OK
  // means every message is safely on the broker. kUnavailable on a connection problem, a
  // nack or an unroutable (returned) message; kDeadlineExceeded when confirms do not arrive within
  // options.confirm_timeout; kInternal when the broker closes the channel (e.g. unknown
  // exchange). On any error some messages may have been delivered: republish the batch
  // (consumers are idempotent).
  Status PublishConfirmed(const std::vector<Message>& batch);

  // Handles what the broker sent while the publisher was idle (heartbeats, a close), and
  // sends a heartbeat when one is due. Never blocks. Call it when idle so that a quiet
  // connection stays open and a dead one is noticed before the next batch.
  Status Poll();

  bool broken() const;

 private:
  Publisher(std::unique_ptr<Channel> channel, const ConnectOptions& options);
  Status AwaitConfirms(uint64_t first, uint64_t last);

  std::unique_ptr<Channel> channel_;
  std::chrono::milliseconds confirm_timeout_;
  uint64_t next_tag_ = 1;  // delivery tag of the next publish (confirm mode numbering)
};

}  // namespace minishop::amqp
