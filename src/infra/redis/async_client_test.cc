#include "infra/redis/async_client.h"

#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>

namespace minishop::redis {
namespace {

TEST(AppendCommandTest, EncodesBulkStringArray) {
  std::string out;
  AppendCommand(out, {"SET", "k", ""});
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
}

TEST(AppendEvalTest, EncodesVerbScriptKeyCountKeysAndArgs) {
  std::string out;
  const std::string_view keys[] = {"k1", "key2"};
  const std::string_view args[] = {"7"};
  AppendEval(out, "EVALSHA", "abc", keys, args);
  EXPECT_EQ(out,
            "*6\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n$1\r\n2\r\n$2\r\nk1\r\n$4\r\nkey2\r\n"
            "$1\r\n7\r\n");
}

TEST(ParseReplyTest, ParsesEveryRespTwoType) {
  const std::string wire =
      "*6\r\n:0\r\n:-42\r\n$5\r\n1-2-1\r\n$-1\r\n+OK\r\n*2\r\n-ERR x\r\n$0\r\n\r\n:9\r\n";
  Reply r;
  size_t used = 0;
  ASSERT_EQ(ParseReply(wire, r, used), ReplyParse::kDone);
  EXPECT_EQ(used, wire.size() - 4);  // the trailing ":9" is the next reply
  ASSERT_EQ(r.type, Reply::Type::kArray);
  ASSERT_EQ(r.elements.size(), 6u);
  EXPECT_EQ(r.elements[0].integer, 0);
  EXPECT_EQ(r.elements[1].integer, -42);
  EXPECT_EQ(r.elements[2].type, Reply::Type::kString);
  EXPECT_EQ(r.elements[2].str, "1-2-1");
  EXPECT_TRUE(r.elements[3].is_nil());
  EXPECT_EQ(r.elements[4].type, Reply::Type::kStatus);
  EXPECT_EQ(r.elements[4].str, "OK");
  ASSERT_EQ(r.elements[5].elements.size(), 2u);
  EXPECT_TRUE(r.elements[5].elements[0].is_error());
  EXPECT_EQ(r.elements[5].elements[0].str, "ERR x");
  EXPECT_EQ(r.elements[5].elements[1].str, "");
}

TEST(ParseReplyTest, AsksForMoreOnEveryTruncationAndRejectsGarbage) {
  const std::string wire = "*3\r\n:1\r\n$12\r\nhello\r\nworld\r\n*-1\r\n";
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    Reply r;
    size_t used = 0;
    EXPECT_EQ(ParseReply(std::string_view(wire).substr(0, cut), r, used), ReplyParse::kNeedMore)
        << cut;
  }
  Reply r;
  size_t used = 0;
  ASSERT_EQ(ParseReply(wire, r, used), ReplyParse::kDone);
  EXPECT_EQ(r.elements[1].str, "hello\r\nworld");
  EXPECT_TRUE(r.elements[2].is_nil());
  EXPECT_EQ(ParseReply("?x\r\n", r, used), ReplyParse::kBad);
  EXPECT_EQ(ParseReply(":12a\r\n", r, used), ReplyParse::kBad);
  EXPECT_EQ(ParseReply("$2\r\nabcd\r\n", r, used), ReplyParse::kBad);
  EXPECT_EQ(ParseReply("*999999999\r\n", r, used), ReplyParse::kNeedMore);  // no huge reserve
}

TEST(ScriptTest, Sha1MatchesRedis) {
  // redis-cli SCRIPT LOAD "return 1" -> e0e1f9fabfc9d4800c877a703b823ac0578ff8db
  EXPECT_EQ(Script("return 1").sha1, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db");
}

TEST(AsyncClientTest, FailsFastWithUnavailableWhenNotConnected) {
  boost::asio::io_context io;
  RedisConfig config;
  config.port = 1;  // nothing listens there
  AsyncClient client(io, config);
  client.Start();
  std::optional<Result<Reply>> got;
  boost::asio::co_spawn(
      io,
      [&]() -> boost::asio::awaitable<void> {
        std::vector<std::string> ping(1, "PING");  // no init-lists in coroutines (GCC 12)
        got.emplace(co_await client.Command(std::move(ping), boost::asio::use_awaitable));
        client.Stop();
      },
      [](std::exception_ptr) {});
  io.run_for(std::chrono::seconds(5));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->code(), Code::kUnavailable);
}

namespace asio = boost::asio;
using namespace std::chrono_literals;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// A stand-in Redis on a local port that answers every PING with +PONG after `delay`, or
// never when `delay` is negative. It counts the commands it has received.
class FakeRedis {
 public:
  FakeRedis(asio::io_context& io, std::chrono::milliseconds delay)
      : io_(io), acceptor_(io, {asio::ip::make_address("127.0.0.1"), 0}), delay_(delay) {
    asio::co_spawn(io, Serve(), asio::detached);
  }
  int port() const { return acceptor_.local_endpoint().port(); }
  int received() const { return received_; }
  void Close() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    if (socket_) socket_->close(ignored);
  }

 private:
  static constexpr std::string_view kPing = "*1\r\n$4\r\nPING\r\n";

  asio::awaitable<void> Serve() {
    auto [aec, socket] = co_await acceptor_.async_accept(kTuple);
    if (aec) co_return;
    socket_.emplace(std::move(socket));
    char buf[4096];
    size_t bytes = 0;
    for (;;) {
      auto [ec, n] = co_await socket_->async_read_some(asio::buffer(buf), kTuple);
      if (ec) co_return;
      bytes += n;
      const int now_received = static_cast<int>(bytes / kPing.size());
      const int fresh = now_received - received_;
      received_ = now_received;
      if (delay_.count() >= 0 && fresh > 0) asio::co_spawn(io_, Answer(fresh), asio::detached);
    }
  }

  asio::awaitable<void> Answer(int count) {
    asio::steady_timer timer(io_, delay_);
    co_await timer.async_wait(kTuple);
    std::string replies;
    for (int i = 0; i < count; ++i) replies += "+PONG\r\n";
    if (socket_) co_await asio::async_write(*socket_, asio::buffer(replies), kTuple);
  }

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  std::optional<asio::ip::tcp::socket> socket_;
  std::chrono::milliseconds delay_;
  int received_ = 0;
};

// Runs `io` until `done` holds or `limit` passes.
template <class Pred>
void RunUntil(asio::io_context& io, Pred done, std::chrono::milliseconds limit = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_for(5ms);
}

// Sends one PING now and stores its outcome in `into`.
void Ping(AsyncClient& client, std::optional<Result<Reply>>& into) {
  client.Command(std::vector<std::string>(1, "PING"),
                 [&into](Result<Reply> result) { into.emplace(std::move(result)); });
}

RedisConfig FakeConfig(const FakeRedis& fake) {
  RedisConfig config;
  config.port = fake.port();
  return config;
}

TEST(AsyncClientTest, SlowRedisAnswersEverySentCommandAndNewOnesAreShedMeanwhile) {
  asio::io_context io;
  FakeRedis fake(io, 400ms);
  RedisConfig config = FakeConfig(fake);
  config.shed_after_ms = 50;
  config.command_timeout_ms = 10'000;
  AsyncClient client(io, config);
  client.Start();
  RunUntil(io, [&] { return client.connected(); });
  ASSERT_TRUE(client.connected());

  std::optional<Result<Reply>> first[3], shed, later;
  for (auto& f : first) Ping(client, f);
  RunUntil(io, [&] { return fake.received() == 3; });
  io.run_for(100ms);  // the oldest has now waited past shed_after_ms, far from the deadline
  Ping(client, shed);
  RunUntil(
      io, [&] { return shed.has_value(); }, 300ms);
  ASSERT_TRUE(shed.has_value());
  EXPECT_EQ(shed->code(), Code::kUnavailable);
  EXPECT_NE(shed->error().message.find("overloaded"), std::string::npos);
  EXPECT_EQ(fake.received(), 3);  // shed means never sent

  RunUntil(io, [&] { return first[0] && first[1] && first[2]; });
  for (auto& f : first) {
    ASSERT_TRUE(f.has_value());
    ASSERT_TRUE(f->ok()) << f->error().message;
    EXPECT_EQ((*f)->str, "PONG");
  }
  Ping(client, later);  // the queue drained: admitted again
  RunUntil(io, [&] { return later.has_value(); });
  ASSERT_TRUE(later.has_value() && later->ok());
  client.Stop();
  fake.Close();
}

TEST(AsyncClientTest, HungRedisFailsSentCommandsAsOutcomeUnknownAtTheHardDeadline) {
  asio::io_context io;
  FakeRedis fake(io, -1ms);  // reads, never answers
  RedisConfig config = FakeConfig(fake);
  config.command_timeout_ms = 200;
  AsyncClient client(io, config);
  client.Start();
  RunUntil(io, [&] { return client.connected(); });
  ASSERT_TRUE(client.connected());

  std::optional<Result<Reply>> sent[2];
  for (auto& s : sent) Ping(client, s);
  RunUntil(io, [&] { return sent[0] && sent[1]; });
  EXPECT_EQ(fake.received(), 2);
  for (auto& s : sent) {
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->code(), Code::kDeadlineExceeded);
    EXPECT_NE(s->error().message.find("may have run"), std::string::npos);
  }
  client.Stop();
  fake.Close();
  io.run_for(20ms);
}

TEST(AsyncClientTest, CommandsNotYetWrittenFailAsNotSent) {
  asio::io_context io;
  FakeRedis fake(io, -1ms);
  AsyncClient client(io, FakeConfig(fake));
  client.Start();
  RunUntil(io, [&] { return client.connected(); });
  ASSERT_TRUE(client.connected());

  std::optional<Result<Reply>> written, queued[2];
  Ping(client, written);
  RunUntil(io, [&] { return fake.received() == 1; });
  ASSERT_EQ(fake.received(), 1);
  // Both are queued and the client stopped within one handler, before the deferred write.
  asio::post(io, [&] {
    for (auto& q : queued) Ping(client, q);
    client.Stop();
  });
  RunUntil(io, [&] { return written && queued[0] && queued[1]; });
  ASSERT_TRUE(written.has_value() && queued[0].has_value() && queued[1].has_value());
  EXPECT_EQ(written->code(), Code::kDeadlineExceeded);
  for (auto& q : queued) {
    EXPECT_EQ(q->code(), Code::kUnavailable);
    EXPECT_NE(q->error().message.find("not sent"), std::string::npos);
  }
  EXPECT_EQ(fake.received(), 1);
  fake.Close();
  io.run_for(20ms);
}

}  // namespace
}  // namespace minishop::redis
