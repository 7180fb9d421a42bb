// Serve: builds the object graph of `minishop serve` for the chosen roles, runs it until
// SIGTERM/SIGINT, then shuts down in order (stop accepting, drain requests, finish the
// relay and order batches in flight) and returns the exit code. Called from main only.
#pragma once

#include <string_view>

#include "common/config.h"
#include "common/result.h"

namespace minishop::app {

struct Roles {
  bool gateway = false;    // the public /api/v1 (with the seckill hot path in-process)
  bool seckill = false;    // the outbox relay: Redis stream -> RabbitMQ
  bool order = false;      // the order worker: RabbitMQ -> PostgreSQL
  bool inventory = false;  // catalog refresh from PostgreSQL and Redis
};

// Parses "gateway,seckill,order,inventory" (any subset, at least one). kBadRequest
// naming an unknown role.
Result<Roles> ParseRoles(std::string_view text);

// Blocks until a termination signal; 0 on a clean shutdown, 1 if start-up failed.
int Serve(const Config& config, const Roles& roles);

}  // namespace minishop::app
