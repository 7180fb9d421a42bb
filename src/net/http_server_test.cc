#include "net/http_server.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <thread>

#include "net/http_client.h"

namespace minishop::net {
namespace {
namespace asio = boost::asio;

class EchoHandler : public HttpHandler {
 public:
  asio::awaitable<Response> Handle(Request& request) override {
    co_return JsonResponse(http::status::ok,
                           "{\"len\":" + std::to_string(request.message.body().size()) + "}");
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_.host = "127.0.0.1";
    config_.port = 0;
    config_.max_body_bytes = 1024;
    config_.max_header_bytes = 2048;
    config_.idle_timeout_ms = 60'000;
    Tune(config_);
    server_ = std::make_unique<HttpServer>(
        loops_, config_, [](asio::io_context&, int) { return std::make_unique<EchoHandler>(); },
        metrics_);
    ASSERT_TRUE(server_->Start().ok());
    loops_.Start();
  }
  void TearDown() override {
    server_->BeginShutdown();
    server_->WaitDrained(std::chrono::seconds(5));
    loops_.Stop();
  }

  // Sends raw bytes on a fresh connection and returns everything the server answers
  // before closing (or until `max` bytes).
  std::string Raw(const std::string& bytes) {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
    asio::write(s, asio::buffer(bytes));
    std::string out;
    boost::system::error_code ec;
    char buf[4096];
    for (;;) {
      size_t n = s.read_some(asio::buffer(buf), ec);
      if (ec) break;
      out.append(buf, n);
    }
    return out;
  }

  virtual void Tune(ServerConfig&) {}

  ServerConfig config_;
  MetricsRegistry metrics_;
  EventLoops loops_{2};
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, AnswersRequest) {
  auto res = Fetch("127.0.0.1", server_->port(), {http::verb::post, "/x", "hello", {}});
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(res->body(), "{\"len\":5}");
}

TEST_F(HttpServerTest, KeepsConnectionAliveAcrossRequests) {
  std::string two =
      "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  std::string out = Raw(two);
  size_t first = out.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos);
  EXPECT_NE(out.find("HTTP/1.1 200", first + 1), std::string::npos) << out;
}

TEST_F(HttpServerTest, RejectsOversizeBodyWith413) {
  std::string body(2000, 'x');
  auto res = Fetch("127.0.0.1", server_->port(), {http::verb::post, "/x", body, {}});
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->result(), http::status::payload_too_large);
  EXPECT_NE(res->body().find("\"code\":\"payload_too_large\""), std::string::npos);
}

TEST_F(HttpServerTest, RejectsOversizeHeadersWith431) {
  std::string big(4000, 'a');
  auto res = Fetch("127.0.0.1", server_->port(), {http::verb::get, "/x", "", {{"X-Big", big}}});
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->result(), http::status::request_header_fields_too_large);
}

TEST_F(HttpServerTest, RejectsMalformedRequestWith400) {
  std::string out = Raw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_NE(out.find("HTTP/1.1 400"), std::string::npos) << out;
  EXPECT_NE(out.find("\"code\":\"bad_request\""), std::string::npos) << out;
}

// RFC 9112 §6: every framing fault gets its 4xx/501 and the connection closes — what
// follows the faulty request on the same connection is never answered.
TEST_F(HttpServerTest, RefusesFaultyFramingAndCloses) {
  const std::string next = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
  struct Case {
    std::string request;
    std::string status;
  };
  const std::vector<Case> cases = {
      {"POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
       "5\r\nhello\r\n0\r\n\r\n",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\nhello", "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"
       "\r\n0\r\n\r\n",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", "501"},
      // Invalid chunk sizes: not hex, negative, overflowing 64 bits, missing, over the limit.
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
       "10000000000000005\r\nhello\r\n0\r\n\r\n",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nfffff\r\n", "413"},
      // Content-Length that is not one number.
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
       "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\nhello", "400"},
      {"POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello", "400"},
  };
  for (const Case& c : cases) {
    std::string out = Raw(c.request + next);
    EXPECT_EQ(out.substr(0, 12).substr(9), c.status) << c.request << "\n---\n" << out;
    EXPECT_NE(out.find("\"error\":{\"code\""), std::string::npos) << out;
    EXPECT_EQ(out.find("HTTP/1.1 200"), std::string::npos) << c.request << "\n---\n" << out;
  }
  // A valid chunked HTTP/1.1 request is read whole.
  std::string ok =
      Raw("POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
          "Connection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_NE(ok.find("{\"len\":5}"), std::string::npos) << ok;
}

// Whatever makes a header block too large — one huge field, many fields, a long request
// line — is answered 431 or 414, never 400, also far past any buffer's size.
TEST_F(HttpServerTest, OversizeHeaderBlocksAre431AndLongRequestLinesAre414) {
  for (size_t size : {4'000u, 64u * 1024, 100u * 1024}) {
    std::string out =
        Raw("GET /x HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(size, 'a') + "\r\n\r\n");
    EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 431") << size;
    EXPECT_NE(out.find("\"code\":\"headers_too_large\""), std::string::npos) << out;
  }
  std::string many = "GET /x HTTP/1.1\r\nHost: x\r\n";
  for (int i = 0; i < 400; ++i) many += "X-F" + std::to_string(i) + ": value\r\n";
  EXPECT_EQ(Raw(many + "\r\n").substr(0, 12), "HTTP/1.1 431");
  for (size_t size : {4'000u, 64u * 1024}) {
    std::string out = Raw("GET /" + std::string(size, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 414") << size;
    EXPECT_NE(out.find("\"code\":\"uri_too_long\""), std::string::npos) << out;
  }
}

TEST_F(HttpServerTest, ShutdownClosesIdleConnections) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
  // Wait until the server has registered the connection.
  for (int i = 0; i < 200 && server_->open_connections() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(server_->open_connections(), 1);
  server_->BeginShutdown();
  EXPECT_TRUE(server_->WaitDrained(std::chrono::seconds(5)));
  char c;
  boost::system::error_code ec;
  s.read_some(asio::buffer(&c, 1), ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset) << ec.message();
}

class HttpServerTimeoutTest : public HttpServerTest {
 protected:
  void Tune(ServerConfig& c) override {
    c.idle_timeout_ms = 300;
    c.read_timeout_ms = 300;
  }
  asio::ip::tcp::socket Connect() {
    asio::ip::tcp::socket s(io_);
    s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
    return s;
  }
  // True when the server closed the connection within 5 s.
  static bool ClosedByServer(asio::ip::tcp::socket& s) {
    pollfd p{s.native_handle(), POLLIN, 0};
    if (poll(&p, 1, 5000) <= 0) return false;
    char c;
    boost::system::error_code ec;
    s.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }
  asio::io_context io_;
};

// Connections are bounded by deadlines kept in order: an idle one and one stalled inside its
// headers are closed, one that keeps sending requests is not.
TEST_F(HttpServerTimeoutTest, ClosesIdleAndStalledConnectionsButNotBusyOnes) {
  asio::ip::tcp::socket idle = Connect();
  asio::ip::tcp::socket stalled = Connect();
  asio::write(stalled, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n")));
  asio::ip::tcp::socket active = Connect();
  // Well past both timeouts and several sweeps, never idle for longer than 100 ms.
  for (int i = 0; i < 15; ++i) {
    asio::write(active, asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
    std::string got;
    char buf[512];
    boost::system::error_code ec;
    while (got.find("{\"len\":0}") == std::string::npos && !ec)
      got.append(buf, active.read_some(asio::buffer(buf), ec));
    ASSERT_FALSE(ec) << "request " << i << ": " << ec.message();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_TRUE(ClosedByServer(idle));
  EXPECT_TRUE(ClosedByServer(stalled));
  EXPECT_EQ(server_->open_connections(), 1);
}

// A trailer field too large for Beast to store made it throw out of the read: the session
// ended without leaving the deadline lists, and the next sweep used its freed socket. Now the
// client gets an answer, the connection is gone, and the server keeps serving.
TEST_F(HttpServerTimeoutTest, OversizeTrailersAndChunkExtensionsAreRefusedAndForgotten) {
  const std::string head = "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string trailer = Raw(head + "2\r\n{}\r\n0\r\nX-T: " + std::string(70'000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(trailer.starts_with("HTTP/1.1 4")) << trailer.substr(0, 200);
  std::string extension = Raw(head + "2;a=" + std::string(200'000, 'b') + "\r\n{}\r\n0\r\n\r\n");
  EXPECT_TRUE(extension.starts_with("HTTP/1.1 400")) << extension.substr(0, 200);
  // Several sweeps later (300 ms timeouts): nothing of them is left, and requests are served.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  EXPECT_EQ(server_->open_connections(), 0);
  std::string ok = Raw("GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(ok.find("{\"len\":0}"), std::string::npos) << ok;
}

// The request line arriving in pieces does not turn an oversize field into a long line.
TEST_F(HttpServerTest, OversizeFieldAfterARequestLineInPiecesIs431) {
  asio::io_context io;
  asio::ip::tcp::socket s(io);
  s.connect({asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(server_->port())});
  asio::write(s, asio::buffer(std::string("GET /api/v1/ti")));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  boost::system::error_code ec;
  asio::write(
      s, asio::buffer("me HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n"),
      ec);
  std::string out;
  char buf[4096];
  for (;;) {
    size_t n = s.read_some(asio::buffer(buf), ec);
    if (ec) break;
    out.append(buf, n);
  }
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 431") << out;
}

// A second server on a port that one already listens on must not take part of its
// connections silently: it refuses to start unless told the port may be shared.
class HttpServerPortSharingTest : public ::testing::Test {
 protected:
  // One server on its own loops; `port` 0 picks a free one.
  struct Instance {
    EventLoops loops{1};
    std::unique_ptr<HttpServer> server;
    bool started = false;
  };

  Status Start(Instance& i, int port, bool share_port) {
    ServerConfig config;
    config.host = "127.0.0.1";
    config.port = port;
    config.share_port = share_port;
    i.server = std::make_unique<HttpServer>(
        i.loops, config, [](asio::io_context&, int) { return std::make_unique<EchoHandler>(); },
        metrics_);
    Status s = i.server->Start();
    if (s.ok()) {
      i.loops.Start();
      i.started = true;
    }
    return s;
  }

  // Closes its listening sockets: they go with the server, not with BeginShutdown alone.
  static void Stop(Instance& i) {
    if (!i.started) return;
    i.server->BeginShutdown();
    i.server->WaitDrained(std::chrono::seconds(5));
    i.loops.Stop();
    i.server.reset();
    i.started = false;
  }

  void TearDown() override {
    Stop(second_);
    Stop(first_);
  }

  MetricsRegistry metrics_;
  Instance first_;
  Instance second_;
};

TEST_F(HttpServerPortSharingTest, SecondServerOnATakenPortFailsUnlessSharing) {
  ASSERT_TRUE(Start(first_, 0, /*share_port=*/false).ok());
  const int port = first_.server->port();
  Status s = Start(second_, port, /*share_port=*/false);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kConflict);
  EXPECT_NE(s.error().message.find(std::to_string(port)), std::string::npos) << s.error().message;
  // The first one keeps the port to itself and serves.
  auto res = Fetch("127.0.0.1", port, {http::verb::get, "/x", "", {}});
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->result(), http::status::ok);
}

TEST_F(HttpServerPortSharingTest, ServersThatShareThePortBothStart) {
  ASSERT_TRUE(Start(first_, 0, /*share_port=*/true).ok());
  const int port = first_.server->port();
  Status s = Start(second_, port, /*share_port=*/true);
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(second_.server->port(), port);
  // With the first one gone, the second alone answers on the shared port.
  Stop(first_);
  auto res = Fetch("127.0.0.1", port, {http::verb::get, "/x", "", {}});
  ASSERT_TRUE(res.ok()) << res.error().message;
  EXPECT_EQ(res->result(), http::status::ok);
}

// Connections a stopped server left in TIME_WAIT do not count as another process.
TEST_F(HttpServerPortSharingTest, PortOfAStoppedServerIsFreeAgain) {
  ASSERT_TRUE(Start(first_, 0, /*share_port=*/false).ok());
  const int port = first_.server->port();
  // Fetch sends Connection: close: the server closes first, its side stays in TIME_WAIT.
  auto res = Fetch("127.0.0.1", port, {http::verb::get, "/x", "", {}});
  ASSERT_TRUE(res.ok()) << res.error().message;
  Stop(first_);
  Status s = Start(second_, port, /*share_port=*/false);
  EXPECT_TRUE(s.ok()) << s.error().message;
}

}  // namespace
}  // namespace minishop::net
