#include "infra/redis/async_client.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace minishop::redis {
namespace {

TEST(AppendCommandTest, EncodesBulkStringArray) {
  std::string out;
  AppendCommand(out, {"SET", "k", ""});
  EXPECT_EQ(out, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
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

}  // namespace
}  // namespace minishop::redis
