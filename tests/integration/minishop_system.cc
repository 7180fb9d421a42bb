#include "integration/minishop_system.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

#include "common/clock.h"
#include "harness/servers.h"
#include "infra/redis/sync_client.h"

namespace minishop::testing {
namespace asio = boost::asio;
namespace http = net::http;
using namespace std::chrono_literals;

namespace {
constexpr const char* kAdminEmail = "admin@test.local";
constexpr const char* kAdminPassword = "admin-password-for-tests";

ApiResponse ToApi(const net::Response& r) {
  ApiResponse out;
  out.status = r.result_int();
  out.body = nlohmann::json::parse(r.body(), nullptr, false);
  for (const auto& field : r)
    out.headers[std::string(field.name_string())] = std::string(field.value());
  return out;
}
}  // namespace

Result<std::unique_ptr<MiniShopSystem>> MiniShopSystem::Start(const std::string& name) {
  std::unique_ptr<MiniShopSystem> sys(new MiniShopSystem());
  sys->name_ = name;
  PostgresServer& pg = SharedPostgres();
  SharedRedis();
  SharedRabbit();
  if (Status s = pg.CreateDatabase(name); !s.ok()) return s.error();
  // Sale ids restart at 1 in every fresh database: clear the keys an earlier test left.
  redis::SyncClient redis("127.0.0.1", SharedRedis().port(), 5s);
  auto flushed = redis.Command({"FLUSHALL"}, redis::SyncClient::ErrorReplies::kFail);
  if (!flushed.ok()) return flushed.error();
  auto db = pg::Connection::Open(pg.ConnInfo(name));
  if (!db.ok()) return db.error();
  sys->db_ = std::move(*db);
  sys->port_ = FreePort();
  sys->log_path_ = ::testing::TempDir() + "minishop-" + name + ".log";
  if (Status s = sys->Launch(); !s.ok()) return s.error();
  return sys;
}

MiniShopSystem::~MiniShopSystem() {
  if (process_ && process_->Running()) {
    (void)process_->Terminate();
    (void)process_->Wait(10s);
  }
}

std::map<std::string, std::string> MiniShopSystem::Env() const {
  const std::string q = "test." + name_;
  return {{"MINISHOP_SERVER_PORT", std::to_string(port_)},
          {"MINISHOP_SERVER_THREADS", "2"},
          {"MINISHOP_REDIS_PORT", std::to_string(SharedRedis().port())},
          {"MINISHOP_POSTGRES_CONNINFO", SharedPostgres().ConnInfo(name_)},
          {"MINISHOP_POSTGRES_POOL_SIZE", "4"},
          {"MINISHOP_AMQP_PORT", std::to_string(SharedRabbit().port())},
          {"MINISHOP_AMQP_EXCHANGE", q + ".orders"},
          {"MINISHOP_AMQP_QUEUE", q + ".reservations"},
          {"MINISHOP_AMQP_DEAD_LETTER_EXCHANGE", q + ".dlx"},
          {"MINISHOP_AMQP_DEAD_LETTER_QUEUE", q + ".dead"},
          {"MINISHOP_INSTANCE_ID", "node-" + name_},
          {"MINISHOP_AUTH_PASSWORD_COST", "min"},
          {"MINISHOP_AUTH_ADMIN_EMAIL", kAdminEmail},
          {"MINISHOP_AUTH_ADMIN_PASSWORD", kAdminPassword},
          {"MINISHOP_AUTH_JWT_SECRET", "integration-test-secret-0123456789abcdef"},
          {"MINISHOP_RELAY_CLAIM_IDLE_MS", "1000"}};
}

Status MiniShopSystem::Launch() {
  auto child = ChildProcess::Spawn({MINISHOP_BINARY, "serve"}, Env(), log_path_);
  if (!child.ok()) return child.error();
  process_ = std::move(*child);
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_->Running())
      return MakeError(Code::kInternal, "minishop exited; see " + log_path_);
    auto r = net::Fetch("127.0.0.1", port_, {http::verb::get, "/readyz", "", {}}, 2s);
    if (r.ok() && r->result() == http::status::ok) return OkStatus();
    std::this_thread::sleep_for(100ms);
  }
  return MakeError(Code::kDeadlineExceeded, "minishop not ready; see " + log_path_);
}

Status MiniShopSystem::Kill9() { return process_->Kill9(); }

Result<int> MiniShopSystem::Terminate() {
  if (Status s = process_->Terminate(); !s.ok()) return s.error();
  return process_->Wait(30s);
}

ApiResponse MiniShopSystem::Call(http::verb method, const std::string& target,
                                 const std::string& body, const std::string& token,
                                 const std::map<std::string, std::string>& headers) {
  net::BlockingRequest req{method, target, body, headers};
  if (!token.empty()) req.headers["Authorization"] = "Bearer " + token;
  auto r = net::Fetch("127.0.0.1", port_, req, 30s);
  if (!r.ok()) return {};
  return ToApi(*r);
}

std::string MiniShopSystem::Raw(const std::string& bytes) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port_));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    // The server may answer and close before reading everything: a failed send is expected.
    for (size_t sent = 0; sent < bytes.size();) {
      ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<size_t>(n);
    }
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    char buf[4096];
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      ssize_t n = recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

std::string MiniShopSystem::AdminToken() {
  if (admin_token_.empty()) {
    nlohmann::json creds = {{"email", kAdminEmail}, {"password", kAdminPassword}};
    ApiResponse r = Call(http::verb::post, "/api/v1/auth/login", creds.dump());
    EXPECT_EQ(r.status, 200) << r.body.dump();
    if (r.status == 200) admin_token_ = r.body["token"].get<std::string>();
  }
  return admin_token_;
}

std::vector<std::string> MiniShopSystem::RegisterUsers(const std::string& prefix, int count) {
  std::vector<PlannedRequest> plan;
  for (int i = 0; i < count; ++i) {
    nlohmann::json creds = {{"email", prefix + "-" + std::to_string(i) + "@test.local"},
                            {"password", "password-" + std::to_string(i)}};
    plan.push_back({http::verb::post, "/api/v1/auth/register", creds.dump(), ""});
  }
  std::vector<std::string> tokens;
  for (const ApiResponse& r : SendConcurrently(port_, plan, 32)) {
    EXPECT_EQ(r.status, 201) << r.body.dump();
    tokens.push_back(r.status == 201 ? r.body["token"].get<std::string>() : "");
  }
  return tokens;
}

int64_t MiniShopSystem::CreateSale(int64_t stock, int64_t limit_per_user, int64_t starts_at_ms,
                                   int64_t ends_at_ms) {
  nlohmann::json sale = {{"product_name", "Test sneaker"},
                         {"price_cents", 9900},
                         {"stock", stock},
                         {"limit_per_user", limit_per_user},
                         {"starts_at_ms", starts_at_ms},
                         {"ends_at_ms", ends_at_ms}};
  ApiResponse r = Call(http::verb::post, "/api/v1/admin/sales", sale.dump(), AdminToken());
  EXPECT_EQ(r.status, 201) << r.body.dump();
  return r.status == 201 ? r.body["id"].get<int64_t>() : 0;
}

nlohmann::json MiniShopSystem::Stats(int64_t sale_id) {
  ApiResponse r = Call(http::verb::get, "/api/v1/admin/sales/" + std::to_string(sale_id) + "/stats",
                       "", AdminToken());
  return r.status == 200 ? r.body : nlohmann::json();
}

nlohmann::json MiniShopSystem::WaitSettled(int64_t sale_id, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  nlohmann::json stats;
  while (std::chrono::steady_clock::now() < deadline) {
    stats = Stats(sale_id);
    if (stats.is_object() && stats["invariants"]["i3_no_lost_order"] == true) return stats;
    std::this_thread::sleep_for(100ms);
  }
  return stats;
}

std::vector<ApiResponse> SendConcurrently(int port, const std::vector<PlannedRequest>& requests,
                                          int concurrency) {
  std::vector<ApiResponse> out(requests.size());
  asio::io_context io;
  size_t next = 0;
  for (int c = 0; c < concurrency; ++c) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          net::HttpClientConnection conn(io.get_executor());
          while (next < requests.size()) {
            size_t i = next++;
            const PlannedRequest& p = requests[i];
            // Reconnect (a server may close a keep-alive connection), but never resend a
            // request that was written: the test must see exactly one answer per request.
            for (int attempt = 0; attempt < 3 && !conn.is_open(); ++attempt) {
              Status s = co_await conn.Connect("127.0.0.1", port);
              (void)s;
            }
            if (!conn.is_open()) continue;
            net::ClientRequest req{p.method, p.target, 11};
            req.set(http::field::host, "127.0.0.1");
            if (!p.token.empty()) req.set(http::field::authorization, "Bearer " + p.token);
            if (!p.body.empty()) req.set(http::field::content_type, "application/json");
            req.body() = p.body;
            Result<net::Response> r = co_await conn.Send(req);
            if (r.ok()) out[i] = ToApi(*r);
          }
        },
        asio::detached);
  }
  io.run();
  return out;
}

}  // namespace minishop::testing
