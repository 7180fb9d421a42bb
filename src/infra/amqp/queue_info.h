// Queue depth as the broker reports it, for operations that must wait until reservations
// in flight have landed (inventory rebuild). Blocking; any thread.
#pragma once

#include <cstdint>
#include <string>

#include "infra/amqp/connection.h"

namespace minishop::amqp {

struct QueueCounts {
  int64_t ready = 0;      // messages waiting for a consumer (unacked ones are not counted)
  int64_t consumers = 0;
};

// Passive declare of `queue` on a short-lived connection. kUnavailable when the broker
// cannot be reached; kInternal when the queue does not exist.
Result<QueueCounts> InspectQueue(const ConnectOptions& options, const std::string& queue);

}  // namespace minishop::amqp
