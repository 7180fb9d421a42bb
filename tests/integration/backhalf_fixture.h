// Helpers for the back-half tests (outbox relay → RabbitMQ → order worker → PostgreSQL
// and Redis): configs wired to the shared servers, seeded databases, outbox entries and
// queue draining. Blocking; use from the test's main thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/config.h"
#include "infra/amqp/connection.h"
#include "infra/pg/connection.h"
#include "infra/redis/sync_client.h"

namespace minishop::testing {

// A Config on the shared Redis, RabbitMQ and PostgreSQL, whose exchange, queues and
// database are private to `name`, with short relay and order timings.
Config BackhalfConfig(const std::string& name);

// Creates (afresh) and migrates the database of BackhalfConfig(name), with a sale row for
// each of `sale_ids` and users 1..`users`. Returns a connection to it.
std::unique_ptr<pg::Connection> PrepareDatabase(const std::string& name,
                                                const std::vector<int64_t>& sale_ids, int users);

// A client of the shared Redis; FLUSHALL first when `flush`.
std::unique_ptr<redis::SyncClient> RedisClient(bool flush);

// The reservation id of the n-th reservation of `user` in `sale` (contracts/keys.h).
std::string ReservationId(int64_t sale, int64_t user, int n);
// XADD of a well-formed outbox entry for that reservation (qty 1, price 100).
std::vector<std::string> OutboxXadd(int64_t sale, int64_t user, int n);
// The AMQP message body the relay makes of that reservation.
std::string ReservationBody(int64_t sale, int64_t user, int n);

// Consumes `queue` (acking everything) until `done` holds for what was received or
// `timeout` passes; returns what was received.
std::vector<amqp::Delivery> Drain(const Config& config, const std::string& queue,
                                  const std::function<bool(const std::vector<amqp::Delivery>&)>& done,
                                  std::chrono::seconds timeout = std::chrono::seconds(120));

// Polls `condition` every 50 ms until it holds (true) or `timeout` passes (false).
bool Eventually(const std::function<bool()>& condition,
                std::chrono::seconds timeout = std::chrono::seconds(120));

// Integer value of a single-cell query, or -1 on error.
int64_t QueryInt(pg::Connection& conn, const std::string& sql);

}  // namespace minishop::testing
