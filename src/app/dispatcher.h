// Dispatcher: the HTTP handler of one event loop of a `minishop serve` process. It answers
// /healthz, /readyz and /metrics itself, hands /api/… to the loop's Gateway (when this
// process runs the gateway role) and /internal/v1/… to the internal endpoints of the roles
// it runs (after checking the service token), and counts every answer by route group.
//
// One per loop, called only from that loop; never blocks.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/config.h"
#include "common/metrics.h"
#include "gateway/gateway.h"
#include "infra/pg/pool.h"
#include "infra/redis/async_client.h"
#include "inventory/inventory_api.h"
#include "net/http_types.h"
#include "net/rpc.h"
#include "net/upstream.h"
#include "order/order_api.h"
#include "seckill/seckill_api.h"

namespace minishop::app {

// A dependency check for /readyz: OK or why the dependency is not usable. Called from event
// loops: must be thread-safe and must not block. A check that does not `gate` is reported
// but leaves the process ready (e.g. the relay: purchases go on into the outbox while
// RabbitMQ is down).
struct ReadinessProbe {
  std::string name;
  std::function<Status()> check;
  bool gate = true;
};

// Process-wide, shared by every loop's Dispatcher; read-only after start-up.
struct DispatchShared {
  const Config& config;
  MetricsRegistry& metrics;
  pg::Pool& pool;
  bool needs_postgres = true;  // whether /readyz requires PostgreSQL (the roles here use it)
  std::vector<ReadinessProbe> probes;
};

// What one loop serves: its services (local or remote), the gateway if the role runs
// here, and the internal endpoints of the roles that run here.
struct LoopParts {
  std::unique_ptr<seckill::SeckillApi> seckill;
  std::unique_ptr<order::OrderApi> orders;
  std::unique_ptr<inventory::InventoryApi> inventory;
  std::vector<std::shared_ptr<net::Upstream>> upstreams;  // the remote services' instances
  std::unique_ptr<gateway::Gateway> gateway;
  net::InternalRouter internal;
};

class Dispatcher final : public net::HttpHandler {
 public:
  // `redis` is this loop's client; references outlive the dispatcher.
  Dispatcher(DispatchShared& shared, redis::AsyncClient& redis, std::unique_ptr<LoopParts> parts);
  ~Dispatcher() override;

  boost::asio::awaitable<net::Response> Handle(net::Request& request) override;

  // Stops the loop's upstreams (their probes and connections). Call on the loop.
  void Stop();

 private:
  boost::asio::awaitable<net::Response> Route(net::Request& request,
                                              const net::PathSegments& path);
  boost::asio::awaitable<net::Response> Internal(net::Request& request,
                                                 const net::PathSegments& path);
  boost::asio::awaitable<net::Response> Ready();
  net::Response Metrics() const;
  void Count(std::string_view group, unsigned status);

  DispatchShared& shared_;
  redis::AsyncClient& redis_;
  std::unique_ptr<LoopParts> parts_;
  std::unordered_map<uint32_t, Counter*> counters_;  // (route group << 16 | status)
};

}  // namespace minishop::app
