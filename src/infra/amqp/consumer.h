// Consumer: receives messages from one queue with manual acknowledgement and a prefetch
// window. Blocking; one thread at a time. After any error it is broken (every call returns
// kUnavailable): drop it and Open a new one; the broker redelivers what was not acked.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "infra/amqp/connection.h"

namespace minishop::amqp {

class Channel;

class Consumer {
 public:
  // Connects, declares `topology`, sets basic.qos(prefetch) and starts consuming `queue`
  // with manual acks. Blocks up to a few options.timeout. kUnavailable when the broker
  // cannot be reached; kInternal when it refuses (e.g. unknown queue).
  static Result<std::unique_ptr<Consumer>> Open(const ConnectOptions& options,
                                                const Topology& topology,
                                                const std::string& queue, int prefetch);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Blocks until `max` deliveries have arrived or `wait` has passed, and returns what
  // arrived (possibly nothing). kUnavailable when the connection or channel is lost (the
  // deliveries of this call are then dropped: the broker redelivers them).
  Result<std::vector<Delivery>> Next(size_t max, std::chrono::milliseconds wait);

  // Acknowledges delivery `tag` (and, with `multiple`, every unsettled one before it).
  Status Ack(uint64_t tag, bool multiple);
  // Rejects delivery `tag` without requeueing: the queue dead-letters it.
  Status Reject(uint64_t tag);

  bool broken() const;

 private:
  explicit Consumer(std::unique_ptr<Channel> channel);
  Status Settled(int status, const char* what);

  std::unique_ptr<Channel> channel_;
};

}  // namespace minishop::amqp
