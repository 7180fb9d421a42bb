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
#include "harness/nginx_server.h"
#include "harness/servers.h"
#include "infra/redis/sync_client.h"

namespace minishop::testing {
namespace asio = boost::asio;
namespace http = net::http;
using namespace std::chrono_literals;

namespace {
constexpr const char* kAdminEmail = "admin@test.local";
constexpr const char* kAdminPassword = "admin-password-for-tests";
constexpr const char* kServiceToken = "integration-test-service-token-0123456789abcdef";
// Start order: the services before the gateways that call them.
constexpr const char* kSplitRoles[] = {"inventory", "order", "seckill", "gateway"};

ApiResponse ToApi(const net::Response& r) {
  ApiResponse out;
  out.status = r.result_int();
  out.body = nlohmann::json::parse(r.body(), nullptr, false);
  for (const auto& field : r)
    out.headers[std::string(field.name_string())] = std::string(field.value());
  return out;
}

int CountOf(const SplitLayout& layout, std::string_view role) {
  if (role == "gateway") return layout.gateways;
  if (role == "seckill") return layout.seckill;
  if (role == "order") return layout.order;
  return layout.inventory;
}
}  // namespace

MiniShopSystem::MiniShopSystem() = default;

Result<std::unique_ptr<MiniShopSystem>> MiniShopSystem::Create(const std::string& name) {
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
  return sys;
}

Result<std::unique_ptr<MiniShopSystem>> MiniShopSystem::Start(const std::string& name) {
  auto sys = Create(name);
  if (!sys.ok()) return sys.error();
  MiniShopSystem& s = **sys;
  s.instances_.push_back(
      {"minishop", "", FreePort(), ::testing::TempDir() + "minishop-" + name + ".log", nullptr});
  if (Status st = s.LaunchAll(); !st.ok()) return st.error();
  s.port_ = s.instances_.front().port;
  return sys;
}

Result<std::unique_ptr<MiniShopSystem>> MiniShopSystem::StartSplit(const std::string& name,
                                                                   const SplitLayout& layout) {
  auto sys = Create(name);
  if (!sys.ok()) return sys.error();
  MiniShopSystem& s = **sys;
  for (const char* role : kSplitRoles) {
    for (int k = 1; k <= CountOf(layout, role); ++k) {
      const std::string instance = std::string(role) + "-" + std::to_string(k);
      s.instances_.push_back({instance, role, FreePort(),
                              ::testing::TempDir() + "minishop-" + name + "-" + instance + ".log",
                              nullptr});
    }
  }
  if (Status st = s.LaunchAll(); !st.ok()) return st.error();
  std::vector<int> gateways;
  for (const Instance& i : s.instances_)
    if (i.role == "gateway") gateways.push_back(i.port);
  auto nginx = NginxServer::Start(gateways);
  if (!nginx.ok()) return nginx.error();
  s.nginx_ = std::move(*nginx);
  s.port_ = s.nginx_->port();
  return sys;
}

MiniShopSystem::~MiniShopSystem() { (void)Terminate(); }

// The configuration every process shares, then what is each instance's own.
std::map<std::string, std::string> MiniShopSystem::Env(const Instance& instance) const {
  const std::string q = "test." + name_;
  std::map<std::string, std::string> env = {
      {"MINISHOP_SERVER_PORT", std::to_string(instance.port)},
      // Seven split processes share the test machine's cores: one loop each.
      {"MINISHOP_SERVER_THREADS", instance.role.empty() ? "2" : "1"},
      {"MINISHOP_REDIS_PORT", std::to_string(SharedRedis().port())},
      {"MINISHOP_POSTGRES_CONNINFO", SharedPostgres().ConnInfo(name_)},
      {"MINISHOP_POSTGRES_POOL_SIZE", "4"},
      {"MINISHOP_AMQP_PORT", std::to_string(SharedRabbit().port())},
      {"MINISHOP_AMQP_EXCHANGE", q + ".orders"},
      {"MINISHOP_AMQP_QUEUE", q + ".reservations"},
      {"MINISHOP_AMQP_DEAD_LETTER_EXCHANGE", q + ".dlx"},
      {"MINISHOP_AMQP_DEAD_LETTER_QUEUE", q + ".dead"},
      {"MINISHOP_INSTANCE_ID",
       instance.role.empty() ? "node-" + name_ : "node-" + name_ + "-" + instance.name},
      {"MINISHOP_AUTH_PASSWORD_COST", "min"},
      {"MINISHOP_AUTH_ADMIN_EMAIL", kAdminEmail},
      {"MINISHOP_AUTH_ADMIN_PASSWORD", kAdminPassword},
      {"MINISHOP_AUTH_JWT_SECRET", "integration-test-secret-0123456789abcdef"},
      {"MINISHOP_SERVICES_TOKEN", kServiceToken},
      {"MINISHOP_RELAY_CLAIM_IDLE_MS", "1000"}};
  if (instance.role == "gateway") {
    env["MINISHOP_SERVICES_SECKILL"] = Addresses("seckill");
    env["MINISHOP_SERVICES_ORDER"] = Addresses("order");
    env["MINISHOP_SERVICES_INVENTORY"] = Addresses("inventory");
  }
  return env;
}

// "127.0.0.1:P1,127.0.0.1:P2" of every instance of `role`.
std::string MiniShopSystem::Addresses(const std::string& role) const {
  std::string list;
  for (const Instance& i : instances_) {
    if (i.role != role) continue;
    if (!list.empty()) list += ",";
    list += "127.0.0.1:" + std::to_string(i.port);
  }
  return list;
}

MiniShopSystem::Instance* MiniShopSystem::Find(const std::string& name) {
  for (Instance& i : instances_)
    if (i.name == name) return &i;
  return nullptr;
}

const MiniShopSystem::Instance* MiniShopSystem::Find(const std::string& name) const {
  for (const Instance& i : instances_)
    if (i.name == name) return &i;
  return nullptr;
}

Status MiniShopSystem::LaunchInstance(Instance& instance) {
  std::vector<std::string> argv = {MINISHOP_BINARY, "serve"};
  if (!instance.role.empty()) argv.insert(argv.end(), {"--roles", instance.role});
  auto child = ChildProcess::Spawn(argv, Env(instance), instance.log_path);
  if (!child.ok()) return child.error();
  instance.process = std::move(*child);
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!instance.process->Running()) {
      // Another process took the free port first: the server refuses to share it.
      Code code = TailOfFile(instance.log_path).find("the port is in use") != std::string::npos
                      ? Code::kUnavailable
                      : Code::kInternal;
      return MakeError(code, instance.name + " exited; see " + instance.log_path);
    }
    auto r = net::Fetch("127.0.0.1", instance.port, {http::verb::get, "/readyz", "", {}}, 2s);
    if (r.ok() && r->result() == http::status::ok) {
      // MiniShop refuses a port that something listens on, but a process binding it with
      // SO_REUSEPORT afterwards (another test's nginx) would silently get part of this
      // instance's connections.
      if (ListensAlone(instance.port, instance.process->pid())) return OkStatus();
      (void)instance.process->Kill9();
      return MakeError(Code::kUnavailable, instance.name + ": port " +
                                               std::to_string(instance.port) +
                                               " is shared with another process");
    }
    std::this_thread::sleep_for(100ms);
  }
  return MakeError(Code::kDeadlineExceeded, instance.name + " not ready; see " + instance.log_path);
}

// The first start: an instance whose port turns out to be shared starts again on another
// one (nothing refers to its port yet: later instances, nginx and port() are set after).
Status MiniShopSystem::LaunchAll() {
  for (Instance& i : instances_) {
    Status s = LaunchInstance(i);
    for (int attempt = 1; attempt < 3 && s.code() == Code::kUnavailable; ++attempt) {
      i.port = FreePort();
      s = LaunchInstance(i);
    }
    if (!s.ok()) return s;
  }
  return OkStatus();
}

Status MiniShopSystem::Launch() {
  for (Instance& i : instances_) {
    if (i.process && i.process->Running()) continue;
    if (Status s = LaunchInstance(i); !s.ok()) return s;
  }
  return OkStatus();
}

Status MiniShopSystem::Launch(const std::string& instance) {
  Instance* i = Find(instance);
  if (i == nullptr) return MakeError(Code::kNotFound, "no instance " + instance);
  return LaunchInstance(*i);
}

Status MiniShopSystem::Kill9() {
  for (Instance& i : instances_) {
    if (!i.process) continue;
    if (Status s = i.process->Kill9(); !s.ok()) return s;
  }
  return OkStatus();
}

Status MiniShopSystem::Kill9(const std::string& instance) {
  Instance* i = Find(instance);
  if (i == nullptr || !i->process) return MakeError(Code::kNotFound, "no instance " + instance);
  return i->process->Kill9();
}

Status MiniShopSystem::Signal(const std::string& instance, int signal) {
  Instance* i = Find(instance);
  if (i == nullptr || !i->process) return MakeError(Code::kNotFound, "no instance " + instance);
  return i->process->Signal(signal);
}

Result<int> MiniShopSystem::Wait(const std::string& instance, std::chrono::milliseconds timeout) {
  Instance* i = Find(instance);
  if (i == nullptr || !i->process) return MakeError(Code::kNotFound, "no instance " + instance);
  return i->process->Wait(timeout);
}

Result<int> MiniShopSystem::Terminate() {
  int first_failure = 0;
  // Gateways first, so that nothing calls a service that is already gone.
  for (bool gateways : {true, false}) {
    std::vector<Instance*> tier;
    for (Instance& i : instances_) {
      if ((i.role == "gateway") == gateways && i.process && i.process->Running()) {
        if (Status s = i.process->Terminate(); !s.ok()) return s.error();
        tier.push_back(&i);
      }
    }
    for (Instance* i : tier) {
      auto code = i->process->Wait(30s);
      if (!code.ok()) return code.error();
      if (*code != 0 && first_failure == 0) first_failure = *code;
    }
  }
  return first_failure;
}

std::vector<std::string> MiniShopSystem::Instances() const {
  std::vector<std::string> names;
  for (const Instance& i : instances_) names.push_back(i.name);
  return names;
}

int MiniShopSystem::InstancePort(const std::string& instance) const {
  const Instance* i = Find(instance);
  return i == nullptr ? 0 : i->port;
}

std::string MiniShopSystem::ServiceToken() { return kServiceToken; }

std::string MiniShopSystem::log_path(const std::string& instance) const {
  const Instance* i = Find(instance);
  return i == nullptr ? "" : i->log_path;
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
