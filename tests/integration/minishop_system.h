// MiniShopSystem: MiniShop wired to the harness's real Redis, PostgreSQL (a fresh database)
// and RabbitMQ (queues of its own), plus the client calls the whole-system tests need. Two
// topologies, as `./minishop up` runs them:
//   all-in-one  one `minishop serve` child process with every role (instance "minishop");
//   split       one `minishop serve --roles <role>` child process per instance ("gateway-1",
//               "seckill-2", …), each on its own port, with nginx in front of the gateways
//               (harness/nginx_server.h), the gateways calling the other roles' instances
//               (MINISHOP_SERVICES_*), every process sharing the service token.
// port() is where clients go: the process itself, or nginx. Blocking; use from the test's
// main thread.
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/result.h"
#include "harness/process.h"
#include "infra/pg/connection.h"
#include "net/http_client.h"

namespace minishop::testing {

// How many processes of each role the split topology runs (`./minishop up --split`: 2, 2,
// 2, 1).
struct SplitLayout {
  int gateways = 2;
  int seckill = 2;
  int order = 2;
  int inventory = 1;
};

class NginxServer;

struct ApiResponse {
  int status = 0;  // 0: no response (connection failed)
  nlohmann::json body;
  std::map<std::string, std::string> headers;
};

class MiniShopSystem {
 public:
  // Creates database `name` and starts the server on a free port; waits for /readyz.
  static Result<std::unique_ptr<MiniShopSystem>> Start(const std::string& name);
  // Creates database `name` and starts the split topology on free ports: the services
  // first, then the gateways that call them, each waited for on /readyz; then nginx.
  static Result<std::unique_ptr<MiniShopSystem>> StartSplit(const std::string& name,
                                                            const SplitLayout& layout = {});
  ~MiniShopSystem();

  // The public port: the all-in-one process, or nginx in front of the split gateways.
  int port() const { return port_; }
  pg::Connection& db() { return *db_; }

  // (Re)starts every process that does not run, in start order, and waits for each; kill
  // with Kill9 first to simulate a crash.
  Status Launch();
  // SIGKILL to every process.
  Status Kill9();
  // SIGTERM to every process (split: the gateways first, then the services) and wait for
  // them; the first non-zero exit code, or 0.
  Result<int> Terminate();

  // Instance names in start order: {"minishop"}, or "<role>-<k>" (inventory-1, order-1, …,
  // gateway-2).
  std::vector<std::string> Instances() const;
  // SIGKILL to one instance (a crash); kNotFound for an unknown name.
  Status Kill9(const std::string& instance);
  // `signal` to one instance (e.g. SIGSTOP, SIGCONT); kNotFound for an unknown name.
  Status Signal(const std::string& instance, int signal);
  // Waits up to `timeout` for one instance to exit: its exit code (128 + signal number when
  // a signal ended it), kDeadlineExceeded, or kNotFound for an unknown name.
  Result<int> Wait(const std::string& instance, std::chrono::milliseconds timeout);
  // (Re)starts one instance and waits for its /readyz.
  Status Launch(const std::string& instance);
  // The instance's own port (its /healthz, /readyz, /metrics; the API on a gateway); 0 for
  // an unknown name.
  int InstancePort(const std::string& instance) const;
  std::string log_path(const std::string& instance) const;
  // The service token every instance of a split system shares (Minishop-Service-Token).
  static std::string ServiceToken();

  ApiResponse Call(net::http::verb method, const std::string& target, const std::string& body = "",
                   const std::string& token = "",
                   const std::map<std::string, std::string>& headers = {});

  // Sends `bytes` as they are on a fresh connection and returns everything the server sends
  // back until it closes the connection or 10 s pass (for requests no client library sends).
  std::string Raw(const std::string& bytes);

  // Logs in as the configured admin and returns the token.
  std::string AdminToken();
  // Registers `count` users ("<prefix>-<i>@test.local") concurrently; returns their tokens.
  std::vector<std::string> RegisterUsers(const std::string& prefix, int count);
  // Creates a sale through the admin API; returns its id (0 on failure, with a test failure).
  int64_t CreateSale(int64_t stock, int64_t limit_per_user, int64_t starts_at_ms,
                     int64_t ends_at_ms);
  // GET /api/v1/admin/sales/{id}/stats.
  nlohmann::json Stats(int64_t sale_id);
  // Polls the stats until the outbox is empty and every reserved unit is a PostgreSQL
  // order (I3), or `timeout` passes; returns the last stats.
  nlohmann::json WaitSettled(int64_t sale_id, std::chrono::milliseconds timeout);

  // The log of the first instance (all-in-one: the only one); the others are beside it.
  const std::string& log_path() const { return instances_.front().log_path; }

 private:
  struct Instance {
    std::string name;  // "minishop", "gateway-1", …
    std::string role;  // "" (every role), "gateway", "seckill", "order", "inventory"
    int port = 0;
    std::string log_path;
    std::unique_ptr<ChildProcess> process;
  };

  MiniShopSystem();
  static Result<std::unique_ptr<MiniShopSystem>> Create(const std::string& name);
  std::map<std::string, std::string> Env(const Instance& instance) const;
  std::string Addresses(const std::string& role) const;
  Instance* Find(const std::string& name);
  const Instance* Find(const std::string& name) const;
  Status LaunchInstance(Instance& instance);
  Status LaunchAll();

  std::string name_;
  int port_ = 0;
  std::vector<Instance> instances_;
  std::unique_ptr<NginxServer> nginx_;
  std::unique_ptr<pg::Connection> db_;
  std::string admin_token_;
};

// Sends every request over `concurrency` keep-alive connections at once and returns the
// responses in request order.
struct PlannedRequest {
  net::http::verb method;
  std::string target;
  std::string body;
  std::string token;
};
std::vector<ApiResponse> SendConcurrently(int port, const std::vector<PlannedRequest>& requests,
                                          int concurrency);

}  // namespace minishop::testing
