#include "infra/redis/sync_client.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <memory>
#include <string>

namespace minishop::redis {
namespace {

TEST(SyncClientTest, ReportsUnreachableServerAsUnavailable) {
  SyncClient client("127.0.0.1", 1, std::chrono::milliseconds(500));
  EXPECT_EQ(client.Connect().code(), Code::kUnavailable);
  auto reply = client.Command({"PING"});
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.code(), Code::kUnavailable);
  EXPECT_FALSE(client.connected());
}

TEST(SyncClientTest, EmptyPipelineNeedsAConnectionButSendsNothing) {
  SyncClient client("127.0.0.1", 1, std::chrono::milliseconds(500));
  EXPECT_EQ(client.Pipeline({}).code(), Code::kUnavailable);
}

// The reader callbacks build the same tree as the client's own parser, whether the bytes
// come in one piece or one at a time, and a protocol error frees what was built.
void ExpectSameTree(const Reply& a, const Reply& b) {
  EXPECT_EQ(a.type, b.type);
  EXPECT_EQ(a.str, b.str);
  EXPECT_EQ(a.integer, b.integer);
  ASSERT_EQ(a.elements.size(), b.elements.size());
  for (size_t i = 0; i < a.elements.size(); ++i) ExpectSameTree(a.elements[i], b.elements[i]);
}

std::unique_ptr<Reply> ReadWithBuilder(const std::string& wire, size_t piece) {
  redisReader* reader = redisReaderCreate();
  reader->fn = ReplyBuilder();
  void* raw = nullptr;
  for (size_t at = 0; at < wire.size() && raw == nullptr; at += piece) {
    EXPECT_EQ(redisReaderFeed(reader, wire.data() + at, std::min(piece, wire.size() - at)),
              REDIS_OK);
    EXPECT_EQ(redisReaderGetReply(reader, &raw), REDIS_OK);
  }
  redisReaderFree(reader);
  return std::unique_ptr<Reply>(static_cast<Reply*>(raw));
}

TEST(ReplyBuilderTest, BuildsTheTreeTheParserBuilds) {
  const std::string wire =
      "*7\r\n:0\r\n:-42\r\n$5\r\n1-2-1\r\n$-1\r\n+OK\r\n*2\r\n-ERR x\r\n$0\r\n\r\n"
      "*2\r\n*0\r\n*1\r\n$40\r\n0123456789012345678901234567890123456789\r\n";
  Reply parsed;
  size_t used = 0;
  ASSERT_EQ(ParseReply(wire, parsed, used), ReplyParse::kDone);
  for (size_t piece : {wire.size(), size_t{1}, size_t{7}}) {
    std::unique_ptr<Reply> built = ReadWithBuilder(wire, piece);
    ASSERT_NE(built, nullptr) << piece;
    ExpectSameTree(*built, parsed);
  }
  EXPECT_EQ(ReadWithBuilder("*1\r\n*-1\r\n", 3)->elements.at(0).type, Reply::Type::kNil);
  EXPECT_EQ(ReadWithBuilder(":7\r\n", 2)->integer, 7);
}

TEST(ReplyBuilderTest, ProtocolErrorInsideAnArrayFreesThePartialReply) {
  redisReader* reader = redisReaderCreate();
  reader->fn = ReplyBuilder();
  const std::string wire = "*3\r\n$3\r\nabc\r\n:1\r\n?bad\r\n";
  ASSERT_EQ(redisReaderFeed(reader, wire.data(), wire.size()), REDIS_OK);
  void* raw = nullptr;
  EXPECT_EQ(redisReaderGetReply(reader, &raw), REDIS_ERR);
  EXPECT_EQ(raw, nullptr);
  redisReaderFree(reader);  // ASan: the partial root was deleted exactly once
}

}  // namespace
}  // namespace minishop::redis
