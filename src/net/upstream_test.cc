#include "net/upstream.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>

#include "net/http_server.h"
#include "net/rpc.h"

namespace minishop::net {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

// Answers with its name and the service token it saw; "/slow" after 600 ms (past a test's
// deadline, within the server's drain); /readyz as told.
class NamedHandler : public HttpHandler {
 public:
  NamedHandler(std::string name, bool* ready) : name_(std::move(name)), ready_(ready) {}
  asio::awaitable<Response> Handle(Request& request) override {
    if (request.message.target() == "/readyz") {
      co_return JsonResponse(*ready_ ? http::status::ok : http::status::service_unavailable, "{}");
    }
    if (request.message.target() == "/slow") {
      asio::steady_timer t(co_await asio::this_coro::executor, 600ms);
      co_await t.async_wait(asio::use_awaitable);
    }
    std::string token(request.message[kServiceTokenHeader]);
    co_return JsonResponse(http::status::ok, name_ + " " + token);
  }

 private:
  std::string name_;
  bool* ready_;
};

struct TestServer {
  TestServer(std::string name, EventLoops& loops, MetricsRegistry& metrics) {
    ServerConfig config;
    config.host = "127.0.0.1";
    config.port = 0;
    config.drain_timeout_ms = 100;
    server = std::make_unique<HttpServer>(
        loops, config,
        [this, name](asio::io_context&, int) {
          return std::make_unique<NamedHandler>(name, &ready);
        },
        metrics);
  }
  bool ready = true;
  std::unique_ptr<HttpServer> server;
};

class UpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(a_.server->Start().ok());
    ASSERT_TRUE(b_.server->Start().ok());
    loops_.Start();
  }
  void TearDown() override {
    if (upstream_) Run([this]() -> asio::awaitable<void> {
        upstream_->Stop();
        co_return;
      });
    for (TestServer* s : {&a_, &b_}) {
      s->server->BeginShutdown();
      s->server->WaitDrained(5s);
    }
    loops_.Stop();
  }

  std::shared_ptr<Upstream> Make(std::vector<Endpoint> instances,
                                 std::chrono::milliseconds timeout = 2s) {
    Upstream::Options o;
    o.service = "test";
    o.instances = std::move(instances);
    o.token = "secret";
    o.call_timeout = timeout;
    o.health_interval = 50ms;
    upstream_ = Upstream::Create(client_io_, o);
    upstream_->Start();
    return upstream_;
  }

  // Runs `body` on the client loop until it finishes.
  template <class F>
  void Run(F body) {
    bool done = false;
    asio::co_spawn(
        client_io_,
        [&]() -> asio::awaitable<void> {
          co_await body();
          done = true;
        },
        asio::detached);
    for (int i = 0; i < 1000 && !done; ++i) client_io_.run_for(10ms);
    ASSERT_TRUE(done);
  }

  Result<Response> Get(std::string target) {
    std::optional<Result<Response>> out;
    Run([&]() -> asio::awaitable<void> {
      out.emplace(co_await upstream_->Call(http::request<http::string_body>{
          http::verb::get, target, 11}));
    });
    return out.value_or(MakeError(Code::kInternal, "not run"));
  }

  Endpoint At(TestServer& s) { return {"127.0.0.1", s.server->port()}; }

  // A port nothing listens on (bound, then released).
  static Endpoint Closed() {
    asio::io_context io;
    asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
    const int port = a.local_endpoint().port();
    a.close();
    return {"127.0.0.1", port};
  }

  EventLoops loops_{1};
  MetricsRegistry metrics_;
  TestServer a_{"a", loops_, metrics_}, b_{"b", loops_, metrics_};
  asio::io_context client_io_;
  std::shared_ptr<Upstream> upstream_;
};

TEST(ParseEndpointsTest, ReadsListsAndNamesTheBadItem) {
  auto ok = ParseEndpoints("127.0.0.1:80, seckill-1:8080");
  ASSERT_TRUE(ok.ok());
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1].host, "seckill-1");
  EXPECT_EQ((*ok)[1].port, 8080);
  for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:70000", "a:1,,b:2"}) {
    EXPECT_FALSE(ParseEndpoints(bad).ok()) << bad;
  }
}

TEST_F(UpstreamTest, SpreadsCallsRoundRobinAndSendsTheToken) {
  Make({At(a_), At(b_)});
  std::vector<std::string> bodies;
  for (int i = 0; i < 4; ++i) {
    Result<Response> r = Get("/x");
    ASSERT_TRUE(r.ok()) << r.error().message;
    bodies.push_back(r->body());
  }
  EXPECT_EQ(bodies, (std::vector<std::string>{"a secret", "b secret", "a secret", "b secret"}));
}

TEST_F(UpstreamTest, SkipsAnInstanceThatRefusesConnections) {
  Make({Closed(), At(a_)});
  for (int i = 0; i < 3; ++i) {
    Result<Response> r = Get("/x");
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->body(), "a secret");
  }
  EXPECT_EQ(upstream_->instances_up(), 1u);
}

TEST_F(UpstreamTest, AnInstanceNotReadyIsSkippedUntilItRecovers) {
  Make({At(a_), At(b_)});
  a_.ready = false;
  // Wait for the probe (every 50 ms) to see it.
  for (int i = 0; i < 100 && upstream_->instances_up() != 1; ++i) client_io_.run_for(10ms);
  ASSERT_EQ(upstream_->instances_up(), 1u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Get("/x")->body(), "b secret");
  a_.ready = true;
  for (int i = 0; i < 100 && upstream_->instances_up() != 2; ++i) client_io_.run_for(10ms);
  EXPECT_EQ(upstream_->instances_up(), 2u);
}

TEST_F(UpstreamTest, NoInstanceUpIsUnavailable) {
  Make({Closed()});
  Result<Response> r = Get("/x");
  EXPECT_EQ(r.code(), Code::kUnavailable);
}

TEST_F(UpstreamTest, ACallPastItsDeadlineTimesOut) {
  Make({At(a_)}, 200ms);
  Result<Response> r = Get("/slow");
  EXPECT_EQ(r.code(), Code::kDeadlineExceeded);
  // The instance stays usable.
  Result<Response> next = Get("/x");
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->body(), "a secret");
}

}  // namespace
}  // namespace minishop::net
