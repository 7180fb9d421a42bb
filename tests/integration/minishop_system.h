// MiniShopSystem: a `minishop serve` child process wired to the harness's real Redis,
// PostgreSQL (a fresh database) and RabbitMQ (queues of its own), plus the client calls
// the whole-system tests need. Blocking; use from the test's main thread.
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

struct ApiResponse {
  int status = 0;  // 0: no response (connection failed)
  nlohmann::json body;
  std::map<std::string, std::string> headers;
};

class MiniShopSystem {
 public:
  // Creates database `name` and starts the server on a free port; waits for /readyz.
  static Result<std::unique_ptr<MiniShopSystem>> Start(const std::string& name);
  ~MiniShopSystem();

  int port() const { return port_; }
  pg::Connection& db() { return *db_; }

  // (Re)starts the server process; kill with Kill9 first to simulate a crash.
  Status Launch();
  Status Kill9();
  // SIGTERM and wait for the exit code.
  Result<int> Terminate();

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

  const std::string& log_path() const { return log_path_; }

 private:
  MiniShopSystem() = default;
  std::map<std::string, std::string> Env() const;

  std::string name_;
  int port_ = 0;
  std::string log_path_;
  std::unique_ptr<ChildProcess> process_;
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
