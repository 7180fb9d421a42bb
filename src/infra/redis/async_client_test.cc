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

TEST(AppendEvalTest, EncodesVerbScriptKeyCountKeysAndArgs) {
  std::string out;
  const std::string_view keys[] = {"k1", "key2"};
  const std::string_view args[] = {"7"};
  AppendEval(out, "EVALSHA", "abc", keys, args);
  EXPECT_EQ(out, "*6\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n$1\r\n2\r\n$2\r\nk1\r\n$4\r\nkey2\r\n"
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

}  // namespace
}  // namespace minishop::redis
