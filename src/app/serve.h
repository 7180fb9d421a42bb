// Serve: builds the object graph of `minishop serve` for the chosen roles, runs it until
// SIGTERM/SIGINT, then shuts down in order (stop accepting, drain requests, finish the
// relay and order batches in flight) and returns the exit code. Called from main only.
#pragma once

#include <string_view>

#include "common/config.h"
#include "common/result.h"

namespace minishop::app {

// Which services a process runs (docs/architecture.md). Each role serves its internal API
// (/internal/v1/<role>/…); the gateway calls the roles of its own process in-process and
// the others over the network (services.* in the config).
struct Roles {
  bool gateway = false;    // the public /api/v1: auth, validation, routing
  bool seckill = false;    // purchase admission and reservation status; the outbox relay
  bool order = false;      // the order worker, the orders API, payment and expiry jobs
  bool inventory = false;  // sales: create, list, stats; reconciliation and rebuilds
};

// Parses "gateway,seckill,order,inventory" (any subset, at least one). kInvalidArgument
// naming an unknown role.
Result<Roles> ParseRoles(std::string_view text);

// Whether `config` lets a process with `roles` find every service its gateway calls: a
// role that does not run here needs a valid services.<role> list. kInvalidArgument naming
// the setting otherwise.
Status CheckTopology(const Config& config, const Roles& roles);

// Blocks until a termination signal; 0 on a clean shutdown, 1 if start-up failed.
int Serve(const Config& config, const Roles& roles);

}  // namespace minishop::app
