#include "app/serve.h"

#include <malloc.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <vector>

#include "app/dispatcher.h"
#include "auth/user_store.h"
#include "gateway/gateway.h"
#include "infra/pg/pool.h"
#include "infra/redis/async_client.h"
#include "inventory/consistency_jobs.h"
#include "inventory/inventory_client.h"
#include "inventory/inventory_endpoints.h"
#include "inventory/inventory_local.h"
#include "inventory/inventory_service.h"
#include "net/event_loops.h"
#include "net/http_server.h"
#include "order/lifecycle_jobs.h"
#include "order/order_client.h"
#include "order/order_endpoints.h"
#include "order/order_local.h"
#include "order/order_worker.h"
#include "seckill/relay.h"
#include "seckill/seckill_client.h"
#include "seckill/seckill_endpoints.h"
#include "seckill/seckill_local.h"

namespace minishop::app {
namespace asio = boost::asio;

Result<Roles> ParseRoles(std::string_view text) {
  Roles roles;
  size_t i = 0;
  int count = 0;
  while (i <= text.size()) {
    size_t j = text.find(',', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view r = text.substr(i, j - i);
    if (r == "gateway")
      roles.gateway = true;
    else if (r == "seckill")
      roles.seckill = true;
    else if (r == "order")
      roles.order = true;
    else if (r == "inventory")
      roles.inventory = true;
    else if (r == "all")
      roles = {true, true, true, true};
    else
      return MakeError(Code::kInvalidArgument, "unknown role \"" + std::string(r) + "\"");
    ++count;
    i = j + 1;
  }
  if (count == 0) return MakeError(Code::kInvalidArgument, "no role given");
  return roles;
}

namespace {

// Blocks the termination signals in every thread (call before any thread starts), so
// that only WaitForSignal receives them.
sigset_t BlockTerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return set;
}

// Runs fn on loop `io` and waits for it: used only during start-up and shutdown.
template <class F>
void RunOnLoop(asio::io_context& io, F fn) {
  std::promise<void> done;
  asio::post(io, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

}  // namespace

Status CheckTopology(const Config& config, const Roles& roles) {
  if (!roles.gateway) return OkStatus();
  const std::pair<bool, const std::string*> services[] = {
      {roles.seckill, &config.services.seckill},
      {roles.order, &config.services.order},
      {roles.inventory, &config.services.inventory}};
  const char* names[] = {"seckill", "order", "inventory"};
  for (size_t i = 0; i < std::size(services); ++i) {
    const auto [here, list] = services[i];
    if (here) continue;
    if (list->empty()) {
      return MakeError(Code::kInvalidArgument,
                       std::string("the gateway needs the ") + names[i] + " service: run the " +
                           names[i] + " role in this process or list its instances in services." +
                           names[i] + " (MINISHOP_SERVICES_" +
                           (i == 0 ? "SECKILL" : i == 1 ? "ORDER" : "INVENTORY") + ")");
    }
    Result<std::vector<net::Endpoint>> endpoints = net::ParseEndpoints(*list);
    if (!endpoints.ok()) {
      return MakeError(Code::kInvalidArgument,
                       std::string("services.") + names[i] + ": " + endpoints.error().message);
    }
  }
  return OkStatus();
}

namespace {

// Process-wide objects the loops' services share.
struct ServiceShared {
  const Config& config;
  const Roles& roles;
  MetricsRegistry& metrics;
  pg::Pool& pool;
  inventory::SaleCatalog& catalog;
  std::function<void(int64_t)> request_rebuild;
};

std::shared_ptr<net::Upstream> MakeUpstream(asio::io_context& loop, const Config& config,
                                            std::string service, const std::string& list) {
  net::Upstream::Options options;
  options.service = std::move(service);
  options.instances = *net::ParseEndpoints(list);  // CheckTopology validated it
  options.token = config.services.token;
  options.call_timeout = std::chrono::milliseconds(config.services.call_timeout_ms);
  options.health_interval = std::chrono::milliseconds(config.services.health_interval_ms);
  options.max_idle = static_cast<size_t>(config.services.max_idle_connections);
  return net::Upstream::Create(loop, std::move(options));
}

// One loop's services: in-process for the roles that run here (with their internal
// endpoints), remote for the others when this process runs the gateway.
std::unique_ptr<LoopParts> MakeLoopParts(const ServiceShared& s, gateway::GatewayShared& gw,
                                         asio::io_context& loop, redis::AsyncClient& redis) {
  auto parts = std::make_unique<LoopParts>();
  const Roles& roles = s.roles;
  const ServicesConfig& services = s.config.services;
  if (roles.seckill) {
    parts->seckill = std::make_unique<seckill::LocalSeckill>(redis, s.metrics, s.catalog,
                                                             s.request_rebuild);
    seckill::AddSeckillEndpoints(parts->internal, *parts->seckill);
  } else if (roles.gateway) {
    parts->upstreams.push_back(MakeUpstream(loop, s.config, "seckill", services.seckill));
    parts->seckill = std::make_unique<seckill::SeckillClient>(parts->upstreams.back(), s.metrics);
  }
  if (roles.order) {
    parts->orders = std::make_unique<order::LocalOrders>(s.config, s.pool, redis);
    order::AddOrderEndpoints(parts->internal, *parts->orders);
  } else if (roles.gateway) {
    parts->upstreams.push_back(MakeUpstream(loop, s.config, "order", services.order));
    parts->orders = std::make_unique<order::OrderClient>(parts->upstreams.back());
  }
  if (roles.inventory) {
    parts->inventory = std::make_unique<inventory::LocalInventory>(s.catalog, s.pool, redis);
    inventory::AddInventoryEndpoints(parts->internal, *parts->inventory);
  } else if (roles.gateway) {
    parts->upstreams.push_back(MakeUpstream(loop, s.config, "inventory", services.inventory));
    parts->inventory = std::make_unique<inventory::InventoryClient>(parts->upstreams.back());
  }
  if (roles.gateway) {
    parts->gateway = std::make_unique<gateway::Gateway>(
        gw, redis, gateway::Services{*parts->seckill, *parts->orders, *parts->inventory});
  }
  for (const std::shared_ptr<net::Upstream>& u : parts->upstreams) u->Start();
  return parts;
}

}  // namespace

namespace {
// glibc returns freed memory at the top of the heap to the kernel once more than 128 KiB
// is free there, and sizes its mmap threshold dynamically; a server whose requests
// allocate and free all the time then pays for brk, page faults and heap consolidation
// over and over (about a fifth of its CPU under a purchase stampede). Keep the heap
// instead: it stays at its high-water mark, which the load bounds anyway. Explicit
// GLIBC_TUNABLES (malloc) settings of an operator win.
void KeepTheHeap() {
  if (const char* tunables = std::getenv("GLIBC_TUNABLES");
      tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) {
    return;
  }
  mallopt(M_TRIM_THRESHOLD, 512 << 20);
  mallopt(M_TOP_PAD, 64 << 20);
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
}
}  // namespace

int Serve(const Config& config, const Roles& roles) {
  KeepTheHeap();
  sigset_t signals = BlockTerminationSignals();
  MetricsRegistry metrics;
  auth::PasswordCost cost = config.auth.password_cost == "min" ? auth::PasswordCost::kMinimum
                                                               : auth::PasswordCost::kInteractive;
  {
    auto db = pg::Connection::Open(config.postgres.conninfo);
    if (!db.ok()) {
      spdlog::error("cannot connect to PostgreSQL: {}", db.error().message);
      return 1;
    }
    Status admin =
        auth::EnsureAdmin(**db, config.auth.admin_email, config.auth.admin_password, cost);
    if (!admin.ok()) {
      spdlog::error("cannot create the admin account: {}", admin.error().message);
      return 1;
    }
  }
  // The loops outlive the pool: a pool thread may be posting a result into a loop until
  // the pool has joined it.
  net::EventLoops loops(config.server.threads);
  pg::Pool pool(
      pg::Pool::Options{config.postgres.conninfo, config.postgres.pool_size, 10'000, "pg"});
  inventory::SaleCatalog catalog;
  std::vector<std::unique_ptr<redis::AsyncClient>> redis_clients;
  for (int i = 0; i < loops.size(); ++i) {
    redis_clients.push_back(std::make_unique<redis::AsyncClient>(loops.loop(i), config.redis));
    redis_clients.back()->Start();
  }

  std::unique_ptr<seckill::OutboxRelay> relay;
  std::unique_ptr<order::OrderWorker> worker;
  std::unique_ptr<order::LifecycleJobs> lifecycle;
  std::unique_ptr<inventory::ConsistencyJobs> consistency;
  gateway::GatewayShared gateway_shared{config, auth::JwtCodec(config.auth.jwt_secret), pool};
  // PostgreSQL serves accounts (gateway), orders and sales; a seckill-only process serves
  // purchases from Redis alone.
  DispatchShared dispatch{config, metrics, pool,
                          roles.gateway || roles.order || roles.inventory, {}};
  ServiceShared services{config, roles, metrics, pool, catalog, {}};
  if (roles.seckill) {
    relay = std::make_unique<seckill::OutboxRelay>(config, metrics);
    seckill::OutboxRelay* r = relay.get();
    // Reported, not gating: purchases go on into the outbox while RabbitMQ is down.
    dispatch.probes.push_back({"relay", [r] { return r->Health(); }, false});
  }
  if (roles.order) {
    worker = std::make_unique<order::OrderWorker>(config, metrics);
    order::OrderWorker* w = worker.get();
    dispatch.probes.push_back({"order_worker", [w] { return w->Health(); }, true});
    lifecycle = std::make_unique<order::LifecycleJobs>(config, metrics);
  }
  if (roles.inventory) {
    // With this process's relay and worker in view, a rebuild can prove that nothing is in
    // flight instead of waiting (inventory/reconcile.h).
    inventory::PipelineProbe probe{relay ? &relay->held() : nullptr,
                                   worker ? &worker->held() : nullptr};
    consistency = std::make_unique<inventory::ConsistencyJobs>(config, metrics, probe);
    inventory::ConsistencyJobs* c = consistency.get();
    services.request_rebuild = [c](int64_t sale_id) { c->RequestRebuild(sale_id); };
  }

  std::vector<Dispatcher*> dispatchers(static_cast<size_t>(loops.size()), nullptr);
  net::HttpServer server(
      loops, config.server,
      [&](asio::io_context& loop, int i) {
        auto parts = MakeLoopParts(services, gateway_shared, loop, *redis_clients[i]);
        auto dispatcher = std::make_unique<Dispatcher>(dispatch, *redis_clients[i], std::move(parts));
        dispatchers[static_cast<size_t>(i)] = dispatcher.get();
        return dispatcher;
      },
      metrics);
  if (Status s = server.Start(); !s.ok()) {
    spdlog::error("{}", s.error().message);
    return 1;
  }
  // The catalog serves the sales API (inventory) and the purchase's quick answers (seckill).
  if (roles.seckill || roles.inventory) {
    asio::co_spawn(loops.loop(0),
                   inventory::RefreshCatalog(*redis_clients[0], pool, catalog,
                                             std::chrono::milliseconds(1000)),
                   asio::detached);
  }
  loops.Start();
  if (relay) relay->Start();
  if (worker) worker->Start();
  if (lifecycle) lifecycle->Start();
  if (consistency) consistency->Start();
  spdlog::info(
      "minishop serving on {}:{} with {} loops (gateway={} seckill={} order={} inventory={})",
      config.server.host, server.port(), loops.size(), roles.gateway, roles.seckill, roles.order,
      roles.inventory);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {} received: draining", sig);
  server.BeginShutdown();
  const bool drained =
      server.WaitDrained(std::chrono::milliseconds(config.server.drain_timeout_ms));
  if (!drained) spdlog::warn("drain timeout: {} connections still open", server.open_connections());
  // The relay publishes and acks what it already read; the worker writes and acks its
  // batch; anything else stays in Redis / RabbitMQ for the next start (at-least-once).
  // The consistency jobs first: a rebuild in progress may be waiting for the relay and the
  // worker to hand on what they hold, which they do only while they run.
  if (consistency) consistency->Stop();
  if (relay) relay->Stop();
  if (worker) worker->Stop();
  if (lifecycle) lifecycle->Stop();
  for (int i = 0; i < loops.size(); ++i) {
    redis::AsyncClient* c = redis_clients[i].get();
    Dispatcher* d = dispatchers[static_cast<size_t>(i)];
    RunOnLoop(loops.loop(i), [c, d] {
      if (d != nullptr) d->Stop();
      c->Stop();
    });
  }
  if (!drained) {
    // What the handlers still wait on has just failed (Redis, other services): let them
    // answer and end while the loops run, rather than be destroyed with them.
    server.AbortInFlight();
    if (!server.WaitDrained(std::chrono::seconds(5)))
      spdlog::warn("{} connections abandoned at exit", server.open_connections());
  }
  loops.Stop();
  pool.Stop();
  spdlog::info("minishop stopped cleanly");
  return 0;
}

}  // namespace minishop::app
